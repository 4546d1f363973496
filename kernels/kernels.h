/* C-callable launchers of gtrain's own CUDA kernels (the .cu files in kernels/), used by
 * the CUDA backend's host side (src/backend/cuda). Every launcher queues its work on
 * `stream`, never synchronizes, and returns the launch status
 * (cudaGetLastError) so that the caller's checking macro can report it.
 * All pointers are device memory; sizes are element counts. The per-element
 * arithmetic is the GT_HD element math shared with the CPU (elem_math.h). */
#ifndef GT_KERNELS_H
#define GT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "gtrain/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- bias_act.cu ---- */
/* y(rows, cols) = act(y + bias[col]) in place; bias may be NULL; act LINEAR or RELU. */
cudaError_t gt_launch_bias_act_forward(float *y, const float *bias, size_t rows, int cols,
                                       gt_activation act, cudaStream_t stream);
/* db[col] = sum over rows of dy. Deterministic without atomics: when rows are
 * many, per-chunk partial sums go to `scratch` (scratch_floats floats) and a
 * second pass adds them in chunk order. The chunking depends only on (rows,
 * cols, scratch_floats), so the result is the same every run. */
cudaError_t gt_launch_bias_backward(float *db, const float *dy, size_t rows, int cols,
                                    float *scratch, size_t scratch_floats, cudaStream_t stream);
/* dx = y > 0 ? dy : 0; dx may alias dy. */
cudaError_t gt_launch_relu_backward(float *dx, const float *dy, const float *y, size_t count,
                                    cudaStream_t stream);

/* ---- activation.cu ---- */
/* y = act(x) (y may alias x) and dx = dy * act'(x) (x may be NULL where the
 * gradient needs only y; dx may alias dy), elem_math.h's gt_act_*. */
cudaError_t gt_launch_act_forward(float *y, const float *x, size_t count, gt_activation act,
                                  float alpha, cudaStream_t stream);
cudaError_t gt_launch_act_backward(float *dx, const float *dy, const float *x, const float *y,
                                   size_t count, gt_activation act, float alpha,
                                   cudaStream_t stream);

/* ---- avgpool.cu ---- */
cudaError_t gt_launch_avgpool_forward(const gt_pool_geom *g, float *y, const float *x,
                                      cudaStream_t stream);
cudaError_t gt_launch_avgpool_backward(const gt_pool_geom *g, float *dx, const float *dy,
                                       cudaStream_t stream);

/* ---- batchnorm.cu ---- */
/* Per-channel batch normalization over `rows` rows of `cols` channels (see
 * backend.h). The column sums need scratch of at least
 * gt_batchnorm_scratch_min_doubles(cols) doubles (more gives more chunks in
 * parallel); less is cudaErrorInvalidValue. Deterministic: fixed chunking. */
size_t gt_batchnorm_scratch_min_doubles(int cols);
cudaError_t gt_launch_batchnorm_forward_train(float *y, float *batch_mean, float *batch_var,
                                              const float *x, const float *gamma, const float *beta,
                                              size_t rows, int cols, float epsilon, double *scratch,
                                              size_t scratch_doubles, cudaStream_t stream);
cudaError_t gt_launch_batchnorm_forward_infer(float *y, const float *x, const float *gamma,
                                              const float *beta, const float *mean,
                                              const float *var, size_t rows, int cols,
                                              float epsilon, cudaStream_t stream);
cudaError_t gt_launch_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                                         const float *x, const float *gamma,
                                         const float *batch_mean, const float *batch_var,
                                         size_t rows, int cols, float epsilon, double *scratch,
                                         size_t scratch_doubles, cudaStream_t stream);
cudaError_t gt_launch_batchnorm_update_moving(float *moving_mean, float *moving_var,
                                              const float *batch_mean, const float *batch_var,
                                              int cols, float momentum, cudaStream_t stream);
/* The batch-shared ops (backend.h: batchnorm_sums, _backward_sums,
 * _backward_apply), the same sums as above as floats; rows may be 0. */
cudaError_t gt_launch_batchnorm_sums(float *sums, const float *x, const float *center, size_t rows,
                                     int cols, double *scratch, size_t scratch_doubles,
                                     cudaStream_t stream);
cudaError_t gt_launch_batchnorm_backward_sums(float *sums, const float *dy, const float *x,
                                              const float *mean, const float *var, size_t rows,
                                              int cols, float epsilon, double *scratch,
                                              size_t scratch_doubles, cudaStream_t stream);
cudaError_t gt_launch_batchnorm_backward_apply(float *dx, const float *dy, const float *x,
                                               const float *gamma, const float *mean,
                                               const float *var, const float *sums, size_t rows,
                                               int cols, size_t total_rows, float epsilon,
                                               cudaStream_t stream);

/* ---- softmax_xent.cu ---- */
/* Fused softmax + sparse cross-entropy; stats[0] = loss sum, stats[1] =
 * correct count (written, not accumulated) by one block in a fixed order. */
cudaError_t gt_launch_softmax_xent(float *dlogits, float *stats, const float *logits,
                                   const int32_t *labels, int n, int classes, float grad_scale,
                                   float log_epsilon, cudaStream_t stream);
