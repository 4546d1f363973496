/* Internal to src/backend/cpu: the backend's private state, the argument checks the
 * reference and fast ops share, and every op of both tables. The reference
 * ops (cpu_ref_*.c) are plain single-threaded loops that accumulate in double:
 * the oracle. The fast ops (cpu_fast_*.c) have the same semantics and use a
 * library sgemm (oneDNN or OpenBLAS, cpu_fast_gemm.c) and OpenMP; they are
 * deterministic for a fixed thread count (no atomics, reductions in a fixed
 * order) and allocate nothing themselves (the GEMM libraries keep their own
 * packing buffers), except with precision bf16, whose per-thread oneDNN
 * scratchpads and dense-GEMM input copies grow the first time a larger shape
 * appears (the first step) and are reused from then on. */
#ifndef GT_CPU_INTERNAL_H
#define GT_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/backend.h"
#include "op_checks.h"

/* Per-thread partial sums live in fixed arrays of this size on the stack. */
#define GT_CPU_MAX_THREADS 256

/* bf16 GEMM state (cpu_bf16.c): oneDNN matmul primitives cached per shape. */
typedef struct gt_cpu_bf16 gt_cpu_bf16;

typedef struct gt_cpu_impl {
    int threads;       /* OpenMP threads of the fast ops (GEMM libraries run inside them) */
    int reference;     /* 1: the reference table */
    gt_cpu_bf16 *bf16; /* non-NULL: precision bf16 (GEMM and conv inputs rounded to bf16) */
    /* bf16 copies of the dense GEMM's inputs: the table's gemm has no
     * workspace argument, so the backend keeps one buffer, grown only when a
     * larger shape first appears (the first step), never freed per call. */
    uint16_t *gemm_scratch;
    size_t gemm_scratch_elems;
    char description[400];
} gt_cpu_impl;

static inline int gt_cpu_threads(const gt_backend *be)
{
    return ((const gt_cpu_impl *)be->impl)->threads;
}

static inline gt_cpu_bf16 *gt_cpu_bf16_of(const gt_backend *be)
{
    return ((const gt_cpu_impl *)be->impl)->bf16;
}

/* ---- bf16 (cpu_bf16.c, cpu_fast_bf16.c) ---- */
/* 1 when the CPU and OS support AVX512_BF16 (and the AVX-512 it builds on). */
int gt_cpu_has_avx512_bf16(void);
/* GT_ERR_UNSUPPORTED with the reason when this build or CPU has no fast bf16 GEMM. */
gt_status gt_cpu_bf16_create(int threads, gt_cpu_bf16 **out);
void gt_cpu_bf16_destroy(gt_cpu_bf16 *s);
/* oneDNN's name for the kernel it runs ("brg:avx512_core_bf16"). */
const char *gt_cpu_bf16_kernel(const gt_cpu_bf16 *s);
/* dst[i] = bf16(src[i]), round to nearest even (gt_f32_to_bf16); AVX-512 CPUs only. */
void gt_cpu_bf16_convert(uint16_t *dst, const float *src, size_t n);
/* C(fp32) = alpha op(A) op(B) + beta C with bf16 A and B, fp32 accumulation:
 * serial (call from inside a parallel region or with one thread), and split
 * over `threads` like gt_cpu_gemm_fast. */
void gt_cpu_bf16_gemm_serial(gt_cpu_bf16 *s, int trans_a, int trans_b, int m, int n, int k,
                             float alpha, const uint16_t *a, int lda, const uint16_t *b, int ldb,
                             float beta, float *c, int ldc);
void gt_cpu_bf16_gemm_fast(gt_cpu_bf16 *s, int threads, int trans_a, int trans_b, int m, int n,
                           int k, float alpha, const uint16_t *a, int lda, const uint16_t *b,
                           int ldb, float beta, float *c, int ldc);
/* The dense op in bf16: converts both inputs into the backend's scratch. */
gt_status gt_cpu_fast_gemm_bf16(gt_backend *be, int trans_a, int trans_b, int m, int n, int k,
                                float alpha, const float *a, int lda, const float *b, int ldb,
                                float beta, float *c, int ldc);

/* ---- sgemm without oneDNN or OpenBLAS (cpu_sgemm.c): cache-blocked, OpenMP ---- */
void gt_cpu_sgemm(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
/* The fast GEMM (cpu_fast_gemm.c): dnnl_sgemm with GTRAIN_HAVE_DNNL, else
 * cblas_sgemm with GTRAIN_HAVE_OPENBLAS, else gt_cpu_sgemm; split over threads. */
void gt_cpu_gemm_fast(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                      int ldc);
/* "oneDNN 2.6.3 sgemm", "OpenBLAS 0.3.21 ..." or "built-in blocked sgemm". */
const char *gt_cpu_gemm_library(void);

/* Serial GEMM for callers that split the work over OpenMP threads themselves
 * (call gt_cpu_blas_single_threaded() first, outside the parallel region). */
void gt_cpu_blas_single_threaded(void);
void gt_cpu_gemm_serial(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Column packing of the fast conv (cpu_fast_im2col.c), single-threaded:
 * column rows [row0, row0 + count) of the whole batch, and dx of one image
 * from that image's column gradient (overwritten, not accumulated). */
void gt_cpu_im2col_rows(const gt_conv_geom *g, float *col, const float *x, size_t row0,
                        size_t count);
/* The same rows written as bf16 (precision bf16): packing and rounding in one pass. */
void gt_cpu_im2col_rows_bf16(const gt_conv_geom *g, uint16_t *col, const float *x, size_t row0,
                             size_t count);
void gt_cpu_col2im_image(const gt_conv_geom *g, float *dx_image, const float *col);

/* Fast building blocks reused by the fast conv. */
void gt_cpu_bias_act_serial(float *y, const float *bias, size_t rows, int cols, gt_activation act);
void gt_cpu_fast_bias_act_rows(int threads, float *y, const float *bias, size_t rows, int cols,
                               gt_activation act);
void gt_cpu_fast_bias_sum_rows(int threads, float *db, const float *dy, size_t rows, int cols);

/* ---- the two tables: gt_cpu_ref_<op> (plain loops) and gt_cpu_fast_<op> ---- */
#define GT_CPU_REF_PROTO_(name, ret, params) ret gt_cpu_ref_##name params;
#define GT_CPU_FAST_PROTO_(name, ret, params) ret gt_cpu_fast_##name params;
GT_BACKEND_OPS(GT_CPU_REF_PROTO_)
GT_BACKEND_OPS(GT_CPU_FAST_PROTO_)
#undef GT_CPU_REF_PROTO_
#undef GT_CPU_FAST_PROTO_

#endif
