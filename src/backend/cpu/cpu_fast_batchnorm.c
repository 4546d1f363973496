/* Fast batch normalization: threads take blocks of channels, and each
 * channel's sums run over the rows in row order, exactly as the reference
 * (so the results are the reference's, bit for bit, for any thread count);
 * within a block the rows are walked once per pass, reading the block's
 * channels contiguously. */
#include <limits.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* The block passes in AVX-512 or AVX2 where the CPU has them (chosen at
 * load time): the same IEEE operations per element in the same order, on
 * wider vectors (ISO C mode leaves a * b + c uncontracted, so no FMA
 * changes a result). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GT_BN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GT_BN_CLONES
#endif

/* Channels a thread sums at once (its accumulators live on its stack). */
#define BN_BLOCK 256

/* Blocks of at most BN_BLOCK channels, enough of them for every thread. */
static int block_width(int channels, int threads)
{
    int w = (channels + threads - 1) / threads;
    if (w > BN_BLOCK) w = BN_BLOCK;
    return w < 1 ? 1 : w;
}

/* acc[k] = the sum over the rows of channel c0 + k's x (center NULL) or of
 * (x - center)^2, in double, in row order (the reference's order). */
GT_BN_CLONES static void block_sums(double *acc, const float *x, const float *center, int rows,
                                    int channels, int c0, int w)
{
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
}

/* The block's batch mean and biased variance, and inv_std[k] = 1/sqrt(var +
 * eps) of its channel c0 + k. */
static void stats_block(float *batch_mean, float *batch_var, double *inv_std, const float *x,
                        int rows, int channels, int c0, int c1, float epsilon)
{
    double acc[BN_BLOCK];
    int w = c1 - c0;
    block_sums(acc, x, NULL, rows, channels, c0, w);
    for (int k = 0; k < w; ++k)
        batch_mean[c0 + k] = (float)(acc[k] / rows);
    block_sums(acc, x, batch_mean, rows, channels, c0, w);
    for (int k = 0; k < w; ++k) {
        batch_var[c0 + k] = (float)(acc[k] / rows);
        inv_std[k] = gt_bn_inv_std(batch_var[c0 + k], epsilon);
    }
}

/* y of rows [r0, r1) and channels [c0, c1); inv_std[k] is channel c0 + k's. */
GT_BN_CLONES static void normalize_rows(float *y, const float *x, const float *mean,
                                        const double *inv_std, const float *gamma,
                                        const float *beta, int r0, int r1, int channels, int c0,
                                        int c1)
{
    for (int r = r0; r < r1; ++r) {
        size_t base = (size_t)r * channels;
        for (int c = c0; c < c1; ++c)
            y[base + c] = gt_bn_forward_elem(x[base + c], mean[c], inv_std[c - c0], gamma, beta, c);
    }
}

/* Up to this many channels the normalizing passes (y, and dx in backward)
 * run over rows, each thread on its own rows with every channel, after the
 * statistics by channel blocks: with few channels (16 in resnet-fmnist's
 * first stage, one cache line a row) a block is part of every row's line,
 * so threads that each walk all the rows read everything once per thread.
 * The per-channel constants between the two phases live on the stack. */
#define BN_ROWWISE_MAX 1024
/* Rows per chunk of those passes. */
#define BN_ROW_CHUNK 64

