/* bf16 GEMM for --precision bf16: bf16 inputs, fp32 accumulation and output,
 * through oneDNN's matmul primitive (the dnnl_sgemm C API has no bf16 form).
 *
 * Why oneDNN's matmul rather than a hand-written _mm512_dpbf16_ps kernel: on
 * the 2-core Zen 4 reference machine its brgemm kernel (brg:avx512_core_bf16)
 * ran the VGG-16 GEMM shapes 1.5-2.5x faster per thread than dnnl_sgemm
 * (1024x512x4608: 11.0 ms vs 28.1 ms; 512x4608x512: 10.5 vs 20.0 ms), which
 * is close to the chip's bf16 peak; a new micro-kernel would at best match it.
 *
 * Primitives are created once per shape (M, N, K, transposes, leading
 * dimensions, alpha, beta) and cached for the backend's life: creation costs
 * 0.5-15 ms, so only the first step of a shape pays it. As with the fp32
 * path, every primitive runs single-threaded inside gtrain's own OpenMP
 * threads (created and run with the thread-count ICV at 1, so its blocking
 * is planned for one thread), on slices that depend only on the thread
 * count: results are bit-identical run to run. Scratchpads are user-managed,
 * one per thread, grown by their own thread the first time a shape needs
 * more, so concurrent executions never share one. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

typedef struct bf16_key {
    int m, n, k, trans_a, trans_b, lda, ldb, ldc;
    float alpha, beta;
} bf16_key;

/* The same product in plain loops (fp32 accumulation of exact bf16 products):
 * where oneDNN refused a shape (or is absent), so the op still completes
 * correctly, only slower. */
static void gemm_plain(const bf16_key *k, const uint16_t *a, const uint16_t *b, float *c)
{
    for (int i = 0; i < k->m; ++i)
        for (int j = 0; j < k->n; ++j) {
            float acc = 0.0f;
            for (int p = 0; p < k->k; ++p) {
                float av = gt_bf16_to_f32(k->trans_a ? a[(size_t)p * k->lda + i]
                                                     : a[(size_t)i * k->lda + p]);
                float bv = gt_bf16_to_f32(k->trans_b ? b[(size_t)j * k->ldb + p]
                                                     : b[(size_t)p * k->ldb + j]);
                acc += av * bv;
            }
            float *cij = c + (size_t)i * k->ldc + j;
            *cij = k->alpha * acc + (k->beta != 0.0f ? k->beta * *cij : 0.0f);
        }
}

#ifdef GTRAIN_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

/* Distinct GEMM shapes one backend keeps primitives for. VGG-16 at two batch
 * sizes needs ~150; past the limit a shape gets a primitive per call. */
#define BF16_CACHE_SLOTS 2048

typedef struct bf16_prim {
    bf16_key key;
    dnnl_primitive_t prim;
    size_t scratch_bytes;
    /* per thread: src, weights, dst, scratchpad memory objects (handles set per call) */
    dnnl_memory_t *mem;
} bf16_prim;

typedef struct bf16_thread {
    void *scratch;
    size_t scratch_bytes;
} bf16_thread;

struct gt_cpu_bf16 {
    int threads;
    dnnl_engine_t engine;
    dnnl_stream_t *streams; /* one per thread: streams are not thread-safe */
    bf16_thread *per_thread;
    bf16_prim *slots[BF16_CACHE_SLOTS];
    int count;
    char kernel[96]; /* oneDNN's implementation name, for describe() */
};

static int key_equal(const bf16_key *a, const bf16_key *b)
{
    return a->m == b->m && a->n == b->n && a->k == b->k && a->trans_a == b->trans_a &&
           a->trans_b == b->trans_b && a->lda == b->lda && a->ldb == b->ldb && a->ldc == b->ldc &&
           memcmp(&a->alpha, &b->alpha, sizeof a->alpha) == 0 &&
           memcmp(&a->beta, &b->beta, sizeof a->beta) == 0;
}

