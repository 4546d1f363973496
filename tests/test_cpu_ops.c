/* The fast CPU ops against the reference ops (the oracle) on random shapes:
 * odd sizes, batch 1, valid and same padding (asymmetric same with stride 2),
 * strides 1 and 2, kernels 1, 3, 5, pools 2 and 3, all GEMM transposes. The
 * fast backend runs with 2 and with 3 threads (3 > cores: uneven splits), and
 * each op is run twice to check it is deterministic. Tolerances are
 * "scaled errors" (max |fast - ref| / max |ref|), stated per op with why. */
#include "cpu/cpu_internal.h"
#include "cpu_ops_common.h"

static gt_backend *ref_be;
static gt_backend *fast_bes[2];

/* ---- GEMM ---- */

/* Float accumulation (OpenBLAS, FMA or not) against a double sum: error
 * grows like sqrt(k) * 2^-24 relative to the result's scale; k <= 300 here,
 * so 1e-5 leaves a wide margin while an indexing bug gives O(1). */
#define GEMM_TOL 1e-5

typedef void (*sgemm_fn)(int threads, int ta, int tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);

static void check_gemm_case(int ta, int tb, int m, int n, int k, float alpha, float beta,
                            unsigned long long *rng)
{
    /* Leading dimensions larger than needed, to catch ld/width confusion. */
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    size_t a_n = (size_t)(ta ? k : m) * lda, b_n = (size_t)(tb ? n : k) * ldb;
    size_t c_n = (size_t)m * ldc;
    float *a = rand_buf(a_n, rng, -1, 1), *b = rand_buf(b_n, rng, -1, 1);
    float *c0 = rand_buf(c_n, rng, -1, 1);
    float *c_ref = malloc(c_n * sizeof *c_ref), *c_got = malloc(c_n * sizeof *c_got);
    memcpy(c_ref, c0, c_n * sizeof *c0);
    CHECK_OK(ref_be->gemm(ref_be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_ref, ldc));
    char what[128];
    /* The backend's GEMM (OpenBLAS when built with it) and the built-in
     * sgemm directly, so the no-OpenBLAS path is tested on every machine. */
    for (int impl = 0; impl < 4; ++impl) {
        memcpy(c_got, c0, c_n * sizeof *c0);
        if (impl < 2) {
            gt_backend *be = fast_bes[impl];
            CHECK_OK(be->gemm(be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_got, ldc));
        } else {
            gt_cpu_sgemm(impl == 2 ? 1 : 3, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_got,
                         ldc);
        }
        snprintf(what, sizeof what, "gemm impl %d ta=%d tb=%d m=%d n=%d k=%d", impl, ta, tb, m, n,
                 k);
        CHECK_CLOSE(what, c_got, c_ref, c_n, GEMM_TOL);
        /* The padding columns of C (j >= n) are never touched. */
        for (int i = 0; i < m; ++i)
            for (int j = n; j < ldc; ++j)
                CHECK_MSG(c_got[(size_t)i * ldc + j] == c0[(size_t)i * ldc + j], "%s: wrote ld pad",
                          what);
    }
    free(a);
    free(b);
    free(c0);
    free(c_ref);
    free(c_got);
}

static void test_gemm(unsigned long long *rng)
{
    static const int sizes[][3] = {
        {1, 1, 1}, {37, 29, 53}, {5, 300, 7}, {70, 260, 290}, {130, 9, 3}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                check_gemm_case(ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 0.7f, 0.3f, rng);
    check_gemm_case(0, 0, 33, 17, 65, 1.0f, 1.0f, rng);
    check_gemm_case(1, 0, 33, 17, 65, -2.0f, 0.0f, rng);

    /* beta = 0 ignores C's old content, even NaN (BLAS convention). */
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};
    for (int impl = 0; impl < 3; ++impl) {
        float c[4] = {NAN, NAN, NAN, NAN};
        if (impl == 0) CHECK_OK(ref_be->gemm(ref_be, 0, 0, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2));
        if (impl == 1)
            CHECK_OK(fast_bes[0]->gemm(fast_bes[0], 0, 0, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2));
        if (impl == 2) gt_cpu_sgemm(2, 0, 0, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2);
        /* [1 2 3; 4 5 6] [1 0; 0 1; 1 1] = [4 5; 10 11] */
        CHECK(c[0] == 4.0f && c[1] == 5.0f && c[2] == 10.0f && c[3] == 11.0f);
    }
    float c[4];
    CHECK_FAILS_WITH(ref_be->gemm(ref_be, 0, 0, 2, 2, 3, 1.0f, a, 2, b, 2, 0.0f, c, 2),
                     GT_ERR_INVALID_ARGUMENT, "lda=2");
    CHECK_FAILS_WITH(fast_bes[0]->gemm(fast_bes[0], 0, 1, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2),
                     GT_ERR_INVALID_ARGUMENT, "ldb=2");
}

