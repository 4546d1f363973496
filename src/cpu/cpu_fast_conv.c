/* Fast 2D convolution: im2col + sgemm, processed a chunk of images at a time
 * so that the column buffer (the workspace) stays bounded.
 *
 * The column matrix has one row per output pixel (image, oh, ow) and one
 * column per filter tap (kh, kw, ic) — the same order as an OHWI filter row —
 * so with K = k_h k_w in_c:
 *   forward          y(rows, out_c)  = col(rows, K) w(out_c, K)^T
 *   backward data    dcol(rows, K)   = dy(rows, out_c) w(out_c, K), then col2im
 *   backward filter  dw(out_c, K)   += dy(rows, out_c)^T col(rows, K)
 * A 1x1 stride-1 unpadded convolution is already a GEMM on x itself and needs
 * no workspace. col2im is written as a gather (every dx element sums the
 * column entries it produced, in a fixed tap order), so threads never write
 * one element and the result does not depend on the thread count. */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "error.h"

/* Upper bound of the column buffer unless one image alone needs more: 16 MiB
 * keeps VGG-16 at batch 256 (its widest layer needs 2.4 MB per 32x32 image)
 * to a handful of images per GEMM, which is already a tall, efficient GEMM. */
#define CONV_WORKSPACE_BUDGET ((size_t)16 << 20)

static int is_pointwise(const gt_conv_geom *g)
{
    return g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
           g->pad_left == 0 && g->out_h == g->in_h && g->out_w == g->in_w;
}

static size_t taps(const gt_conv_geom *g)
{
    return (size_t)g->k_h * g->k_w * g->in_c;
}

static size_t col_bytes_per_image(const gt_conv_geom *g)
{
    return (size_t)g->out_h * g->out_w * taps(g) * sizeof(float);
}

/* Images per GEMM. The ops and conv2d_workspace_bytes must agree on it. */
static int chunk_images(const gt_conv_geom *g)
{
    size_t per_image = col_bytes_per_image(g);
    size_t fit = per_image ? CONV_WORKSPACE_BUDGET / per_image : (size_t)g->n;
    if (fit < 1) fit = 1;
    return fit < (size_t)g->n ? (int)fit : g->n;
}

size_t gt_cpu_fast_conv2d_workspace_bytes(gt_backend *be, const gt_conv_geom *g)
{
    (void)be;
    if (!g || g->n <= 0 || is_pointwise(g)) return 0;
    return (size_t)chunk_images(g) * col_bytes_per_image(g);
}

static gt_status need_workspace(const char *op, const gt_conv_geom *g, const void *workspace)
{
    if (workspace || is_pointwise(g)) return GT_OK;
    return gt_fail(GT_ERR_INVALID_ARGUMENT,
                   "%s: a workspace of %zu bytes is required (conv2d_workspace_bytes) but NULL "
                   "was given",
                   op, (size_t)chunk_images(g) * col_bytes_per_image(g));
}

/* col rows for images [n0, n0 + count) of x. */
static void im2col(int threads, const gt_conv_geom *g, float *col, const float *x, int n0,
                   int count)
{
    size_t k_all = taps(g);
    size_t pix_floats = (size_t)g->in_c;
    int lines = count * g->out_h;
#pragma omp parallel for num_threads(threads) schedule(static) if (lines > 1)
    for (int line = 0; line < lines; ++line) {
        int img = line / g->out_h, oh = line % g->out_h;
        const float *image = x + (size_t)(n0 + img) * g->in_h * g->in_w * g->in_c;
        for (int ow = 0; ow < g->out_w; ++ow) {
            float *dst = col + ((size_t)line * g->out_w + ow) * k_all;
            for (int kh = 0; kh < g->k_h; ++kh) {
                int ih = oh * g->stride_h - g->pad_top + kh;
                for (int kw = 0; kw < g->k_w; ++kw, dst += pix_floats) {
                    int iw = ow * g->stride_w - g->pad_left + kw;
                    if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w)
                        memset(dst, 0, pix_floats * sizeof *dst);
                    else
                        memcpy(dst, image + ((size_t)ih * g->in_w + iw) * g->in_c,
                               pix_floats * sizeof *dst);
                }
            }
        }
    }
}

/* Output index along one axis that tap k maps onto input index i, or -1. */
static int source_output(int i, int k, int stride, int pad, int out_size)
{
    int t = i + pad - k;
    if (t < 0 || t % stride != 0) return -1;
    int o = t / stride;
    return o < out_size ? o : -1;
}

/* dx for images [n0, n0 + count) from their column gradient. */
static void col2im(int threads, const gt_conv_geom *g, float *dx, const float *col, int n0,
                   int count)
{
    size_t k_all = taps(g);
    int in_c = g->in_c;
    int lines = count * g->in_h;
#pragma omp parallel for num_threads(threads) schedule(static) if (lines > 1)
    for (int line = 0; line < lines; ++line) {
        int img = line / g->in_h, ih = line % g->in_h;
        const float *img_col = col + (size_t)img * g->out_h * g->out_w * k_all;
        for (int iw = 0; iw < g->in_w; ++iw) {
            float *d = dx + (((size_t)(n0 + img) * g->in_h + ih) * g->in_w + iw) * in_c;
            memset(d, 0, (size_t)in_c * sizeof *d);
            for (int kh = 0; kh < g->k_h; ++kh) {
                int oh = source_output(ih, kh, g->stride_h, g->pad_top, g->out_h);
                if (oh < 0) continue;
                for (int kw = 0; kw < g->k_w; ++kw) {
                    int ow = source_output(iw, kw, g->stride_w, g->pad_left, g->out_w);
                    if (ow < 0) continue;
                    const float *src = img_col + ((size_t)oh * g->out_w + ow) * k_all +
                                       ((size_t)kh * g->k_w + kw) * in_c;
                    for (int ic = 0; ic < in_c; ++ic) d[ic] += src[ic];
                }
            }
        }
    }
}