gt_status gt_cpu_fast_batchnorm_forward_train(gt_backend *be, float *y, float *batch_mean,
                                              float *batch_var, const float *x, const float *gamma,
                                              const float *beta, int rows, int channels,
                                              float epsilon)
{
    GT_TRY(gt_check_batchnorm("batchnorm_forward_train", rows, channels, epsilon));
    int threads = gt_cpu_threads(be), w = block_width(channels, threads);
    int blocks = (channels + w - 1) / w, chunks = (rows + BN_ROW_CHUNK - 1) / BN_ROW_CHUNK;
    if (channels > BN_ROWWISE_MAX) {
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
        for (int b = 0; b < blocks; ++b) {
            double inv_std[BN_BLOCK];
            int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
            stats_block(batch_mean, batch_var, inv_std, x, rows, channels, c0, c1, epsilon);
            normalize_rows(y, x, batch_mean, inv_std, gamma, beta, 0, rows, channels, c0, c1);
        }
        return GT_OK;
    }
    double inv_std[BN_ROWWISE_MAX];
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
        for (int b = 0; b < blocks; ++b) {
            int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
            stats_block(batch_mean, batch_var, inv_std + c0, x, rows, channels, c0, c1, epsilon);
        }
#pragma omp for schedule(static)
        for (int k = 0; k < chunks; ++k) {
            int r0 = k * BN_ROW_CHUNK, r1 = r0 + BN_ROW_CHUNK < rows ? r0 + BN_ROW_CHUNK : rows;
            normalize_rows(y, x, batch_mean, inv_std, gamma, beta, r0, r1, channels, 0, channels);
        }
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
GT_BN_CLONES static void block_backward_sums(double *sum_dy, double *sum_dy_xhat, double *inv_std,
                                             const float *dy, const float *x, const float *mean,
                                             const float *var, int rows, int channels, int c0,
                                             int w, float epsilon)
{
    /* accumulated on this thread's stack: the outputs may share cache lines
     * with another thread's block */
    double s_dy[BN_BLOCK], s_dy_xhat[BN_BLOCK], is[BN_BLOCK];
    for (int k = 0; k < w; ++k) {
        s_dy[k] = s_dy_xhat[k] = 0.0;
        is[k] = gt_bn_inv_std(var[c0 + k], epsilon);
    }
    for (int r = 0; r < rows; ++r) {
        size_t base = (size_t)r * channels + c0;
        for (int k = 0; k < w; ++k) {
            s_dy[k] += (double)dy[base + k];
            s_dy_xhat[k] += gt_bn_dy_xhat_term(dy[base + k], x[base + k], mean[c0 + k], is[k]);
        }
    }
    for (int k = 0; k < w; ++k) {
        sum_dy[k] = s_dy[k];
        sum_dy_xhat[k] = s_dy_xhat[k];
        inv_std[k] = is[k];
    }
}

/* dx of rows [r0, r1) and channels [c0, c1); inv_std[k], mean_dy[k] and
 * mean_dy_xhat[k] are channel c0 + k's. */
GT_BN_CLONES static void dx_rows(float *dx, const float *dy, const float *x, const float *gamma,
                                 const float *mean, const double *inv_std, const double *mean_dy,
                                 const double *mean_dy_xhat, int r0, int r1, int channels, int c0,
                                 int c1)
{
    for (int r = r0; r < r1; ++r) {
        size_t base = (size_t)r * channels;
        for (int c = c0; c < c1; ++c) {
            int k = c - c0;
            dx[base + c] = gt_bn_backward_elem(dy[base + c], x[base + c], mean[c], inv_std[k],
                                               gamma, c, mean_dy[k], mean_dy_xhat[k]);
        }
    }
}

/* dgamma and dbeta from the block's sums, then the sums divided by the
 * rows in place (the means dx takes). */
static void grads_then_means(float *dgamma, float *dbeta, double *sum_dy, double *sum_dy_xhat,
                             int c0, int c1, int rows)
{
    for (int c = c0; c < c1; ++c) {
        int k = c - c0;
        if (dgamma) dgamma[c] = (float)sum_dy_xhat[k];
        if (dbeta) dbeta[c] = (float)sum_dy[k];
        sum_dy[k] /= (double)rows;
        sum_dy_xhat[k] /= (double)rows;
    }
}

gt_status gt_cpu_fast_batchnorm_backward(gt_backend *be, float *dx, float *dgamma, float *dbeta,
                                         const float *dy, const float *x, const float *gamma,
                                         const float *batch_mean, const float *batch_var, int rows,
                                         int channels, float epsilon)
{
    GT_TRY(gt_check_batchnorm("batchnorm_backward", rows, channels, epsilon));
    int threads = gt_cpu_threads(be), w = block_width(channels, threads);
    int blocks = (channels + w - 1) / w, chunks = (rows + BN_ROW_CHUNK - 1) / BN_ROW_CHUNK;
    if (channels > BN_ROWWISE_MAX) {
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1)
        for (int b = 0; b < blocks; ++b) {
            double sum_dy[BN_BLOCK], sum_dy_xhat[BN_BLOCK], inv_std[BN_BLOCK];
            int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
            block_backward_sums(sum_dy, sum_dy_xhat, inv_std, dy, x, batch_mean, batch_var, rows,
                                channels, c0, c1 - c0, epsilon);
            grads_then_means(dgamma, dbeta, sum_dy, sum_dy_xhat, c0, c1, rows);
            dx_rows(dx, dy, x, gamma, batch_mean, inv_std, sum_dy, sum_dy_xhat, 0, rows, channels,
                    c0, c1);
        }
        return GT_OK;
    }
    double sum_dy[BN_ROWWISE_MAX], sum_dy_xhat[BN_ROWWISE_MAX], inv_std[BN_ROWWISE_MAX];
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
        for (int b = 0; b < blocks; ++b) {
            int c0 = b * w, c1 = c0 + w < channels ? c0 + w : channels;
            block_backward_sums(sum_dy + c0, sum_dy_xhat + c0, inv_std + c0, dy, x, batch_mean,
                                batch_var, rows, channels, c0, c1 - c0, epsilon);
            grads_then_means(dgamma, dbeta, sum_dy + c0, sum_dy_xhat + c0, c0, c1, rows);
        }
#pragma omp for schedule(static)
        for (int k = 0; k < chunks; ++k) {
            int r0 = k * BN_ROW_CHUNK, r1 = r0 + BN_ROW_CHUNK < rows ? r0 + BN_ROW_CHUNK : rows;
            dx_rows(dx, dy, x, gamma, batch_mean, inv_std, sum_dy, sum_dy_xhat, r0, r1, channels, 0,
                    channels);
        }
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
    block_sums(acc, x, center, rows, channels, c0, w);
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
    int chunks = (rows + BN_ROW_CHUNK - 1) / BN_ROW_CHUNK;
    /* the per-channel constants once (the reference's values: the same
     * inv_std and the same divisions), then the fused backward's dx pass */
    for (int c0 = 0; c0 < channels; c0 += BN_BLOCK) {
        int c1 = c0 + BN_BLOCK < channels ? c0 + BN_BLOCK : channels;
        double inv_std[BN_BLOCK], mean_dy[BN_BLOCK], mean_dy_xhat[BN_BLOCK];
        for (int c = c0; c < c1; ++c) {
            inv_std[c - c0] = gt_bn_inv_std(var[c], epsilon);
            mean_dy[c - c0] = (double)sums[c] / (double)total_rows;
            mean_dy_xhat[c - c0] = (double)sums[channels + c] / (double)total_rows;
        }
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (chunks > 1)
        for (int k = 0; k < chunks; ++k) {
            int r0 = k * BN_ROW_CHUNK, r1 = r0 + BN_ROW_CHUNK < rows ? r0 + BN_ROW_CHUNK : rows;
            dx_rows(dx, dy, x, gamma, mean, inv_std, mean_dy, mean_dy_xhat, r0, r1, channels, c0,
                    c1);
        }
    }
    return GT_OK;
}
