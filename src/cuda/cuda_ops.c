/* The CUDA backend's table entries for gtrain's own kernels (kernels/):
 * argument checks on the host, then one queued launch on the compute stream. */
#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"
#include "elem_math.h"
#include "kernels.h"

static gt_status cuda_bias_act_forward(gt_backend *be, float *y, const float *bias, int rows,
                                       int cols, gt_activation act)
{
    if (act != GT_ACT_LINEAR && act != GT_ACT_RELU)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "bias_act_forward: activation must be linear or relu (softmax runs in the "
                       "loss)");
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

static gt_status cuda_relu_backward(gt_backend *be, float *dx, const float *dy, const float *y,
                                    size_t count)
{
    if (!dx) return GT_OK;
    GT_CUDA_CHECK(gt_launch_relu_backward(dx, dy, y, count, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* Labels live on the device and are not read back here (that would be a
 * sync per step): the trainer checks them when it loads the data, and a bad
 * one shows up as a NaN loss. */
static gt_status check_loss_args(const char *op, int n, int classes)
{
    if (n < 0 || classes < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: bad size n=%d classes=%d", op, n, classes);
    return GT_OK;
}

static gt_status cuda_softmax_xent(gt_backend *be, float *dlogits, float *stats,
                                   const float *logits, const int32_t *labels, int n, int classes,
                                   float grad_scale)
{
    GT_TRY(check_loss_args("softmax_xent", n, classes));
    GT_CUDA_CHECK(gt_launch_softmax_xent(dlogits, stats, logits, labels, n, classes, grad_scale,
                                         gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_prob_xent(gt_backend *be, float *dout, float *stats, const float *out,
                                const int32_t *labels, int n, int classes, float grad_scale)
{
    GT_TRY(check_loss_args("prob_xent", n, classes));
    GT_CUDA_CHECK(gt_launch_prob_xent(dout, stats, out, labels, n, classes, grad_scale,
                                      gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_softmax_forward(gt_backend *be, float *probs, const float *logits, int n,
                                      int classes)
{
    if (n < 0 || classes < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "softmax_forward: bad size n=%d classes=%d", n,
                       classes);
    GT_CUDA_CHECK(gt_launch_softmax_forward(probs, logits, n, classes, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status check_rate(float rate)
{
    if (!(rate >= 0.0f && rate < 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "dropout: rate %g is outside [0, 1)", (double)rate);
    return GT_OK;
}

static gt_status cuda_dropout_forward(gt_backend *be, float *y, const float *x, size_t count,
                                      float rate, uint64_t seed, uint64_t offset)
{
    GT_TRY(check_rate(rate));
    GT_CUDA_CHECK(gt_launch_dropout(y, x, count, rate, seed, offset, gt_cuda_of(be)->stream));
    return GT_OK;
}

/* The backward mask is the forward mask regenerated: dx = dy * factor. */
static gt_status cuda_dropout_backward(gt_backend *be, float *dx, const float *dy, size_t count,
                                       float rate, uint64_t seed, uint64_t offset)
{
    GT_TRY(check_rate(rate));
    if (!dx) return GT_OK;
    GT_CUDA_CHECK(gt_launch_dropout(dx, dy, count, rate, seed, offset, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_adam_update(gt_backend *be, float *params, const float *grads, float *m,
                                  float *v, size_t count, const gt_adam_params *hp)
{
    if (!hp) return gt_fail(GT_ERR_INVALID_ARGUMENT, "adam_update: NULL hyperparameters");
    if (hp->step < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "adam_update: step is %lld; it counts from 1 (the bias correction divides "
                       "by 1 - beta1^step)",
                       (long long)hp->step);
    if (!(hp->beta1 >= 0.0f && hp->beta1 < 1.0f) || !(hp->beta2 >= 0.0f && hp->beta2 < 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "adam_update: beta1=%g beta2=%g must be in [0, 1)",
                       (double)hp->beta1, (double)hp->beta2);
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
    if (momentum != 0.0f && !velocity)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "sgd_update: momentum %g needs a velocity buffer",
                       (double)momentum);
    GT_CUDA_CHECK(gt_launch_sgd(params, grads, velocity, count, learning_rate, momentum, nesterov,
                                gt_cuda_of(be)->stream));
    return GT_OK;
}

/* The CPU's rule: every window must hold at least one real cell (padded
 * cells never win, so an all-padding window would have no maximum). */
static gt_status check_pool(const char *op, const gt_pool_geom *g)
{
    if (!g) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL geometry", op);
    int bad = g->n <= 0 || g->in_h <= 0 || g->in_w <= 0 || g->c <= 0 || g->out_h <= 0 ||
              g->out_w <= 0 || g->k_h <= 0 || g->k_w <= 0 || g->stride_h <= 0 || g->stride_w <= 0 ||
              g->pad_top < 0 || g->pad_left < 0;
    if (!bad)
        bad = g->pad_top >= g->k_h || g->pad_left >= g->k_w ||
              (g->out_h - 1) * g->stride_h - g->pad_top >= g->in_h ||
              (g->out_w - 1) * g->stride_w - g->pad_left >= g->in_w;
    if (bad)
        return gt_fail(GT_ERR_SHAPE,
                       "%s: bad geometry: input %dx%dx%dx%d, output %dx%d, window %dx%d, "
                       "stride %dx%d, pad %d,%d (every window needs at least one input cell)",
                       op, g->n, g->in_h, g->in_w, g->c, g->out_h, g->out_w, g->k_h, g->k_w,
                       g->stride_h, g->stride_w, g->pad_top, g->pad_left);
    return GT_OK;
}

static gt_status cuda_maxpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                      const float *x)
{
    GT_TRY(check_pool("maxpool_forward", g));
    GT_CUDA_CHECK(gt_launch_maxpool_forward(g, y, x, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_maxpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                       const float *dy, const float *x, const float *y)
{
    (void)y; /* the kernel rescans x for the first maximum; see maxpool.cu */
    GT_TRY(check_pool("maxpool_backward", g));
    if (!dx) return GT_OK;
    GT_CUDA_CHECK(gt_launch_maxpool_backward(g, dx, dy, x, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_preprocess_gather(gt_backend *be, const gt_preprocess *p, float *x,
                                        int32_t *y, const uint8_t *images, const int32_t *labels,
                                        const int32_t *indices, int n)
{
    if (p->in_h < 1 || p->in_w < 1 || p->in_c < 1 || p->out_h < 1 || p->out_w < 1 || p->out_c < 1 ||
        n < 0)
        return gt_fail(GT_ERR_SHAPE, "preprocess_gather: bad sizes in=%dx%dx%d out=%dx%dx%d n=%d",
                       p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, n);
    if (p->in_c != 1 && p->in_c != p->out_c)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "preprocess_gather: %d input channels cannot become %d (repeat needs 1 "
                       "input channel)",
                       p->in_c, p->out_c);
    GT_CUDA_CHECK(
        gt_launch_preprocess_gather(p, x, y, images, labels, indices, n, gt_cuda_of(be)->stream));
    return GT_OK;
}

void gt_cuda_install_ops(gt_backend *be)
{
    be->bias_act_forward = cuda_bias_act_forward;
    be->bias_backward = cuda_bias_backward;
    be->relu_backward = cuda_relu_backward;
    be->maxpool_forward = cuda_maxpool_forward;
    be->maxpool_backward = cuda_maxpool_backward;
    be->softmax_xent = cuda_softmax_xent;
    be->prob_xent = cuda_prob_xent;
    be->softmax_forward = cuda_softmax_forward;
    be->dropout_forward = cuda_dropout_forward;
    be->dropout_backward = cuda_dropout_backward;
    be->adam_update = cuda_adam_update;
    be->sgd_update = cuda_sgd_update;
    be->preprocess_gather = cuda_preprocess_gather;
}