/* ---- bias, activation ---- */

static void test_bias_relu(unsigned long long *rng)
{
    const int rows = 1500, cols = 70; /* > 32768 elements: the parallel path */
    size_t n = (size_t)rows * cols;
    float *y0 = rand_buf(n, rng, -1, 1), *bias = rand_buf(cols, rng, -0.5f, 0.5f);
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    for (int act = 0; act < 2; ++act)
        for (int with_bias = 0; with_bias < 2; ++with_bias) {
            memcpy(want, y0, n * sizeof *y0);
            CHECK_OK(ref_be->bias_act_forward(ref_be, want, with_bias ? bias : NULL, rows, cols,
                                              (gt_activation)act));
            for (int b = 0; b < 2; ++b) {
                memcpy(got, y0, n * sizeof *y0);
                CHECK_OK(fast_bes[b]->bias_act_forward(fast_bes[b], got, with_bias ? bias : NULL,
                                                       rows, cols, (gt_activation)act));
                /* One float add and a max: bitwise equal. */
                CHECK_CLOSE("bias_act_forward", got, want, n, 0.0);
            }
        }
    CHECK_FAILS_WITH(ref_be->bias_act_forward(ref_be, got, bias, rows, cols, GT_ACT_SOFTMAX),
                     GT_ERR_INVALID_ARGUMENT, "activation");

    /* Both sum each column in row order in double: bitwise equal. */
    float db_ref[70], db_fast[70];
    CHECK_OK(ref_be->bias_backward(ref_be, db_ref, y0, rows, cols));
    for (int b = 0; b < 2; ++b) {
        CHECK_OK(fast_bes[b]->bias_backward(fast_bes[b], db_fast, y0, rows, cols));
        CHECK_CLOSE("bias_backward", db_fast, db_ref, (size_t)cols, 0.0);
    }

    /* relu_backward, also in place (dx aliases dy), exact. */
    float *y = rand_buf(n, rng, -1, 1), *dy = rand_buf(n, rng, -1, 1);
    CHECK_OK(ref_be->relu_backward(ref_be, want, dy, y, n));
    memcpy(got, dy, n * sizeof *dy);
    CHECK_OK(fast_bes[0]->relu_backward(fast_bes[0], got, got, y, n));
    CHECK_CLOSE("relu_backward", got, want, n, 0.0);
    for (size_t i = 0; i < n; ++i)
        CHECK(want[i] == (y[i] > 0 ? dy[i] : 0.0f));
    free(y0);
    free(bias);
    free(want);
    free(got);
    free(y);
    free(dy);
}

/* ---- convolution ---- */

/* im2col + float GEMM against double sums over <= 200 taps (or 256 * 8 * 8
 * products for the filter gradient): sqrt(terms) * 2^-24 stays below 1e-6 of
 * the output scale; 2e-5 is a 20x margin, while a wrong tap or pad is O(1). */
#define CONV_TOL 2e-5

static void check_conv_case(const gt_conv_geom *g, gt_activation act, int with_bias,
                            unsigned long long *rng)
{
    size_t xn = conv_x_size(g), yn = conv_y_size(g), wn = conv_w_size(g);
    float *x = rand_buf(xn, rng, -1, 1), *w = rand_buf(wn, rng, -1, 1);
    float *bias = rand_buf((size_t)g->out_c, rng, -1, 1), *dy = rand_buf(yn, rng, -1, 1);
    float *y_ref = zero_buf(yn), *dx_ref = zero_buf(xn), *dw_ref = zero_buf(wn);
    float *db_ref = zero_buf((size_t)g->out_c);
    float *y = zero_buf(yn), *dx = zero_buf(xn), *dw = zero_buf(wn),
          *db = zero_buf((size_t)g->out_c);
    float *again = zero_buf(xn > wn ? (xn > yn ? xn : yn) : (wn > yn ? wn : yn));
    char what[200];
    snprintf(what, sizeof what, "conv n%d %dx%dx%d->%dx%dx%d k%d s%d pad %d,%d", g->n, g->in_h,
             g->in_w, g->in_c, g->out_h, g->out_w, g->out_c, g->k_h, g->stride_h, g->pad_top,
             g->pad_left);

    CHECK(ref_be->conv2d_workspace_bytes(ref_be, g) == 0);
    const float *b = with_bias ? bias : NULL;
    CHECK_OK(ref_be->conv2d_forward(ref_be, g, y_ref, x, w, b, act, NULL));
    CHECK_OK(ref_be->conv2d_backward_data(ref_be, g, dx_ref, dy, w, NULL));
    CHECK_OK(ref_be->conv2d_backward_filter(ref_be, g, dw_ref, db_ref, dy, x, NULL));
    for (int k = 0; k < 2; ++k) {
        gt_backend *be = fast_bes[k];
        void *ws = conv_workspace(be, g);
        run_conv_ops(what, be, g, act, x, w, b, dy, ws, y, dx, dw, db, again);
        CHECK_CLOSE(what, y, y_ref, yn, CONV_TOL);
        CHECK_CLOSE(what, dx, dx_ref, xn, CONV_TOL);
        CHECK_CLOSE(what, dw, dw_ref, wn, CONV_TOL);
        CHECK_CLOSE(what, db, db_ref, (size_t)g->out_c, 0.0); /* same double sums */
        be->free(be, ws);
    }
    free(x);
    free(w);
    free(bias);
    free(dy);
    free(y_ref);
    free(dx_ref);
    free(dw_ref);
    free(db_ref);
    free(y);
    free(dx);
    free(dw);
    free(db);
    free(again);
}

