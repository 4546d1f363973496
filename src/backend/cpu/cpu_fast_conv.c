/* Fast 2D convolution: im2col + sgemm.
 *
 * The column matrix has one row per output pixel (image, oh, ow) and one
 * column per filter tap (kh, kw, ic) — the same order as an OHWI filter row —
 * so with K = k_h k_w in_c:
 *   forward          y(rows, out_c)  = col(rows, K) w(out_c, K)^T
 *   backward data    dcol(rows, K)   = dy(rows, out_c) w(out_c, K), then col2im
 *   backward filter  dw(out_c, K)   += dy(rows, out_c)^T col(rows, K)
 * A 1x1 stride-1 unpadded convolution is already a GEMM on x itself and needs
 * no workspace.
 *
 * Threading: one OpenMP region per op, each thread a pipeline over its own
 * share of the batch — im2col into its own slice of the workspace, a serial
 * sgemm, the epilogue — with no barrier between the steps. The earlier form
 * (a parallel im2col, then one GEMM split across threads, then a parallel
 * epilogue) woke the team three times per chunk and, for the filter gradient
 * of the small layers (out_c x K = 8 x 27), could not split the GEMM at all:
 * one core did the whole reduction over the batch. Now:
 *   forward          thread t owns a contiguous range of column rows;
 *   backward filter  thread t sums its row range into its own partial dw,
 *                    then the partials are added in thread order (fixed
 *                    order: bit-identical for a fixed thread count);
 *   backward data    thread t owns whole images (col2im needs every column
 *                    row of an image) and scatters them in a fixed order.
 * Chunks are sized so a thread's columns stay in L2 for the GEMM that reads
 * them, but never below 256 rows, so the weight panel the GEMM packs per call
 * is amortized. */
#include <omp.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "gtrain/status.h"

/* Columns per thread that stay in L2 (1 MiB per core on Zen 4, 2 MiB on
 * recent Intel) next to the GEMM's packed panels. */
#define CONV_COL_L2_BYTES ((size_t)512 << 10)
/* Columns per thread at most (unless one image needs more), so the workspace
 * stays bounded for VGG-16 at batch 256. */
#define CONV_COL_MAX_BYTES ((size_t)8 << 20)
/* Fewest column rows per GEMM call (amortizes packing the weights). */
#define CONV_MIN_CHUNK_ROWS 256
/* Fewest column rows worth a thread of their own. */
#define CONV_MIN_THREAD_ROWS 32

