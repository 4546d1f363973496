/* gtrain: the backend table.
 *
 * A backend is a struct of function pointers (ggml style) that the CPU and the
 * CUDA backends fill with identical semantics. All float pointers passed to the
 * ops are backend memory (device memory for CUDA) obtained from `alloc`; they
 * are NHWC float32, row-major. Ops are asynchronous on devices: results are
 * visible after `download` or `synchronize`.
 *
 * Conventions: outputs first, then inputs, then sizes. Gradient outputs are
 * overwritten, never accumulated. A NULL gradient output means "not needed". */
#ifndef GTRAIN_BACKEND_H
#define GTRAIN_BACKEND_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The activations, written once: X(ID, Keras name). Elementwise ones run
 * through act_forward/act_backward (relu also fused into bias_act_forward and
 * the conv/dense ops); softmax is fused into the loss. The math is
 * elem_math.h's gt_act_elem / gt_act_grad_elem; `alpha` is ELU's alpha and
 * LeakyReLU's negative slope (ignored by the others). */
#define GT_ACTIVATIONS(X)                                                                          \
    X(LINEAR, "linear")                                                                            \
    X(RELU, "relu")                                                                                \
    X(SOFTMAX, "softmax")                                                                          \
    X(SIGMOID, "sigmoid")                                                                          \
    X(TANH, "tanh")                                                                                \
    X(ELU, "elu")                                                                                  \
    X(SELU, "selu")                                                                                \
    X(GELU, "gelu")                                                                                \
    X(SWISH, "silu")                                                                               \
    X(SOFTPLUS, "softplus")                                                                        \
    X(LEAKY_RELU, "leaky_relu")

typedef enum gt_activation {
#define GT_ACT_ENUM_(id, keras) GT_ACT_##id,
    GT_ACTIVATIONS(GT_ACT_ENUM_)
#undef GT_ACT_ENUM_
        GT_ACT_COUNT
} gt_activation;

typedef enum gt_precision {
    GT_PRECISION_FP32 = 0, /* IEEE fp32 everywhere */
    GT_PRECISION_TF32,     /* tensor cores with TF32 inputs for conv and GEMM (CUDA) */
    GT_PRECISION_BF16      /* bf16 GEMM inputs, fp32 accumulate (CPU with AVX512_BF16) */
} gt_precision;

/* Convolution geometry. Input (n, in_h, in_w, in_c); filter OHWI
 * (out_c, k_h, k_w, in_c) — cuDNN's NHWC filter layout (KRSC); output
 * (n, out_h, out_w, out_c). Padding is explicit: pad_top/pad_left rows and
 * columns of zeros before the image; the bottom/right padding follows from
 * out_h/out_w (TensorFlow's 'same' puts the odd extra row at the bottom). */
typedef struct gt_conv_geom {
    int n, in_h, in_w, in_c;
    int out_h, out_w, out_c;
    int k_h, k_w;
    int stride_h, stride_w;
    int pad_top, pad_left;
} gt_conv_geom;

/* Max-pooling geometry, NHWC with c channels in and out. Padded cells never win. */
typedef struct gt_pool_geom {
    int n, in_h, in_w, c;
    int out_h, out_w;
    int k_h, k_w;
    int stride_h, stride_w;
    int pad_top, pad_left;
} gt_pool_geom;

/* Zero padding (Keras ZeroPadding2D): input (n, in_h, in_w, c), output
 * (n, top + in_h + bottom, left + in_w + right, c). */
typedef struct gt_pad_geom {
    int n, in_h, in_w, c;
    int top, bottom, left, right;
} gt_pad_geom;

/* Preprocess-gather: images are uint8 (count, in_h, in_w, in_c). Each output
 * example is image[indices[i]] channel-repeated to out_c (in_c == 1 or
 * in_c == out_c), bilinearly resized to (out_h, out_w) when the size differs
 * (tf.image.resize: half-pixel centres, no antialias), then x * scale + offset. */
typedef struct gt_preprocess {
    int in_h, in_w, in_c;
    int out_h, out_w, out_c;
    float scale, offset;
} gt_preprocess;