static unsigned key_hash(const bf16_key *k)
{
    unsigned h = 2166136261u;
    const int v[8] = {k->m, k->n, k->k, k->trans_a, k->trans_b, k->lda, k->ldb, k->ldc};
    for (int i = 0; i < 8; ++i)
        h = (h ^ (unsigned)v[i]) * 16777619u;
    uint32_t ab[2];
    memcpy(&ab[0], &k->alpha, 4);
    memcpy(&ab[1], &k->beta, 4);
    h = (h ^ ab[0]) * 16777619u;
    h = (h ^ ab[1]) * 16777619u;
    return h;
}

/* Row-major op(A) (m x k), op(B) (k x n), C (m x n) as strided descriptors:
 * a transposed operand is the same buffer read with swapped strides. */
static dnnl_status_t create_pd(dnnl_engine_t engine, const bf16_key *k, dnnl_primitive_desc_t *pd)
{
    dnnl_memory_desc_t a, b, c;
    dnnl_dims_t a_dims = {k->m, k->k}, b_dims = {k->k, k->n}, c_dims = {k->m, k->n};
    dnnl_dims_t a_strides = {k->trans_a ? 1 : k->lda, k->trans_a ? k->lda : 1};
    dnnl_dims_t b_strides = {k->trans_b ? 1 : k->ldb, k->trans_b ? k->ldb : 1};
    dnnl_dims_t c_strides = {k->ldc, 1};
    dnnl_status_t st = dnnl_memory_desc_init_by_strides(&a, 2, a_dims, dnnl_bf16, a_strides);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_strides(&b, 2, b_dims, dnnl_bf16, b_strides);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_strides(&c, 2, c_dims, dnnl_f32, c_strides);
    dnnl_matmul_desc_t md;
    if (st == dnnl_success) st = dnnl_matmul_desc_init(&md, &a, &b, NULL, &c);
    if (st != dnnl_success) return st;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post = NULL;
    st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success && k->alpha != 1.0f)
        st = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &k->alpha);
    if (st == dnnl_success && k->beta != 0.0f) {
        /* C = alpha A B + beta C: the sum post-op adds beta times the old C */
        st = dnnl_post_ops_create(&post);
        if (st == dnnl_success) st = dnnl_post_ops_append_sum(post, k->beta);
        if (st == dnnl_success) st = dnnl_primitive_attr_set_post_ops(attr, post);
    }
    /* Plan for the one thread it will run on (see the file comment). */
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    if (st == dnnl_success) st = dnnl_primitive_desc_create(pd, &md, attr, engine, NULL);
    omp_set_num_threads(saved);
    if (post) dnnl_post_ops_destroy(post);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return st;
}

static void prim_free(bf16_prim *p, int threads)
{
    if (!p) return;
    if (p->mem)
        for (int i = 0; i < 4 * threads; ++i)
            if (p->mem[i]) dnnl_memory_destroy(p->mem[i]);
    if (p->prim) dnnl_primitive_destroy(p->prim);
    free(p->mem);
    free(p);
}

static bf16_prim *prim_create(gt_cpu_bf16 *s, const bf16_key *key)
{
    bf16_prim *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->key = *key;
    p->mem = calloc((size_t)4 * s->threads, sizeof *p->mem);
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = p->mem ? create_pd(s->engine, key, &pd) : dnnl_out_of_memory;
    if (st == dnnl_success) st = dnnl_primitive_create(&p->prim, pd);
    static const dnnl_query_t which[4] = {dnnl_query_src_md, dnnl_query_weights_md,
                                          dnnl_query_dst_md, dnnl_query_scratchpad_md};
    for (int q = 0; q < 4 && st == dnnl_success; ++q) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, which[q], 0);
        if (q == 3) p->scratch_bytes = md ? dnnl_memory_desc_get_size(md) : 0;
        for (int t = 0; t < s->threads && st == dnnl_success; ++t) {
            if (q == 3 && p->scratch_bytes == 0) break;
            st = dnnl_memory_create(&p->mem[4 * t + q], md, s->engine, DNNL_MEMORY_NONE);
        }
    }
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) {
        prim_free(p, s->threads);
        return NULL;
    }
    return p;
}