static int is_pointwise(const gt_conv_geom *g)
{
    return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
           g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

static size_t taps(const gt_conv_geom *g)
{
    return (size_t)g->k_h * g->k_w * g->in_c;
}

static size_t out_pixels(const gt_conv_geom *g)
{
    return (size_t)g->out_h * g->out_w;
}

/* How the workspace is cut. The ops and conv2d_workspace_bytes must agree. */
typedef struct conv_plan {
    int threads;       /* threads the ops may use (the backend's count) */
    size_t chunk_rows; /* column rows per GEMM call (forward, filter gradient) */
    size_t slice_rows; /* column rows in each thread's slice: >= chunk, >= one image */
    size_t partial;    /* floats of one partial filter gradient (out_c x K) */
} conv_plan;

static conv_plan make_plan(int threads, const gt_conv_geom *g)
{
    conv_plan p;
    size_t k_bytes = taps(g) * sizeof(float);
    size_t weight_bytes = (size_t)g->out_c * k_bytes;
    /* Big filters (VGG's 512 x 4608) want long GEMMs over their packed copy. */
    size_t target = CONV_COL_L2_BYTES > 2 * weight_bytes ? CONV_COL_L2_BYTES : 2 * weight_bytes;
    if (target > CONV_COL_MAX_BYTES) target = CONV_COL_MAX_BYTES;
    size_t rows = target / k_bytes;
    if (rows < CONV_MIN_CHUNK_ROWS) rows = CONV_MIN_CHUNK_ROWS;
    size_t total = (size_t)g->n * out_pixels(g);
    size_t share = (total + (size_t)threads - 1) / (size_t)threads;
    p.threads = threads;
    p.chunk_rows = rows < share ? rows : share;
    p.slice_rows = p.chunk_rows > out_pixels(g) ? p.chunk_rows : out_pixels(g);
    p.partial = (size_t)g->out_c * taps(g);
    return p;
}

static size_t plan_bytes(const conv_plan *p, const gt_conv_geom *g)
{
    size_t cols = (size_t)p->threads * p->slice_rows * taps(g);
    return (cols + (size_t)(p->threads - 1) * p->partial) * sizeof(float);
}

/* Precision bf16 adds two regions after the fp32 ones (64-byte aligned):
 * each thread's bf16 copy of its dy rows (slice_rows x out_c) and one bf16
 * copy of the weights (out_c x K), rounded once per op. The bf16 columns need
 * no room of their own: they fill the first half of the thread's fp32 column
 * slice, which the bf16 forward and filter-gradient ops do not otherwise use
 * (the data gradient needs the fp32 slice for its fp32 column gradient, and
 * no bf16 columns). 1x1 convolutions take the im2col path in bf16 (a plain
 * rounding copy) rather than reading x in place. */
static size_t align64(size_t bytes)
{
    return (bytes + 63) & ~(size_t)63;
}

static size_t bf16_dy_offset(const conv_plan *p, const gt_conv_geom *g)
{
    return align64(plan_bytes(p, g));
}

static size_t bf16_w_offset(const conv_plan *p, const gt_conv_geom *g)
{
    return bf16_dy_offset(p, g) +
           align64((size_t)p->threads * p->slice_rows * g->out_c * sizeof(uint16_t));
}

static int pointwise_for(gt_backend *be, const gt_conv_geom *g)
{
    return !gt_cpu_bf16_of(be) && is_pointwise(g);
}

size_t gt_cpu_fast_conv2d_workspace_bytes(gt_backend *be, const gt_conv_geom *g)
{
    if (!g || g->n <= 0 || pointwise_for(be, g)) return 0;
    conv_plan p = make_plan(gt_cpu_threads(be), g);
    if (gt_cpu_bf16_of(be)) return bf16_w_offset(&p, g) + align64(p.partial * sizeof(uint16_t));
    return plan_bytes(&p, g);
}

static gt_status need_workspace(gt_backend *be, const char *op, const gt_conv_geom *g,
                                const void *workspace)
{
    if (workspace || pointwise_for(be, g)) return GT_OK;
    return gt_fail(GT_ERR_INVALID_ARGUMENT,
                   "%s: a workspace of %zu bytes is required (conv2d_workspace_bytes) but NULL "
                   "was given",
                   op, gt_cpu_fast_conv2d_workspace_bytes(be, g));
}

/* Threads worth waking for `rows` column rows. */
static int threads_for(int threads, size_t rows)
{
    size_t useful = rows / CONV_MIN_THREAD_ROWS;
    if (useful < 1) useful = 1;
    return useful < (size_t)threads ? (int)useful : threads;
}

/* Contiguous share [*lo, *hi) of `total` for thread t of nt. */
static void share_of(size_t total, int t, int nt, size_t *lo, size_t *hi)
{
    *lo = total * (size_t)t / (size_t)nt;
    *hi = total * (size_t)(t + 1) / (size_t)nt;
}

/* Called by thread t of nt after a barrier: dw (thread 0's partial) += the
 * partials of threads 1..nt-1, in thread order, each thread adding up its own
 * range of elements, so the sum is the same for every run. */
static void add_partials_in_order(float *dw, const float *partials, size_t count, int t, int nt)
{
    size_t e0, e1;
    share_of(count, t, nt, &e0, &e1);
    for (int u = 1; u < nt; ++u) {
        const float *other = partials + (size_t)(u - 1) * count;
        for (size_t e = e0; e < e1; ++e)
            dw[e] += other[e];
    }
}

/* ---- precision bf16: the same pipelines on bf16 columns, dy and weights ---- */

/* Thread t of nt rounds its share of the weights into the workspace copy. */
static void round_weights_share(uint16_t *wb, const float *w, size_t count, int t, int nt)
{
    size_t lo, hi;
    share_of(count, t, nt, &lo, &hi);
    gt_cpu_bf16_convert(wb + lo, w + lo, hi - lo);
}

static gt_status conv_forward_bf16(gt_backend *be, const gt_conv_geom *g, float *y, const float *x,
                                   const float *w, const float *bias, gt_activation act,
                                   void *workspace)
{
    gt_cpu_bf16 *s = gt_cpu_bf16_of(be);
    int threads = gt_cpu_threads(be);
    const int k_all = (int)taps(g), out_c = g->out_c;
    const size_t total = (size_t)g->n * out_pixels(g);
    const conv_plan plan = make_plan(threads, g);
    uint16_t *wb = (uint16_t *)((char *)workspace + bf16_w_offset(&plan, g));
#pragma omp parallel num_threads(threads_for(threads, total))
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        uint16_t *col = (uint16_t *)((float *)workspace + (size_t)t * plan.slice_rows * k_all);
        round_weights_share(wb, w, plan.partial, t, nt);
#pragma omp barrier
        size_t lo, hi;
        share_of(total, t, nt, &lo, &hi);
        for (size_t r = lo; r < hi; r += plan.chunk_rows) {
            size_t rows = hi - r < plan.chunk_rows ? hi - r : plan.chunk_rows;
            float *y_chunk = y + r * out_c;
            gt_cpu_im2col_rows_bf16(g, col, x, r, rows);
            gt_cpu_bf16_gemm_serial(s, 0, 1, (int)rows, out_c, k_all, 1.0f, col, k_all, wb, k_all,
                                    0.0f, y_chunk, out_c);
            gt_cpu_bias_act_serial(y_chunk, bias, rows, out_c, act);
        }
    }
    return GT_OK;
}

