/* CPU-vs-GPU parity of every backend op: each op runs on the "cuda" backend
 * and on the "cpu-reference" oracle with the same random inputs (fixed
 * seeds), and the outputs are compared with a tolerance chosen per op and
 * precision (fp32 and tf32), each written next to its reason.
 *
 * Comparison rule: |gpu - cpu| <= of_max * max|cpu| + rel * |cpu|. An
 * indexing bug moves an output by O(max|cpu|), far outside every bound. */
#include <stdint.h>

#include "gpu_util.h"
#include "test_util.h"

typedef struct parity {
    gt_backend *ref, *gpu;
    int tf32;
    const char *precision;
} parity;

/* ---- helpers ---- */

static void *dev_alloc(gt_backend *be, size_t bytes)
{
    void *p = NULL;
    gt_status st = be->alloc(be, bytes ? bytes : 4, &p);
    if (st != GT_OK || !p) {
        fprintf(stderr, "%s: alloc of %zu bytes failed: %s\n", be->name, bytes, gt_last_error());
        exit(1);
    }
    return p;
}

static void *dev_from(gt_backend *be, const void *host, size_t bytes)
{
    void *p = dev_alloc(be, bytes);
    if (bytes) CHECK_OK(be->upload(be, p, host, bytes));
    return p;
}

static void dev_to(gt_backend *be, void *host, const void *dev, size_t bytes)
{
    CHECK_OK(be->synchronize(be));
    if (bytes) CHECK_OK(be->download(be, host, dev, bytes));
}

static float *host_floats(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) {
        fprintf(stderr, "out of host memory\n");
        exit(1);
    }
    return p;
}

static void compare(const parity *t, const char *what, const float *gpu, const float *cpu, size_t n,
                    double of_max, double rel)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; ++i)
        if (fabs((double)cpu[i]) > mx) mx = fabs((double)cpu[i]);
    size_t bad = 0, worst = 0;
    double worst_excess = -1.0;
    for (size_t i = 0; i < n; ++i) {
        double d = fabs((double)gpu[i] - (double)cpu[i]);
        double bound = of_max * mx + rel * fabs((double)cpu[i]);
        int same_nan = isnan(gpu[i]) && isnan(cpu[i]);
        if (!(d <= bound) && !same_nan) {
            ++bad;
            if (!(d - bound <= worst_excess)) {
                worst_excess = d - bound;
                worst = i;
            }
        }
    }
    CHECK_MSG(bad == 0,
              "[%s] %s: %zu of %zu outside tolerance (of_max %.1g, rel %.1g, max|cpu| %.4g); "
              "worst at %zu: gpu %.9g cpu %.9g",
              t->precision, what, bad, n, of_max, rel, mx, worst, bad ? (double)gpu[worst] : 0.0,
              bad ? (double)cpu[worst] : 0.0);
}

static void fill_quantized(float *x, size_t n, unsigned long long *s, int levels, float step)
{
    for (size_t i = 0; i < n; ++i)
        x[i] = (float)((int)gt_test_uniform(s, 0.0f, (float)levels) - levels / 2) * step;
}

/* ---- gemm ---- */

static void gemm_case(const parity *t, int ta, int tb, int m, int n, int k, float beta,
                      unsigned long long seed)
{
    int a_rows = ta ? k : m, a_cols = ta ? m : k;
    int b_rows = tb ? n : k, b_cols = tb ? k : n;
    int lda = a_cols + 3, ldb = b_cols + 2, ldc = n + 1;
    size_t na = (size_t)a_rows * lda, nb = (size_t)b_rows * ldb, nc = (size_t)m * ldc;
    float *a = host_floats(na), *b = host_floats(nb), *c0 = host_floats(nc);
    float *out[2] = {host_floats(nc), host_floats(nc)};
    gt_test_fill(a, na, &seed, -1.0f, 1.0f);
    gt_test_fill(b, nb, &seed, -1.0f, 1.0f);
    gt_test_fill(c0, nc, &seed, -1.0f, 1.0f);
    /* beta == 0 must ignore C's old content, NaN included (BLAS rule). */
    if (beta == 0.0f)
        for (size_t i = 0; i < nc; ++i)
            if ((int)(i % (size_t)ldc) < n) c0[i] = NAN;
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *da = dev_from(be, a, na * 4), *db = dev_from(be, b, nb * 4);
        float *dc = dev_from(be, c0, nc * 4);
        CHECK_OK(be->gemm(be, ta, tb, m, n, k, 0.7f, da, lda, db, ldb, beta, dc, ldc));
        dev_to(be, out[e], dc, nc * 4);
        be->free(be, da);
        be->free(be, db);
        be->free(be, dc);
    }
    char what[96];
    snprintf(what, sizeof what, "gemm ta=%d tb=%d m=%d n=%d k=%d beta=%g", ta, tb, m, n, k,
             (double)beta);
    /* fp32: cuBLAS accumulates k products in fp32 (the CPU in double): a few
     * ulps of the largest |C| for k <= 800. tf32: inputs rounded to 10
     * mantissa bits (relative 2^-11 each), errors ~1e-3 of max|C|. The
     * padding columns (ld > n) must come back untouched: exact there. */
    double of_max = t->tf32 ? 5e-3 : 1e-5;
    compare(t, what, out[0], out[1], nc, of_max, t->tf32 ? 5e-3 : 1e-5);
    free(a);
    free(b);
    free(c0);
    free(out[0]);
    free(out[1]);
}

static void test_gemm(const parity *t)
{
    unsigned long long seed = 11;
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            gemm_case(t, ta, tb, 33, 17, 45, 0.3f, seed++);
            gemm_case(t, ta, tb, 7, 29, 13, 0.0f, seed++);
        }
    /* A dense layer's three GEMMs at MLP size (batch 8, 784 -> 128). */
    gemm_case(t, 0, 0, 8, 128, 784, 0.0f, seed++);
    gemm_case(t, 1, 0, 784, 128, 8, 0.0f, seed++);
    gemm_case(t, 0, 1, 8, 784, 128, 0.0f, seed++);
    gemm_case(t, 0, 0, 1, 10, 128, 0.0f, seed++); /* batch 1 */
}

/* ---- conv ---- */

typedef struct conv_case {
    gt_conv_geom g;
    int bias, relu;
    const char *what;
} conv_case;