/* The cached primitive for `key`, created on first use. *owned = 1 when the
 * cache was full and the caller must free it after use. */
static bf16_prim *prim_lookup(gt_cpu_bf16 *s, const bf16_key *key, int *owned)
{
    bf16_prim *found = NULL;
    *owned = 0;
#pragma omp critical(gt_cpu_bf16_cache)
    {
        unsigned h = key_hash(key) % BF16_CACHE_SLOTS;
        for (unsigned probe = 0; probe < BF16_CACHE_SLOTS; ++probe) {
            unsigned i = (h + probe) % BF16_CACHE_SLOTS;
            if (!s->slots[i]) {
                if (s->count < BF16_CACHE_SLOTS - 1) {
                    s->slots[i] = prim_create(s, key);
                    if (s->slots[i]) ++s->count;
                    found = s->slots[i];
                }
                break;
            }
            if (key_equal(&s->slots[i]->key, key)) {
                found = s->slots[i];
                break;
            }
        }
    }
    if (!found) {
        found = prim_create(s, key);
        *owned = found != NULL;
    }
    return found;
}

void gt_cpu_bf16_gemm_serial(gt_cpu_bf16 *s, int trans_a, int trans_b, int m, int n, int k,
                             float alpha, const uint16_t *a, int lda, const uint16_t *b, int ldb,
                             float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
    bf16_key key = {m, n, k, trans_a ? 1 : 0, trans_b ? 1 : 0, lda, ldb, ldc, alpha, beta};
    if (k <= 0) {
        gemm_plain(&key, a, b, c); /* C = beta C: no products to take */
        return;
    }
    int t = omp_get_thread_num();
    if (t >= s->threads) t = 0; /* not ours: only called from gtrain's regions */
    int owned = 0;
    bf16_prim *p = prim_lookup(s, &key, &owned);
    bf16_thread *me = &s->per_thread[t];
    if (p && p->scratch_bytes > me->scratch_bytes) {
        /* This thread's scratchpad, grown once per larger shape. */
        free(me->scratch);
        me->scratch_bytes = 0;
        me->scratch = aligned_alloc(64, (p->scratch_bytes + 63) & ~(size_t)63);
        if (me->scratch) me->scratch_bytes = p->scratch_bytes;
    }
    dnnl_status_t st =
        p && p->scratch_bytes <= me->scratch_bytes ? dnnl_success : dnnl_out_of_memory;
    dnnl_memory_t *mem = p ? p->mem + 4 * t : NULL;
    if (st == dnnl_success) st = dnnl_memory_set_data_handle(mem[0], (void *)a);
    if (st == dnnl_success) st = dnnl_memory_set_data_handle(mem[1], (void *)b);
    if (st == dnnl_success) st = dnnl_memory_set_data_handle(mem[2], c);
    if (st == dnnl_success && p->scratch_bytes)
        st = dnnl_memory_set_data_handle(mem[3], me->scratch);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mem[0]},
                                   {DNNL_ARG_WEIGHTS, mem[1]},
                                   {DNNL_ARG_DST, mem[2]},
                                   {DNNL_ARG_SCRATCHPAD, mem[3]}};
        int saved = omp_get_max_threads();
        omp_set_num_threads(1);
        st = dnnl_primitive_execute(p->prim, s->streams[t], p->scratch_bytes ? 4 : 3, args);
        omp_set_num_threads(saved);
    }
    if (st != dnnl_success) gemm_plain(&key, a, b, c);
    if (owned) prim_free(p, s->threads);
}

