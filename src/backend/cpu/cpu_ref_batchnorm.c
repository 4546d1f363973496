/* Reference batch normalization: per channel, sums in double in row order,
 * over elem_math.h's terms (the fast ops sum in the same order: bit for bit). */
#include <limits.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

static size_t at(int r, int c, int channels)
{
    return (size_t)r * channels + c;
}

gt_status gt_cpu_ref_batchnorm_forward_train(gt_backend *be, float *y, float *batch_mean,
                                             float *batch_var, const float *x, const float *gamma,
                                             const float *beta, int rows, int channels,
                                             float epsilon)
{
    (void)be;
    GT_TRY(gt_check_batchnorm("batchnorm_forward_train", rows, channels, epsilon));
    for (int c = 0; c < channels; ++c) {
        double sum = 0.0;
        for (int r = 0; r < rows; ++r)
            sum += (double)x[at(r, c, channels)];
        float mean = (float)(sum / rows);
        double sq = 0.0;
        for (int r = 0; r < rows; ++r)
            sq += gt_bn_sq_term(x[at(r, c, channels)], mean);
        float var = (float)(sq / rows);
        batch_mean[c] = mean;
        batch_var[c] = var;
        double inv_std = gt_bn_inv_std(var, epsilon);
        for (int r = 0; r < rows; ++r)
            y[at(r, c, channels)] =
                gt_bn_forward_elem(x[at(r, c, channels)], mean, inv_std, gamma, beta, c);
    }
    return GT_OK;
}

gt_status gt_cpu_ref_batchnorm_forward_infer(gt_backend *be, float *y, const float *x,
                                             const float *gamma, const float *beta,
                                             const float *mean, const float *var, int rows,
                                             int channels, float epsilon)
{
    (void)be;
    GT_TRY(gt_check_batchnorm("batchnorm_forward_infer", rows, channels, epsilon));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < channels; ++c)
            y[at(r, c, channels)] = gt_bn_forward_elem(
                x[at(r, c, channels)], mean[c], gt_bn_inv_std(var[c], epsilon), gamma, beta, c);
    return GT_OK;
}

/* Channel c's sums of dy and dy * xhat over the rows, in row order. */
static void channel_backward_sums(const float *dy, const float *x, float mean, double inv_std,
                                  int rows, int channels, int c, double *sum_dy,
                                  double *sum_dy_xhat)
{
    *sum_dy = *sum_dy_xhat = 0.0;
    for (int r = 0; r < rows; ++r) {
        size_t i = at(r, c, channels);
        *sum_dy += (double)dy[i];
        *sum_dy_xhat += gt_bn_dy_xhat_term(dy[i], x[i], mean, inv_std);
    }
}

gt_status gt_cpu_ref_batchnorm_backward(gt_backend *be, float *dx, float *dgamma, float *dbeta,
                                        const float *dy, const float *x, const float *gamma,
                                        const float *batch_mean, const float *batch_var, int rows,
                                        int channels, float epsilon)
{
    (void)be;
    GT_TRY(gt_check_batchnorm("batchnorm_backward", rows, channels, epsilon));
    for (int c = 0; c < channels; ++c) {
        double inv_std = gt_bn_inv_std(batch_var[c], epsilon), sum_dy, sum_dy_xhat;
        channel_backward_sums(dy, x, batch_mean[c], inv_std, rows, channels, c, &sum_dy,
                              &sum_dy_xhat);
        if (dgamma) dgamma[c] = (float)sum_dy_xhat;
        if (dbeta) dbeta[c] = (float)sum_dy;
        double mean_dy = sum_dy / (double)rows, mean_dy_xhat = sum_dy_xhat / (double)rows;
        for (int r = 0; r < rows; ++r) {
            size_t i = at(r, c, channels);
            dx[i] = gt_bn_backward_elem(dy[i], x[i], batch_mean[c], inv_std, gamma, c, mean_dy,
                                        mean_dy_xhat);
        }
    }
    return GT_OK;
}

gt_status gt_cpu_ref_batchnorm_update_moving(gt_backend *be, float *moving_mean, float *moving_var,
                                             const float *batch_mean, const float *batch_var,
                                             int channels, float momentum)
{
    (void)be;
    GT_TRY(gt_check_bn_moving(channels, momentum));
    for (int c = 0; c < channels; ++c) {
        moving_mean[c] = gt_bn_moving_elem(moving_mean[c], batch_mean[c], momentum);
        moving_var[c] = gt_bn_moving_elem(moving_var[c], batch_var[c], momentum);
    }
    return GT_OK;
}

gt_status gt_cpu_ref_batchnorm_sums(gt_backend *be, float *sums, const float *x,
                                    const float *center, int rows, int channels)
{
    (void)be;
    GT_TRY(gt_check_bn_shared("batchnorm_sums", rows, channels, INT_MAX, 1.0f));
    for (int c = 0; c < channels; ++c) {
        double sum = 0.0;
        for (int r = 0; r < rows; ++r)
            sum += center ? gt_bn_sq_term(x[at(r, c, channels)], center[c])
                          : (double)x[at(r, c, channels)];
        sums[c] = (float)sum;
    }
    return GT_OK;
}

gt_status gt_cpu_ref_batchnorm_backward_sums(gt_backend *be, float *sums, const float *dy,
                                             const float *x, const float *mean, const float *var,
                                             int rows, int channels, float epsilon)
{
    (void)be;
    GT_TRY(gt_check_bn_shared("batchnorm_backward_sums", rows, channels, INT_MAX, epsilon));
    for (int c = 0; c < channels; ++c) {
        double sum_dy, sum_dy_xhat;
        channel_backward_sums(dy, x, mean[c], gt_bn_inv_std(var[c], epsilon), rows, channels, c,
                              &sum_dy, &sum_dy_xhat);
        sums[c] = (float)sum_dy;
        sums[channels + c] = (float)sum_dy_xhat;
    }
    return GT_OK;
}

gt_status gt_cpu_ref_batchnorm_backward_apply(gt_backend *be, float *dx, const float *dy,
                                              const float *x, const float *gamma, const float *mean,
                                              const float *var, const float *sums, int rows,
                                              int channels, size_t total_rows, float epsilon)
{
    (void)be;
    GT_TRY(gt_check_bn_shared("batchnorm_backward_apply", rows, channels, total_rows, epsilon));
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < channels; ++c) {
            size_t i = at(r, c, channels);
            dx[i] = gt_bn_backward_elem(dy[i], x[i], mean[c], gt_bn_inv_std(var[c], epsilon), gamma,
                                        c, (double)sums[c] / (double)total_rows,
                                        (double)sums[channels + c] / (double)total_rows);
        }
    return GT_OK;
}
