/* The CUDA backend's table entries for gtrain's own kernels (kernels/):
 * argument checks on the host, then one queued launch on the compute stream. */
#include <limits.h>

#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"
#include "elem_math.h"
#include "kernels.h"
#include "op_checks.h"

static gt_status cuda_bias_act_forward(gt_backend *be, float *y, const float *bias, int rows,
                                       int cols, gt_activation act)
{
    GT_TRY(gt_check_act("bias_act_forward", act));
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_act_forward: negative size %dx%d", rows,
                       cols);
    if (!bias && act == GT_ACT_LINEAR) return GT_OK;
    GT_CUDA_CHECK(
        gt_launch_bias_act_forward(y, bias, (size_t)rows, cols, act, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_bias_backward(gt_backend *be, float *db, const float *dy, int rows, int cols)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_backward: negative size %dx%d", rows, cols);
    if (!db) return GT_OK;
    GT_CUDA_CHECK(gt_launch_bias_backward(db, dy, (size_t)rows, cols, cu->reduce_scratch,
                                          cu->reduce_scratch_floats, cu->stream));
    return GT_OK;
}

static gt_status cuda_act_forward(gt_backend *be, float *y, const float *x, size_t count,
                                  gt_activation act, float alpha)
{
    GT_TRY(gt_check_elementwise_act("act_forward", act));
    GT_CUDA_CHECK(gt_launch_act_forward(y, x, count, act, alpha, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_act_backward(gt_backend *be, float *dx, const float *dy, const float *x,
                                   const float *y, size_t count, gt_activation act, float alpha)
{
    GT_TRY(gt_check_act_backward(act, x));
    GT_CUDA_CHECK(gt_launch_act_backward(dx, dy, x, y, count, act, alpha, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_avgpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                      const float *x)
{
    GT_TRY(gt_check_pool("avgpool_forward", g));
    GT_CUDA_CHECK(gt_launch_avgpool_forward(g, y, x, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_avgpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                       const float *dy)
{
    GT_TRY(gt_check_pool("avgpool_backward", g));
    GT_CUDA_CHECK(gt_launch_avgpool_backward(g, dx, dy, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* ZeroPadding2D: the conv path's own pad and crop kernels. */
static gt_status cuda_pad2d_forward(gt_backend *be, const gt_pad_geom *g, float *y, const float *x)
{
    GT_TRY(gt_check_pad("pad2d_forward", g));
    GT_CUDA_CHECK(gt_launch_pad_nhwc(y, x, g->n, g->in_h, g->in_w, g->c,
                                     g->top + g->in_h + g->bottom, g->left + g->in_w + g->right,
                                     g->top, g->left, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_pad2d_backward(gt_backend *be, const gt_pad_geom *g, float *dx,
                                     const float *dy)
{
    GT_TRY(gt_check_pad("pad2d_backward", g));
    GT_CUDA_CHECK(gt_launch_crop_nhwc(dx, dy, g->n, g->in_h, g->in_w, g->c,
                                      g->top + g->in_h + g->bottom, g->left + g->in_w + g->right,
                                      g->top, g->left, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* The merge layers' ops (kernels/merge.cu). */
static gt_status cuda_axpby(gt_backend *be, float *y, const float *x, size_t count, float alpha,
                            float beta)
{
    GT_CUDA_CHECK(gt_launch_axpby(y, x, count, alpha, beta, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_mul(gt_backend *be, float *y, const float *a, const float *b, size_t count)
{
    GT_CUDA_CHECK(gt_launch_mul(y, a, b, count, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_channel_copy(gt_backend *be, float *dst, int dst_stride, int dst_offset,
                                   const float *src, int src_stride, int src_offset, size_t rows,
                                   int channels)
{
    GT_TRY(gt_check_channel_copy(dst_stride, dst_offset, src_stride, src_offset, channels));
    GT_CUDA_CHECK(gt_launch_channel_copy(dst, dst_stride, dst_offset, src, src_stride, src_offset,
                                         rows, channels, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* BatchNormalization: gtrain's own kernels rather than cuDNN's batch norm,
 * for one summation order fixed here (deterministic by construction, as every
 * reduction of gtrain is), Keras 3's biased batch variance in the moving
 * average (cuDNN's training forward updates its running variance with Bessel's
 * correction, which is tf.keras 2's behaviour), and no workspace or reserve
 * space of its own to plan; the price is a few bandwidth-bound passes over the
 * activation. The column sums use the reduction scratch. */
static gt_status bn_scratch(gt_cuda *cu, int channels, double **scratch, size_t *doubles)
{
    *scratch = (double *)cu->reduce_scratch;
    *doubles = cu->reduce_scratch_floats / 2;
    if (*doubles < gt_batchnorm_scratch_min_doubles(channels))
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "batch normalization of %d channels needs more than the %zu doubles of "
                       "reduction scratch",
                       channels, *doubles);
    return GT_OK;
}

static gt_status cuda_batchnorm_forward_train(gt_backend *be, float *y, float *batch_mean,
                                              float *batch_var, const float *x, const float *gamma,
                                              const float *beta, int rows, int channels,
                                              float epsilon)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(gt_check_batchnorm("batchnorm_forward_train", rows, channels, epsilon));
    double *scratch;
    size_t doubles;
    GT_TRY(bn_scratch(cu, channels, &scratch, &doubles));
    GT_CUDA_CHECK(gt_launch_batchnorm_forward_train(y, batch_mean, batch_var, x, gamma, beta,
                                                    (size_t)rows, channels, epsilon, scratch,
                                                    doubles, cu->stream));
    return GT_OK;
}

static gt_status cuda_batchnorm_forward_infer(gt_backend *be, float *y, const float *x,
                                              const float *gamma, const float *beta,
                                              const float *mean, const float *var, int rows,
                                              int channels, float epsilon)
{
    GT_TRY(gt_check_batchnorm("batchnorm_forward_infer", rows, channels, epsilon));
    GT_CUDA_CHECK(gt_launch_batchnorm_forward_infer(y, x, gamma, beta, mean, var, (size_t)rows,
                                                    channels, epsilon, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_batchnorm_backward(gt_backend *be, float *dx, float *dgamma, float *dbeta,
                                         const float *dy, const float *x, const float *gamma,
                                         const float *batch_mean, const float *batch_var, int rows,
                                         int channels, float epsilon)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(gt_check_batchnorm("batchnorm_backward", rows, channels, epsilon));
    double *scratch;
    size_t doubles;
    GT_TRY(bn_scratch(cu, channels, &scratch, &doubles));
    GT_CUDA_CHECK(gt_launch_batchnorm_backward(dx, dgamma, dbeta, dy, x, gamma, batch_mean,
                                               batch_var, (size_t)rows, channels, epsilon, scratch,
                                               doubles, cu->stream));
    return GT_OK;
}

static gt_status cuda_batchnorm_sums(gt_backend *be, float *sums, const float *x,
                                     const float *center, int rows, int channels)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(gt_check_bn_shared("batchnorm_sums", rows, channels, INT_MAX, 1.0f));
    double *scratch;
    size_t doubles;
    GT_TRY(bn_scratch(cu, channels, &scratch, &doubles));
    GT_CUDA_CHECK(gt_launch_batchnorm_sums(sums, x, center, (size_t)rows, channels, scratch,
                                           doubles, cu->stream));
    return GT_OK;
}

static gt_status cuda_batchnorm_backward_sums(gt_backend *be, float *sums, const float *dy,
                                              const float *x, const float *mean, const float *var,
                                              int rows, int channels, float epsilon)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(gt_check_bn_shared("batchnorm_backward_sums", rows, channels, INT_MAX, epsilon));
    double *scratch;
    size_t doubles;
    GT_TRY(bn_scratch(cu, channels, &scratch, &doubles));
    GT_CUDA_CHECK(gt_launch_batchnorm_backward_sums(sums, dy, x, mean, var, (size_t)rows, channels,
                                                    epsilon, scratch, doubles, cu->stream));
    return GT_OK;
}

static gt_status cuda_batchnorm_backward_apply(gt_backend *be, float *dx, const float *dy,
                                               const float *x, const float *gamma,
                                               const float *mean, const float *var,
                                               const float *sums, int rows, int channels,
                                               size_t total_rows, float epsilon)
{
    GT_TRY(gt_check_bn_shared("batchnorm_backward_apply", rows, channels, total_rows, epsilon));
    GT_CUDA_CHECK(gt_launch_batchnorm_backward_apply(dx, dy, x, gamma, mean, var, sums,
                                                     (size_t)rows, channels, total_rows, epsilon,
                                                     gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_batchnorm_update_moving(gt_backend *be, float *moving_mean, float *moving_var,
                                              const float *batch_mean, const float *batch_var,
                                              int channels, float momentum)
{
    GT_TRY(gt_check_bn_moving(channels, momentum));
    GT_CUDA_CHECK(gt_launch_batchnorm_update_moving(moving_mean, moving_var, batch_mean, batch_var,
                                                    channels, momentum, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_relu_backward(gt_backend *be, float *dx, const float *dy, const float *y,
                                    size_t count)
{
    if (!dx) return GT_OK;
    GT_CUDA_CHECK(gt_launch_relu_backward(dx, dy, y, count, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* Labels live on the device and are not read back here (that would be a
 * sync per step): the trainer checks them when it loads the data, and a bad
 * one shows up as a NaN loss. So only the sizes are checked. */
static gt_status cuda_softmax_xent(gt_backend *be, float *dlogits, float *stats,
                                   const float *logits, const int32_t *labels, int n, int classes,
                                   float grad_scale, float log_epsilon)
{
    GT_TRY(gt_check_loss_sizes("softmax_xent", n, classes));
    GT_CUDA_CHECK(gt_launch_softmax_xent(dlogits, stats, logits, labels, n, classes, grad_scale,
                                         log_epsilon, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_prob_xent(gt_backend *be, float *dout, float *stats, const float *out,
                                const int32_t *labels, int n, int classes, float grad_scale)
{
    GT_TRY(gt_check_loss_sizes("prob_xent", n, classes));
    GT_CUDA_CHECK(gt_launch_prob_xent(dout, stats, out, labels, n, classes, grad_scale,
                                      gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_softmax_forward(gt_backend *be, float *probs, const float *logits, int n,
                                      int classes)
{
    GT_TRY(gt_check_loss_sizes("softmax_forward", n, classes));
    GT_CUDA_CHECK(gt_launch_softmax_forward(probs, logits, n, classes, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_dropout_forward(gt_backend *be, float *y, const float *x, size_t count,
                                      float rate, uint64_t seed, uint64_t offset)
{
    GT_TRY(gt_check_rate("dropout_forward", rate));
    GT_CUDA_CHECK(gt_launch_dropout(y, x, count, rate, seed, offset, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* The backward mask is the forward mask regenerated: dx = dy * factor. */
static gt_status cuda_adam_update(gt_backend *be, float *params, const float *grads, float *m,
                                  float *v, size_t count, const gt_adam_params *hp)
{
    GT_TRY(gt_check_adam(hp));
    /* Both bias corrections in one scalar, computed in double on the host
     * exactly as the CPU backend does, then passed by value. */
    float lr_t = gt_adam_lr_t(hp->learning_rate, hp->beta1, hp->beta2, hp->step);
    GT_CUDA_CHECK(gt_launch_adam(params, grads, m, v, count, lr_t, hp->beta1, hp->beta2,
                                 hp->epsilon, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_sgd_update(gt_backend *be, float *params, const float *grads, float *velocity,
                                 size_t count, float learning_rate, float momentum, int nesterov)
{
    GT_TRY(gt_check_sgd(velocity, momentum));
    GT_CUDA_CHECK(gt_launch_sgd(params, grads, velocity, count, learning_rate, momentum, nesterov,
                                gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_maxpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                      const float *x)
{
    GT_TRY(gt_check_pool("maxpool_forward", g));
    GT_CUDA_CHECK(gt_launch_maxpool_forward(g, y, x, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_maxpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                       const float *dy, const float *x)
{
    GT_TRY(gt_check_pool("maxpool_backward", g));
    if (!dx) return GT_OK;
    GT_CUDA_CHECK(gt_launch_maxpool_backward(g, dx, dy, x, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_preprocess_gather(gt_backend *be, const gt_preprocess *p, float *x,
                                        int32_t *y, const uint8_t *images, const int32_t *labels,
                                        const int32_t *indices, int n)
{
    GT_TRY(gt_check_preprocess_shape(p, n));
    GT_CUDA_CHECK(
        gt_launch_preprocess_gather(p, x, y, images, labels, indices, n, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_preprocess_gather_f32(gt_backend *be, const gt_preprocess *p, float *x,
                                            int32_t *y, const float *images, const int32_t *labels,
                                            const int32_t *indices, int n)
{
    GT_TRY(gt_check_preprocess_shape(p, n));
    GT_CUDA_CHECK(gt_launch_preprocess_gather_f32(p, x, y, images, labels, indices, n,
                                                  gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_augment_gather(gt_backend *be, const gt_preprocess *p, const gt_augment *a,
                                     float *x, int32_t *y, const uint8_t *images,
                                     const int32_t *labels, const int32_t *indices, int n)
{
    GT_TRY(gt_check_augment(p, a, n));
    GT_CUDA_CHECK(
        gt_launch_augment_gather(p, a, x, y, images, labels, indices, n, gt_cuda_of(be)->stream));
    return GT_OK;
}

void gt_cuda_install_ops(gt_backend *be)
{
    be->bias_act_forward = cuda_bias_act_forward;
    be->bias_backward = cuda_bias_backward;
    be->relu_backward = cuda_relu_backward;
    be->act_forward = cuda_act_forward;
    be->act_backward = cuda_act_backward;
    be->avgpool_forward = cuda_avgpool_forward;
    be->avgpool_backward = cuda_avgpool_backward;
    be->axpby = cuda_axpby;
    be->mul = cuda_mul;
    be->channel_copy = cuda_channel_copy;
    be->pad2d_forward = cuda_pad2d_forward;
    be->pad2d_backward = cuda_pad2d_backward;
    be->batchnorm_forward_train = cuda_batchnorm_forward_train;
    be->batchnorm_forward_infer = cuda_batchnorm_forward_infer;
    be->batchnorm_backward = cuda_batchnorm_backward;
    be->batchnorm_sums = cuda_batchnorm_sums;
    be->batchnorm_backward_sums = cuda_batchnorm_backward_sums;
    be->batchnorm_backward_apply = cuda_batchnorm_backward_apply;
    be->batchnorm_update_moving = cuda_batchnorm_update_moving;
    be->maxpool_forward = cuda_maxpool_forward;
    be->maxpool_backward = cuda_maxpool_backward;
    be->softmax_xent = cuda_softmax_xent;
    be->prob_xent = cuda_prob_xent;
    be->softmax_forward = cuda_softmax_forward;
    be->dropout_forward = cuda_dropout_forward;
    be->adam_update = cuda_adam_update;
    be->sgd_update = cuda_sgd_update;
    be->preprocess_gather = cuda_preprocess_gather;
    be->preprocess_gather_f32 = cuda_preprocess_gather_f32;
    be->augment_gather = cuda_augment_gather;
}