static gt_status conv_backward_data_bf16(gt_backend *be, const gt_conv_geom *g, float *dx,
                                         const float *dy, const float *w, void *workspace)
{
    gt_cpu_bf16 *s = gt_cpu_bf16_of(be);
    int threads = gt_cpu_threads(be);
    const int k_all = (int)taps(g), out_c = g->out_c;
    const size_t out_pix = out_pixels(g);
    const size_t image_floats = (size_t)g->in_h * g->in_w * g->in_c;
    const conv_plan plan = make_plan(threads, g);
    float *col = workspace;
    uint16_t *dyb = (uint16_t *)((char *)workspace + bf16_dy_offset(&plan, g));
    uint16_t *wb = (uint16_t *)((char *)workspace + bf16_w_offset(&plan, g));
    int nt_images = threads_for(threads, (size_t)g->n * out_pix);
    if (nt_images > g->n) nt_images = g->n;
    if (nt_images < threads && g->n < threads) {
        /* Fewer images than threads: one image at a time, its GEMM split. */
        gt_cpu_bf16_convert(wb, w, plan.partial);
        for (int i = 0; i < g->n; ++i) {
            gt_cpu_bf16_convert(dyb, dy + (size_t)i * out_pix * out_c, out_pix * out_c);
            gt_cpu_bf16_gemm_fast(s, threads, 0, 0, (int)out_pix, k_all, out_c, 1.0f, dyb, out_c,
                                  wb, k_all, 0.0f, col, k_all);
            gt_cpu_col2im_image(g, dx + (size_t)i * image_floats, col);
        }
        return GT_OK;
    }
    const int per_chunk = (int)(plan.slice_rows / out_pix);
#pragma omp parallel num_threads(nt_images)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        float *my_col = col + (size_t)t * plan.slice_rows * k_all;
        uint16_t *my_dy = dyb + (size_t)t * plan.slice_rows * out_c;
        round_weights_share(wb, w, plan.partial, t, nt);
#pragma omp barrier
        size_t lo, hi;
        share_of((size_t)g->n, t, nt, &lo, &hi);
        for (size_t i0 = lo; i0 < hi; i0 += (size_t)per_chunk) {
            size_t count = hi - i0 < (size_t)per_chunk ? hi - i0 : (size_t)per_chunk;
            size_t rows = count * out_pix;
            gt_cpu_bf16_convert(my_dy, dy + i0 * out_pix * out_c, rows * out_c);
            gt_cpu_bf16_gemm_serial(s, 0, 0, (int)rows, k_all, out_c, 1.0f, my_dy, out_c, wb, k_all,
                                    0.0f, my_col, k_all);
            for (size_t i = 0; i < count; ++i)
                gt_cpu_col2im_image(g, dx + (i0 + i) * image_floats, my_col + i * out_pix * k_all);
        }
    }
    return GT_OK;
}

