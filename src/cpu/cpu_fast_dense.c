/* Fast dense algebra: GEMM through OpenBLAS (or the built-in sgemm), and the
 * OpenMP bias/activation loops the dense and conv layers share. */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "error.h"

#ifdef GTRAIN_HAVE_OPENBLAS
#include <cblas.h>
#endif

/* Columns of the bias gradient one task owns: its double accumulators stay in
 * registers/L1, and the rows it reads are contiguous 128-byte runs. */
#define BIAS_COL_BLOCK 32

const char *gt_cpu_gemm_library(void)
{
#ifdef GTRAIN_HAVE_OPENBLAS
    static char text[200];
    if (!text[0]) {
        /* The runtime configuration says which kernel set OpenBLAS picked. */
        const char *config = openblas_get_config();
        snprintf(text, sizeof text, "%s", config ? config : "OpenBLAS");
        size_t len = strlen(text);
        while (len > 0 && text[len - 1] == ' ') text[--len] = '\0';
    }
    return text;
#else
    return "built-in blocked sgemm";
#endif
}

void gt_cpu_gemm_fast(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                      int ldc)
{
    if (m <= 0 || n <= 0) return;
#ifdef GTRAIN_HAVE_OPENBLAS
    /* OpenBLAS keeps its own thread pool; match the backend's count. */
    if (openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    gt_cpu_sgemm(threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

gt_status gt_cpu_fast_gemm(gt_backend *be, int trans_a, int trans_b, int m, int n, int k,
                           float alpha, const float *a, int lda, const float *b, int ldb,
                           float beta, float *c, int ldc)
{
    GT_TRY(gt_cpu_check_gemm("gemm", trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc));
    gt_cpu_gemm_fast(gt_cpu_threads(be), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                     ldc);
    return GT_OK;
}

void gt_cpu_fast_bias_act_rows(int threads, float *y, const float *bias, size_t rows, int cols,
                               gt_activation act)
{
    if (!bias && act == GT_ACT_LINEAR) return;
    long long nrows = (long long)rows;
#pragma omp parallel for num_threads(threads) schedule(static) if (rows * (size_t)cols > 32768)
    for (long long r = 0; r < nrows; ++r) {
        float *row = y + (size_t)r * cols;
        if (bias && act == GT_ACT_RELU)
            for (int j = 0; j < cols; ++j) row[j] = gt_relu(row[j] + bias[j]);
        else if (bias)
            for (int j = 0; j < cols; ++j) row[j] += bias[j];
        else
            for (int j = 0; j < cols; ++j) row[j] = gt_relu(row[j]);
    }
}

gt_status gt_cpu_fast_bias_act_forward(gt_backend *be, float *y, const float *bias, int rows,
                                       int cols, gt_activation act)
{
    GT_TRY(gt_cpu_check_act("bias_act_forward", act));
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_act_forward: rows=%d cols=%d", rows, cols);
    gt_cpu_fast_bias_act_rows(gt_cpu_threads(be), y, bias, (size_t)rows, cols, act);
    return GT_OK;
}

void gt_cpu_fast_bias_sum_rows(int threads, float *db, const float *dy, size_t rows, int cols)
{
    /* Each task owns a block of columns and sums every row in order, in
     * double: no cross-thread reduction, so the result is the same for any
     * thread count. */
    int blocks = (cols + BIAS_COL_BLOCK - 1) / BIAS_COL_BLOCK;
#pragma omp parallel for num_threads(threads) schedule(static) if (blocks > 1 && rows * (size_t)cols > 32768)
    for (int blk = 0; blk < blocks; ++blk) {
        int c0 = blk * BIAS_COL_BLOCK;
        int width = cols - c0 < BIAS_COL_BLOCK ? cols - c0 : BIAS_COL_BLOCK;
        double acc[BIAS_COL_BLOCK] = {0};
        for (size_t r = 0; r < rows; ++r) {
            const float *row = dy + r * (size_t)cols + c0;
            for (int j = 0; j < width; ++j) acc[j] += (double)row[j];
        }
        for (int j = 0; j < width; ++j) db[c0 + j] = (float)acc[j];
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
    for (long long i = 0; i < n; ++i) dx[i] = gt_relu_grad(dy[i], y[i]);
    return GT_OK;
}