static const conv_case conv_cases[] = {
    {{2, 7, 9, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1}, 1, 1, "same k3 s1, odd sizes"},
    {{1, 8, 8, 4, 4, 4, 6, 3, 3, 2, 2, 0, 0}, 1, 0, "same k3 s2 even: pad top 0 bottom 1, batch 1"},
    {{3, 9, 7, 2, 5, 3, 4, 5, 5, 1, 1, 0, 0}, 0, 0, "valid k5 s1"},
    {{2, 6, 10, 3, 6, 10, 7, 1, 1, 1, 1, 0, 0}, 1, 1, "k1"},
    {{2, 11, 11, 3, 6, 6, 4, 5, 5, 2, 2, 2, 2}, 1, 1, "same k5 s2 odd: symmetric"},
    {{2, 10, 10, 3, 5, 5, 4, 5, 5, 2, 2, 1, 1}, 1, 0, "same k5 s2 even: pad top 1 bottom 2"},
    {{2, 8, 8, 3, 3, 3, 4, 3, 3, 2, 2, 0, 0}, 0, 1, "valid k3 s2, last row unused"},
    {{2, 7, 8, 3, 4, 4, 5, 3, 3, 2, 2, 1, 0}, 1, 1, "same k3 s2: rows symmetric, columns not"},
    {{2, 8, 8, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1}, 1, 1, "VGG-like 32->32 channels"},
    {{4, 28, 28, 1, 26, 26, 32, 3, 3, 1, 1, 0, 0}, 1, 1, "cnn-fmnist first layer"},
    {{1, 14, 14, 32, 14, 14, 64, 5, 5, 1, 1, 2, 2}, 1, 1, "cnn-mnist second layer, batch 1"},
};

static void conv_case_run(const parity *t, const conv_case *cc, unsigned long long seed)
{
    const gt_conv_geom *g = &cc->g;
    size_t nx = (size_t)g->n * g->in_h * g->in_w * g->in_c;
    size_t ny = (size_t)g->n * g->out_h * g->out_w * g->out_c;
    size_t nw = (size_t)g->out_c * g->k_h * g->k_w * g->in_c;
    float *x = host_floats(nx), *w = host_floats(nw), *bias = host_floats((size_t)g->out_c);
    float *dy = host_floats(ny);
    gt_test_fill(x, nx, &seed, -1.0f, 1.0f);
    gt_test_fill(w, nw, &seed, -0.5f, 0.5f);
    gt_test_fill(bias, (size_t)g->out_c, &seed, -0.5f, 0.5f);
    gt_test_fill(dy, ny, &seed, -1.0f, 1.0f);
    float *y[2], *dx[2], *dw[2], *dbias[2];
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        y[e] = host_floats(ny);
        dx[e] = host_floats(nx);
        dw[e] = host_floats(nw);
        dbias[e] = host_floats((size_t)g->out_c);
        size_t ws_bytes = be->conv2d_workspace_bytes(be, g);
        void *ws = ws_bytes ? dev_alloc(be, ws_bytes) : NULL;
        float *d_x = dev_from(be, x, nx * 4), *d_w = dev_from(be, w, nw * 4);
        float *d_b = dev_from(be, bias, (size_t)g->out_c * 4), *d_dy = dev_from(be, dy, ny * 4);
        float *d_y = dev_alloc(be, ny * 4), *d_dx = dev_alloc(be, nx * 4);
        float *d_dw = dev_alloc(be, nw * 4), *d_db = dev_alloc(be, (size_t)g->out_c * 4);
        CHECK_OK(be->conv2d_forward(be, g, d_y, d_x, d_w, cc->bias ? d_b : NULL,
                                    cc->relu ? GT_ACT_RELU : GT_ACT_LINEAR, ws));
        CHECK_OK(be->conv2d_backward_data(be, g, d_dx, d_dy, d_w, ws));
        CHECK_OK(be->conv2d_backward_filter(be, g, d_dw, d_db, d_dy, d_x, ws));
        dev_to(be, y[e], d_y, ny * 4);
        dev_to(be, dx[e], d_dx, nx * 4);
        dev_to(be, dw[e], d_dw, nw * 4);
        dev_to(be, dbias[e], d_db, (size_t)g->out_c * 4);
        void *bufs[] = {ws, d_x, d_w, d_b, d_dy, d_y, d_dx, d_dw, d_db};
        for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
            if (bufs[i]) be->free(be, bufs[i]);
    }
    /* fp32 (cuDNN FMA math, no TF32): implicit-GEMM sums agree to a few ulps
     * of max|out|; Winograd/FFT algorithms, which the heuristics may pick,
     * transform the operands and lose up to ~1e-5 of max: 1e-4 of max. tf32:
     * products of 10-bit-mantissa inputs, ~1e-3 of max after summation: 1e-2.
     * The bias gradient is gtrain's own fp32 reduction in both precisions. */
    double of_max = t->tf32 ? 1e-2 : 1e-4;
    char what[160];
    snprintf(what, sizeof what, "conv2d_forward (%s)", cc->what);
    compare(t, what, y[0], y[1], ny, of_max, 0.0);
    snprintf(what, sizeof what, "conv2d_backward_data (%s)", cc->what);
    compare(t, what, dx[0], dx[1], nx, of_max, 0.0);
    snprintf(what, sizeof what, "conv2d_backward_filter dw (%s)", cc->what);
    compare(t, what, dw[0], dw[1], nw, of_max, 0.0);
    snprintf(what, sizeof what, "conv2d_backward_filter db (%s)", cc->what);
    compare(t, what, dbias[0], dbias[1], (size_t)g->out_c, 1e-5, 1e-5);
    for (int e = 0; e < 2; ++e) {
        free(y[e]);
        free(dx[e]);
        free(dw[e]);
        free(dbias[e]);
    }
    free(x);
    free(w);
    free(bias);
    free(dy);
}

static void test_conv(const parity *t)
{
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; ++i)
        conv_case_run(t, &conv_cases[i], 100 + i);
}

