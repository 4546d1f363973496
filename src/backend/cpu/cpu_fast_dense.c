/* Fast dense helpers: the OpenMP bias/activation loops the dense and conv
 * layers share (the GEMM itself is cpu_fast_gemm.c's). */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Columns of the bias gradient one task owns: its double accumulators stay in
 * registers/L1, and the rows it reads are contiguous 128-byte runs. */
#define BIAS_COL_BLOCK 32

void gt_cpu_bias_act_serial(float *y, const float *bias, size_t rows, int cols, gt_activation act)
{
    for (size_t r = 0; r < rows; ++r) {
        float *row = y + r * (size_t)cols;
        if (bias && act == GT_ACT_RELU)
            for (int j = 0; j < cols; ++j)
                row[j] = gt_relu(row[j] + bias[j]);
        else if (bias)
            for (int j = 0; j < cols; ++j)
                row[j] += bias[j];
        else if (act == GT_ACT_RELU)
            for (int j = 0; j < cols; ++j)
                row[j] = gt_relu(row[j]);
    }
}

void gt_cpu_fast_bias_act_rows(int threads, float *y, const float *bias, size_t rows, int cols,
                               gt_activation act)
{
    if (!bias && act == GT_ACT_LINEAR) return;
    long long nrows = (long long)rows;
#pragma omp parallel for num_threads(threads) schedule(static) if (rows * (size_t)cols > 32768)
    for (long long r = 0; r < nrows; ++r)
        gt_cpu_bias_act_serial(y + (size_t)r * cols, bias, 1, cols, act);
}

gt_status gt_cpu_fast_bias_act_forward(gt_backend *be, float *y, const float *bias, int rows,
                                       int cols, gt_activation act)
{
    GT_TRY(gt_check_act("bias_act_forward", act));
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_act_forward: rows=%d cols=%d", rows, cols);
    gt_cpu_fast_bias_act_rows(gt_cpu_threads(be), y, bias, (size_t)rows, cols, act);
    return GT_OK;
}

void gt_cpu_fast_bias_sum_rows(int threads, float *db, const float *dy, size_t rows, int cols)
{
    /* Each task owns a block of columns and sums every row in order, in
     * double: no cross-thread reduction, so the result is the same for any
     * thread count (and bitwise the reference's). Blocks narrower than
     * BIAS_COL_BLOCK when there are few columns, so that the 8 to 32 channels
     * of a small CNN's conv layer still split over the threads: one thread
     * summing 120k rows alone was 4-5% of a cnn-signs step. */
    int width_max = (cols + threads - 1) / threads;
    width_max = (width_max + 3) & ~3; /* whole 16-byte vectors per row */
    if (width_max > BIAS_COL_BLOCK) width_max = BIAS_COL_BLOCK;
    if (width_max < 4) width_max = 4;
    int blocks = (cols + width_max - 1) / width_max;
#pragma omp parallel for num_threads(threads)                                                      \
    schedule(static) if (blocks > 1 && rows * (size_t)cols > 32768)
    for (int blk = 0; blk < blocks; ++blk) {
        int c0 = blk * width_max;
        int width = cols - c0 < width_max ? cols - c0 : width_max;
        double acc[BIAS_COL_BLOCK] = {0};
        for (size_t r = 0; r < rows; ++r) {
            const float *row = dy + r * (size_t)cols + c0;
            for (int j = 0; j < width; ++j)
                acc[j] += (double)row[j];
        }
        for (int j = 0; j < width; ++j)
            db[c0 + j] = (float)acc[j];
    }
}

gt_status gt_cpu_fast_bias_backward(gt_backend *be, float *db, const float *dy, int rows, int cols)
{
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_backward: rows=%d cols=%d", rows, cols);
    gt_cpu_fast_bias_sum_rows(gt_cpu_threads(be), db, dy, (size_t)rows, cols);
    return GT_OK;
}

gt_status gt_cpu_fast_relu_backward(gt_backend *be, float *dx, const float *dy, const float *y,
                                    size_t count)
{
    long long n = (long long)count;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (count > 65536)
    for (long long i = 0; i < n; ++i)
        dx[i] = gt_relu_grad(dy[i], y[i]);
    return GT_OK;
}