gt_status gt_cpu_bf16_create(int threads, gt_cpu_bf16 **out)
{
    *out = NULL;
    gt_cpu_bf16 *s = calloc(1, sizeof *s);
    if (!s) return gt_fail(GT_ERR_OUT_OF_MEMORY, "cpu backend: out of memory for the bf16 state");
    s->threads = threads;
    s->streams = calloc((size_t)threads, sizeof *s->streams);
    s->per_thread = calloc((size_t)threads, sizeof *s->per_thread);
    gt_status result = GT_OK;
    if (!s->streams || !s->per_thread) {
        result = gt_fail(GT_ERR_OUT_OF_MEMORY, "cpu backend: out of memory for the bf16 state");
    } else if (dnnl_engine_create(&s->engine, dnnl_cpu, 0) != dnnl_success) {
        result =
            gt_fail(GT_ERR_UNSUPPORTED, "precision bf16: oneDNN could not create a CPU engine");
    } else {
        for (int t = 0; t < threads && result == GT_OK; ++t)
            if (dnnl_stream_create(&s->streams[t], s->engine, dnnl_stream_default_flags) !=
                dnnl_success)
                result =
                    gt_fail(GT_ERR_UNSUPPORTED, "precision bf16: oneDNN stream creation failed");
    }
    if (result == GT_OK) {
        /* oneDNN falls back to reference loops where its JIT has no bf16
         * kernel for the CPU; that would be far slower than fp32, so refuse. */
        bf16_key probe = {64, 64, 64, 0, 1, 64, 64, 64, 1.0f, 0.0f};
        dnnl_primitive_desc_t pd = NULL;
        const char *impl = NULL;
        if (create_pd(s->engine, &probe, &pd) == dnnl_success)
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        if (!impl || strstr(impl, "ref"))
            result = gt_fail(GT_ERR_UNSUPPORTED,
                             "precision bf16: oneDNN has no optimized bf16 matmul for this CPU "
                             "(implementation '%s'); use fp32",
                             impl ? impl : "none");
        else
            snprintf(s->kernel, sizeof s->kernel, "%s", impl);
        if (pd) dnnl_primitive_desc_destroy(pd);
    }
    if (result != GT_OK) {
        gt_cpu_bf16_destroy(s);
        return result;
    }
    *out = s;
    return GT_OK;
}

void gt_cpu_bf16_destroy(gt_cpu_bf16 *s)
{
    if (!s) return;
    for (int i = 0; i < BF16_CACHE_SLOTS; ++i)
        prim_free(s->slots[i], s->threads);
    if (s->streams)
        for (int t = 0; t < s->threads; ++t)
            if (s->streams[t]) dnnl_stream_destroy(s->streams[t]);
    if (s->per_thread)
        for (int t = 0; t < s->threads; ++t)
            free(s->per_thread[t].scratch);
    if (s->engine) dnnl_engine_destroy(s->engine);
    free(s->streams);
    free(s->per_thread);
    free(s);
}

const char *gt_cpu_bf16_kernel(const gt_cpu_bf16 *s)
{
    return s->kernel;
}

#else /* no oneDNN: no bf16 GEMM */

gt_status gt_cpu_bf16_create(int threads, gt_cpu_bf16 **out)
{
    (void)threads;
    *out = NULL;
    return gt_fail(GT_ERR_UNSUPPORTED,
                   "precision bf16 needs oneDNN's bf16 matmul, and this gtrain was built without "
                   "oneDNN (install libdnnl-dev and rebuild); use fp32");
}

void gt_cpu_bf16_destroy(gt_cpu_bf16 *s)
{
    (void)s;
}

const char *gt_cpu_bf16_kernel(const gt_cpu_bf16 *s)
{
    (void)s;
    return "";
}

void gt_cpu_bf16_gemm_serial(gt_cpu_bf16 *s, int trans_a, int trans_b, int m, int n, int k,
                             float alpha, const uint16_t *a, int lda, const uint16_t *b, int ldb,
                             float beta, float *c, int ldc)
{
    /* Creation fails without oneDNN, so no backend reaches this; should one,
     * the product is still right. */
    (void)s;
    if (m <= 0 || n <= 0) return;
    bf16_key key = {m, n, k, trans_a ? 1 : 0, trans_b ? 1 : 0, lda, ldb, ldc, alpha, beta};
    gemm_plain(&key, a, b, c);
}
#endif