/* One workspace shared by several geometries, as the trainer shares one
 * across its layers: every op call must work from whatever the previous op
 * left there (the padded copy of x, cuDNN scratch), and gradient outputs are
 * overwritten (beta = 0), never read. Workspace and outputs are filled with
 * NaN bytes before every call: a border of the padded input not rewritten,
 * a crop reading a stale row, an output accumulated instead of overwritten
 * all turn into NaN. Order: a large geometry first, then the asymmetric
 * 'same' stride-2 ones that run on an explicitly padded copy in the same
 * buffer, then one again (its result must be bit-identical: deterministic
 * algorithms), then a batch size never passed to conv2d_workspace_bytes (a
 * partial last batch), which must pick algorithms that fit. A fresh backend
 * makes "the largest workspace reported so far" exactly this buffer. */
static void conv_dirty_run(const parity *t, gt_backend *gpu, const gt_conv_geom *g, void *ws,
                           size_t ws_bytes, const unsigned char *nan_bytes, float *out[4],
                           unsigned long long seed)
{
    size_t nx = (size_t)g->n * g->in_h * g->in_w * g->in_c;
    size_t ny = (size_t)g->n * g->out_h * g->out_w * g->out_c;
    size_t nw = (size_t)g->out_c * g->k_h * g->k_w * g->in_c;
    size_t counts[4] = {ny, nx, nw, (size_t)g->out_c};
    float *x = host_floats(nx), *w = host_floats(nw), *bias = host_floats((size_t)g->out_c);
    float *dy = host_floats(ny);
    gt_test_fill(x, nx, &seed, -1.0f, 1.0f);
    gt_test_fill(w, nw, &seed, -0.5f, 0.5f);
    gt_test_fill(bias, (size_t)g->out_c, &seed, -0.5f, 0.5f);
    gt_test_fill(dy, ny, &seed, -1.0f, 1.0f);
    float *d_x = dev_from(gpu, x, nx * 4), *d_w = dev_from(gpu, w, nw * 4);
    float *d_b = dev_from(gpu, bias, (size_t)g->out_c * 4), *d_dy = dev_from(gpu, dy, ny * 4);
    float *d_out[4];
    for (int o = 0; o < 4; ++o)
        d_out[o] = dev_from(gpu, nan_bytes, counts[o] * 4);
    CHECK_OK(gpu->upload(gpu, ws, nan_bytes, ws_bytes));
    /* Linear: ReLU would turn a leaked NaN into 0 and hide it. */
    CHECK_OK(gpu->conv2d_forward(gpu, g, d_out[0], d_x, d_w, d_b, GT_ACT_LINEAR, ws));
    CHECK_OK(gpu->upload(gpu, ws, nan_bytes, ws_bytes));
    CHECK_OK(gpu->conv2d_backward_data(gpu, g, d_out[1], d_dy, d_w, ws));
    CHECK_OK(gpu->upload(gpu, ws, nan_bytes, ws_bytes));
    CHECK_OK(gpu->conv2d_backward_filter(gpu, g, d_out[2], d_out[3], d_dy, d_x, ws));
    for (int o = 0; o < 4; ++o) {
        out[o] = host_floats(counts[o]);
        dev_to(gpu, out[o], d_out[o], counts[o] * 4);
        gpu->free(gpu, d_out[o]);
    }
    gpu->free(gpu, d_x);
    gpu->free(gpu, d_w);
    gpu->free(gpu, d_b);
    gpu->free(gpu, d_dy);

    /* The oracle on the same inputs. */
    gt_backend *ref = t->ref;
    float *r_out[4];
    float *r_x = dev_from(ref, x, nx * 4), *r_w = dev_from(ref, w, nw * 4);
    float *r_b = dev_from(ref, bias, (size_t)g->out_c * 4), *r_dy = dev_from(ref, dy, ny * 4);
    float *r_d[4];
    for (int o = 0; o < 4; ++o)
        r_d[o] = dev_alloc(ref, counts[o] * 4);
    CHECK_OK(ref->conv2d_forward(ref, g, r_d[0], r_x, r_w, r_b, GT_ACT_LINEAR, NULL));
    CHECK_OK(ref->conv2d_backward_data(ref, g, r_d[1], r_dy, r_w, NULL));
    CHECK_OK(ref->conv2d_backward_filter(ref, g, r_d[2], r_d[3], r_dy, r_x, NULL));
    static const char *const names[4] = {"forward", "backward_data", "backward_filter dw",
                                         "backward_filter db"};
    for (int o = 0; o < 4; ++o) {
        r_out[o] = host_floats(counts[o]);
        dev_to(ref, r_out[o], r_d[o], counts[o] * 4);
        ref->free(ref, r_d[o]);
        char what[160];
        snprintf(what, sizeof what,
                 "conv2d %s, dirty shared workspace (n=%d in=%dx%dx%d k=%dx%d s=%d pad=%d,%d)",
                 names[o], g->n, g->in_h, g->in_w, g->in_c, g->k_h, g->k_w, g->stride_h, g->pad_top,
                 g->pad_left);
        double of_max = o == 3 ? 1e-5 : (t->tf32 ? 1e-2 : 1e-4);
        compare(t, what, out[o], r_out[o], counts[o], of_max, o == 3 ? 1e-5 : 0.0);
        free(r_out[o]);
    }
    ref->free(ref, r_x);
    ref->free(ref, r_w);
    ref->free(ref, r_b);
    ref->free(ref, r_dy);
    free(x);
    free(w);
    free(bias);
    free(dy);
}

