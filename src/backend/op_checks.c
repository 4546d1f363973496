/* Argument checks of the backend ops, shared by every backend so that a bad
 * call fails the same way, with the same message, on the CPU and the GPU.
 * They are cheap (O(1), or O(n) over host labels/indices) and catch the
 * caller errors that are plausible — a wrong geometry, a label out of range —
 * naming the op and the bad value, instead of reading out of bounds. */

#include "op_checks.h"

#include <math.h>

#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_check_gemm(const char *op, int trans_a, int trans_b, int m, int n, int k,
                        const float *a, int lda, const float *b, int ldb, const float *c, int ldc)
{
    if (m < 0 || n < 0 || k < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: negative size m=%d n=%d k=%d", op, m, n, k);
    /* Row-major: the stored row of A is op(A)'s row unless transposed. */
    int a_cols = trans_a ? m : k;
    int b_cols = trans_b ? k : n;
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) || ldc < (n > 1 ? n : 1))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: leading dimension too small (lda=%d needs >= %d, ldb=%d needs >= %d, "
                       "ldc=%d needs >= %d)",
                       op, lda, a_cols, ldb, b_cols, ldc, n);
    if (m > 0 && n > 0 && (!c || (k > 0 && (!a || !b))))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL matrix pointer", op);
    return GT_OK;
}

gt_status gt_check_conv(const char *op, const gt_conv_geom *g)
{
    if (!g) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL geometry", op);
    if (g->n <= 0 || g->in_h <= 0 || g->in_w <= 0 || g->in_c <= 0 || g->out_h <= 0 ||
        g->out_w <= 0 || g->out_c <= 0 || g->k_h <= 0 || g->k_w <= 0 || g->stride_h <= 0 ||
        g->stride_w <= 0 || g->pad_top < 0 || g->pad_left < 0)
        return gt_fail(GT_ERR_SHAPE,
                       "%s: bad geometry: input %dx%dx%dx%d, output %dx%dx%d, kernel %dx%d, "
                       "stride %dx%d, pad %d,%d (sizes and strides must be positive, pads >= 0)",
                       op, g->n, g->in_h, g->in_w, g->in_c, g->out_h, g->out_w, g->out_c, g->k_h,
                       g->k_w, g->stride_h, g->stride_w, g->pad_top, g->pad_left);
    if ((g->out_h - 1) * g->stride_h - g->pad_top >= g->in_h ||
        (g->out_w - 1) * g->stride_w - g->pad_left >= g->in_w)
        return gt_fail(GT_ERR_SHAPE,
                       "%s: output %dx%d is too large for input %dx%d with kernel %dx%d, stride "
                       "%dx%d, padding %d,%d (the last window starts past the image)",
                       op, g->out_h, g->out_w, g->in_h, g->in_w, g->k_h, g->k_w, g->stride_h,
                       g->stride_w, g->pad_top, g->pad_left);
    return GT_OK;
}

gt_status gt_check_pool(const char *op, const gt_pool_geom *g)
{
    if (!g) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL geometry", op);
    int bad = g->n <= 0 || g->in_h <= 0 || g->in_w <= 0 || g->c <= 0 || g->out_h <= 0 ||
              g->out_w <= 0 || g->k_h <= 0 || g->k_w <= 0 || g->stride_h <= 0 || g->stride_w <= 0 ||
              g->pad_top < 0 || g->pad_left < 0;
    /* Every window must hold at least one real cell: padded cells never win,
     * so an all-padding window would have no maximum. */
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

gt_status gt_check_pad(const char *op, const gt_pad_geom *g)
{
    if (!g) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL geometry", op);
    if (g->n <= 0 || g->in_h <= 0 || g->in_w <= 0 || g->c <= 0 || g->top < 0 || g->bottom < 0 ||
        g->left < 0 || g->right < 0)
        return gt_fail(GT_ERR_SHAPE,
                       "%s: bad geometry: input %dx%dx%dx%d, padding top %d bottom %d left %d "
                       "right %d",
                       op, g->n, g->in_h, g->in_w, g->c, g->top, g->bottom, g->left, g->right);
    return GT_OK;
}

gt_status gt_check_batchnorm(const char *op, int rows, int channels, float epsilon)
{
    if (rows < 1 || channels < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: rows=%d channels=%d (both at least 1)", op,
                       rows, channels);
    if (!(epsilon > 0.0f && epsilon < INFINITY))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: epsilon %g (must be positive)", op,
                       (double)epsilon);
    return GT_OK;
}

