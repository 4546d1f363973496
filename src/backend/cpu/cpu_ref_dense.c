/* Reference dense algebra: naive GEMM, bias + activation, bias gradient,
 * ReLU gradient. Plain loops accumulating in double: the oracle. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Element (row, col) of op(M) for a row-major M with leading dimension ld. */
static float op_at(const float *mat, int ld, int trans, int row, int col)
{
    return trans ? mat[(size_t)col * ld + row] : mat[(size_t)row * ld + col];
}

gt_status gt_cpu_ref_gemm(gt_backend *be, int trans_a, int trans_b, int m, int n, int k,
                          float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                          float *c, int ldc)
{
    (void)be;
    GT_TRY(gt_check_gemm("gemm", trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc));
    for (int i = 0; i < m; ++i) {
        for (int j = 0; j < n; ++j) {
            double sum = 0.0;
            for (int p = 0; p < k; ++p)
                sum += (double)op_at(a, lda, trans_a, i, p) * (double)op_at(b, ldb, trans_b, p, j);
            float *cij = &c[(size_t)i * ldc + j];
            /* BLAS convention: beta == 0 ignores C's old content (even NaN). */
            double old = beta == 0.0f ? 0.0 : (double)beta * (double)*cij;
            *cij = (float)((double)alpha * sum + old);
        }
    }
    return GT_OK;
}

gt_status gt_cpu_ref_bias_act_forward(gt_backend *be, float *y, const float *bias, int rows,
                                      int cols, gt_activation act)
{
    (void)be;
    GT_TRY(gt_check_act("bias_act_forward", act));
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_act_forward: rows=%d cols=%d", rows, cols);
    for (int r = 0; r < rows; ++r) {
        for (int col = 0; col < cols; ++col) {
            float v = y[(size_t)r * cols + col];
            if (bias) v += bias[col];
            y[(size_t)r * cols + col] = act == GT_ACT_RELU ? gt_relu(v) : v;
        }
    }
    return GT_OK;
}

gt_status gt_cpu_ref_bias_backward(gt_backend *be, float *db, const float *dy, int rows, int cols)
{
    (void)be;
    if (rows < 0 || cols < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "bias_backward: rows=%d cols=%d", rows, cols);
    for (int col = 0; col < cols; ++col) {
        double sum = 0.0;
        for (int r = 0; r < rows; ++r)
            sum += (double)dy[(size_t)r * cols + col];
        db[col] = (float)sum;
    }
    return GT_OK;
}

gt_status gt_cpu_ref_relu_backward(gt_backend *be, float *dx, const float *dy, const float *y,
                                   size_t count)
{
    (void)be;
    for (size_t i = 0; i < count; ++i)
        dx[i] = gt_relu_grad(dy[i], y[i]);
    return GT_OK;
}