static void test_conv_shared_workspace(const parity *t)
{
    gt_backend *gpu = NULL;
    CHECK_OK(gt_backend_create("cuda", 0, t->tf32 ? GT_PRECISION_TF32 : GT_PRECISION_FP32, &gpu));
    if (!gpu) return;
    /* n, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, pad_top, pad_left */
    const gt_conv_geom geoms[4] = {
        {4, 16, 16, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1}, /* large, symmetric: direct */
        {3, 10, 10, 8, 5, 5, 16, 3, 3, 2, 2, 0, 0},    /* 'same' s2 even: pad 0 top, 1 bottom */
        {2, 10, 10, 3, 5, 5, 4, 5, 5, 2, 2, 1, 1},     /* 'same' k5 s2 even: pad 1 top, 2 bottom */
        {2, 8, 8, 3, 3, 3, 4, 3, 3, 2, 2, 0, 0},       /* 'valid' s2: last row never read */
    };
    size_t ws_bytes = 0;
    for (int i = 0; i < 4; ++i) {
        size_t b = gpu->conv2d_workspace_bytes(gpu, &geoms[i]);
        if (b > ws_bytes) ws_bytes = b;
    }
    /* The padded geometries need at least their padded copy of x. */
    CHECK_MSG(ws_bytes > 0, "[%s] conv2d_workspace_bytes reports 0 for padded geometries: %s",
              t->precision, gt_last_error());
    size_t nan_len = ws_bytes;
    if (nan_len < ((size_t)1 << 20)) nan_len = (size_t)1 << 20; /* also covers every output */
    unsigned char *nan_bytes = malloc(nan_len);
    if (!nan_bytes) exit(1);
    memset(nan_bytes, 0xff, nan_len); /* 0xffffffff: a quiet NaN */
    void *ws = dev_alloc(gpu, ws_bytes);
    float *first[4], *again[4], *tmp[4];
    unsigned long long seed = 150;
    conv_dirty_run(t, gpu, &geoms[0], ws, ws_bytes, nan_bytes, tmp, seed);
    for (int o = 0; o < 4; ++o)
        free(tmp[o]);
    conv_dirty_run(t, gpu, &geoms[1], ws, ws_bytes, nan_bytes, first, seed + 1);
    for (int i = 2; i < 4; ++i) {
        conv_dirty_run(t, gpu, &geoms[i], ws, ws_bytes, nan_bytes, tmp, seed + (unsigned)i);
        for (int o = 0; o < 4; ++o)
            free(tmp[o]);
    }
    conv_dirty_run(t, gpu, &geoms[0], ws, ws_bytes, nan_bytes, tmp, seed);
    for (int o = 0; o < 4; ++o)
        free(tmp[o]);
    conv_dirty_run(t, gpu, &geoms[1], ws, ws_bytes, nan_bytes, again, seed + 1);
    const gt_conv_geom *g = &geoms[1];
    size_t counts[4] = {(size_t)g->n * g->out_h * g->out_w * g->out_c,
                        (size_t)g->n * g->in_h * g->in_w * g->in_c,
                        (size_t)g->out_c * g->k_h * g->k_w * g->in_c, (size_t)g->out_c};
    for (int o = 0; o < 4; ++o) {
        CHECK_MSG(memcmp(first[o], again[o], counts[o] * 4) == 0,
                  "[%s] conv2d output %d of 'same' s2 differs between two identical runs "
                  "(non-deterministic algorithm or stale workspace)",
                  t->precision, o);
        free(first[o]);
        free(again[o]);
    }
    /* A partial batch never sized through conv2d_workspace_bytes. */
    for (int i = 1; i < 3; ++i) {
        gt_conv_geom part = geoms[i];
        part.n = 1;
        conv_dirty_run(t, gpu, &part, ws, ws_bytes, nan_bytes, tmp, seed + 10 + (unsigned)i);
        for (int o = 0; o < 4; ++o)
            free(tmp[o]);
    }
    gpu->free(gpu, ws);
    free(nan_bytes);
    gt_backend_destroy(gpu);
}

/* ---- max pooling ---- */

static void pool_case(const parity *t, gt_pool_geom g, int ties, const char *what_case,
                      unsigned long long seed)
{
    size_t nx = (size_t)g.n * g.in_h * g.in_w * g.c, ny = (size_t)g.n * g.out_h * g.out_w * g.c;
    float *x = host_floats(nx), *dy = host_floats(ny);
    /* Few distinct values make tied maxima common: the first one must win. */
    if (ties)
        fill_quantized(x, nx, &seed, 4, 1.0f);
    else
        gt_test_fill(x, nx, &seed, -1.0f, 1.0f);
    gt_test_fill(dy, ny, &seed, -1.0f, 1.0f);
    float *y[2] = {host_floats(ny), host_floats(ny)}, *dx[2] = {host_floats(nx), host_floats(nx)};
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_x = dev_from(be, x, nx * 4), *d_dy = dev_from(be, dy, ny * 4);
        float *d_y = dev_alloc(be, ny * 4), *d_dx = dev_alloc(be, nx * 4);
        CHECK_OK(be->maxpool_forward(be, &g, d_y, d_x));
        CHECK_OK(be->maxpool_backward(be, &g, d_dx, d_dy, d_x, d_y));
        dev_to(be, y[e], d_y, ny * 4);
        dev_to(be, dx[e], d_dx, nx * 4);
        be->free(be, d_x);
        be->free(be, d_dy);
        be->free(be, d_y);
        be->free(be, d_dx);
    }
    /* Exact: a maximum is a selection, and each dx adds the dy of the windows
     * it wins in the same (row-major window) order on both backends. */
    char what[128];
    snprintf(what, sizeof what, "maxpool_forward (%s)", what_case);
    compare(t, what, y[0], y[1], ny, 0.0, 0.0);
    snprintf(what, sizeof what, "maxpool_backward (%s)", what_case);
    compare(t, what, dx[0], dx[1], nx, 0.0, 0.0);
    free(x);
    free(dy);
    for (int e = 0; e < 2; ++e) {
        free(y[e]);
        free(dx[e]);
    }
}

static void test_pool(const parity *t)
{
    /* n, in_h, in_w, c, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_top, pad_left */
    gt_pool_geom g1 = {2, 7, 6, 3, 3, 3, 2, 2, 2, 2, 0, 0};
    gt_pool_geom g2 = {2, 8, 8, 4, 4, 4, 3, 3, 2, 2, 0, 0}; /* 'same': pad bottom/right 1 */
    gt_pool_geom g3 = {1, 7, 7, 2, 4, 4, 3, 3, 2, 2, 1, 1}; /* 'same': pad 1 all round */
    gt_pool_geom g4 = {2, 6, 6, 3, 6, 6, 3, 3, 1, 1, 1, 1}; /* stride 1: up to 9 windows */
    unsigned long long seed = 300;
    for (int ties = 0; ties < 2; ++ties) {
        pool_case(t, g1, ties, ties ? "2x2 s2 valid, ties" : "2x2 s2 valid", seed++);
        pool_case(t, g2, ties, ties ? "3x3 s2 asymmetric same, ties" : "3x3 s2 asymmetric same",
                  seed++);
        pool_case(t, g3, ties, ties ? "3x3 s2 padded, ties" : "3x3 s2 padded", seed++);
        pool_case(t, g4, ties, ties ? "3x3 s1 same, ties" : "3x3 s1 same", seed++);
    }
}

/* ---- dense helpers: bias_act, bias_backward, relu_backward ---- */