gt_status gt_cpu_fast_conv2d_forward(gt_backend *be, const gt_conv_geom *g, float *y,
                                     const float *x, const float *w, const float *bias,
                                     gt_activation act, void *workspace)
{
    GT_TRY(gt_cpu_check_conv("conv2d_forward", g));
    GT_TRY(gt_cpu_check_act("conv2d_forward", act));
    GT_TRY(need_workspace("conv2d_forward", g, workspace));
    int threads = gt_cpu_threads(be);
    int k_all = (int)taps(g);
    size_t out_pix = (size_t)g->out_h * g->out_w;
    if (is_pointwise(g)) {
        size_t rows = (size_t)g->n * out_pix;
        gt_cpu_gemm_fast(threads, 0, 1, (int)rows, g->out_c, g->in_c, 1.0f, x, g->in_c, w, g->in_c,
                         0.0f, y, g->out_c);
        gt_cpu_fast_bias_act_rows(threads, y, bias, rows, g->out_c, act);
        return GT_OK;
    }
    float *col = workspace;
    int chunk = chunk_images(g);
    for (int n0 = 0; n0 < g->n; n0 += chunk) {
        int count = g->n - n0 < chunk ? g->n - n0 : chunk;
        size_t rows = (size_t)count * out_pix;
        float *y_chunk = y + (size_t)n0 * out_pix * g->out_c;
        im2col(threads, g, col, x, n0, count);
        gt_cpu_gemm_fast(threads, 0, 1, (int)rows, g->out_c, k_all, 1.0f, col, k_all, w, k_all,
                         0.0f, y_chunk, g->out_c);
        /* Epilogue while the chunk's outputs are still in cache. */
        gt_cpu_fast_bias_act_rows(threads, y_chunk, bias, rows, g->out_c, act);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_conv2d_backward_data(gt_backend *be, const gt_conv_geom *g, float *dx,
                                           const float *dy, const float *w, void *workspace)
{
    GT_TRY(gt_cpu_check_conv("conv2d_backward_data", g));
    GT_TRY(need_workspace("conv2d_backward_data", g, workspace));
    int threads = gt_cpu_threads(be);
    int k_all = (int)taps(g);
    size_t out_pix = (size_t)g->out_h * g->out_w;
    if (is_pointwise(g)) {
        gt_cpu_gemm_fast(threads, 0, 0, (int)((size_t)g->n * out_pix), g->in_c, g->out_c, 1.0f, dy,
                         g->out_c, w, g->in_c, 0.0f, dx, g->in_c);
        return GT_OK;
    }
    float *col = workspace;
    int chunk = chunk_images(g);
    for (int n0 = 0; n0 < g->n; n0 += chunk) {
        int count = g->n - n0 < chunk ? g->n - n0 : chunk;
        size_t rows = (size_t)count * out_pix;
        gt_cpu_gemm_fast(threads, 0, 0, (int)rows, k_all, g->out_c, 1.0f,
                         dy + (size_t)n0 * out_pix * g->out_c, g->out_c, w, k_all, 0.0f, col,
                         k_all);
        col2im(threads, g, dx, col, n0, count);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_conv2d_backward_filter(gt_backend *be, const gt_conv_geom *g, float *dw,
                                             float *db, const float *dy, const float *x,
                                             void *workspace)
{
    GT_TRY(gt_cpu_check_conv("conv2d_backward_filter", g));
    GT_TRY(need_workspace("conv2d_backward_filter", g, workspace));
    int threads = gt_cpu_threads(be);
    int k_all = (int)taps(g);
    size_t out_pix = (size_t)g->out_h * g->out_w;
    if (is_pointwise(g)) {
        gt_cpu_gemm_fast(threads, 1, 0, g->out_c, g->in_c, (int)((size_t)g->n * out_pix), 1.0f, dy,
                         g->out_c, x, g->in_c, 0.0f, dw, g->in_c);
    } else {
        float *col = workspace;
        int chunk = chunk_images(g);
        for (int n0 = 0; n0 < g->n; n0 += chunk) {
            int count = g->n - n0 < chunk ? g->n - n0 : chunk;
            size_t rows = (size_t)count * out_pix;
            im2col(threads, g, col, x, n0, count);
            /* The first chunk overwrites dw, later ones accumulate in order. */
            gt_cpu_gemm_fast(threads, 1, 0, g->out_c, k_all, (int)rows, 1.0f,
                             dy + (size_t)n0 * out_pix * g->out_c, g->out_c, col, k_all,
                             n0 == 0 ? 0.0f : 1.0f, dw, k_all);
        }
    }
    if (db) gt_cpu_fast_bias_sum_rows(threads, db, dy, (size_t)g->n * out_pix, g->out_c);
    return GT_OK;
}
