/* Internal: what a layer kind is. Each kind is one file of src/model/layers/ that
 * defines one gt_layer_class: its Keras class name, how it reads and writes
 * its Keras JSON config, how it infers its output shape, the named weight
 * tensors it owns (as Keras saves them), and its forward and backward passes
 * in backend ops. GT_LAYER_KINDS (model_internal.h) registers the classes;
 * the model builder, JSON reader and writer, summary, initializer, trainer,
 * checkpoints and benchmarks reach a layer only through its class, and never
 * switch on the kind. Adding a kind: README.md, "Adding a layer". */
#ifndef GT_LAYER_H
#define GT_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gtrain/backend.h"
#include "json_read.h"
#include "json_write.h"
#include "model_internal.h"

/* One named weight tensor of a layer, as Keras saves it. */
typedef struct gt_weight_spec {
    const char *name; /* Keras' weight name: "kernel", "bias", "gamma", "moving_mean" */
    int trainable;    /* 0: state (moving statistics): no gradient, no optimizer slot */
    int rank;
    unsigned long long dims[4]; /* Keras' shape; the conv kernel is HWIO */
    int conv_kernel;            /* stored OHWI here (cuDNN's layout), HWIO in Keras files */
    gt_initializer init;
    double fan_in, fan_out; /* for the variance-scaling initializers */
} gt_weight_spec;

/* What one pass of a layer sees. The trainer fills it; a pass reads its
 * inputs and writes its outputs through the backend, and reports where its
 * result is. */
typedef struct gt_layer_io {
    gt_backend *be;
    int n;          /* examples in the batch */
    int training;   /* dropout active, batch statistics used and updated */
    const float *x; /* the layer's input (n, l->in); a merge layer's first input */
    int n_inputs;   /* merge layers: their inputs xs[k] (n, l->ins[k]) */
    const float *xs[GT_LAYER_MAX_INPUTS];
    float *y;     /* its own output buffer (n, l->out), NULL when the class aliases */
    float *saved; /* class->saved_floats(l, n) floats kept from forward to backward */
    float *w[GT_LAYER_MAX_WEIGHTS];  /* the weights: trainable ones in params, others in state */
    float *dw[GT_LAYER_MAX_WEIGHTS]; /* gradients of the trainable weights (NULL for state) */
    void *workspace;
    uint64_t dropout_seed;     /* the dropout stream's seed */
    uint64_t *dropout_offset;  /* this layer's mask offset, set by the forward */
    uint64_t *dropout_counter; /* the run's next free mask offset */
    /* Where these n examples sit in the step's whole batch (data-parallel
     * ranks each take a share): the first one's position and the batch's
     * size, so that masks are drawn by global position, as in one process. */
    int batch_first, batch_total;
    /* Training over several ranks: sums count floats of backend memory in
     * place over the ranks (in the backend's order of work); NULL in one
     * process. Layers whose math needs the whole batch (BatchNormalization's
     * statistics) add their per-rank sums with it; every rank calls it the
     * same number of times, a rank without examples (n 0) too. */
    gt_status (*sum_over_ranks)(void *ctx, float *buf, size_t count);
    void *sum_ctx;
    /* forward result */
    const float *out; /* y, or x when the layer passes its input through */
    /* backward */
    const float *y_seen; /* what the forward produced (out) */
    float *dy;           /* gradient w.r.t. the output; a pass may overwrite it */
    float *dx;           /* spare buffer for the gradient w.r.t. the input */
    int need_dx;         /* 0 for the first compute layer */
    float *dx_out;       /* set by backward: dy (reused in place) or dx */
    /* merge layers' backward: the gradient w.r.t. each input, written (not
     * accumulated) into dxs[k]; NULL where it is not needed (the model's input) */
    float *dxs[GT_LAYER_MAX_INPUTS];
} gt_layer_io;

/* Layer categories, the rows' unit of bench_ops' --ops and totals. */
#define GT_LAYER_CATEGORIES(X)                                                                     \
    X(PREPROCESS, "preprocess")                                                                    \
    X(CONV, "conv")                                                                                \
    X(POOL, "pool")                                                                                \
    X(DENSE, "dense")                                                                              \
    X(ACT, "act")                                                                                  \
    X(DROPOUT, "dropout")                                                                          \
    X(NORM, "norm")                                                                                \
    X(SHAPE, "shape")                                                                              \
    X(MERGE, "merge")