gt_status gt_check_bn_shared(const char *op, int rows, int channels, size_t total_rows,
                             float epsilon)
{
    if (rows < 0 || channels < 1 || (size_t)rows > total_rows)
        return gt_fail(
            GT_ERR_INVALID_ARGUMENT,
            "%s: rows=%d channels=%d of a batch of %zu rows (rows at least 0 and at most "
            "the batch's, channels at least 1)",
            op, rows, channels, total_rows);
    if (!(epsilon > 0.0f && epsilon < INFINITY))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: epsilon %g (must be positive)", op,
                       (double)epsilon);
    return GT_OK;
}

gt_status gt_check_bn_moving(int channels, float momentum)
{
    if (channels < 1 || !(momentum >= 0.0f && momentum <= 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "batchnorm_update_moving: channels=%d momentum %g (0 to 1)", channels,
                       (double)momentum);
    return GT_OK;
}

gt_status gt_check_act(const char *op, gt_activation act)
{
    if (act != GT_ACT_LINEAR && act != GT_ACT_RELU)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: activation %d is not fusable (only linear or relu; softmax goes "
                       "through the loss or softmax_forward)",
                       op, (int)act);
    return GT_OK;
}

gt_status gt_check_elementwise_act(const char *op, gt_activation act)
{
    if ((int)act < 0 || act >= GT_ACT_COUNT || act == GT_ACT_SOFTMAX)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: activation %d is not elementwise (softmax goes through the loss or "
                       "softmax_forward)",
                       op, (int)act);
    return GT_OK;
}

gt_status gt_check_act_backward(gt_activation act, const float *x)
{
    GT_TRY(gt_check_elementwise_act("act_backward", act));
    if (!x && gt_act_grad_needs_x(act))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "act_backward: the gradient of activation %d needs its input x (NULL given)",
                       (int)act);
    return GT_OK;
}

gt_status gt_check_loss_sizes(const char *op, int n, int classes)
{
    if (n < 0 || classes <= 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: bad size n=%d classes=%d", op, n, classes);
    return GT_OK;
}

gt_status gt_check_labels(const char *op, const int32_t *labels, int n, int classes)
{
    GT_TRY(gt_check_loss_sizes(op, n, classes));
    if (n > 0 && !labels) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL labels", op);
    for (int i = 0; i < n; ++i)
        if (labels[i] < 0 || labels[i] >= classes)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "%s: label %d of example %d is outside [0, %d) (check the dataset's "
                           "labels against the model's output units)",
                           op, (int)labels[i], i, classes);
    return GT_OK;
}

gt_status gt_check_rate(const char *op, float rate)
{
    if (!(rate >= 0.0f && rate < 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: dropout rate %g is outside [0, 1)", op,
                       (double)rate);
    return GT_OK;
}

gt_status gt_check_preprocess_shape(const gt_preprocess *p, int n)
{
    if (!p) return gt_fail(GT_ERR_INVALID_ARGUMENT, "preprocess_gather: NULL parameters");
    if (p->in_h <= 0 || p->in_w <= 0 || p->in_c <= 0 || p->out_h <= 0 || p->out_w <= 0 ||
        p->out_c <= 0 || n < 0)
        return gt_fail(GT_ERR_SHAPE, "preprocess_gather: bad sizes %dx%dx%d -> %dx%dx%d, n=%d",
                       p->in_h, p->in_w, p->in_c, p->out_h, p->out_w, p->out_c, n);
    if (p->in_c != 1 && p->in_c != p->out_c)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "preprocess_gather: cannot turn %d input channels into %d (channel repeat "
                       "needs 1 input channel, or the same count in and out)",
                       p->in_c, p->out_c);
    return GT_OK;
}