/* Augmentation in the gather: Keras' image preprocessing layers RandomFlip,
 * RandomTranslation, RandomZoom and RandomCrop as stages applied, in order,
 * to each example after the channel repeat and the resize of gt_preprocess
 * and before its x * scale + offset, every stage resampling the previous
 * one's output with Keras' (TensorFlow's ImageProjectiveTransformV3) math:
 * pixel-index coordinates, the fill modes reflect / wrap / constant /
 * nearest and bilinear or nearest interpolation. Each example draws its own
 * parameters from Philox keyed by `seed` with the counter (its stream number
 * first + i, epoch, stage), so the same seed gives the same augmented batch
 * on every backend, resident or streamed, whatever the batch size; in Keras
 * a RandomCrop offset is drawn once per batch (a departure, documented).
 * training == 0 is Keras' inference: flips, translations and zooms pass the
 * image through and a crop is smart_resize (the largest centred box of the
 * target's aspect ratio, resized bilinearly to the target). */
#define GT_AUGMENT_MAX_STAGES 4

typedef enum gt_augment_kind {
    GT_AUG_FLIP = 0,  /* RandomFlip */
    GT_AUG_TRANSLATE, /* RandomTranslation */
    GT_AUG_ZOOM,      /* RandomZoom */
    GT_AUG_CROP       /* RandomCrop */
} gt_augment_kind;

typedef enum gt_fill_mode {
    GT_FILL_REFLECT = 0, /* d c b a | a b c d | d c b a (Keras' default) */
    GT_FILL_WRAP,        /* a b c d | a b c d | a b c d */
    GT_FILL_CONSTANT,    /* fill_value outside */
    GT_FILL_NEAREST      /* a a a a | a b c d | d d d d */
} gt_fill_mode;

typedef enum gt_interpolation { GT_INTERP_BILINEAR = 0, GT_INTERP_NEAREST } gt_interpolation;

typedef struct gt_augment_stage {
    int kind;                 /* gt_augment_kind */
    int horizontal, vertical; /* FLIP: the axes that may flip, each with probability 1/2 */
    /* TRANSLATE: the shift as a fraction of the height / width, uniform in
     * [lower, upper); ZOOM: Keras' factors, the zoom uniform in [1 + lower,
     * 1 + upper) (above 1 zooms out) */
    float height_lower, height_upper, width_lower, width_upper;
    int width_from_height; /* ZOOM without width_factor: the width zooms as the height */
    int out_h, out_w;      /* CROP: the target size (other stages keep the size) */
    int fill_mode;         /* gt_fill_mode (TRANSLATE, ZOOM) */
    int interpolation;     /* gt_interpolation (TRANSLATE, ZOOM) */
    float fill_value;      /* GT_FILL_CONSTANT, in the unscaled pixel domain */
} gt_augment_stage;

typedef struct gt_augment {
    int n_stages;
    int in_h, in_w; /* the size entering the stages: the preprocess resize's output */
    gt_augment_stage stages[GT_AUGMENT_MAX_STAGES];
    int training;   /* 1: random stages on; 0: inference */
    uint64_t seed;  /* Philox key */
    uint32_t epoch; /* a new draw every epoch */
    uint64_t first; /* stream number of example 0 of the call: its position in the epoch */
} gt_augment;

/* Adam update (Keras semantics): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr_t m / (sqrt(v) + epsilon), lr_t = lr sqrt(1-b2^t) / (1-b1^t).
 * `step` is t, counted from 1. */
typedef struct gt_adam_params {
    float learning_rate, beta1, beta2, epsilon;
    int64_t step;
} gt_adam_params;

/* RMSprop update (Keras 3): velocity = rho velocity + (1-rho) g^2; centered:
 * mean_grad = rho mean_grad + (1-rho) g and the denominator velocity -
 * mean_grad^2 + epsilon, else velocity + epsilon; increment = lr g /
 * sqrt(denominator) (epsilon inside the root, as Keras 3); momentum > 0:
 * momentum_buf = momentum momentum_buf + increment, p -= momentum_buf; else
 * p -= increment. */
typedef struct gt_rmsprop_params {
    float learning_rate, rho, momentum, epsilon;
    int centered;
} gt_rmsprop_params;

/* Number of fences download_async can tag. */
#define GT_BACKEND_FENCES 64
/* Number of slots upload_async can tag (the streaming pipeline's buffers). */
#define GT_BACKEND_UPLOAD_SLOTS 8

typedef struct gt_backend gt_backend;

/* The compute ops, written once: X(name, return type, parameters). This list
 * makes the table's fields below, the gt_op enum and its names, the CPU
 * backends' prototypes and fill functions and the tests' list of entries.
 * Every op may be missing from a backend (NULL): gt_backend_supports_op says
 * which exist, so an op can exist on the CPU before it exists on the GPU and
 * the trainer names the layer that cannot run where. */