typedef enum gt_layer_category {
#define GT_LAYER_CATEGORY_ENUM_(id, name) GT_CATEGORY_##id,
    GT_LAYER_CATEGORIES(GT_LAYER_CATEGORY_ENUM_)
#undef GT_LAYER_CATEGORY_ENUM_
        GT_CATEGORY_COUNT
} gt_layer_category;

const char *gt_layer_category_name(gt_layer_category c);

/* How Keras prints the layer's output shape in summary(): flat (None, n),
 * image (None, h, w, c), or the rank of its input. */
typedef enum gt_output_rank { GT_RANK_AS_INPUT = 0, GT_RANK_FLAT, GT_RANK_IMAGE } gt_output_rank;

/* The data pipeline's gather as the leading preprocessing layers fold into
 * it: channel repeat and resize, then the augmentation stages, then x *
 * scale + offset (backend.h). */
typedef struct gt_fold {
    gt_preprocess *p;
    gt_augment *augment;
    int resized; /* a resize was folded (one is supported) */
} gt_fold;

typedef struct gt_layer_class {
    const char *keras_name;
    /* Other class names Keras reads as this kind ("MaxPool2D"), NULL-ended; may be NULL. */
    const char *const *aliases;
    gt_layer_category category;
    gt_output_rank output_rank;
    int drawable; /* `gtrain activations` draws its output by default */
    int merge;    /* takes 2 or more inputs of the graph (Add, Concatenate, ...) */

    /* Keras defaults of the kind's fields (l->kind is set by the caller). */
    void (*init_defaults)(gt_layer *l);
    /* The kind's config fields from Keras JSON (Keras 2 and 3 names); `w` names
     * the layer in messages. */
    gt_status (*read_config)(gt_layer *l, const cJSON *cfg, const gt_json_where *w);
    /* The kind's config fields as Keras 2 writes them. */
    void (*write_config)(const gt_layer *l, cJSON *cfg, gt_json_writer *wr);
    /* l->out (and geometry such as pad_top) from l->in; on failure the message
     * says what does not fit, and the caller prefixes the model and layer. */
    gt_status (*infer)(gt_layer *l);
    /* The weight tensors in Keras' order (NULL: none); returns how many. */
    int (*weights)(const gt_layer *l, gt_weight_spec out[GT_LAYER_MAX_WEIGHTS]);

    /* ---- preprocessing kinds: folded into the data pipeline's gather ---- */
    /* Folds the layer into the gather, which already holds the layers before it. */
    gt_status (*fold)(const gt_layer *l, gt_fold *f);
    /* The step in words for `gtrain summary`'s recipe ("pixels / 255"). */
    void (*describe)(const gt_layer *l, char *out, size_t cap);

    /* ---- compute kinds ---- */
    /* 1 when the forward writes a tensor of its own (an output buffer is
     * planned); 0 when the output is the input itself (Flatten, identity). */
    int (*writes_output)(const gt_layer *l);
    /* Floats kept from the forward to the backward pass for a batch of n (NULL: none). */
    size_t (*saved_floats)(const gt_layer *l, int n);
    /* Bytes of shared workspace a batch of n needs on `be` (NULL: none). */
    size_t (*workspace_bytes)(const gt_layer *l, gt_backend *be, int n);
    /* The backend ops the passes call (the trainer checks them before training). */
    int (*ops)(const gt_layer *l, gt_op out[8]);
    /* 1: its training forward and backward need the whole batch (they add
     * per-rank sums with gt_layer_io.sum_over_ranks), so a rank without
     * examples in a step still runs them, with n 0 */
    int batch_wide;
    gt_status (*forward)(const gt_layer *l, gt_layer_io *io);
    gt_status (*backward)(const gt_layer *l, gt_layer_io *io);
    /* Floating-point operations of one pass at batch n, for GFLOP/s (NULL: memory-bound). */
    double (*flops)(const gt_layer *l, int n, int backward);
} gt_layer_class;

/* The class of a kind (never NULL for a valid kind). */
const gt_layer_class *gt_layer_class_of(gt_layer_kind kind);
/* Mask elements a training forward of layer l draws per example (Dropout
 * with a rate above 0; 0 for every other layer): what a step of n examples
 * advances the dropout counter by, n times this, whichever rank computes it. */
