/* GEMM through cuBLAS. The table is row-major; cuBLAS is column-major. A
 * row-major (r, c) matrix with leading dimension ld is, read column-major,
 * its transpose with the same ld. So C = op(A) op(B) (row-major) is computed
 * as C^T = op(B)^T op(A)^T (column-major): swap the operands and the sizes m
 * and n, keep each operand's transpose flag. */
#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"
#include "op_checks.h"

gt_status gt_cuda_gemm(gt_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(gt_check_gemm("gemm", trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc));
    if (m == 0 || n == 0) return GT_OK;
    cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    /* fp32: IEEE single precision, no TF32. tf32: tensor cores with inputs
     * rounded to TF32, accumulation in fp32. */
    cublasComputeType_t compute =
        cu->precision == GT_PRECISION_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    GT_CUBLAS_CHECK(cublasGemmEx(cu->cublas, op_b, op_a, n, m, k, &alpha, b, CUDA_R_32F, ldb, a,
                                 CUDA_R_32F, lda, &beta, c, CUDA_R_32F, ldc, compute,
                                 CUBLAS_GEMM_DEFAULT));
    return GT_OK;
}
