/* Fast dense algebra: GEMM through OpenBLAS (or the built-in sgemm), and the
 * OpenMP bias/activation loops the dense and conv layers share. */
#include <omp.h>
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

#ifdef GTRAIN_HAVE_OPENBLAS
/* One thread pool only: OpenBLAS runs single-threaded inside our OpenMP
 * threads, each computing a slice of C. With OpenBLAS' own pthread pool
 * next to libgomp's, the two pools spin against each other after every
 * parallel region (measured 4x slower convolutions on 2 cores unless
 * OMP_WAIT_POLICY=passive). Slices are a function of the thread count only,
 * so results are deterministic for a fixed count. */
static void blas_slices(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                        const float *a, int lda, const float *b, int ldb, float beta, float *c,
                        int ldc)
{
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
    enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    int by_rows = m >= n;
    int extent = by_rows ? m : n;
    /* Below ~1 MFLOP per thread, or fewer than 16 rows/columns each, one
     * call is faster than splitting. */
    int parts = threads;
    double flops = 2.0 * m * n * (double)(k > 0 ? k : 1);
    while (parts > 1 && (flops / parts < 1e6 || extent / parts < 16)) --parts;
    if (parts <= 1) {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#pragma omp parallel num_threads(parts)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        /* Slice edges on multiples of 16 keep the BLAS kernels on full tiles. */
        int lo = (int)((long long)extent * tid / nt) & ~15;
        int hi = tid == nt - 1 ? extent : (int)((long long)extent * (tid + 1) / nt) & ~15;
        if (hi > lo) {
            if (by_rows) {
                const float *a_part = trans_a ? a + lo : a + (size_t)lo * lda;
                cblas_sgemm(CblasRowMajor, ta, tb, hi - lo, n, k, alpha, a_part, lda, b, ldb, beta,
                            c + (size_t)lo * ldc, ldc);
            } else {
                const float *b_part = trans_b ? b + (size_t)lo * ldb : b + lo;
                cblas_sgemm(CblasRowMajor, ta, tb, m, hi - lo, k, alpha, a, lda, b_part, ldb, beta,
                            c + lo, ldc);
            }
        }
    }
}
#endif

void gt_cpu_gemm_fast(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                      int ldc)
{
    if (m <= 0 || n <= 0) return;
#ifdef GTRAIN_HAVE_OPENBLAS
    blas_slices(threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