uint64_t gt_layer_dropout_draws(const gt_layer *l);
/* The kind of a Keras class name (aliases included); 0 when unknown. */
int gt_layer_kind_from_keras_name(const char *name, gt_layer_kind *out);
/* "Conv2D, Dense, ..." for messages. */
const char *gt_layer_kinds_supported(void);

/* ---- helpers the layer files share ---- */

/* A layer error for infer(): "<what>" formatted, status returned. */
gt_status gt_layer_fail(gt_status status, const char *fmt, ...) GT_PRINTF(2, 3);

/* TensorFlow's window arithmetic: valid out = floor((in - k) / s) + 1; same
 * out = ceil(in / s) with the smaller half of the padding before. 0 when the
 * window does not fit. */
int gt_window_dim(int in, int k, int s, gt_padding padding, int *out, int *pad_before);
/* A Conv2D/pooling layer's windows over its input: sets out h/w and pad_top/left. */
gt_status gt_layer_infer_window(gt_layer *l, const char *what, int channels);
gt_conv_geom gt_layer_conv_geom(const gt_layer *l, int n);
gt_pool_geom gt_layer_pool_geom(const gt_layer *l, int n);

/* MaxPooling2D's and AveragePooling2D's shared config: pool_size (default 2),
 * strides (null: the pool size), padding, data_format. */
void gt_pool_defaults(gt_layer *l);
gt_status gt_pool_read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w);
void gt_pool_write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr);
/* The global poolings' config (data_format, keepdims) and shape: one window
 * of the whole image. */
gt_status gt_global_pool_read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w);
void gt_global_pool_write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr);
gt_status gt_global_pool_infer(gt_layer *l);
/* The passes of the pooling kinds (window from gt_layer_pool_geom). */
int gt_maxpool_ops(const gt_layer *l, gt_op out[8]);
gt_status gt_maxpool_pass_forward(const gt_layer *l, gt_layer_io *io);
gt_status gt_maxpool_pass_backward(const gt_layer *l, gt_layer_io *io);
int gt_avgpool_ops(const gt_layer *l, gt_op out[8]);
gt_status gt_avgpool_pass_forward(const gt_layer *l, gt_layer_io *io);
gt_status gt_avgpool_pass_backward(const gt_layer *l, gt_layer_io *io);
/* The class fields of the max and the average poolings (their passes). */
#define GT_MAXPOOL_FIELDS                                                                          \
    .category = GT_CATEGORY_POOL, .writes_output = gt_layer_always_writes, .ops = gt_maxpool_ops,  \
    .forward = gt_maxpool_pass_forward, .backward = gt_maxpool_pass_backward
#define GT_AVGPOOL_FIELDS                                                                          \
    .category = GT_CATEGORY_POOL, .writes_output = gt_layer_always_writes, .ops = gt_avgpool_ops,  \
    .forward = gt_avgpool_pass_forward, .backward = gt_avgpool_pass_backward

/* A windowed layer's shape from its pool size, strides and padding. */
gt_status gt_pool_infer(gt_layer *l);
/* Conv2D's and Dense's defaults: a bias, glorot_uniform kernel, zeros bias. */
void gt_kernel_bias_defaults(gt_layer *l);

/* The class fields the activation layers share (their passes below). */
#define GT_ACT_LAYER_FIELDS                                                                        \
    .category = GT_CATEGORY_ACT, .output_rank = GT_RANK_AS_INPUT, .infer = gt_layer_keep_shape,    \
    .writes_output = gt_act_layer_writes, .ops = gt_act_layer_ops,                                 \
    .forward = gt_act_layer_forward, .backward = gt_act_layer_backward

/* The passes of the activation layers (Activation, ReLU, LeakyReLU, ELU):
 * y = act(x) with l->activation and l->alpha; linear and softmax pass x
 * through (softmax is fused into the loss). */
int gt_act_layer_writes(const gt_layer *l);
int gt_act_layer_ops(const gt_layer *l, gt_op out[8]);
gt_status gt_act_layer_forward(const gt_layer *l, gt_layer_io *io);
gt_status gt_act_layer_backward(const gt_layer *l, gt_layer_io *io);
/* ---- the merge layers (layer_merge.c): Add, Subtract, Average, Multiply, Concatenate ---- */
/* Add, Subtract, Multiply and Average have no config of their own. */
gt_status gt_merge_read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w);
void gt_merge_write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr);
/* Every input has the first one's shape (Keras' broadcasting is not supported). */
gt_status gt_merge_infer_same(gt_layer *l);
/* The linear merges (Add, Subtract, Average): y = the inputs summed in
 * order as Keras does (input 1 negated for Subtract), then over their number
 * for Average; the backward pass gives each input dy times its coefficient. */