static void test_conv(unsigned long long *rng)
{
    /* n, h, w, in_c, out_c, k, stride, same */
    static const int cases[][8] = {
        {1, 5, 7, 3, 4, 3, 1, 1},   /* batch 1, odd sizes, same */
        {3, 8, 8, 2, 5, 3, 2, 1},   /* same, stride 2: pad 0 before, 1 after */
        {2, 6, 9, 3, 3, 5, 2, 1},   /* same, stride 2, k5: pads 1/2 and 2/2 */
        {2, 9, 7, 4, 6, 5, 1, 0},   /* valid k5 */
        {2, 11, 13, 5, 7, 3, 2, 0}, /* valid stride 2, odd: last row unused */
        {4, 6, 6, 8, 16, 1, 1, 0},  /* pointwise: the no-workspace GEMM path */
        {2, 7, 5, 3, 2, 1, 2, 0},   /* 1x1 stride 2: im2col path */
        {3, 10, 10, 1, 8, 3, 1, 1}, /* one input channel (first layer) */
        {1, 4, 4, 2, 3, 5, 1, 1},   /* kernel larger than the image */
        /* 0.74 MB of columns per image: two chunks (22 + 8 images) */
        {30, 32, 32, 20, 4, 3, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const int *c = cases[i];
        gt_conv_geom g = conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        check_conv_case(&g, i % 2 ? GT_ACT_RELU : GT_ACT_LINEAR, i % 3 != 0, rng);
    }
    /* The multi-chunk case really has more than one chunk. */
    gt_conv_geom big = conv_geom(30, 32, 32, 20, 4, 3, 1, 1);
    size_t ws = fast_bes[0]->conv2d_workspace_bytes(fast_bes[0], &big);
    CHECK(ws > 0 && ws < (size_t)30 * 32 * 32 * 9 * 20 * sizeof(float));

    /* Workspace stays bounded for VGG-16 at batch 256 on 32x32 inputs. */
    static const int vgg[][3] = {{32, 3, 64},    {32, 64, 64},  {16, 64, 128},
                                 {16, 128, 128}, {8, 128, 256}, {8, 256, 256},
                                 {4, 256, 512},  {4, 512, 512}, {2, 512, 512}};
    for (size_t i = 0; i < sizeof vgg / sizeof vgg[0]; ++i) {
        gt_conv_geom g = conv_geom(256, vgg[i][0], vgg[i][0], vgg[i][1], vgg[i][2], 3, 1, 1);
        size_t bytes = fast_bes[0]->conv2d_workspace_bytes(fast_bes[0], &g);
        CHECK_MSG(bytes <= ((size_t)32 << 20), "VGG-16 layer %zu workspace %zu bytes", i, bytes);
    }

    gt_conv_geom bad = conv_geom(1, 5, 5, 1, 1, 3, 1, 1);
    bad.stride_h = 0;
    float dummy[64];
    CHECK_FAILS_WITH(
        ref_be->conv2d_forward(ref_be, &bad, dummy, dummy, dummy, NULL, GT_ACT_LINEAR, NULL),
        GT_ERR_SHAPE, "stride");
    gt_conv_geom needs_ws = conv_geom(1, 5, 5, 1, 1, 3, 1, 1);
    CHECK_FAILS_WITH(fast_bes[0]->conv2d_forward(fast_bes[0], &needs_ws, dummy, dummy, dummy, NULL,
                                                 GT_ACT_LINEAR, NULL),
                     GT_ERR_INVALID_ARGUMENT, "workspace");
}

/* ---- max pooling ---- */

static void check_pool_case(const gt_pool_geom *g, int quantized, unsigned long long *rng)
{
    size_t xn = (size_t)g->n * g->in_h * g->in_w * g->c;
    size_t yn = (size_t)g->n * g->out_h * g->out_w * g->c;
    float *x = rand_buf(xn, rng, -1, 1), *dy = rand_buf(yn, rng, -1, 1);
    /* Few distinct values: windows full of ties, to check the first-maximum rule. */
    if (quantized)
        for (size_t i = 0; i < xn; ++i)
            x[i] = floorf(x[i] * 2.0f);
    float *y_ref = zero_buf(yn), *dx_ref = zero_buf(xn), *y = zero_buf(yn), *dx = zero_buf(xn);
    char what[160];
    snprintf(what, sizeof what, "maxpool n%d %dx%dx%d->%dx%d k%d s%d pad %d,%d q%d", g->n, g->in_h,
             g->in_w, g->c, g->out_h, g->out_w, g->k_h, g->stride_h, g->pad_top, g->pad_left,
             quantized);
    CHECK_OK(ref_be->maxpool_forward(ref_be, g, y_ref, x));
    CHECK_OK(ref_be->maxpool_backward(ref_be, g, dx_ref, dy, x));
    for (int k = 0; k < 2; ++k) {
        gt_backend *be = fast_bes[k];
        for (size_t i = 0; i < xn; ++i)
            dx[i] = 1e6f;
        CHECK_OK(be->maxpool_forward(be, g, y, x));
        CHECK_OK(be->maxpool_backward(be, g, dx, dy, x));
        /* Same winner, same order of the additions into dx: bitwise equal. */
        CHECK_CLOSE(what, y, y_ref, yn, 0.0);
        CHECK_CLOSE(what, dx, dx_ref, xn, 0.0);
    }
    free(x);
    free(dy);
    free(y_ref);
    free(dx_ref);
    free(y);
    free(dx);
}

static void test_pool(unsigned long long *rng)
{
    /* n, h, w, c, k, stride, same */
    static const int cases[][7] = {
        {2, 6, 6, 3, 2, 2, 0},
        {1, 7, 5, 4, 3, 2, 1},
        {3, 9, 9, 70, 3, 2, 0},
        {2, 5, 8, 2, 3, 1, 1},
        {2, 7, 7, 5, 2, 2, 1},
        {1, 28, 28, 8, 2, 2, 0},
        {4, 3, 3, 130, 3, 3, 1},
        /* disjoint windows leaving cells no window reads: the last row and
         * column of an odd input, and the gaps of stride 3 over 2x2 windows */
        {3, 11, 11, 32, 2, 2, 0},
        {2, 9, 10, 6, 2, 3, 0},
        /* 81-cell windows: the fast forward's large-window path */
        {2, 12, 12, 5, 9, 3, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const int *c = cases[i];
        gt_pool_geom g = pool_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        check_pool_case(&g, 0, rng);
        check_pool_case(&g, 1, rng);
    }

    /* By hand: a window of equal values gives its gradient to the first cell. */
    gt_pool_geom tie = pool_geom(1, 2, 2, 1, 2, 2, 0);
    float x[9] = {5, 5, 5, 5}, y[4], dy[4] = {3}, dx[9];
    for (int k = 0; k < 3; ++k) {
        gt_backend *be = k == 2 ? ref_be : fast_bes[k];
        CHECK_OK(be->maxpool_forward(be, &tie, y, x));
        CHECK_OK(be->maxpool_backward(be, &tie, dx, dy, x));
        CHECK(y[0] == 5 && dx[0] == 3 && dx[1] == 0 && dx[2] == 0 && dx[3] == 0);
    }
    /* Padded cells never win, even over negative values: 3x3 'same' stride 2
     * pads one row/column after, so output (1,1) sees only x[2][2]. */
    gt_pool_geom pad = pool_geom(1, 3, 3, 1, 2, 2, 1);
    CHECK(pad.out_h == 2 && pad.pad_top == 0);
    float xn[9] = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
    for (int k = 0; k < 3; ++k) {
        gt_backend *be = k == 2 ? ref_be : fast_bes[k];
        CHECK_OK(be->maxpool_forward(be, &pad, y, xn));
        CHECK(y[0] == -5 && y[1] == -4 && y[2] == -2 && y[3] == -1);
    }
    gt_pool_geom empty = pool_geom(1, 4, 4, 1, 2, 2, 0);
    empty.out_h = 5; /* the last window would lie entirely outside */
    CHECK_FAILS_WITH(fast_bes[0]->maxpool_forward(fast_bes[0], &empty, y, x), GT_ERR_SHAPE,
                     "window");
}

int main(void)
{
    unsigned long long rng = 0x9E3779B97F4A7C15ull;
    ref_be = make_backend("cpu-reference", 1);
    fast_bes[0] = make_backend("cpu", 2);
    fast_bes[1] = make_backend("cpu", 3);
    test_gemm(&rng);
    test_bias_relu(&rng);
    test_conv(&rng);
    test_pool(&rng);
    gt_backend_destroy(ref_be);
    gt_backend_destroy(fast_bes[0]);
    gt_backend_destroy(fast_bes[1]);
    TEST_EXIT();
}