static gt_status conv_backward_filter_bf16(gt_backend *be, const gt_conv_geom *g, float *dw,
                                           float *db, const float *dy, const float *x,
                                           void *workspace)
{
    gt_cpu_bf16 *s = gt_cpu_bf16_of(be);
    int threads = gt_cpu_threads(be);
    const int k_all = (int)taps(g), out_c = g->out_c;
    const size_t total = (size_t)g->n * out_pixels(g);
    const conv_plan plan = make_plan(threads, g);
    float *partials = (float *)workspace + (size_t)threads * plan.slice_rows * k_all;
    uint16_t *dyb = (uint16_t *)((char *)workspace + bf16_dy_offset(&plan, g));
#pragma omp parallel num_threads(threads_for(threads, total))
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        uint16_t *col = (uint16_t *)((float *)workspace + (size_t)t * plan.slice_rows * k_all);
        uint16_t *my_dy = dyb + (size_t)t * plan.slice_rows * out_c;
        float *mine = t == 0 ? dw : partials + (size_t)(t - 1) * plan.partial;
        size_t lo, hi;
        share_of(total, t, nt, &lo, &hi);
        if (hi == lo) memset(mine, 0, plan.partial * sizeof *mine);
        for (size_t r = lo; r < hi; r += plan.chunk_rows) {
            size_t rows = hi - r < plan.chunk_rows ? hi - r : plan.chunk_rows;
            gt_cpu_im2col_rows_bf16(g, col, x, r, rows);
            gt_cpu_bf16_convert(my_dy, dy + r * out_c, rows * out_c);
            /* The first chunk overwrites, later ones accumulate in order (fp32). */
            gt_cpu_bf16_gemm_serial(s, 1, 0, out_c, k_all, (int)rows, 1.0f, my_dy, out_c, col,
                                    k_all, r == lo ? 0.0f : 1.0f, mine, k_all);
        }
#pragma omp barrier
        add_partials_in_order(dw, partials, plan.partial, t, nt);
    }
    if (db) gt_cpu_fast_bias_sum_rows(threads, db, dy, total, out_c);
    return GT_OK;
}

gt_status gt_cpu_fast_conv2d_forward(gt_backend *be, const gt_conv_geom *g, float *y,
                                     const float *x, const float *w, const float *bias,
                                     gt_activation act, void *workspace)
{
    GT_TRY(gt_check_conv("conv2d_forward", g));
    GT_TRY(gt_check_act("conv2d_forward", act));
    GT_TRY(need_workspace(be, "conv2d_forward", g, workspace));
    if (gt_cpu_bf16_of(be)) return conv_forward_bf16(be, g, y, x, w, bias, act, workspace);
    int threads = gt_cpu_threads(be);
    const int k_all = (int)taps(g), out_c = g->out_c;
    const size_t total = (size_t)g->n * out_pixels(g);
    if (is_pointwise(g)) {
        gt_cpu_gemm_fast(threads, 0, 1, (int)total, out_c, g->in_c, 1.0f, x, g->in_c, w, g->in_c,
                         0.0f, y, out_c);
        gt_cpu_fast_bias_act_rows(threads, y, bias, total, out_c, act);
        return GT_OK;
    }
    const conv_plan plan = make_plan(threads, g);
    gt_cpu_blas_single_threaded();
#pragma omp parallel num_threads(threads_for(threads, total))
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        float *col = (float *)workspace + (size_t)t * plan.slice_rows * k_all;
        size_t lo, hi;
        share_of(total, t, nt, &lo, &hi);
        for (size_t r = lo; r < hi; r += plan.chunk_rows) {
            size_t rows = hi - r < plan.chunk_rows ? hi - r : plan.chunk_rows;
            float *y_chunk = y + r * out_c;
            gt_cpu_im2col_rows(g, col, x, r, rows);
            gt_cpu_gemm_serial(0, 1, (int)rows, out_c, k_all, 1.0f, col, k_all, w, k_all, 0.0f,
                               y_chunk, out_c);
            /* Epilogue while the chunk's outputs are still in cache. */
            gt_cpu_bias_act_serial(y_chunk, bias, rows, out_c, act);
        }
    }
    return GT_OK;
}