#define GT_BACKEND_OPS(X)                                                                          \
    /* ---- dense algebra ---- */                                                                  \
    /* C(m,n) = alpha op(A) op(B) + beta C, row-major; op(A) is (m,k), op(B) (k,n). */             \
    X(gemm, gt_status,                                                                             \
      (gt_backend * be, int trans_a, int trans_b, int m, int n, int k, float alpha,                \
       const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc))           \
    /* y(rows,cols) = act(y + bias[col]) in place; bias may be NULL. act is LINEAR or RELU. */     \
    X(bias_act_forward, gt_status,                                                                 \
      (gt_backend * be, float *y, const float *bias, int rows, int cols, gt_activation act))       \
    /* db[col] = sum over rows of dy(rows,cols). */                                                \
    X(bias_backward, gt_status, (gt_backend * be, float *db, const float *dy, int rows, int cols)) \
    /* dx = y > 0 ? dy : 0 (y is the ReLU output); dx may alias dy. */                             \
    X(relu_backward, gt_status,                                                                    \
      (gt_backend * be, float *dx, const float *dy, const float *y, size_t count))                 \
    /* y = act(x) elementwise (any activation but softmax); y may alias x. */                      \
    X(act_forward, gt_status,                                                                      \
      (gt_backend * be, float *y, const float *x, size_t count, gt_activation act, float alpha))   \
    /* dx = dy * act'(x); x is the activation's input, y its output. gelu and silu read x,    */   \
    /* the others y only (x may then be NULL); dx may alias dy.                               */   \
    X(act_backward, gt_status,                                                                     \
      (gt_backend * be, float *dx, const float *dy, const float *x, const float *y, size_t count,  \
       gt_activation act, float alpha))                                                            \
    /* ---- convolution ---- */                                                                    \
    /* Bytes of scratch the conv ops need for this geometry (the max over the three ops). */       \
    X(conv2d_workspace_bytes, size_t, (gt_backend * be, const gt_conv_geom *g))                    \
    /* y = act(conv(x, w) + bias); bias may be NULL; act is LINEAR or RELU. */                     \
    X(conv2d_forward, gt_status,                                                                   \
      (gt_backend * be, const gt_conv_geom *g, float *y, const float *x, const float *w,           \
       const float *bias, gt_activation act, void *workspace))                                     \
    X(conv2d_backward_data, gt_status,                                                             \
      (gt_backend * be, const gt_conv_geom *g, float *dx, const float *dy, const float *w,         \
       void *workspace))                                                                           \
    /* dw (OHWI) and db (out_c, may be NULL) from dy and x. */                                     \
    X(conv2d_backward_filter, gt_status,                                                           \
      (gt_backend * be, const gt_conv_geom *g, float *dw, float *db, const float *dy,              \
       const float *x, void *workspace))                                                           \
    /* ---- pooling ---- */                                                                        \
    X(maxpool_forward, gt_status,                                                                  \
      (gt_backend * be, const gt_pool_geom *g, float *y, const float *x))                          \
    /* Each dy goes to the first maximum of its window (row-major scan order), found again    */   \
    /* from x (so the forward output is not needed).                                           */  \
    X(maxpool_backward, gt_status,                                                                 \
      (gt_backend * be, const gt_pool_geom *g, float *dx, const float *dy, const float *x))        \
    /* Average of each window's real cells (padded cells are not counted, as in TF). Global */     \
    /* average pooling is the window of the whole image.                                     */    \
    X(avgpool_forward, gt_status,                                                                  \
      (gt_backend * be, const gt_pool_geom *g, float *y, const float *x))                          \
    X(avgpool_backward, gt_status,                                                                 \
      (gt_backend * be, const gt_pool_geom *g, float *dx, const float *dy))                        \
    /* ---- padding (ZeroPadding2D); the backward pass crops dy ---- */                            \
    X(pad2d_forward, gt_status, (gt_backend * be, const gt_pad_geom *g, float *y, const float *x)) \
    X(pad2d_backward, gt_status,                                                                   \
      (gt_backend * be, const gt_pad_geom *g, float *dx, const float *dy))                         \
    /* ---- batch normalization over the rows (n*h*w) of x (rows, channels), per channel ----  */  \
    /* Training: the batch's mean and biased variance are written to batch_mean/batch_var     */   \
    /* and y normalized with them. gamma/beta may be NULL (1 and 0).                          */   \
    X(batchnorm_forward_train, gt_status,                                                          \
      (gt_backend * be, float *y, float *batch_mean, float *batch_var, const float *x,             \
       const float *gamma, const float *beta, int rows, int channels, float epsilon))              \
    /* Inference: normalized with the given (moving) statistics. y may alias x. */                 \
    X(batchnorm_forward_infer, gt_status,                                                          \
      (gt_backend * be, float *y, const float *x, const float *gamma, const float *beta,           \
       const float *mean, const float *var, int rows, int channels, float epsilon))                \
    /* The training-mode gradient, from the batch statistics of the forward; dgamma/dbeta     */   \
    /* may be NULL (not trainable).                                                           */   \
    X(batchnorm_backward, gt_status,                                                               \
      (gt_backend * be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,   \
       const float *gamma, const float *batch_mean, const float *batch_var, int rows,              \
       int channels, float epsilon))                                                               \
    /* moving = moving * momentum + batch * (1 - momentum), for mean and variance (Keras 3). */    \
    X(batchnorm_update_moving, gt_status,                                                          \
      (gt_backend * be, float *moving_mean, float *moving_var, const float *batch_mean,            \
       const float *batch_var, int channels, float momentum))                                      \
    /* ---- batch normalization over several ranks (a batch shared by mpirun ranks): each */       \
    /* rank's sums, which the ranks add up, then the steps that use the whole batch's ones. */     \
    /* rows may be 0 (a rank without examples in this batch): the sums are then 0. */              \
    /* sums[c] = the sum over the rows of x[r, c] (center NULL), else of (x[r, c] - */             \
    /* center[c])^2, in double, in row order. */                                                   \
    X(batchnorm_sums, gt_status,                                                                   \
      (gt_backend * be, float *sums, const float *x, const float *center, int rows, int channels)) \
    /* sums[c] = the sum of dy[r, c], sums[channels + c] = the sum of dy * xhat[r, c]. */          \
    X(batchnorm_backward_sums, gt_status,                                                          \
      (gt_backend * be, float *sums, const float *dy, const float *x, const float *mean,           \
       const float *var, int rows, int channels, float epsilon))                                   \
    /* batchnorm_backward's dx for these rows, from the whole batch's sums (those of */            \
    /* batchnorm_backward_sums added over the ranks) over its total_rows rows. */                  \
    X(batchnorm_backward_apply, gt_status,                                                         \
      (gt_backend * be, float *dx, const float *dy, const float *x, const float *gamma,            \
       const float *mean, const float *var, const float *sums, int rows, int channels,             \
       size_t total_rows, float epsilon))                                                          \
    /* ---- merging tensors of the graph (Add, Subtract, Average, Multiply, Concatenate) ---- */   \
    /* y = alpha x + beta y elementwise; beta 0: y = alpha x (y is not read). y may alias x.  */   \
    X(axpby, gt_status,                                                                            \
      (gt_backend * be, float *y, const float *x, size_t count, float alpha, float beta))          \
    /* y = a * b elementwise; y may alias a or b. */                                               \
    X(mul, gt_status, (gt_backend * be, float *y, const float *a, const float *b, size_t count))   \
    /* dst[r * dst_stride + dst_offset + c] = src[r * src_stride + src_offset + c] for r < rows,   \
     */                                                                                            \
    /* c < channels: Concatenate's forward (into dst's channels) and backward (a slice of src). */ \
    X(channel_copy, gt_status,                                                                     \
      (gt_backend * be, float *dst, int dst_stride, int dst_offset, const float *src,              \
       int src_stride, int src_offset, size_t rows, int channels))                                 \
    /* ---- losses ---- */                                                                         \
    /* Fused softmax + sparse cross-entropy on logits (n, classes). stats[0] = sum over the   */   \
    /* batch of the per-example loss, stats[1] = number of examples whose argmax (first       */   \
    /* maximum) equals the label; both written, not accumulated. dlogits = (softmax -         */   \
    /* onehot) * grad_scale, or skipped when NULL (evaluation). log_epsilon 0: loss = -log    */   \
    /* softmax[label] by log-sum-exp; > 0: notebook 004's -log(softmax[label] + log_epsilon), */   \
    /* whose gradient is the one above times p / (p + log_epsilon), p = softmax[label] (what  */   \
    /* TF differentiates that expression to).                                                 */   \
    X(softmax_xent, gt_status,                                                                     \
      (gt_backend * be, float *dlogits, float *stats, const float *logits, const int32_t *labels,  \
       int n, int classes, float grad_scale, float log_epsilon))                                   \
    /* Keras categorical cross-entropy on probabilities (from_logits=False): p = out /        */   \
    /* sum(out), clipped to [1e-7, 1 - 1e-7], loss = -log p[label]. Same outputs as           */   \
    /* softmax_xent; the gradient is with respect to `out`.                                   */   \
    X(prob_xent, gt_status,                                                                        \
      (gt_backend * be, float *dout, float *stats, const float *out, const int32_t *labels, int n, \
       int classes, float grad_scale))                                                             \
    /* probs = softmax(logits) row by row (prediction). */                                         \
    X(softmax_forward, gt_status,                                                                  \
      (gt_backend * be, float *probs, const float *logits, int n, int classes))                    \
    /* ---- dropout (Philox4x32-10; element i uses counter offset + i / 4, lane i % 4) ---- */     \
    /* y = x * mask / (1 - rate). The mask depends only on (seed, offset, i), so the same     */   \
    /* call on dy gives the backward pass: dx = dropout_forward(dy).                          */   \
    X(dropout_forward, gt_status,                                                                  \
      (gt_backend * be, float *y, const float *x, size_t count, float rate, uint64_t seed,         \
       uint64_t offset))                                                                           \
    /* ---- optimizers over flat buffers ---- */                                                   \
    X(adam_update, gt_status,                                                                      \
      (gt_backend * be, float *params, const float *grads, float *m, float *v, size_t count,       \
       const gt_adam_params *hp))                                                                  \
    /* AdamW (Keras 3): the decoupled weight decay p -= p * weight_decay * lr first, then     */   \
    /* Adam's update as adam_update with the same hp.                                        */    \
    X(adamw_update, gt_status,                                                                     \
      (gt_backend * be, float *params, const float *grads, float *m, float *v, size_t count,       \
       const gt_adam_params *hp, float weight_decay))                                              \
    /* RMSprop (gt_rmsprop_params); momentum_buf may be NULL when momentum is 0, mean_grad   */    \
    /* when not centered.                                                                     */   \
    X(rmsprop_update, gt_status,                                                                   \
      (gt_backend * be, float *params, const float *grads, float *velocity, float *momentum_buf,   \
       float *mean_grad, size_t count, const gt_rmsprop_params *hp))                               \
    /* Keras SGD: velocity = momentum velocity - lr g; p += velocity (nesterov: p +=          */   \
    /* momentum velocity - lr g). velocity may be NULL when momentum is 0.                    */   \
    X(sgd_update, gt_status,                                                                       \
      (gt_backend * be, float *params, const float *grads, float *velocity, size_t count,          \
       float learning_rate, float momentum, int nesterov))                                         \
    /* ---- input pipeline ---- */                                                                 \
    /* x (n, out_h, out_w, out_c) and labels y (n) from the resident dataset. */                   \
    X(preprocess_gather, gt_status,                                                                \
      (gt_backend * be, const gt_preprocess *p, float *x, int32_t *y, const uint8_t *images,       \
       const int32_t *labels, const int32_t *indices, int n))                                      \
    /* The same from a float32 dataset (gt_dataset_from_memory_f32): the same taps, repeat    */   \
    /* and x * scale + offset on float inputs.                                                 */  \
    X(preprocess_gather_f32, gt_status,                                                            \
      (gt_backend * be, const gt_preprocess *p, float *x, int32_t *y, const float *images,         \
       const int32_t *labels, const int32_t *indices, int n))                                      \
    /* The same with augmentation stages between the resize and the scale: p->out_h/out_w is */    \
    /* the last stage's output, a->in_h/in_w the resize's. */                                      \
    X(augment_gather, gt_status,                                                                   \
      (gt_backend * be, const gt_preprocess *p, const gt_augment *a, float *x, int32_t *y,         \
       const uint8_t *images, const int32_t *labels, const int32_t *indices, int n))

