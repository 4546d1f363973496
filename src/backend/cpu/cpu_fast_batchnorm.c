/* Fast batch normalization: threads take blocks of channels, and each
 * channel's sums run over the rows in row order, exactly as the reference
 * (so the results are the reference's, bit for bit, for any thread count);
 * within a block the rows are walked once per pass, reading the block's
 * channels contiguously. */
#include <limits.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Channels a thread sums at once (its accumulators live on its stack). */
#define BN_BLOCK 256

/* Blocks of at most BN_BLOCK channels, enough of them for every thread. */
static int block_width(int channels, int threads)
{
    int w = (channels + threads - 1) / threads;
    if (w > BN_BLOCK) w = BN_BLOCK;
    return w < 1 ? 1 : w;
}

static void train_block(float *y, float *batch_mean, float *batch_var, const float *x,
                        const float *gamma, const float *beta, int rows, int channels, int c0,
                        int c1, float epsilon)
{
    double acc[BN_BLOCK], inv_std[BN_BLOCK];
    int w = c1 - c0;
    for (int k = 0; k < w; ++k)
        acc[k] = 0.0;
    for (int r = 0; r < rows; ++r) {
        const float *row = x + (size_t)r * channels + c0;
        for (int k = 0; k < w; ++k)
            acc[k] += (double)row[k];
    }
    for (int k = 0; k < w; ++k) {
        batch_mean[c0 + k] = (float)(acc[k] / rows);
        acc[k] = 0.0;
    }
    for (int r = 0; r < rows; ++r) {
        const float *row = x + (size_t)r * channels + c0;
        for (int k = 0; k < w; ++k)
            acc[k] += gt_bn_sq_term(row[k], batch_mean[c0 + k]);
    }
    for (int k = 0; k < w; ++k) {
        batch_var[c0 + k] = (float)(acc[k] / rows);
        inv_std[k] = gt_bn_inv_std(batch_var[c0 + k], epsilon);
    }
    for (int r = 0; r < rows; ++r) {
        size_t base = (size_t)r * channels;
        for (int k = 0; k < w; ++k)
            y[base + c0 + k] = gt_bn_forward_elem(x[base + c0 + k], batch_mean[c0 + k], inv_std[k],
                                                  gamma, beta, c0 + k);
    }
}

