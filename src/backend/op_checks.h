/* Internal: argument checks of the backend ops, shared by all backends (see
 * op_checks.c). Each returns GT_OK or a gt_fail status naming `op`. Checks
 * that read labels or indices need them in host memory (CPU backends only). */
#ifndef GT_OP_CHECKS_H
#define GT_OP_CHECKS_H

#include <stdint.h>

#include "gtrain/backend.h"

gt_status gt_check_gemm(const char *op, int trans_a, int trans_b, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb, const float *c, int ldc);
gt_status gt_check_conv(const char *op, const gt_conv_geom *g);
gt_status gt_check_pool(const char *op, const gt_pool_geom *g);
/* Activations an op can fuse: linear or relu (softmax goes through the loss). */
gt_status gt_check_act(const char *op, gt_activation act);
gt_status gt_check_pad(const char *op, const gt_pad_geom *g);
/* rows >= 1, channels >= 1, 0 < epsilon < inf. */
gt_status gt_check_batchnorm(const char *op, int rows, int channels, float epsilon);
/* The batch-shared ops (batchnorm_sums, _backward_sums, _backward_apply):
 * rows from 0 (a rank without examples) to total_rows, the whole batch's
 * (INT_MAX for the sums, which do not need it). */
gt_status gt_check_bn_shared(const char *op, int rows, int channels, size_t total_rows,
                             float epsilon);
/* channels >= 1, 0 <= momentum <= 1. */
gt_status gt_check_bn_moving(int channels, float momentum);
/* An elementwise activation (not softmax) for act_forward/act_backward; for
 * the backward, x must be given where the gradient needs it (gelu, silu). */
gt_status gt_check_elementwise_act(const char *op, gt_activation act);
gt_status gt_check_act_backward(gt_activation act, const float *x);
gt_status gt_check_loss_sizes(const char *op, int n, int classes);
/* Sizes, then every label in [0, classes) (host memory). */
gt_status gt_check_labels(const char *op, const int32_t *labels, int n, int classes);
gt_status gt_check_rate(const char *op, float rate);
gt_status gt_check_preprocess_shape(const gt_preprocess *p, int n);
/* Shape, pointers, and non-negative indices (host memory). */
gt_status gt_check_preprocess(const gt_preprocess *p, const float *x, const int32_t *y,
                              const uint8_t *images, const int32_t *labels, const int32_t *indices,
                              int n);
/* The stage chain: known kinds, modes and ranges, sizes that chain from
 * a->in_h x a->in_w to p->out_h x p->out_w (op_checks_augment.c). */
gt_status gt_check_augment(const gt_preprocess *p, const gt_augment *a, int n);
/* channel_copy: positive strides, channels >= 0 and both ranges within their rows. */
gt_status gt_check_channel_copy(int dst_stride, int dst_offset, int src_stride, int src_offset,
                                int channels);
gt_status gt_check_adam(const gt_adam_params *hp);
gt_status gt_check_sgd(const float *velocity, float momentum);
/* Adam's checks plus 0 <= weight_decay < 1. */
gt_status gt_check_adamw(const gt_adam_params *hp, float weight_decay);
/* rho, momentum in [0, 1), epsilon > 0, and the buffers the options need. */
gt_status gt_check_rmsprop(const gt_rmsprop_params *hp, const float *momentum_buf,
                           const float *mean_grad);

#endif
