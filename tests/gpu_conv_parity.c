/* CPU-vs-GPU parity of the convolution and pooling ops (cuDNN and gtrain's
 * own kernels against the cpu-reference oracle), in fp32 and tf32, with the
 * tolerance of each op and precision written next to its reason. */
#include "gpu_parity_common.h"
/* white-box: the zoo's conv layers and their geometries */
#include "model_internal.h"
#include "trainer_internal.h"

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
    /* the repeated run below must be bit-identical: ask for deterministic
     * algorithms rather than rely on the heuristics listing them first */
    CHECK_OK(gt_backend_set_deterministic(gpu, 1));
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

/* ---- the zoo's conv layers at the benchmarked batch sizes ----
 * cuDNN chooses algorithms per geometry, batch size included, so those run
 * at batch 100 or 512 are not the ones the cases above check at batch 1-4.
 * Every distinct Conv2D geometry of the zoo runs at the batch sizes that
 * gpu_check.sh benchmarks, and a slice of examples (first, middle, last) is
 * checked against the fast CPU backend run on those examples alone (the
 * plain-loop reference would take minutes): forward and backward-data are
 * per example; backward-filter runs with dy zero outside the slice, so its
 * sum over the whole batch is the slice's sum. Tolerances as in
 * conv_case_run. */
#define SLICE 3

static int same_layer_geometry(const gt_conv_geom *a, const gt_conv_geom *b)
{
    gt_conv_geom x = *a, y = *b;
    x.n = y.n = 1;
    return memcmp(&x, &y, sizeof x) == 0;
}

/* The distinct Conv2D geometries (batch 1) of every zoo model. */
static int zoo_conv_geometries(gt_conv_geom *out, int cap)
{
    int count = 0;
    for (const char *const *name = gt_zoo_names(); *name; ++name) {
        gt_model *m = NULL;
        CHECK_OK(gt_model_from_zoo(*name, &m));
        if (!m) continue;
        for (int i = 0; i < m->n_layers; ++i) {
            if (m->layers[i].kind != GT_LAYER_CONV2D) continue;
            gt_conv_geom g = gt_layer_conv_geom(&m->layers[i], 1);
            int seen = 0;
            for (int k = 0; k < count && !seen; ++k)
                seen = same_layer_geometry(&out[k], &g);
            if (!seen && count < cap) out[count++] = g;
        }
        gt_model_free(m);
    }
    return count;
}

/* Copies examples `pick` (SLICE of them) of a batch tensor, `each` floats apiece. */
static void take_slice(float *dst, const float *src, const int *pick, size_t each)
{
    for (int s = 0; s < SLICE; ++s)
        memcpy(dst + (size_t)s * each, src + (size_t)pick[s] * each, each * sizeof(float));
}

/* conv ops of geometry g on backend be; dw/db from dy_filter. */
static void conv_ops(gt_backend *be, const gt_conv_geom *g, const float *x, const float *w,
                     const float *bias, const float *dy, const float *dy_filter, float *y,
                     float *dx, float *dw, float *db)
{
    size_t nx = (size_t)g->n * g->in_h * g->in_w * g->in_c;
    size_t ny = (size_t)g->n * g->out_h * g->out_w * g->out_c;
    size_t nw = (size_t)g->out_c * g->k_h * g->k_w * g->in_c, nb = (size_t)g->out_c;
    size_t ws_bytes = be->conv2d_workspace_bytes(be, g);
    void *ws = ws_bytes ? dev_alloc(be, ws_bytes) : NULL;
    float *d_x = dev_from(be, x, nx * 4), *d_w = dev_from(be, w, nw * 4);
    float *d_b = dev_from(be, bias, nb * 4), *d_dy = dev_from(be, dy, ny * 4);
    float *d_dyf = dev_from(be, dy_filter, ny * 4);
    float *d_y = dev_alloc(be, ny * 4), *d_dx = dev_alloc(be, nx * 4);
    float *d_dw = dev_alloc(be, nw * 4), *d_db = dev_alloc(be, nb * 4);
    CHECK_OK(be->conv2d_forward(be, g, d_y, d_x, d_w, d_b, GT_ACT_LINEAR, ws));
    CHECK_OK(be->conv2d_backward_data(be, g, d_dx, d_dy, d_w, ws));
    CHECK_OK(be->conv2d_backward_filter(be, g, d_dw, d_db, d_dyf, d_x, ws));
    dev_to(be, y, d_y, ny * 4);
    dev_to(be, dx, d_dx, nx * 4);
    dev_to(be, dw, d_dw, nw * 4);
    dev_to(be, db, d_db, nb * 4);
    void *bufs[] = {ws, d_x, d_w, d_b, d_dy, d_dyf, d_y, d_dx, d_dw, d_db};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
        if (bufs[i]) be->free(be, bufs[i]);
}

