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

/* The one table of layer kinds: X(ID, class). Each class (a file of src/model/layers/)
 * holds everything about its kind (see layer.h); every list of kinds derives
 * from this table. */
#define GT_LAYER_KINDS(X)                                                                          \
    X(RESCALING, gt_rescaling_class)                                                               \
    X(RESIZING, gt_resizing_class)                                                                 \
    X(RANDOM_FLIP, gt_random_flip_class)                                                           \
    X(RANDOM_TRANSLATION, gt_random_translation_class)                                             \
    X(RANDOM_ZOOM, gt_random_zoom_class)                                                           \
    X(RANDOM_CROP, gt_random_crop_class)                                                           \
    X(REPEAT_CHANNELS, gt_repeat_channels_class)                                                   \
    X(CONV2D, gt_conv2d_class)                                                                     \
    X(MAXPOOL2D, gt_maxpool2d_class)                                                               \
    X(AVGPOOL2D, gt_avgpool2d_class)                                                               \
    X(GLOBAL_AVGPOOL2D, gt_global_avgpool2d_class)                                                 \
    X(GLOBAL_MAXPOOL2D, gt_global_maxpool2d_class)                                                 \
    X(ZEROPAD2D, gt_zeropad2d_class)                                                               \
    X(BATCHNORM, gt_batchnorm_class)                                                               \
    X(FLATTEN, gt_flatten_class)                                                                   \
    X(DENSE, gt_dense_class)                                                                       \
    X(DROPOUT, gt_dropout_class)                                                                   \
    X(ACTIVATION, gt_activation_class)                                                             \
    X(RELU, gt_relu_class)                                                                         \
    X(LEAKY_RELU, gt_leaky_relu_class)                                                             \
    X(ELU, gt_elu_class)                                                                           \
    X(ADD, gt_add_class)                                                                           \
    X(SUBTRACT, gt_subtract_class)                                                                 \
    X(MULTIPLY, gt_multiply_class)                                                                 \
    X(AVERAGE, gt_average_class)                                                                   \
    X(CONCATENATE, gt_concatenate_class)

typedef enum gt_layer_kind {
#define GT_LAYER_ENUM_(id, cls) GT_LAYER_##id,
    GT_LAYER_KINDS(GT_LAYER_ENUM_)
#undef GT_LAYER_ENUM_
        GT_LAYER_KIND_COUNT
} gt_layer_kind;

/* Keras class name of a kind ("Conv2D"); NULL when out of range. */
const char *gt_layer_kind_keras_name(gt_layer_kind kind);
/* 1 for the kinds folded into the data pipeline (Rescaling, Resizing, RepeatChannels,
 * the Random* augmentation layers). */
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

/* The most tensors a merge layer (Add, Concatenate, ...) takes. */
#define GT_LAYER_MAX_INPUTS 8
/* A layer input that is the model's input (after its preprocessing layers). */
#define GT_MODEL_INPUT (-1)

/* A layer's named weight tensors (BatchNormalization has four). */
#define GT_LAYER_MAX_WEIGHTS 4

/* Where one weight tensor lives, set by gt_model_build. */
typedef struct gt_layer_weight {
    size_t offset;       /* floats into the trainable buffer, or the state buffer */
    size_t model_offset; /* floats into the model-order view (gt_trainer_get_params) */
    size_t count;
    int trainable;
} gt_layer_weight;

typedef struct gt_layer {
    gt_layer_kind kind;
    char name[64];
    /* The graph: the layers whose outputs this one reads, in call order
     * (GT_MODEL_INPUT: the model's input). n_inputs 0 when added means the
     * layer before it (a Sequential stack); gt_model_add fills it in. */
    int n_inputs;
    int inputs[GT_LAYER_MAX_INPUTS];

    /* ---- configuration (from the zoo or the JSON); each kind uses its own ---- */
    gt_activation activation; /* Conv2D, Dense, Activation, ReLU-like layers */
    float alpha;              /* ELU's alpha, LeakyReLU's negative slope */
    int filters;              /* Conv2D */
    int kernel_h, kernel_w;   /* Conv2D kernel, pooling window */
    int stride_h, stride_w;   /* Conv2D, pooling */
    gt_padding padding;       /* Conv2D, pooling */
    int units;                /* Dense */
    int use_bias;             /* Conv2D, Dense */
    gt_initializer kernel_init, bias_init;
    float rate;              /* Dropout */
    float scale, offset;     /* Rescaling */
    int height, width;       /* Resizing target */
    int repeats;             /* RepeatChannels: output channels = input channels * repeats */
    int pad[4];              /* ZeroPadding2D: top, bottom, left, right */
    int keepdims;            /* global pooling: (None, 1, 1, c) instead of (None, c) */
    int axis;                /* Concatenate: -1 (channels) */
    int negate_second;       /* Subtract: input 0 - input 1 */
    int mean;                /* Average: the sum over the number of inputs */
    float momentum, epsilon; /* BatchNormalization */
    int center, scale_bn;    /* BatchNormalization: beta, gamma present */
    gt_initializer gamma_init, beta_init, mean_init, var_init;
    gt_augment_stage augment; /* RandomFlip, RandomTranslation, RandomZoom, RandomCrop */
    long long seed;           /* their Keras seed, kept for the JSON (has_seed: not null) */
    int has_seed;

    /* ---- derived by gt_model_build ---- */
    gt_shape3 in, out;                  /* per-example shapes; in is ins[0] */
    gt_shape3 ins[GT_LAYER_MAX_INPUTS]; /* the shape of each input */
    int pad_top, pad_left;              /* Conv2D, pooling */
    int n_weights;
    gt_layer_weight weights[GT_LAYER_MAX_WEIGHTS];
} gt_layer;

struct gt_model {
    char name[64];
    gt_shape3 input; /* as fed from the dataset */
    int n_layers;
    int capacity;
    gt_layer *layers;
    gt_recipe recipe;
    /* Read from a Keras Functional model (written back as one); its
     * InputLayer's name, which the layers' inbound nodes refer to. */
    int functional;
    char input_name[64];

    /* ---- derived by gt_model_build ---- */
    int chain;                /* 1: each compute layer reads the one before it only */
    int first_compute;        /* index of the first non-preprocessing layer */
    gt_preprocess preprocess; /* the leading preprocessing layers, folded */
    gt_augment augment;       /* their augmentation stages (n_stages 0: none) */
    size_t n_trainable;       /* floats of the trainable weights (the optimizer's) */
    size_t n_state;           /* floats of the non-trainable ones (moving statistics) */
    int num_classes;          /* units of the output */
    int logits_output;        /* 1: the output activation is softmax, fused into the loss */
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

gt_layer gt_layer_avgpool2d(int pool, int stride, gt_padding padding);
gt_layer gt_layer_global_avgpool2d(void);
gt_layer gt_layer_batchnorm(void);

/* Every field of a kind at Keras' defaults (the class's init_defaults). */
gt_layer gt_layer_defaults(gt_layer_kind kind);
/* Total weight floats of a layer (trainable and not). */
size_t gt_layer_weight_floats(const gt_layer *l);

/* "relu" -> GT_ACT_RELU ...; returns 0 when unknown. */
int gt_activation_from_name(const char *name, gt_activation *out);
const char *gt_activation_name(gt_activation act);

#endif