gt_status gt_merge_sum_forward(const gt_layer *l, gt_layer_io *io);
gt_status gt_merge_sum_backward(const gt_layer *l, gt_layer_io *io);
int gt_merge_sum_ops(const gt_layer *l, gt_op out[8]);
#define GT_MERGE_SUM_FIELDS                                                                        \
    .read_config = gt_merge_read_config, .write_config = gt_merge_write_config,                    \
    .ops = gt_merge_sum_ops, .forward = gt_merge_sum_forward, .backward = gt_merge_sum_backward
/* The class fields the merge layers share. */
#define GT_MERGE_FIELDS                                                                            \
    .category = GT_CATEGORY_MERGE, .output_rank = GT_RANK_AS_INPUT, .merge = 1,                    \
    .writes_output = gt_layer_always_writes

/* infer() of the kinds whose output has their input's shape. */
gt_status gt_layer_keep_shape(gt_layer *l);
/* 1: the layer writes its own output tensor (for classes that always do). */
int gt_layer_always_writes(const gt_layer *l);

/* The activation of a Conv2D/Dense/Activation-like layer after its linear
 * part: y holds the linear result (or, when saved is not NULL, saved does
 * and y receives the activation). relu is normally fused by the caller. */
gt_status gt_layer_activation_forward(gt_layer_io *io, gt_activation act, float alpha, float *y,
                                      const float *pre, size_t count);
/* dy *= act'(...) in place, from the output y or the saved pre-activation. */
gt_status gt_layer_activation_backward(gt_layer_io *io, gt_activation act, float alpha, float *dy,
                                       const float *y, const float *pre, size_t count);
/* The alpha of an activation named by string (activation="elu"): Keras'
 * defaults, 1.0 for elu, 0.2 for leaky_relu (keras.activations.leaky_relu). */
float gt_activation_default_alpha(gt_activation act);
/* Floats an activation keeps for its backward (the pre-activation for gelu, silu). */
size_t gt_activation_saved_floats(gt_activation act, size_t count);
/* The activation's op for the trainer's capability check (relu: none beyond the fused one). */
int gt_activation_ops(gt_activation act, gt_op *out);

/* ---- the augmentation layers (RandomFlip, RandomTranslation, RandomZoom,
 * RandomCrop): their shared config and fold, layer_augment.c ---- */

/* A Keras factor: a number f (the interval [-f, f], f >= 0) or a [lower,
 * upper] list, each bound in [lo_limit, 1] (lo_open: lo_limit itself
 * excluded); absent or null: `*present` 0 (NULL present: required). */
gt_status gt_aug_read_factor(const gt_json_where *w, const cJSON *cfg, const char *field,
                             float lo_limit, int lo_open, int *present, float *lower, float *upper);
/* The factor as Keras writes it: a number when symmetric, else [lower, upper]. */
cJSON *gt_aug_factor_json(float lower, float upper);
/* RandomTranslation's and RandomZoom's config (l->augment.kind says which,
 * set by their init_defaults): height_factor, width_factor (zoom: null or
 * absent, the width zooms as the height), fill_mode, interpolation,
 * fill_value, seed, data_format; a zoom's lower bound stays above -1. */
gt_status gt_aug_read_transform(gt_layer *l, const cJSON *cfg, const gt_json_where *w);
void gt_aug_write_transform(const gt_layer *l, cJSON *cfg, gt_json_writer *wr);
/* "random zoom [-0.1, 0.2] (training only)" */
void gt_aug_describe_transform(const gt_layer *l, char *out, size_t cap);
/* "seed": null or an integer, kept for the JSON (the draws come from the run's seed). */
gt_status gt_aug_read_seed(const gt_json_where *w, const cJSON *cfg, gt_layer *l);
void gt_aug_write_seed(const gt_layer *l, cJSON *cfg, gt_json_writer *wr);
/* Appends the layer's stage to the gather's augmentation. */
gt_status gt_aug_fold(const gt_layer *l, gt_fold *f);
/* The class fields the augmentation layers share. */
#define GT_AUG_LAYER_FIELDS                                                                        \
    .category = GT_CATEGORY_PREPROCESS, .output_rank = GT_RANK_IMAGE, .fold = gt_aug_fold
#endif