static void conv_batch_slice_run(const parity *t, gt_backend *cpu, gt_conv_geom g, int n,
                                 unsigned long long seed)
{
    g.n = n;
    const int pick[SLICE] = {0, n / 2, n - 1};
    size_t ex = (size_t)g.in_h * g.in_w * g.in_c, ey = (size_t)g.out_h * g.out_w * g.out_c;
    size_t nw = (size_t)g.out_c * g.k_h * g.k_w * g.in_c, nb = (size_t)g.out_c;
    float *x = host_floats(ex * n), *dy = host_floats(ey * n), *dyf = host_floats(ey * n);
    float *w = host_floats(nw), *bias = host_floats(nb);
    gt_test_fill(x, ex * n, &seed, -1.0f, 1.0f);
    gt_test_fill(dy, ey * n, &seed, -1.0f, 1.0f);
    gt_test_fill(w, nw, &seed, -0.5f, 0.5f);
    gt_test_fill(bias, nb, &seed, -0.5f, 0.5f);
    for (int s = 0; s < SLICE; ++s) /* dy of the slice only, for backward-filter */
        memcpy(dyf + (size_t)pick[s] * ey, dy + (size_t)pick[s] * ey, ey * sizeof(float));
    float *y = host_floats(ey * n), *dx = host_floats(ex * n), *dw = host_floats(nw);
    float *db = host_floats(nb);
    conv_ops(t->gpu, &g, x, w, bias, dy, dyf, y, dx, dw, db);

    gt_conv_geom gs = g;
    gs.n = SLICE;
    float *xs = host_floats(ex * SLICE), *dys = host_floats(ey * SLICE);
    take_slice(xs, x, pick, ex);
    take_slice(dys, dy, pick, ey);
    float *ys = host_floats(ey * SLICE), *dxs = host_floats(ex * SLICE), *dws = host_floats(nw);
    float *dbs = host_floats(nb);
    conv_ops(cpu, &gs, xs, w, bias, dys, dys, ys, dxs, dws, dbs);
    /* the GPU's outputs on the slice */
    float *y_pick = host_floats(ey * SLICE), *dx_pick = host_floats(ex * SLICE);
    take_slice(y_pick, y, pick, ey);
    take_slice(dx_pick, dx, pick, ex);
    double of_max = t->tf32 ? 1e-2 : 1e-4;
    char what[200];
    const char *ops[4] = {"forward", "backward_data", "backward_filter dw", "backward_filter db"};
    const float *got[4] = {y_pick, dx_pick, dw, db}, *want[4] = {ys, dxs, dws, dbs};
    size_t counts[4] = {ey * SLICE, ex * SLICE, nw, nb};
    for (int o = 0; o < 4; ++o) {
        snprintf(what, sizeof what,
                 "conv2d %s at batch %d, examples 0/%d/%d (in %dx%dx%d out %dx%dx%d k%d s%d)",
                 ops[o], n, pick[1], pick[2], g.in_h, g.in_w, g.in_c, g.out_h, g.out_w, g.out_c,
                 g.k_h, g.stride_h);
        compare(t, what, got[o], want[o], counts[o], o == 3 ? 1e-5 : of_max, o == 3 ? 1e-5 : 0.0);
    }
    float *bufs[] = {x,  dy,  dyf, w,   bias, y,   dx,     dw,     db,
                     xs, dys, ys,  dxs, dws,  dbs, y_pick, dx_pick};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
        free(bufs[i]);
}