static void test_bias_act(const parity *t)
{
    const int rows = 37, cols = 19;
    size_t n = (size_t)rows * cols;
    unsigned long long seed = 400;
    float *y0 = host_floats(n), *bias = host_floats(cols);
    gt_test_fill(y0, n, &seed, -1.0f, 1.0f);
    gt_test_fill(bias, cols, &seed, -0.5f, 0.5f);
    for (int variant = 0; variant < 3; ++variant) {
        int use_bias = variant != 2;
        gt_activation act = variant == 1 ? GT_ACT_LINEAR : GT_ACT_RELU;
        float *out[2] = {host_floats(n), host_floats(n)};
        gt_backend *bes[2] = {t->gpu, t->ref};
        for (int e = 0; e < 2; ++e) {
            gt_backend *be = bes[e];
            float *d_y = dev_from(be, y0, n * 4), *d_b = dev_from(be, bias, cols * 4);
            CHECK_OK(be->bias_act_forward(be, d_y, use_bias ? d_b : NULL, rows, cols, act));
            dev_to(be, out[e], d_y, n * 4);
            be->free(be, d_y);
            be->free(be, d_b);
        }
        /* Exact: one fp32 add and a comparison per element on both sides. */
        compare(t,
                variant == 0   ? "bias_act relu"
                : variant == 1 ? "bias_act linear"
                               : "bias_act relu, no bias",
                out[0], out[1], n, 0.0, 0.0);
        free(out[0]);
        free(out[1]);
    }
    free(y0);
    free(bias);
}

static void bias_backward_case(const parity *t, int rows, int cols, int quantized,
                               unsigned long long seed)
{
    size_t n = (size_t)rows * cols;
    float *dy = host_floats(n);
    if (quantized)
        fill_quantized(dy, n, &seed, 128, 1.0f / 64.0f);
    else
        gt_test_fill(dy, n, &seed, -1.0f, 1.0f);
    float *out[2] = {host_floats(cols), host_floats(cols)};
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_dy = dev_from(be, dy, n * 4), *d_db = dev_alloc(be, (size_t)cols * 4);
        CHECK_OK(be->bias_backward(be, d_db, d_dy, rows, cols));
        dev_to(be, out[e], d_db, (size_t)cols * 4);
        be->free(be, d_dy);
        be->free(be, d_db);
    }
    char what[96];
    snprintf(what, sizeof what, "bias_backward %dx%d%s", rows, cols,
             quantized ? " (exact sums)" : "");
    /* Quantized: multiples of 1/64 whose partial sums stay below 2^24 / 64
     * are exact in fp32 in any order, so the chunked GPU sum must equal the
     * CPU's exactly — that checks that every row is added once. Random: fp32
     * partial sums (GPU) vs double (CPU), a few ulps of the column sum. */
    compare(t, what, out[0], out[1], (size_t)cols, quantized ? 0.0 : 1e-5, quantized ? 0.0 : 1e-5);
    free(dy);
    free(out[0]);
    free(out[1]);
}

static void test_bias_backward(const parity *t)
{
    bias_backward_case(t, 1000, 19, 0, 500);
    bias_backward_case(t, 70001, 8, 1, 501);   /* many chunks: two-pass path */
    bias_backward_case(t, 3, 4096, 1, 502);    /* dense layer, tiny batch */
    bias_backward_case(t, 1, 10, 1, 503);      /* batch 1 */
    bias_backward_case(t, 131072, 64, 1, 504); /* VGG block 1 at batch 128 */
}

static void test_relu_backward(const parity *t)
{
    const size_t n = 1234;
    unsigned long long seed = 600;
    float *dy = host_floats(n), *y = host_floats(n);
    gt_test_fill(dy, n, &seed, -1.0f, 1.0f);
    fill_quantized(y, n, &seed, 4, 0.5f); /* zeros included: the boundary case */
    for (int in_place = 0; in_place < 2; ++in_place) {
        float *out[2] = {host_floats(n), host_floats(n)};
        gt_backend *bes[2] = {t->gpu, t->ref};
        for (int e = 0; e < 2; ++e) {
            gt_backend *be = bes[e];
            float *d_dy = dev_from(be, dy, n * 4), *d_y = dev_from(be, y, n * 4);
            float *d_dx = in_place ? d_dy : dev_alloc(be, n * 4);
            CHECK_OK(be->relu_backward(be, d_dx, d_dy, d_y, n));
            dev_to(be, out[e], d_dx, n * 4);
            if (!in_place) be->free(be, d_dx);
            be->free(be, d_dy);
            be->free(be, d_y);
        }
        /* Exact: a selection. */
        compare(t, in_place ? "relu_backward in place" : "relu_backward", out[0], out[1], n, 0.0,
                0.0);
        free(out[0]);
        free(out[1]);
    }
    free(dy);
    free(y);
}

/* ---- losses ---- */

static void loss_case(const parity *t, int prob, int n, int classes, int with_grad,
                      unsigned long long seed)
{
    size_t count = (size_t)n * classes;
    float *in = host_floats(count);
    int32_t *labels = calloc((size_t)n, sizeof *labels);
    gt_test_fill(in, count, &seed, -4.0f, 4.0f);
    for (int i = 0; i < n; ++i)
        labels[i] = (int32_t)(gt_test_rng_next(&seed) % (unsigned)classes);
    if (prob) {
        /* Probabilities: positive rows; row 0's label gets ~0 (clipped at
         * 1e-7) and row 1's label nearly all the mass (clipped at 1 - 1e-7). */
        for (size_t i = 0; i < count; ++i)
            in[i] = expf(in[i]);
        in[labels[0]] = 1e-12f;
        for (int j = 0; j < classes; ++j)
            in[(size_t)classes + j] = j == labels[1] ? 1.0f : 1e-9f;
    }
    float *grad[2] = {host_floats(count), host_floats(count)};
    float stats[2][2];
    gt_backend *bes[2] = {t->gpu, t->ref};
    const float scale = 1.0f / (float)n;
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_in = dev_from(be, in, count * 4), *d_g = dev_alloc(be, count * 4);
        float *d_stats = dev_alloc(be, 2 * sizeof(float));
        int32_t *d_labels = dev_from(be, labels, (size_t)n * sizeof(int32_t));
        float *g_out = with_grad ? d_g : NULL;
        if (prob)
            CHECK_OK(be->prob_xent(be, g_out, d_stats, d_in, d_labels, n, classes, scale));
        else
            CHECK_OK(be->softmax_xent(be, g_out, d_stats, d_in, d_labels, n, classes, scale));
        dev_to(be, stats[e], d_stats, sizeof stats[e]);
        if (with_grad) dev_to(be, grad[e], d_g, count * 4);
        be->free(be, d_in);
        be->free(be, d_g);
        be->free(be, d_stats);
        be->free(be, d_labels);
    }
    char what[96];
    const char *name = prob ? "prob_xent" : "softmax_xent";
    /* Both backends compute each row in double (exp/log may differ by an ulp
     * of a double) and round once to float; the batch sum's order differs
     * (tree vs sequential) in double: agreement to float rounding. The
     * correct count is an integer: exact. */
    snprintf(what, sizeof what, "%s loss sum n=%d", name, n);
    compare(t, what, &stats[0][0], &stats[1][0], 1, 0.0, 1e-6);
    snprintf(what, sizeof what, "%s correct count n=%d", name, n);
    compare(t, what, &stats[0][1], &stats[1][1], 1, 0.0, 0.0);
    if (with_grad) {
        snprintf(what, sizeof what, "%s gradient n=%d", name, n);
        compare(t, what, grad[0], grad[1], count, 1e-6, 1e-6);
    }
    free(in);
    free(labels);
    free(grad[0]);
    free(grad[1]);
}