gt_status gt_cpu_fast_conv2d_backward_data(gt_backend *be, const gt_conv_geom *g, float *dx,
                                           const float *dy, const float *w, void *workspace)
{
    GT_TRY(gt_check_conv("conv2d_backward_data", g));
    GT_TRY(need_workspace(be, "conv2d_backward_data", g, workspace));
    if (gt_cpu_bf16_of(be)) return conv_backward_data_bf16(be, g, dx, dy, w, workspace);
    int threads = gt_cpu_threads(be);
    const int k_all = (int)taps(g), out_c = g->out_c;
    const size_t out_pix = out_pixels(g);
    const size_t image_floats = (size_t)g->in_h * g->in_w * g->in_c;
    if (is_pointwise(g)) {
        gt_cpu_gemm_fast(threads, 0, 0, (int)((size_t)g->n * out_pix), g->in_c, out_c, 1.0f, dy,
                         out_c, w, g->in_c, 0.0f, dx, g->in_c);
        return GT_OK;
    }
    const conv_plan plan = make_plan(threads, g);
    float *col = workspace;
    int nt_images = threads_for(threads, (size_t)g->n * out_pix);
    if (nt_images > g->n) nt_images = g->n;
    if (nt_images < threads && g->n < threads) {
        /* Fewer images than threads (batch 1): one image at a time, its GEMM
         * split across the threads; the whole workspace holds its columns. */
        for (int i = 0; i < g->n; ++i) {
            gt_cpu_gemm_fast(threads, 0, 0, (int)out_pix, k_all, out_c, 1.0f,
                             dy + (size_t)i * out_pix * out_c, out_c, w, k_all, 0.0f, col, k_all);
            gt_cpu_col2im_image(g, dx + (size_t)i * image_floats, col);
        }
        return GT_OK;
    }
    const int per_chunk = (int)(plan.slice_rows / out_pix);
    gt_cpu_blas_single_threaded();
#pragma omp parallel num_threads(nt_images)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        float *my_col = col + (size_t)t * plan.slice_rows * k_all;
        size_t lo, hi;
        share_of((size_t)g->n, t, nt, &lo, &hi);
        for (size_t i0 = lo; i0 < hi; i0 += (size_t)per_chunk) {
            size_t count = hi - i0 < (size_t)per_chunk ? hi - i0 : (size_t)per_chunk;
            gt_cpu_gemm_serial(0, 0, (int)(count * out_pix), k_all, out_c, 1.0f,
                               dy + i0 * out_pix * out_c, out_c, w, k_all, 0.0f, my_col, k_all);
            for (size_t i = 0; i < count; ++i)
                gt_cpu_col2im_image(g, dx + (i0 + i) * image_floats, my_col + i * out_pix * k_all);
        }
    }
    return GT_OK;
}

gt_status gt_cpu_fast_conv2d_backward_filter(gt_backend *be, const gt_conv_geom *g, float *dw,
                                             float *db, const float *dy, const float *x,
                                             void *workspace)
{
    GT_TRY(gt_check_conv("conv2d_backward_filter", g));
    GT_TRY(need_workspace(be, "conv2d_backward_filter", g, workspace));
    if (gt_cpu_bf16_of(be)) return conv_backward_filter_bf16(be, g, dw, db, dy, x, workspace);
    int threads = gt_cpu_threads(be);
    const int k_all = (int)taps(g), out_c = g->out_c;
    const size_t total = (size_t)g->n * out_pixels(g);
    if (is_pointwise(g)) {
        gt_cpu_gemm_fast(threads, 1, 0, out_c, g->in_c, (int)total, 1.0f, dy, out_c, x, g->in_c,
                         0.0f, dw, g->in_c);
    } else {
        const conv_plan plan = make_plan(threads, g);
        float *partials = (float *)workspace + (size_t)threads * plan.slice_rows * k_all;
        gt_cpu_blas_single_threaded();
#pragma omp parallel num_threads(threads_for(threads, total))
        {
            int t = omp_get_thread_num(), nt = omp_get_num_threads();
            float *col = (float *)workspace + (size_t)t * plan.slice_rows * k_all;
            float *mine = t == 0 ? dw : partials + (size_t)(t - 1) * plan.partial;
            size_t lo, hi;
            share_of(total, t, nt, &lo, &hi);
            if (hi == lo) memset(mine, 0, plan.partial * sizeof *mine);
            for (size_t r = lo; r < hi; r += plan.chunk_rows) {
                size_t rows = hi - r < plan.chunk_rows ? hi - r : plan.chunk_rows;
                gt_cpu_im2col_rows(g, col, x, r, rows);
                /* The first chunk overwrites, later ones accumulate in order. */
                gt_cpu_gemm_serial(1, 0, out_c, k_all, (int)rows, 1.0f, dy + r * out_c, out_c, col,
                                   k_all, r == lo ? 0.0f : 1.0f, mine, k_all);
            }
#pragma omp barrier
            add_partials_in_order(dw, partials, plan.partial, t, nt);
        }
    }
    if (db) gt_cpu_fast_bias_sum_rows(threads, db, dy, total, out_c);
    return GT_OK;
}