/* Keras categorical cross-entropy on probabilities (from_logits=False). */
cudaError_t gt_launch_prob_xent(float *dout, float *stats, const float *out, const int32_t *labels,
                                int n, int classes, float grad_scale, cudaStream_t stream);
cudaError_t gt_launch_softmax_forward(float *probs, const float *logits, int n, int classes,
                                      cudaStream_t stream);

/* ---- merge.cu ---- */
/* y = gt_axpby_elem(alpha, x, beta, y); y = a * b; channel_copy as the backend op. */
cudaError_t gt_launch_axpby(float *y, const float *x, size_t count, float alpha, float beta,
                            cudaStream_t stream);
cudaError_t gt_launch_mul(float *y, const float *a, const float *b, size_t count,
                          cudaStream_t stream);
cudaError_t gt_launch_channel_copy(float *dst, int dst_stride, int dst_offset, const float *src,
                                   int src_stride, int src_offset, size_t rows, int channels,
                                   cudaStream_t stream);

/* ---- dropout.cu ---- */
/* y = x * gt_dropout_factor(seed, offset, i, rate): the CPU's masks exactly. */
cudaError_t gt_launch_dropout(float *y, const float *x, size_t count, float rate, uint64_t seed,
                              uint64_t offset, cudaStream_t stream);

/* ---- adam.cu ---- */
/* One pass over the flat buffers; lr_t = gt_adam_lr_t(...) computed on the host. */
cudaError_t gt_launch_adam(float *params, const float *grads, float *m, float *v, size_t count,
                           float lr_t, float beta1, float beta2, float epsilon,
                           cudaStream_t stream);

/* ---- adamw.cu ---- */
/* Weight decay p -= p * weight_decay * lr, then Adam's step with lr_t. */
cudaError_t gt_launch_adamw(float *params, const float *grads, float *m, float *v, size_t count,
                            float lr, float weight_decay, float lr_t, float beta1, float beta2,
                            float epsilon, cudaStream_t stream);

/* ---- rmsprop.cu ---- */
/* momentum_buf is used when hp->momentum > 0, mean_grad when hp->centered. */
cudaError_t gt_launch_rmsprop(float *params, const float *grads, float *velocity,
                              float *momentum_buf, float *mean_grad, size_t count,
                              const gt_rmsprop_params *hp, cudaStream_t stream);

/* ---- sgd.cu ---- */
/* velocity may be NULL when momentum is 0. */
cudaError_t gt_launch_sgd(float *params, const float *grads, float *velocity, size_t count,
                          float learning_rate, float momentum, int nesterov, cudaStream_t stream);

/* ---- maxpool.cu ---- */
/* First maximum of each window in row-major scan order; padded cells never win. */
cudaError_t gt_launch_maxpool_forward(const gt_pool_geom *g, float *y, const float *x,
                                      cudaStream_t stream);
/* dx gathers dy of every window whose first maximum it is, windows in
 * row-major order: deterministic, no atomics, same sum order as the CPU. */
cudaError_t gt_launch_maxpool_backward(const gt_pool_geom *g, float *dx, const float *dy,
                                       const float *x, cudaStream_t stream);

/* ---- conv_pad.cu ---- */
/* Zero-padded copy for convolutions whose padding cuDNN cannot express
 * (TensorFlow 'same' with pad_top < pad_bottom): dst (n, hp, wp, c) with
 * dst[h][w] = src[h - pad_top][w - pad_left] inside the image, else 0. */
cudaError_t gt_launch_pad_nhwc(float *dst, const float *src, int n, int h, int w, int c, int hp,
                               int wp, int pad_top, int pad_left, cudaStream_t stream);
/* The inverse crop: dst (n, h, w, c) = src (n, hp, wp, c) at offset
 * (pad_top, pad_left); cells outside src (unused image rows) become 0. */
cudaError_t gt_launch_crop_nhwc(float *dst, const float *src, int n, int h, int w, int c, int hp,
                                int wp, int pad_top, int pad_left, cudaStream_t stream);

/* ---- preprocess.cu ---- */
/* x (n, out_h, out_w, out_c) from uint8 images[indices[i]] (channel repeat,
 * tf.image.resize bilinear, x * scale + offset) and y[i] = labels[indices[i]]. */
cudaError_t gt_launch_preprocess_gather(const gt_preprocess *p, float *x, int32_t *y,
                                        const uint8_t *images, const int32_t *labels,
                                        const int32_t *indices, int n, cudaStream_t stream);
/* The same from float32 images. */
cudaError_t gt_launch_preprocess_gather_f32(const gt_preprocess *p, float *x, int32_t *y,
                                            const float *images, const int32_t *labels,
                                            const int32_t *indices, int n, cudaStream_t stream);

/* ---- augment.cu ---- */
/* The preprocess-gather with the augmentation stages of `a` (augment_math.h). */
cudaError_t gt_launch_augment_gather(const gt_preprocess *p, const gt_augment *a, float *x,
                                     int32_t *y, const uint8_t *images, const int32_t *labels,
                                     const int32_t *indices, int n, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif
