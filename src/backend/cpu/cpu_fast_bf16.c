/* Precision bf16 around the GEMM: the CPU feature check, the fp32 -> bf16
 * rounding of GEMM inputs, and the bf16 GEMM split over the backend's
 * threads (the primitive itself is cpu_bf16.c's).
 *
 * Only GEMM/conv inputs are rounded: products of two bf16 values are exact in
 * fp32 and accumulate in fp32, and everything else (bias, activations,
 * pooling, loss, optimizer, the master weights) stays fp32, as in PyTorch's
 * autocast on CPUs. */
#include <omp.h>
#include <stdlib.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

int gt_cpu_has_avx512_bf16(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    /* The builtin also checks that the OS saves the AVX-512 state (XCR0). */
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}

/* The shared element function in a loop the compiler vectorizes 16 wide:
 * only called on CPUs that passed gt_cpu_has_avx512_bf16, so AVX-512 code is
 * safe here even though the rest of gtrain is built for baseline x86-64. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx512f,avx512bw,avx512vl")))
#endif
void gt_cpu_bf16_convert(uint16_t *restrict dst, const float *restrict src, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        dst[i] = gt_f32_to_bf16(src[i]);
}

/* Threads worth using for an m x n x k product, as the fp32 path decides. */
static int gemm_parts(int threads, int m, int n, int k)
{
    int extent = m >= n ? m : n;
    int parts = threads;
    double flops = 2.0 * m * n * (double)(k > 0 ? k : 1);
    while (parts > 1 && (flops / parts < 1e6 || extent / parts < 16))
        --parts;
    return parts;
}

/* Thread t of nt computes its slice of C: rows, or columns when C is wider
 * than tall, with edges on multiples of 16 (full kernel tiles). A function of
 * (t, nt) only, so results do not depend on timing. */
static void slice_of_gemm(gt_cpu_bf16 *s, int t, int nt, int trans_a, int trans_b, int m, int n,
                          int k, float alpha, const uint16_t *a, int lda, const uint16_t *b,
                          int ldb, float beta, float *c, int ldc)
{
    int by_rows = m >= n;
    int extent = by_rows ? m : n;
    int lo = (int)((long long)extent * t / nt) & ~15;
    int hi = t == nt - 1 ? extent : (int)((long long)extent * (t + 1) / nt) & ~15;
    if (nt == 1) lo = 0;
    if (hi <= lo) return;
    if (by_rows) {
        const uint16_t *a_part = trans_a ? a + lo : a + (size_t)lo * lda;
        gt_cpu_bf16_gemm_serial(s, trans_a, trans_b, hi - lo, n, k, alpha, a_part, lda, b, ldb,
                                beta, c + (size_t)lo * ldc, ldc);
    } else {
        const uint16_t *b_part = trans_b ? b + (size_t)lo * ldb : b + lo;
        gt_cpu_bf16_gemm_serial(s, trans_a, trans_b, m, hi - lo, k, alpha, a, lda, b_part, ldb,
                                beta, c + lo, ldc);
    }
}

void gt_cpu_bf16_gemm_fast(gt_cpu_bf16 *s, int threads, int trans_a, int trans_b, int m, int n,
                           int k, float alpha, const uint16_t *a, int lda, const uint16_t *b,
                           int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
    int parts = gemm_parts(threads, m, n, k);
    /* Always inside a region of ours, even for one part: the primitives run
     * on the calling thread with per-thread scratchpads indexed by its number. */
#pragma omp parallel num_threads(parts)
    slice_of_gemm(s, omp_get_thread_num(), omp_get_num_threads(), trans_a, trans_b, m, n, k, alpha,
                  a, lda, b, ldb, beta, c, ldc);
}

/* Rows [r0, r1) of a stored rows x cols matrix (leading dimension ld) to a
 * dense bf16 copy (leading dimension cols). */
static void convert_rows(uint16_t *dst, const float *src, int ld, int cols, size_t r0, size_t r1)
{
    for (size_t r = r0; r < r1; ++r)
        gt_cpu_bf16_convert(dst + r * (size_t)cols, src + r * (size_t)ld, (size_t)cols);
}

static size_t round_up64(size_t elems)
{
    return (elems + 31) & ~(size_t)31; /* 32 bf16 = 64 bytes */
}

gt_status gt_cpu_fast_gemm_bf16(gt_backend *be, int trans_a, int trans_b, int m, int n, int k,
                                float alpha, const float *a, int lda, const float *b, int ldb,
                                float beta, float *c, int ldc)
{
    gt_cpu_impl *impl = be->impl;
    if (m <= 0 || n <= 0) return GT_OK;
    /* A is stored (m x k) or, transposed, (k x m); B (k x n) or (n x k). */
    int a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    int b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    size_t a_elems = round_up64((size_t)a_rows * a_cols);
    size_t need = a_elems + round_up64((size_t)b_rows * b_cols);
    if (need > impl->gemm_scratch_elems) {
        free(impl->gemm_scratch);
        impl->gemm_scratch_elems = 0;
        impl->gemm_scratch = aligned_alloc(64, need * sizeof(uint16_t));
        if (!impl->gemm_scratch)
            return gt_fail(GT_ERR_OUT_OF_MEMORY,
                           "gemm (bf16): out of host memory for %zu bytes of bf16 inputs",
                           need * sizeof(uint16_t));
        impl->gemm_scratch_elems = need;
    }
    uint16_t *ab = impl->gemm_scratch, *bb = impl->gemm_scratch + a_elems;
    gt_cpu_bf16 *s = impl->bf16;
    int parts = gemm_parts(impl->threads, m, n, k);
    /* One region: each thread rounds its share of both inputs, then, once
     * all are rounded, computes its slice of C. */
#pragma omp parallel num_threads(parts)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        convert_rows(ab, a, lda, a_cols, (size_t)a_rows * t / nt, (size_t)a_rows * (t + 1) / nt);
        convert_rows(bb, b, ldb, b_cols, (size_t)b_rows * t / nt, (size_t)b_rows * (t + 1) / nt);
#pragma omp barrier
        slice_of_gemm(s, t, nt, trans_a, trans_b, m, n, k, alpha, ab, a_cols > 0 ? a_cols : 1, bb,
                      b_cols > 0 ? b_cols : 1, beta, c, ldc);
    }
    return GT_OK;
}