typedef enum gt_op {
#define GT_OP_ENUM_(name, ret, params) GT_OP_##name,
    GT_BACKEND_OPS(GT_OP_ENUM_)
#undef GT_OP_ENUM_
        GT_OP_COUNT
} gt_op;

struct gt_backend {
    const char *name; /* "cpu", "cpu-reference", "cuda" */
    void *impl;       /* backend-private state */

    void (*destroy)(gt_backend *be);
    /* One line describing the device, threads, library versions. */
    const char *(*describe)(gt_backend *be);

    /* ---- memory and streams (every backend has all of them) ---- */
    gt_status (*alloc)(gt_backend *be, size_t bytes, void **out);
    void (*free)(gt_backend *be, void *ptr);
    gt_status (*upload)(gt_backend *be, void *dst, const void *host_src, size_t bytes);
    gt_status (*download)(gt_backend *be, void *host_dst, const void *src, size_t bytes);
    gt_status (*zero)(gt_backend *be, void *dst, size_t bytes);
    /* Backend-to-backend copy (both pointers from alloc); regions must not overlap. */
    gt_status (*copy)(gt_backend *be, void *dst, const void *src, size_t bytes);
    gt_status (*synchronize)(gt_backend *be);
    /* Host memory the step loop reads back into (pinned on CUDA). */
    gt_status (*host_alloc)(gt_backend *be, size_t bytes, void **out);
    void (*host_free)(gt_backend *be, void *ptr);
    /* Queues a copy to host memory from host_alloc and tags its completion with
     * `fence` (0 .. GT_BACKEND_FENCES-1, reused round-robin); never blocks. */
    gt_status (*download_async)(gt_backend *be, void *host_dst, const void *src, size_t bytes,
                                int fence);
    /* *done = 1 when the copy last tagged `fence` has landed (CPU: always),
     * 0 while it is in flight. A failed copy or stream is an error with the
     * device's own text, never "done": the caller would read stale data. */
    gt_status (*fence_query)(gt_backend *be, int fence, int *done);