static void test_losses(const parity *t)
{
    unsigned long long seed = 700;
    for (int prob = 0; prob < 2; ++prob) {
        loss_case(t, prob, 37, 10, 1, seed++);
        loss_case(t, prob, 37, 10, 0, seed++); /* evaluation: no gradient */
        loss_case(t, prob, 600, 6, 1, seed++); /* more rows than the block's threads */
        loss_case(t, prob, 2, 10, 1, seed++);  /* just the clipped rows */
    }
}

static void test_softmax_forward(const parity *t)
{
    const int n = 37, classes = 10;
    size_t count = (size_t)n * classes;
    unsigned long long seed = 800;
    float *logits = host_floats(count);
    gt_test_fill(logits, count, &seed, -8.0f, 8.0f);
    float *out[2] = {host_floats(count), host_floats(count)};
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_l = dev_from(be, logits, count * 4), *d_p = dev_alloc(be, count * 4);
        CHECK_OK(be->softmax_forward(be, d_p, d_l, n, classes));
        dev_to(be, out[e], d_p, count * 4);
        be->free(be, d_l);
        be->free(be, d_p);
    }
    /* Double inside the row on both sides, one rounding to float. */
    compare(t, "softmax_forward", out[0], out[1], count, 1e-7, 1e-6);
    free(logits);
    free(out[0]);
    free(out[1]);
}

/* ---- dropout ---- */

static void test_dropout(const parity *t)
{
    const size_t n = 1003; /* not a multiple of 4: a partial Philox block */
    const float rates[] = {0.5f, 0.25f, 0.0f};
    unsigned long long seed = 900;
    float *x = host_floats(n);
    gt_test_fill(x, n, &seed, -1.0f, 1.0f);
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; ++r) {
        for (int backward = 0; backward < 2; ++backward) {
            float *out[2] = {host_floats(n), host_floats(n)};
            gt_backend *bes[2] = {t->gpu, t->ref};
            for (int e = 0; e < 2; ++e) {
                gt_backend *be = bes[e];
                float *d_x = dev_from(be, x, n * 4), *d_y = dev_alloc(be, n * 4);
                /* offset 6: starts in the middle of a Philox block */
                if (backward)
                    CHECK_OK(be->dropout_backward(be, d_y, d_x, n, rates[r], 0x1234567890ULL, 6));
                else
                    CHECK_OK(be->dropout_forward(be, d_y, d_x, n, rates[r], 0x1234567890ULL, 6));
                dev_to(be, out[e], d_y, n * 4);
                be->free(be, d_x);
                be->free(be, d_y);
            }
            char what[64];
            snprintf(what, sizeof what, "dropout_%s rate %.2f", backward ? "backward" : "forward",
                     (double)rates[r]);
            /* Exact: the same Philox words decide the same mask, and x * factor
             * is one rounded multiply on both sides. */
            compare(t, what, out[0], out[1], n, 0.0, 0.0);
            free(out[0]);
            free(out[1]);
        }
    }
    free(x);
}

/* ---- optimizers ---- */

static void test_adam(const parity *t)
{
    const size_t n = 1001;
    unsigned long long seed = 1000;
    float *p = host_floats(n), *g = host_floats(n), *m = host_floats(n), *v = host_floats(n);
    gt_test_fill(p, n, &seed, -1.0f, 1.0f);
    gt_test_fill(m, n, &seed, -0.1f, 0.1f);
    gt_test_fill(v, n, &seed, 0.0f, 0.01f);
    float *res[2][3];
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_p = dev_from(be, p, n * 4), *d_m = dev_from(be, m, n * 4);
        float *d_v = dev_from(be, v, n * 4), *d_g = dev_alloc(be, n * 4);
        unsigned long long gseed = 1001;
        for (int64_t step = 1; step <= 3; ++step) {
            gt_test_fill(g, n, &gseed, -1.0f, 1.0f);
            CHECK_OK(be->upload(be, d_g, g, n * 4));
            gt_adam_params hp = {1e-3f, 0.9f, 0.999f, 1e-7f, step};
            CHECK_OK(be->adam_update(be, d_p, d_g, d_m, d_v, n, &hp));
        }
        float *bufs[3] = {d_p, d_m, d_v};
        for (int b = 0; b < 3; ++b) {
            res[e][b] = host_floats(n);
            dev_to(be, res[e][b], bufs[b], n * 4);
            be->free(be, bufs[b]);
        }
        be->free(be, d_g);
    }
    /* Same gt_adam_elem arithmetic; nvcc may contract a*b+c into one FMA
     * (one rounding fewer), so m and v differ by an ulp and p by an ulp plus
     * lr_t times that relative error: 1e-6 relative / of max. */
    compare(t, "adam params", res[0][0], res[1][0], n, 1e-6, 1e-6);
    compare(t, "adam m", res[0][1], res[1][1], n, 1e-6, 1e-6);
    compare(t, "adam v", res[0][2], res[1][2], n, 1e-6, 1e-6);
    for (int e = 0; e < 2; ++e)
        for (int b = 0; b < 3; ++b)
            free(res[e][b]);
    free(p);
    free(g);
    free(m);
    free(v);
}

