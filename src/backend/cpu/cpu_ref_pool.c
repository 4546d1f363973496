/* Reference max pooling, NHWC. The window is scanned in row-major order and
 * only a strictly larger value replaces the current maximum, so the first
 * maximum wins — it alone receives the gradient. Padded cells are skipped:
 * they never win (the geometry check guarantees each window has a real cell). */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "gtrain/status.h"

static size_t in_at(const gt_pool_geom *g, int n, int h, int w, int c)
{
    return (((size_t)n * g->in_h + h) * g->in_w + w) * g->c + c;
}

static size_t out_at(const gt_pool_geom *g, int n, int h, int w, int c)
{
    return (((size_t)n * g->out_h + h) * g->out_w + w) * g->c + c;
}

/* Index into x of the first maximum of output (n, oh, ow, c)'s window. */
static size_t window_argmax(const gt_pool_geom *g, const float *x, int n, int oh, int ow, int c)
{
    size_t best = (size_t)-1;
    for (int kh = 0; kh < g->k_h; ++kh) {
        int ih = oh * g->stride_h - g->pad_top + kh;
        if (ih < 0 || ih >= g->in_h) continue;
        for (int kw = 0; kw < g->k_w; ++kw) {
            int iw = ow * g->stride_w - g->pad_left + kw;
            if (iw < 0 || iw >= g->in_w) continue;
            size_t at = in_at(g, n, ih, iw, c);
            if (best == (size_t)-1 || x[at] > x[best]) best = at;
        }
    }
    return best;
}

gt_status gt_cpu_ref_maxpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                     const float *x)
{
    (void)be;
    GT_TRY(gt_check_pool("maxpool_forward", g));
    for (int n = 0; n < g->n; ++n)
        for (int oh = 0; oh < g->out_h; ++oh)
            for (int ow = 0; ow < g->out_w; ++ow)
                for (int c = 0; c < g->c; ++c)
                    y[out_at(g, n, oh, ow, c)] = x[window_argmax(g, x, n, oh, ow, c)];
    return GT_OK;
}

gt_status gt_cpu_ref_maxpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                      const float *dy, const float *x)
{
    (void)be;
    GT_TRY(gt_check_pool("maxpool_backward", g));
    memset(dx, 0, (size_t)g->n * g->in_h * g->in_w * g->c * sizeof *dx);
    for (int n = 0; n < g->n; ++n)
        for (int oh = 0; oh < g->out_h; ++oh)
            for (int ow = 0; ow < g->out_w; ++ow)
                for (int c = 0; c < g->c; ++c)
                    dx[window_argmax(g, x, n, oh, ow, c)] += dy[out_at(g, n, oh, ow, c)];
    return GT_OK;
}