gt_status gt_cpu_fast_batchnorm_forward_train(gt_backend *be, float *y, float *batch_mean,
                                              float *batch_var, const float *x, const float *gamma,
                                              const float *beta, int rows, int channels,
                                              float epsilon)
{
    GT_TRY(gt_check_batchnorm("batchnorm_forward_train", rows, channels, epsilon));
    int threads = gt_cpu_threads(be), w = block_width(channels, threads);
    int blocks = (channels + w - 1) / w;
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
    for (int b = 0; b < blocks; ++b) {
        int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
        train_block(y, batch_mean, batch_var, x, gamma, beta, rows, channels, c0, c1, epsilon);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_batchnorm_forward_infer(gt_backend *be, float *y, const float *x,
                                              const float *gamma, const float *beta,
                                              const float *mean, const float *var, int rows,
                                              int channels, float epsilon)
{
    GT_TRY(gt_check_batchnorm("batchnorm_forward_infer", rows, channels, epsilon));
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (rows > 64)
    for (int r = 0; r < rows; ++r) {
        size_t base = (size_t)r * channels;
        for (int c = 0; c < channels; ++c)
            y[base + c] = gt_bn_forward_elem(x[base + c], mean[c], gt_bn_inv_std(var[c], epsilon),
                                             gamma, beta, c);
    }
    return GT_OK;
}

/* The block's sums of dy and dy * xhat over the rows, in row order. */
static void block_backward_sums(double *sum_dy, double *sum_dy_xhat, double *inv_std,
                                const float *dy, const float *x, const float *mean,
                                const float *var, int rows, int channels, int c0, int w,
                                float epsilon)
{
    for (int k = 0; k < w; ++k) {
        sum_dy[k] = sum_dy_xhat[k] = 0.0;
        inv_std[k] = gt_bn_inv_std(var[c0 + k], epsilon);
    }
    for (int r = 0; r < rows; ++r) {
        size_t base = (size_t)r * channels + c0;
        for (int k = 0; k < w; ++k) {
            sum_dy[k] += (double)dy[base + k];
            sum_dy_xhat[k] +=
                gt_bn_dy_xhat_term(dy[base + k], x[base + k], mean[c0 + k], inv_std[k]);
        }
    }
}

static void backward_block(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                           const float *gamma, const float *mean, const float *var, int rows,
                           int channels, int c0, int c1, float epsilon)
{
    double sum_dy[BN_BLOCK], sum_dy_xhat[BN_BLOCK], inv_std[BN_BLOCK];
    int w = c1 - c0;
    block_backward_sums(sum_dy, sum_dy_xhat, inv_std, dy, x, mean, var, rows, channels, c0, w,
                        epsilon);
    for (int k = 0; k < w; ++k) {
        if (dgamma) dgamma[c0 + k] = (float)sum_dy_xhat[k];
        if (dbeta) dbeta[c0 + k] = (float)sum_dy[k];
    }
    for (int r = 0; r < rows; ++r) {
        size_t base = (size_t)r * channels + c0;
        for (int k = 0; k < w; ++k)
            dx[base + k] =
                gt_bn_backward_elem(dy[base + k], x[base + k], mean[c0 + k], inv_std[k], gamma,
                                    c0 + k, sum_dy[k], sum_dy_xhat[k], (double)rows);
    }
}

gt_status gt_cpu_fast_batchnorm_backward(gt_backend *be, float *dx, float *dgamma, float *dbeta,
                                         const float *dy, const float *x, const float *gamma,
                                         const float *batch_mean, const float *batch_var, int rows,
                                         int channels, float epsilon)
{
    GT_TRY(gt_check_batchnorm("batchnorm_backward", rows, channels, epsilon));
    int threads = gt_cpu_threads(be), w = block_width(channels, threads);
    int blocks = (channels + w - 1) / w;
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
    for (int b = 0; b < blocks; ++b) {
        int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
        backward_block(dx, dgamma, dbeta, dy, x, gamma, batch_mean, batch_var, rows, channels, c0,
                       c1, epsilon);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_batchnorm_update_moving(gt_backend *be, float *moving_mean, float *moving_var,
                                              const float *batch_mean, const float *batch_var,
                                              int channels, float momentum)
{
    /* a few hundred channels: the reference loop is the fast one */
    return gt_cpu_ref_batchnorm_update_moving(be, moving_mean, moving_var, batch_mean, batch_var,
                                              channels, momentum);
}

/* The batch-shared ops: the same blocks of channels, the same row order as
 * the reference (bit for bit). */
static void sums_block(float *sums, const float *x, const float *center, int rows, int channels,
                       int c0, int c1)
{
    double acc[BN_BLOCK];
    int w = c1 - c0;
    for (int k = 0; k < w; ++k)
        acc[k] = 0.0;
    for (int r = 0; r < rows; ++r) {
        const float *row = x + (size_t)r * channels + c0;
        if (center)
            for (int k = 0; k < w; ++k)
                acc[k] += gt_bn_sq_term(row[k], center[c0 + k]);
        else
            for (int k = 0; k < w; ++k)
                acc[k] += (double)row[k];
    }
    for (int k = 0; k < w; ++k)
        sums[c0 + k] = (float)acc[k];
}

gt_status gt_cpu_fast_batchnorm_sums(gt_backend *be, float *sums, const float *x,
                                     const float *center, int rows, int channels)
{
    GT_TRY(gt_check_bn_shared("batchnorm_sums", rows, channels, INT_MAX, 1.0f));
    int threads = gt_cpu_threads(be), w = block_width(channels, threads);
    int blocks = (channels + w - 1) / w;
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
    for (int b = 0; b < blocks; ++b) {
        int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
        sums_block(sums, x, center, rows, channels, c0, c1);
    }
    return GT_OK;
}

static void backward_sums_block(float *sums, const float *dy, const float *x, const float *mean,
                                const float *var, int rows, int channels, int c0, int c1,
                                float epsilon)
{
    double sum_dy[BN_BLOCK], sum_dy_xhat[BN_BLOCK], inv_std[BN_BLOCK];
    int w = c1 - c0;
    block_backward_sums(sum_dy, sum_dy_xhat, inv_std, dy, x, mean, var, rows, channels, c0, w,
                        epsilon);
    for (int k = 0; k < w; ++k) {
        sums[c0 + k] = (float)sum_dy[k];
        sums[channels + c0 + k] = (float)sum_dy_xhat[k];
    }
}

gt_status gt_cpu_fast_batchnorm_backward_sums(gt_backend *be, float *sums, const float *dy,
                                              const float *x, const float *mean, const float *var,
                                              int rows, int channels, float epsilon)
{
    GT_TRY(gt_check_bn_shared("batchnorm_backward_sums", rows, channels, INT_MAX, epsilon));
    int threads = gt_cpu_threads(be), w = block_width(channels, threads);
    int blocks = (channels + w - 1) / w;
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
    for (int b = 0; b < blocks; ++b) {
        int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
        backward_sums_block(sums, dy, x, mean, var, rows, channels, c0, c1, epsilon);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_batchnorm_backward_apply(gt_backend *be, float *dx, const float *dy,
                                               const float *x, const float *gamma,
                                               const float *mean, const float *var,
                                               const float *sums, int rows, int channels,
                                               size_t total_rows, float epsilon)
{
    GT_TRY(gt_check_bn_shared("batchnorm_backward_apply", rows, channels, total_rows, epsilon));
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (rows > 64)
    for (int r = 0; r < rows; ++r) {
        size_t base = (size_t)r * channels;
        for (int c = 0; c < channels; ++c)
            dx[base + c] = gt_bn_backward_elem(
                dy[base + c], x[base + c], mean[c], gt_bn_inv_std(var[c], epsilon), gamma, c,
                (double)sums[c], (double)sums[channels + c], (double)total_rows);
    }
    return GT_OK;
}