static void test_conv_benchmark_batches(const parity *t)
{
    /* the batch sizes scripts/gpu_check.sh times (its short sweep and the
     * full sweep's largest) */
    static const int batches[] = {32, 100, 256, 512};
    gt_backend *cpu = NULL;
    CHECK_OK(gt_backend_create("cpu", 0, GT_PRECISION_FP32, &cpu));
    if (!cpu) return;
    gt_conv_geom geoms[64];
    int count = zoo_conv_geometries(geoms, 64);
    CHECK_MSG(count >= 10, "expected the zoo's conv geometries, found %d", count);
    unsigned long long seed = 500;
    for (int i = 0; i < count; ++i)
        for (size_t b = 0; b < sizeof batches / sizeof batches[0]; ++b)
            conv_batch_slice_run(t, cpu, geoms[i], batches[b], seed++);
    gt_backend_destroy(cpu);
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
        CHECK_OK(be->maxpool_backward(be, &g, d_dx, d_dy, d_x));
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

/* ---- average pooling and zero padding: the same per-cell double sums on
 * both sides (elem_math.h), so bit for bit ---- */

/* A forward/backward pair of ops on both backends from the same x and dy;
 * results exact (bit for bit). */
typedef struct shape_pair {
    const char *forward, *backward;
    gt_status (*run_forward)(gt_backend *be, const void *geom, float *y, const float *x);
    gt_status (*run_backward)(gt_backend *be, const void *geom, float *dx, const float *dy);
} shape_pair;

static gt_status avg_fwd(gt_backend *be, const void *g, float *y, const float *x)
{
    return be->avgpool_forward(be, g, y, x);
}
static gt_status avg_bwd(gt_backend *be, const void *g, float *dx, const float *dy)
{
    return be->avgpool_backward(be, g, dx, dy);
}
static gt_status pad_fwd(gt_backend *be, const void *g, float *y, const float *x)
{
    return be->pad2d_forward(be, g, y, x);
}
static gt_status pad_bwd(gt_backend *be, const void *g, float *dx, const float *dy)
{
    return be->pad2d_backward(be, g, dx, dy);
}

static void shape_pair_case(const parity *t, const shape_pair *op, const void *geom, size_t nx,
                            size_t ny, const char *what_case, unsigned long long seed)
{
    float *x = host_floats(nx), *dy = host_floats(ny);
    gt_test_fill(x, nx, &seed, -1.0f, 1.0f);
    gt_test_fill(dy, ny, &seed, -1.0f, 1.0f);
    float *y[2] = {host_floats(ny), host_floats(ny)}, *dx[2] = {host_floats(nx), host_floats(nx)};
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_x = dev_from(be, x, nx * 4), *d_dy = dev_from(be, dy, ny * 4);
        float *d_y = dev_alloc(be, ny * 4), *d_dx = dev_alloc(be, nx * 4);
        CHECK_OK(op->run_forward(be, geom, d_y, d_x));
        CHECK_OK(op->run_backward(be, geom, d_dx, d_dy));
        dev_to(be, y[e], d_y, ny * 4);
        dev_to(be, dx[e], d_dx, nx * 4);
        void *bufs[] = {d_x, d_dy, d_y, d_dx};
        for (int i = 0; i < 4; ++i)
            be->free(be, bufs[i]);
    }
    char what[128];
    snprintf(what, sizeof what, "%s (%s)", op->forward, what_case);
    compare(t, what, y[0], y[1], ny, 0.0, 0.0);
    snprintf(what, sizeof what, "%s (%s)", op->backward, what_case);
    compare(t, what, dx[0], dx[1], nx, 0.0, 0.0);
    float *bufs[] = {x, dy, y[0], y[1], dx[0], dx[1]};
    for (int i = 0; i < 6; ++i)
        free(bufs[i]);
}

static void avgpool_case(const parity *t, gt_pool_geom g, const char *what_case,
                         unsigned long long seed)
{
    static const shape_pair op = {"avgpool_forward", "avgpool_backward", avg_fwd, avg_bwd};
    shape_pair_case(t, &op, &g, (size_t)g.n * g.in_h * g.in_w * g.c,
                    (size_t)g.n * g.out_h * g.out_w * g.c, what_case, seed);
}

static void pad_case(const parity *t, gt_pad_geom g, unsigned long long seed)
{
    static const shape_pair op = {"pad2d_forward", "pad2d_backward", pad_fwd, pad_bwd};
    shape_pair_case(t, &op, &g, (size_t)g.n * g.in_h * g.in_w * g.c,
                    (size_t)g.n * (g.top + g.in_h + g.bottom) * (g.left + g.in_w + g.right) * g.c,
                    "zero padding", seed);
}

static void test_avgpool_pad(const parity *t)
{
    /* n, in_h, in_w, c, out_h, out_w, k_h, k_w, stride_h, stride_w, pad_top, pad_left */
    avgpool_case(t, (gt_pool_geom){2, 7, 6, 3, 3, 3, 2, 2, 2, 2, 0, 0}, "2x2 s2 valid", 320);
    avgpool_case(t, (gt_pool_geom){2, 8, 8, 4, 4, 4, 3, 3, 2, 2, 0, 0}, "3x3 s2 same", 321);
    avgpool_case(t, (gt_pool_geom){1, 7, 7, 2, 4, 4, 3, 3, 2, 2, 1, 1}, "3x3 s2 padded", 322);
    avgpool_case(t, (gt_pool_geom){3, 5, 5, 64, 1, 1, 5, 5, 1, 1, 0, 0}, "global 5x5x64", 323);
    pad_case(t, (gt_pad_geom){2, 5, 4, 3, 1, 2, 3, 0}, 324);
    pad_case(t, (gt_pad_geom){1, 28, 28, 1, 2, 2, 2, 2}, 325);
}

static void run_all(const parity *t)
{
    test_conv(t);
    test_conv_shared_workspace(t);
    test_conv_benchmark_batches(t);
    test_pool(t);
    test_avgpool_pad(t);
}

int main(void)
{
    return gt_parity_main("gpu_conv_parity", run_all);
}