    /* ---- staged uploads: the streaming input pipeline ----
     * A batch read by the prefetch thread goes to the device on a queue of
     * its own (CUDA: an upload stream ordered by events), so the copy of the
     * next batch overlaps the current step. Slots 0 .. GT_BACKEND_UPLOAD_SLOTS-1
     * name the device buffers the batches rotate through. */
    /* Queues a copy of `bytes` from host_alloc memory to dst, tagged `slot`.
     * The copy waits for the ops queued before the slot's last upload_release
     * (they may still read dst); every op queued after this call waits for
     * the copy. Never waits on the device (CPU: copies at once). */
    gt_status (*upload_async)(gt_backend *be, void *dst, const void *host_src, size_t bytes,
                              int slot);
    /* The ops queued so far are the last readers of the slot's destination. */
    gt_status (*upload_release)(gt_backend *be, int slot);
    /* *done = 1 when the slot's last upload_async has read its host source,
     * which may then be refilled (CPU: always); a failed copy is an error. */
    gt_status (*upload_query)(gt_backend *be, int slot, int *done);

    /* ---- the compute ops (GT_BACKEND_OPS) ---- */
#define GT_OP_FIELD_(name, ret, params) ret(*name) params;
    GT_BACKEND_OPS(GT_OP_FIELD_)
#undef GT_OP_FIELD_

