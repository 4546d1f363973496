/* The fast GEMM: which library computes it, and how it is split over the
 * backend's OpenMP threads.
 *
 * Library, best first (chosen at build time, see CMakeLists.txt):
 * - oneDNN's dnnl_sgemm (GTRAIN_HAVE_DNNL): JIT kernels for the CPU it runs
 *   on, AVX-512 included. On the 2-core Zen 4 reference machine Debian's
 *   OpenBLAS 0.3.21 selects its Haswell (AVX2) kernels, and dnnl_sgemm ran
 *   every GEMM shape of the zoo models 1.5-2.3x faster per thread;
 * - OpenBLAS' cblas_sgemm (GTRAIN_HAVE_OPENBLAS);
 * - gtrain's own blocked sgemm (cpu_sgemm.c), for a bare GPU machine.
 *
 * One thread pool only: the libraries run single-threaded inside our OpenMP
 * threads, each computing a slice of C. With OpenBLAS' own pthread pool next
 * to libgomp's, the two pools spun against each other after every parallel
 * region (measured 4x slower convolutions on 2 cores unless
 * OMP_WAIT_POLICY=passive). Slices are a function of the thread count only,
 * and each is one serial GEMM, so results are deterministic for a fixed
 * count. */
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "gtrain/status.h"

#ifdef GTRAIN_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef GTRAIN_HAVE_OPENBLAS
#include <cblas.h>
#endif

#if defined(GTRAIN_HAVE_DNNL) || defined(GTRAIN_HAVE_OPENBLAS)
#define GT_EXTERNAL_GEMM 1
#endif

/* Filled once, under pthread_once: two threads creating backends at the
 * same time must not write it together. */
static char library_text[200];
static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void describe_library(void)
{
    char *text = library_text;
    size_t cap = sizeof library_text;
#if defined(GTRAIN_HAVE_DNNL)
    const dnnl_version_t *v = dnnl_version();
    snprintf(text, cap, "oneDNN %d.%d.%d sgemm", v->major, v->minor, v->patch);
#elif defined(GTRAIN_HAVE_OPENBLAS)
    /* The runtime configuration says which kernel set OpenBLAS picked. */
    const char *config = openblas_get_config();
    snprintf(text, cap, "%s", config ? config : "OpenBLAS");
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == ' ')
        text[--len] = '\0';
#else
    snprintf(text, cap, "built-in blocked sgemm");
#endif
}

const char *gt_cpu_gemm_library(void)
{
    (void)pthread_once(&library_once, describe_library);
    return library_text;
}

/* OpenBLAS (used only without oneDNN) keeps one process-wide thread count:
 * gtrain sets it to 1 the first time it runs a GEMM, so that OpenBLAS never
 * starts a pool of its own beside OpenMP's. A program that links gtrain and
 * calls OpenBLAS itself sees that setting (README, CPU performance). */
void gt_cpu_blas_single_threaded(void)
{
#ifdef GTRAIN_HAVE_OPENBLAS
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif
}

#ifdef GTRAIN_HAVE_DNNL
static void onednn_gemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda,
                                  b, ldb, beta, c, ldc);
    /* The arguments were checked; should oneDNN still refuse (it cannot get
     * scratch memory), compute the same product without it. */
    if (st != dnnl_success)
        gt_cpu_sgemm(1, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
#endif

void gt_cpu_gemm_serial(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                        int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
#if defined(GTRAIN_HAVE_DNNL)
    if (k > 0 && omp_in_parallel()) {
        /* Inside an active parallel region oneDNN runs on the calling thread. */
        onednn_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    } else if (k > 0) {
        /* Outside one it would open a team of omp_get_max_threads() (all
         * cores, whatever the backend's count). A one-thread region whose
         * thread-count ICV is 1 keeps it serial; the ICV ends with the region. */
#pragma omp parallel num_threads(1)
        {
            omp_set_num_threads(1);
            onednn_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    } else {
        gt_cpu_sgemm(1, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
#elif defined(GTRAIN_HAVE_OPENBLAS)
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    gt_cpu_sgemm(1, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

#ifdef GT_EXTERNAL_GEMM
/* C split into `threads` slices of rows (or of columns when C is wider than
 * tall), one serial library GEMM per slice. */
static void gemm_slices(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                        const float *a, int lda, const float *b, int ldb, float beta, float *c,
                        int ldc)
{
    gt_cpu_blas_single_threaded();
    int by_rows = m >= n;
    int extent = by_rows ? m : n;
    /* Below ~1 MFLOP per thread, or fewer than 16 rows/columns each, one
     * call is faster than splitting. */
    int parts = threads;
    double flops = 2.0 * m * n * (double)(k > 0 ? k : 1);
    while (parts > 1 && (flops / parts < 1e6 || extent / parts < 16))
        --parts;
    if (parts <= 1) {
        gt_cpu_gemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#pragma omp parallel num_threads(parts)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        /* Slice edges on multiples of 16 keep the kernels on full tiles. */
        int lo = (int)((long long)extent * tid / nt) & ~15;
        int hi = tid == nt - 1 ? extent : (int)((long long)extent * (tid + 1) / nt) & ~15;
        if (hi > lo) {
            if (by_rows) {
                const float *a_part = trans_a ? a + lo : a + (size_t)lo * lda;
                gt_cpu_gemm_serial(trans_a, trans_b, hi - lo, n, k, alpha, a_part, lda, b, ldb,
                                   beta, c + (size_t)lo * ldc, ldc);
            } else {
                const float *b_part = trans_b ? b + (size_t)lo * ldb : b + lo;
                gt_cpu_gemm_serial(trans_a, trans_b, m, hi - lo, k, alpha, a, lda, b_part, ldb,
                                   beta, c + lo, ldc);
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
#ifdef GT_EXTERNAL_GEMM
    gemm_slices(threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    gt_cpu_sgemm(threads, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

gt_status gt_cpu_fast_gemm(gt_backend *be, int trans_a, int trans_b, int m, int n, int k,
                           float alpha, const float *a, int lda, const float *b, int ldb,
                           float beta, float *c, int ldc)
{
    GT_TRY(gt_check_gemm("gemm", trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc));
    if (gt_cpu_bf16_of(be))
        return gt_cpu_fast_gemm_bf16(be, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                                     ldc);
    gt_cpu_gemm_fast(gt_cpu_threads(be), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                     ldc);
    return GT_OK;
}