static void test_sgd(const parity *t)
{
    const size_t n = 777;
    const float momenta[3] = {0.0f, 0.9f, 0.9f};
    const int nesterov[3] = {0, 0, 1};
    unsigned long long seed = 1100;
    float *p = host_floats(n), *g = host_floats(n), *vel = host_floats(n);
    gt_test_fill(p, n, &seed, -1.0f, 1.0f);
    gt_test_fill(g, n, &seed, -1.0f, 1.0f);
    for (int c = 0; c < 3; ++c) {
        float *res[2][2];
        gt_backend *bes[2] = {t->gpu, t->ref};
        for (int e = 0; e < 2; ++e) {
            gt_backend *be = bes[e];
            float *d_p = dev_from(be, p, n * 4), *d_g = dev_from(be, g, n * 4);
            float *d_v = momenta[c] != 0.0f ? dev_from(be, vel, n * 4) : NULL;
            for (int step = 0; step < 2; ++step)
                CHECK_OK(be->sgd_update(be, d_p, d_g, d_v, n, 0.01f, momenta[c], nesterov[c]));
            res[e][0] = host_floats(n);
            res[e][1] = host_floats(n);
            dev_to(be, res[e][0], d_p, n * 4);
            if (d_v) dev_to(be, res[e][1], d_v, n * 4);
            be->free(be, d_p);
            be->free(be, d_g);
            if (d_v) be->free(be, d_v);
        }
        char what[64];
        snprintf(what, sizeof what, "sgd momentum %.1f nesterov %d params", (double)momenta[c],
                 nesterov[c]);
        /* Same gt_sgd_elem; FMA contraction on the GPU: an ulp or two. */
        compare(t, what, res[0][0], res[1][0], n, 1e-6, 1e-6);
        snprintf(what, sizeof what, "sgd momentum %.1f nesterov %d velocity", (double)momenta[c],
                 nesterov[c]);
        compare(t, what, res[0][1], res[1][1], n, 1e-6, 1e-6);
        for (int e = 0; e < 2; ++e) {
            free(res[e][0]);
            free(res[e][1]);
        }
    }
    free(p);
    free(g);
    free(vel);
}

/* ---- preprocess-gather ---- */

static void preprocess_case(const parity *t, gt_preprocess pp, const char *what_case,
                            unsigned long long seed)
{
    const int count = 5, n = 6;
    const int32_t indices[6] = {4, 0, 3, 3, 1, 2};
    size_t image = (size_t)pp.in_h * pp.in_w * pp.in_c;
    size_t nx = (size_t)n * pp.out_h * pp.out_w * pp.out_c;
    uint8_t *images = malloc(image * count);
    int32_t labels[5];
    for (size_t i = 0; i < image * count; ++i)
        images[i] = (uint8_t)(gt_test_rng_next(&seed) >> 56);
    for (int i = 0; i < count; ++i)
        labels[i] = (int32_t)(gt_test_rng_next(&seed) % 10);
    float *x[2] = {host_floats(nx), host_floats(nx)};
    int32_t y[2][6];
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        uint8_t *d_img = dev_from(be, images, image * count);
        int32_t *d_lab = dev_from(be, labels, sizeof labels);
        int32_t *d_idx = dev_from(be, indices, sizeof indices);
        float *d_x = dev_alloc(be, nx * 4);
        int32_t *d_y = dev_alloc(be, sizeof y[e]);
        CHECK_OK(be->preprocess_gather(be, &pp, d_x, d_y, d_img, d_lab, d_idx, n));
        dev_to(be, x[e], d_x, nx * 4);
        dev_to(be, y[e], d_y, sizeof y[e]);
        be->free(be, d_img);
        be->free(be, d_lab);
        be->free(be, d_idx);
        be->free(be, d_x);
        be->free(be, d_y);
    }
    char what[96];
    snprintf(what, sizeof what, "preprocess_gather %s", what_case);
    /* Same taps and gt_bilinear_mix; FMA contraction in the lerps and in
     * x * scale + offset moves results by an ulp of the (0..255) pixel
     * before scaling: 1e-6 of max. */
    compare(t, what, x[0], x[1], nx, 1e-6, 1e-6);
    CHECK_MSG(memcmp(y[0], y[1], sizeof y[0]) == 0, "[%s] %s: gathered labels differ", t->precision,
              what);
    free(images);
    free(x[0]);
    free(x[1]);
}

static void test_preprocess(const parity *t)
{
    gt_preprocess resize = {28, 28, 1, 32, 32, 3, 1.0f / 255.0f, 0.0f};
    gt_preprocess plain = {28, 28, 1, 28, 28, 1, 1.0f / 255.0f, -0.5f};
    gt_preprocess rgb = {9, 7, 3, 9, 7, 3, 1.0f, 0.0f};
    gt_preprocess shrink = {64, 64, 3, 27, 31, 3, 2.0f / 255.0f, -1.0f};
    preprocess_case(t, resize, "28x28x1 -> 32x32x3 (VGG input)", 1200);
    preprocess_case(t, plain, "28x28x1 scale only", 1201);
    preprocess_case(t, rgb, "9x7x3 identity", 1202);
    preprocess_case(t, shrink, "64x64x3 -> 27x31x3", 1203);
}

/* ---- backend plumbing: fences, errors, describe ---- */