    /* ---- optional: NULL where the backend is always deterministic ---- */
    /* on != 0: only algorithms that give the same bits every run (cuDNN conv);
     * an op that has none fails with GT_ERR_UNSUPPORTED. */
    gt_status (*set_deterministic)(gt_backend *be, int on);

    /* ---- optional: step capture (CUDA graphs); NULL where unsupported ---- */
    /* Records the ops that follow instead of running them. No synchronizing
     * call (download, synchronize, alloc, free) may come before capture_end. */
    gt_status (*capture_begin)(gt_backend *be);
    /* Stops recording. launch != 0: runs what was recorded as one graph, with
     * the results running the ops would give; launch == 0: discards it. */
    gt_status (*capture_end)(gt_backend *be, int launch);
};

/* The op's name as in GT_BACKEND_OPS ("conv2d_forward"); NULL when out of range. */
GT_API const char *gt_op_name(gt_op op);
/* 1 when `be` implements op. */
GT_API int gt_backend_supports_op(const gt_backend *be, gt_op op);

/* Creates a backend by name: "cpu" (fast ops, `threads` OpenMP threads, 0 = all
 * cores), "cpu-reference" (plain loops, the test oracle), "cuda" (device 0).
 * "cuda" fails with GT_ERR_NO_DEVICE when no usable GPU is present or with
 * GT_ERR_UNSUPPORTED when gtrain was built without CUDA. */
GT_API gt_status gt_backend_create(const char *name, int threads, gt_precision precision,
                                   gt_backend **out);
GT_API void gt_backend_destroy(gt_backend *be);

/* Restricts the backend to deterministic algorithms (a no-op for backends
 * that always are, such as the CPU). Call before the first op. */
GT_API gt_status gt_backend_set_deterministic(gt_backend *be, int on);

/* 1 when this build contains the CUDA backend. */
GT_API int gt_backend_cuda_compiled(void);

#ifdef __cplusplus
}
#endif
#endif
