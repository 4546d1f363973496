/* Helpers shared by the CPU op tests: backends, random buffers, conv/pool
 * geometry in Keras' terms, and an error measure. */
#ifndef GT_CPU_OPS_COMMON_H
#define GT_CPU_OPS_COMMON_H

#include <stdint.h>

#include "test_util.h"

static inline float *rand_buf(size_t n, unsigned long long *rng, float lo, float hi)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) abort();
    gt_test_fill(p, n, rng, lo, hi);
    return p;
}

static inline float *zero_buf(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    if (!p) abort();
    return p;
}

/* Largest |got - want| over the largest |want|: errors measured against the
 * tensor's own scale, so sums that cancel to near zero do not blow up a
 * relative error. A NaN in one array but not the other is infinite error. */
static inline double scaled_err(const float *got, const float *want, size_t n)
{
    double scale = 0.0, err = 0.0;
    for (size_t i = 0; i < n; ++i)
        if (fabs((double)want[i]) > scale) scale = fabs((double)want[i]);
    if (scale == 0.0) scale = 1.0;
    for (size_t i = 0; i < n; ++i) {
        if (isnan(got[i]) || isnan(want[i])) {
            if (isnan(got[i]) != isnan(want[i])) return INFINITY;
            continue;
        }
        double e = fabs((double)got[i] - (double)want[i]) / scale;
        if (e > err) err = e;
    }
    return err;
}

#define CHECK_CLOSE(what, got, want, n, tol)                                                       \
    do {                                                                                           \
        double e_ = scaled_err((got), (want), (n));                                                \
        CHECK_MSG(e_ <= (tol), "%s: scaled error %.3g exceeds %.3g", (what), e_, (double)(tol));   \
    } while (0)

/* Keras padding: 'valid' has none; 'same' gives out = ceil(in / stride) and
 * puts the odd extra row/column at the bottom/right. */
static inline void keras_pad(int in, int k, int stride, int same, int *out, int *pad_before)
{
    if (same) {
        *out = (in + stride - 1) / stride;
        int total = (*out - 1) * stride + k - in;
        *pad_before = total > 0 ? total / 2 : 0;
    } else {
        *out = (in - k) / stride + 1;
        *pad_before = 0;
    }
}

static inline gt_conv_geom conv_geom(int n, int h, int w, int in_c, int out_c, int k, int stride,
                                     int same)
{
    gt_conv_geom g = {0};
    g.n = n;
    g.in_h = h;
    g.in_w = w;
    g.in_c = in_c;
    g.out_c = out_c;
    g.k_h = g.k_w = k;
    g.stride_h = g.stride_w = stride;
    keras_pad(h, k, stride, same, &g.out_h, &g.pad_top);
    keras_pad(w, k, stride, same, &g.out_w, &g.pad_left);
    return g;
}

static inline gt_pool_geom pool_geom(int n, int h, int w, int c, int k, int stride, int same)
{
    gt_pool_geom g = {0};
    g.n = n;
    g.in_h = h;
    g.in_w = w;
    g.c = c;
    g.k_h = g.k_w = k;
    g.stride_h = g.stride_w = stride;
    keras_pad(h, k, stride, same, &g.out_h, &g.pad_top);
    keras_pad(w, k, stride, same, &g.out_w, &g.pad_left);
    return g;
}

static inline size_t conv_x_size(const gt_conv_geom *g)
{
    return (size_t)g->n * g->in_h * g->in_w * g->in_c;
}
static inline size_t conv_y_size(const gt_conv_geom *g)
{
    return (size_t)g->n * g->out_h * g->out_w * g->out_c;
}
static inline size_t conv_w_size(const gt_conv_geom *g)
{
    return (size_t)g->out_c * g->k_h * g->k_w * g->in_c;
}

static inline gt_backend *make_backend(const char *name, int threads)
{
    gt_backend *be = NULL;
    gt_status s = gt_backend_create(name, threads, GT_PRECISION_FP32, &be);
    if (s != GT_OK) {
        fprintf(stderr, "cannot create backend %s: %s\n", name, gt_last_error());
        exit(1);
    }
    return be;
}

/* Workspace for a conv on `be` (NULL when it needs none). */
static inline void *conv_workspace(gt_backend *be, const gt_conv_geom *g)
{
    size_t bytes = be->conv2d_workspace_bytes(be, g);
    void *ws = NULL;
    if (bytes && be->alloc(be, bytes, &ws) != GT_OK) abort();
    return ws;
}

/* Runs conv forward, backward-data and backward-filter (with the bias
 * gradient) on `be`. Each output starts as garbage (the ops must overwrite,
 * not accumulate) and each op runs a second time into `again`, which must
 * give the same bits. The caller then compares y, dx, dw and db with its
 * references. */
static inline void run_conv_ops(const char *what, gt_backend *be, const gt_conv_geom *g,
                                gt_activation act, const float *x, const float *w,
                                const float *bias, const float *dy, void *ws, float *y, float *dx,
                                float *dw, float *db, float *again)
{
    size_t xn = conv_x_size(g), yn = conv_y_size(g), wn = conv_w_size(g);
    for (size_t i = 0; i < yn; ++i)
        y[i] = 1e6f;
    CHECK_OK(be->conv2d_forward(be, g, y, x, w, bias, act, ws));
    CHECK_OK(be->conv2d_forward(be, g, again, x, w, bias, act, ws));
    CHECK_MSG(memcmp(again, y, yn * sizeof *y) == 0, "%s: forward not deterministic", what);

    for (size_t i = 0; i < xn; ++i)
        dx[i] = 1e6f;
    CHECK_OK(be->conv2d_backward_data(be, g, dx, dy, w, ws));
    CHECK_OK(be->conv2d_backward_data(be, g, again, dy, w, ws));
    CHECK_MSG(memcmp(again, dx, xn * sizeof *dx) == 0, "%s: bwd data not deterministic", what);

    for (size_t i = 0; i < wn; ++i)
        dw[i] = 1e6f;
    CHECK_OK(be->conv2d_backward_filter(be, g, dw, db, dy, x, ws));
    CHECK_OK(be->conv2d_backward_filter(be, g, again, NULL, dy, x, ws));
    CHECK_MSG(memcmp(again, dw, wn * sizeof *dw) == 0, "%s: bwd filter not deterministic", what);
}

#endif
