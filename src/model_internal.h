/* Internal: the model's layers, their derived shapes and their slices of the
 * flat parameter buffer. Built by the zoo (zoo.c) and the Keras JSON reader
 * (model_json.c); finished by gt_model_build (model.c), which infers shapes,
 * padding and parameter offsets and validates the stack. */
#ifndef GT_MODEL_INTERNAL_H
#define GT_MODEL_INTERNAL_H

#include <stddef.h>

#include "gtrain/backend.h"
#include "gtrain/model.h"
#include "gtrain/tensor.h"

/* The most elements one example's tensor, or the parameters together, may
 * have (2^40): far beyond any model that trains, and small enough that the
 * trainer's sizes (batch x elements x 4 bytes) are checked in one place. */
#define GT_MODEL_MAX_ELEMENTS ((size_t)1 << 40)

/* NULL when `name` can name a layer (it becomes an HDF5 group of every
 * checkpoint and a file name of `gtrain activations`), else what is wrong. */
const char *gt_layer_name_problem(const char *name);

/* The one table of layer kinds: enum name, Keras class_name, preprocessing?
 * Everything that lists layer kinds derives from it. */
#define GT_LAYER_KINDS(X)                                                                          \
    X(RESCALING, "Rescaling", 1)                                                                   \
    X(RESIZING, "Resizing", 1)                                                                     \
    X(REPEAT_CHANNELS, "RepeatChannels", 1)                                                        \
    X(CONV2D, "Conv2D", 0)                                                                         \
    X(MAXPOOL2D, "MaxPooling2D", 0)                                                                \
    X(FLATTEN, "Flatten", 0)                                                                       \
    X(DENSE, "Dense", 0)                                                                           \
    X(DROPOUT, "Dropout", 0)                                                                       \
    X(ACTIVATION, "Activation", 0)

typedef enum gt_layer_kind {
#define GT_LAYER_ENUM_(id, keras, pre) GT_LAYER_##id,
    GT_LAYER_KINDS(GT_LAYER_ENUM_)
#undef GT_LAYER_ENUM_
        GT_LAYER_KIND_COUNT
} gt_layer_kind;

/* Keras class name of a kind ("Conv2D"); NULL when out of range. */
const char *gt_layer_kind_keras_name(gt_layer_kind kind);
/* Kind for a Keras class name; returns 0 when unknown. */
int gt_layer_kind_from_keras_name(const char *name, gt_layer_kind *out);
/* 1 for Rescaling, Resizing, RepeatChannels. */
int gt_layer_kind_is_preprocessing(gt_layer_kind kind);

typedef enum gt_padding { GT_PAD_VALID = 0, GT_PAD_SAME } gt_padding;

typedef enum gt_init_kind {
    GT_INIT_GLOROT_UNIFORM = 0, /* limit sqrt(6 / (fan_in + fan_out)) */
    GT_INIT_GLOROT_NORMAL,      /* truncated normal, stddev sqrt(2 / (fan_in + fan_out)) / .8796 */
    GT_INIT_HE_UNIFORM,         /* limit sqrt(6 / fan_in) */
    GT_INIT_HE_NORMAL,          /* truncated normal, stddev sqrt(2 / fan_in) / .8796 */
    GT_INIT_RANDOM_NORMAL,      /* mean, stddev (Keras 'normal': 0, 0.05) */
    GT_INIT_RANDOM_UNIFORM,     /* [minval, maxval) (Keras default -0.05, 0.05) */
    GT_INIT_TRUNCATED_NORMAL,   /* mean, stddev; redrawn beyond 2 stddev */
    GT_INIT_ZEROS,
    GT_INIT_ONES,
    GT_INIT_CONSTANT /* value */
} gt_init_kind;

typedef struct gt_initializer {
    gt_init_kind kind;
    float mean, stddev;
    float minval, maxval;
    float value;
} gt_initializer;

typedef struct gt_layer {
    gt_layer_kind kind;
    char name[64];

    /* ---- configuration (from the zoo or the JSON) ---- */
    gt_activation activation; /* Conv2D, Dense, Activation */
    int filters;              /* Conv2D */
    int kernel_h, kernel_w;   /* Conv2D kernel, MaxPooling2D pool size */
    int stride_h, stride_w;   /* Conv2D, MaxPooling2D */
    gt_padding padding;       /* Conv2D, MaxPooling2D */
    int units;                /* Dense */
    int use_bias;             /* Conv2D, Dense */
    gt_initializer kernel_init, bias_init;
    float rate;          /* Dropout */
    float scale, offset; /* Rescaling */
    int height, width;   /* Resizing target */
    int repeats;         /* RepeatChannels: output channels = input channels * repeats */

    /* ---- derived by gt_model_build ---- */
    gt_shape3 in, out;     /* per-example shapes */
    int pad_top, pad_left; /* Conv2D, MaxPooling2D */
    size_t kernel_offset;  /* floats into the flat parameter buffer */
    size_t kernel_count;   /* Conv2D: filters*kh*kw*cin (OHWI), Dense: in*units (in, units) */
    size_t bias_offset;
    size_t bias_count;
} gt_layer;

struct gt_model {
    char name[64];
    gt_shape3 input; /* as fed from the dataset */
    int n_layers;
    int capacity;
    gt_layer *layers;
    gt_recipe recipe;

    /* ---- derived by gt_model_build ---- */
    int first_compute;        /* index of the first non-preprocessing layer */
    gt_preprocess preprocess; /* the leading preprocessing layers, folded */
    size_t n_params;
    int num_classes;   /* units of the output */
    int logits_output; /* 1: the output activation is softmax, fused into the loss */
    int built;
};

/* Allocates an empty model named `name` with input shape `input` and the
 * Keras default recipe (batch 32, 1 epoch, Adam 1e-3, no validation). */
gt_status gt_model_new(const char *name, gt_shape3 input, gt_model **out);
/* Appends a copy of `layer`; an empty name becomes Keras' default
 * ("conv2d", "conv2d_1", ...). */
gt_status gt_model_add(gt_model *m, const gt_layer *layer);
/* Infers shapes, padding, parameter offsets, the folded preprocessing and the
 * loss form; fails with a message naming the layer when the stack is invalid. */
gt_status gt_model_build(gt_model *m);

/* Layer constructors with Keras defaults (glorot_uniform kernel, zeros bias). */
gt_layer gt_layer_conv2d(int filters, int kernel, int stride, gt_padding padding,
                         gt_activation act);
gt_layer gt_layer_maxpool2d(int pool, int stride, gt_padding padding);
gt_layer gt_layer_flatten(void);
gt_layer gt_layer_dense(int units, gt_activation act);
gt_layer gt_layer_dropout(float rate);
gt_layer gt_layer_activation(gt_activation act);
gt_layer gt_layer_rescaling(float scale, float offset);
gt_layer gt_layer_resizing(int height, int width);
gt_layer gt_layer_repeat_channels(int repeats);

/* "relu" -> GT_ACT_RELU ...; returns 0 when unknown. */
int gt_activation_from_name(const char *name, gt_activation *out);
const char *gt_activation_name(gt_activation act);

#endif