gt_status gt_check_preprocess(const gt_preprocess *p, const float *x, const int32_t *y,
                              const uint8_t *images, const int32_t *labels, const int32_t *indices,
                              int n)
{
    GT_TRY(gt_check_preprocess_shape(p, n));
    if (n > 0 && (!x || !images || !indices))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "preprocess_gather: NULL images, indices or x");
    if (n > 0 && y && !labels)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "preprocess_gather: labels requested (y) but the dataset has none");
    for (int i = 0; i < n; ++i)
        if (indices[i] < 0)
            return gt_fail(GT_ERR_INVALID_ARGUMENT, "preprocess_gather: index %d of example %d",
                           (int)indices[i], i);
    return GT_OK;
}

static gt_status check_adam_named(const char *op, const gt_adam_params *hp)
{
    if (!hp) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: NULL hyperparameters", op);
    if (hp->step < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: step is %lld; it counts from 1 (the bias correction divides "
                       "by 1 - beta1^step)",
                       op, (long long)hp->step);
    if (!(hp->beta1 >= 0.0f && hp->beta1 < 1.0f) || !(hp->beta2 >= 0.0f && hp->beta2 < 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: beta1=%g beta2=%g must be in [0, 1)", op,
                       (double)hp->beta1, (double)hp->beta2);
    return GT_OK;
}

gt_status gt_check_adam(const gt_adam_params *hp)
{
    return check_adam_named("adam_update", hp);
}

gt_status gt_check_adamw(const gt_adam_params *hp, float weight_decay)
{
    if (!(weight_decay >= 0.0f && weight_decay < 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "adamw_update: weight_decay %g must be in [0, 1)",
                       (double)weight_decay);
    return check_adam_named("adamw_update", hp);
}

gt_status gt_check_rmsprop(const gt_rmsprop_params *hp, const float *momentum_buf,
                           const float *mean_grad)
{
    if (!hp) return gt_fail(GT_ERR_INVALID_ARGUMENT, "rmsprop_update: NULL hyperparameters");
    if (!(hp->rho >= 0.0f && hp->rho < 1.0f) || !(hp->momentum >= 0.0f && hp->momentum < 1.0f) ||
        !(hp->epsilon > 0.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "rmsprop_update: rho=%g and momentum=%g must be in [0, 1), epsilon=%g "
                       "above 0",
                       (double)hp->rho, (double)hp->momentum, (double)hp->epsilon);
    if (hp->momentum > 0.0f && !momentum_buf)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "rmsprop_update: momentum %g needs a momentum buffer (NULL given)",
                       (double)hp->momentum);
    if (hp->centered && !mean_grad)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "rmsprop_update: centered needs a mean-gradient buffer (NULL given)");
    return GT_OK;
}

gt_status gt_check_sgd(const float *velocity, float momentum)
{
    if (momentum != 0.0f && !velocity)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "sgd_update: momentum %g needs a velocity buffer (NULL given)",
                       (double)momentum);
    return GT_OK;
}

gt_status gt_check_channel_copy(int dst_stride, int dst_offset, int src_stride, int src_offset,
                                int channels)
{
    if (dst_stride < 1 || src_stride < 1 || channels < 0 || dst_offset < 0 || src_offset < 0 ||
        dst_offset > dst_stride - channels || src_offset > src_stride - channels)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "channel_copy: channels [%d, %d + %d) of rows of %d into channels [%d, %d + "
                       "%d) of rows of %d do not fit",
                       src_offset, src_offset, channels, src_stride, dst_offset, dst_offset,
                       channels, dst_stride);
    return GT_OK;
}