static void test_plumbing(const parity *t)
{
    gt_backend *be = t->gpu;
    const char *d = be->describe(be);
    CHECK_MSG(d && strstr(d, "cuda") && strstr(d, "cuDNN"), "describe() = \"%s\"", d ? d : "");
    printf("[%s] %s\n", t->precision, d ? d : "");

    /* download_async into pinned memory, polled through its fence. */
    const size_t n = 4096;
    float *host = host_floats(n);
    for (size_t i = 0; i < n; ++i)
        host[i] = (float)i;
    float *d_buf = dev_from(be, host, n * 4);
    float *pinned = NULL;
    CHECK_OK(be->host_alloc(be, n * 4, (void **)&pinned));
    if (pinned) {
        CHECK_OK(be->download_async(be, pinned, d_buf, n * 4, GT_BACKEND_FENCES - 1));
        long spins = 0;
        while (!be->fence_done(be, GT_BACKEND_FENCES - 1) && spins < 2000000000L)
            ++spins;
        CHECK(be->fence_done(be, GT_BACKEND_FENCES - 1));
        CHECK(memcmp(pinned, host, n * 4) == 0);
        CHECK_FAILS_WITH(be->download_async(be, host, d_buf, n * 4, 0), GT_ERR_INVALID_ARGUMENT,
                         "host_alloc");
        be->host_free(be, pinned);
    }
    /* copy and zero */
    float *d_copy = dev_alloc(be, n * 4);
    CHECK_OK(be->copy(be, d_copy, d_buf, n * 4));
    float *back = host_floats(n);
    dev_to(be, back, d_copy, n * 4);
    CHECK(memcmp(back, host, n * 4) == 0);
    CHECK_OK(be->zero(be, d_copy, n * 4));
    dev_to(be, back, d_copy, n * 4);
    CHECK(back[0] == 0.0f && back[n - 1] == 0.0f);
    be->free(be, d_copy);
    be->free(be, d_buf);
    free(back);
    free(host);

    /* Out of device memory names the bytes and suggests a smaller batch. */
    void *huge = NULL;
    CHECK_FAILS_WITH(be->alloc(be, (size_t)1 << 52, &huge), GT_ERR_OUT_OF_MEMORY, "smaller batch");
    CHECK(huge == NULL);
    /* ... and the backend still works afterwards. */
    void *small = NULL;
    CHECK_OK(be->alloc(be, 64, &small));
    if (small) be->free(be, small);
}

/* upload's contract: the caller may overwrite (or free) its buffer as soon
 * as upload returns, and the copy is ordered after ops queued before it.
 * Covers the three paths: small pageable (staged through pinned slots,
 * reused round-robin), large pageable, and pinned. */
static void test_upload_semantics(const parity *t)
{
    gt_backend *be = t->gpu;
    const size_t sizes[3] = {(size_t)3 << 10, (size_t)1 << 16, ((size_t)1 << 20) + 5};
    for (int pinned = 0; pinned < 2; ++pinned) {
        for (int sz = 0; sz < 3; ++sz) {
            size_t n = sizes[sz];
            float *h = NULL;
            if (pinned)
                CHECK_OK(be->host_alloc(be, n * 4, (void **)&h));
            else
                h = host_floats(n);
            if (!h) continue;
            enum { UPLOADS = 9 }; /* more than the staging slots */
            float *d[UPLOADS];
            for (int u = 0; u < UPLOADS; ++u) {
                d[u] = dev_alloc(be, n * 4);
                for (size_t i = 0; i < n; ++i)
                    h[i] = (float)(u * 1000003 + (int)(i % 999983));
                CHECK_OK(be->upload(be, d[u], h, n * 4));
            }
            for (size_t i = 0; i < n; ++i)
                h[i] = -1.0f; /* overwritten right after the last upload returned */
            float *back = host_floats(n);
            for (int u = 0; u < UPLOADS; ++u) {
                dev_to(be, back, d[u], n * 4);
                size_t bad = 0;
                for (size_t i = 0; i < n; ++i)
                    if (back[i] != (float)(u * 1000003 + (int)(i % 999983))) ++bad;
                CHECK_MSG(bad == 0,
                          "[%s] upload %d of %zu floats from %s memory: %zu values are not what "
                          "the buffer held when upload returned",
                          t->precision, u, n, pinned ? "pinned" : "pageable", bad);
                be->free(be, d[u]);
            }
            free(back);
            if (pinned)
                be->host_free(be, h);
            else
                free(h);
        }
    }

    /* Ordering: a copy reading `src` is queued, then src is overwritten by
     * an upload that does not wait; the copy must still see the old bytes. */
    const size_t big = (size_t)16 << 20; /* 64 MiB: the copy takes a while */
    float *old = host_floats(big);
    for (size_t i = 0; i < big; ++i)
        old[i] = (float)(i % 4099);
    float *d_src = dev_from(be, old, big * 4), *d_dst = dev_alloc(be, big * 4);
    float *fresh = host_floats(4096);
    for (int i = 0; i < 4096; ++i)
        fresh[i] = -7.0f;
    CHECK_OK(be->copy(be, d_dst, d_src, big * 4));
    CHECK_OK(be->upload(be, d_src, fresh, 4096 * 4));
    float *got = host_floats(big);
    dev_to(be, got, d_dst, big * 4);
    CHECK_MSG(memcmp(got, old, big * 4) == 0,
              "[%s] an upload overtook a copy queued before it that reads the same buffer",
              t->precision);
    dev_to(be, got, d_src, 4096 * 4);
    CHECK(memcmp(got, fresh, 4096 * 4) == 0);
    be->free(be, d_src);
    be->free(be, d_dst);
    free(old);
    free(fresh);
    free(got);
}

static void run_all(const parity *t)
{
    test_plumbing(t);
    test_upload_semantics(t);
    test_gemm(t);
    test_conv(t);
    test_conv_shared_workspace(t);
    test_pool(t);
    test_bias_act(t);
    test_bias_backward(t);
    test_relu_backward(t);
    test_losses(t);
    test_softmax_forward(t);
    test_dropout(t);
    test_adam(t);
    test_sgd(t);
    test_preprocess(t);
}

int main(void)
{
    gt_backend *gpu = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &gpu);
    if (code >= 0) return code;

    gt_backend *ref = NULL;
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref));
    if (!ref) TEST_EXIT();

    parity fp32 = {ref, gpu, 0, "fp32"};
    run_all(&fp32);
    gt_backend_destroy(gpu);

    gpu = NULL;
    CHECK_OK(gt_backend_create("cuda", 0, GT_PRECISION_TF32, &gpu));
    if (gpu) {
        parity tf32 = {ref, gpu, 1, "tf32"};
        run_all(&tf32);
        gt_backend_destroy(gpu);
    }

    gt_backend *bf16 = NULL;
    CHECK_FAILS_WITH(gt_backend_create("cuda", 0, GT_PRECISION_BF16, &bf16), GT_ERR_UNSUPPORTED,
                     "bf16");
    gt_backend_destroy(ref);
    if (!gt_test_failures) printf("gpu_ops_parity: all ops agree in fp32 and tf32\n");
    TEST_EXIT();
}
