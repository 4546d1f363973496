/* Precision bf16 on the CPU backend (AVX512_BF16 CPUs, builds with oneDNN):
 * GEMM in all four transpose combinations, the three convolution ops and a
 * 3-step training run against the fp32 reference backend, and determinism.
 *
 * Two comparisons per op:
 * - "exact-input": the reference computes on inputs already rounded to bf16.
 *   bf16 x bf16 products are exact in fp32 (8 + 8 mantissa bits <= 24), so
 *   the only difference left is fp32 versus double accumulation, the same
 *   error the fp32 tests allow: a wrong rounding mode (truncation) or a
 *   missed conversion shows up here as a ~2^-8 error, far above it.
 * - "fp32": the reference on the original fp32 inputs, the error a user sees.
 *   Each rounded input is off by at most 2^-8 relative (half an ulp of an
 *   8-bit significand: 7 stored bits + the implicit one), so each product by
 *   at most ~2^-7; those errors have random signs and add up like the output
 *   itself (both grow as sqrt(k) for random data), so the scaled error stays
 *   a small multiple of 2^-8 (~4e-3); 1.5e-2 allows for unlucky
 *   cancellation, while an indexing bug gives O(1). */
#include <stdint.h>

#include "cpu/cpu_internal.h"
#include "cpu_ops_common.h"
#include "elem_math.h"
#include "test_util_data.h"

/* see the file comment: double vs fp32 accumulation of exact products,
 * sqrt(k) * 2^-24 with k <= ~600 here, with a wide margin (as GEMM_TOL) */
#define EXACT_INPUT_TOL 2e-5
/* see the file comment: a few times the 2^-8 relative rounding per input */
#define FP32_TOL 1.5e-2

static gt_backend *ref_be;
static gt_backend *bf_be[2]; /* 2 and 3 threads (3 > cores: uneven slices) */

/* x rounded to bf16 and back: the value the bf16 kernels actually multiply. */
static float *rounded_copy(const float *x, size_t n)
{
    float *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) abort();
    for (size_t i = 0; i < n; ++i)
        r[i] = gt_bf16_to_f32(gt_f32_to_bf16(x[i]));
    return r;
}

static void check_gemm_case(int ta, int tb, int m, int n, int k, float alpha, float beta,
                            unsigned long long *rng)
{
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
    size_t a_n = (size_t)(ta ? k : m) * lda, b_n = (size_t)(tb ? n : k) * ldb;
    size_t c_n = (size_t)m * ldc;
    float *a = rand_buf(a_n, rng, -1, 1), *b = rand_buf(b_n, rng, -1, 1);
    float *c0 = rand_buf(c_n, rng, -1, 1);
    float *ar = rounded_copy(a, a_n), *br = rounded_copy(b, b_n);
    float *c_exact = malloc(c_n * sizeof(float)), *c_fp32 = malloc(c_n * sizeof(float));
    float *c_got = malloc(c_n * sizeof(float)), *c_again = malloc(c_n * sizeof(float));
    memcpy(c_exact, c0, c_n * sizeof(float));
    memcpy(c_fp32, c0, c_n * sizeof(float));
    CHECK_OK(ref_be->gemm(ref_be, ta, tb, m, n, k, alpha, ar, lda, br, ldb, beta, c_exact, ldc));
    CHECK_OK(ref_be->gemm(ref_be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_fp32, ldc));
    char what[128];
    for (int i = 0; i < 2; ++i) {
        gt_backend *be = bf_be[i];
        snprintf(what, sizeof what, "bf16 gemm %d threads ta=%d tb=%d m=%d n=%d k=%d a=%g b=%g",
                 gt_cpu_threads(be), ta, tb, m, n, k, alpha, beta);
        memcpy(c_got, c0, c_n * sizeof(float));
        CHECK_OK(be->gemm(be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_got, ldc));
        CHECK_CLOSE(what, c_got, c_exact, c_n, EXACT_INPUT_TOL);
        CHECK_CLOSE(what, c_got, c_fp32, c_n, FP32_TOL);
        memcpy(c_again, c0, c_n * sizeof(float));
        CHECK_OK(be->gemm(be, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c_again, ldc));
        CHECK_MSG(memcmp(c_again, c_got, c_n * sizeof(float)) == 0, "%s: not deterministic", what);
        for (int r = 0; r < m; ++r)
            for (int j = n; j < ldc; ++j)
                CHECK_MSG(c_got[(size_t)r * ldc + j] == c0[(size_t)r * ldc + j], "%s: wrote ld pad",
                          what);
    }
    free(a);
    free(b);
    free(c0);
    free(ar);
    free(br);
    free(c_exact);
    free(c_fp32);
    free(c_got);
    free(c_again);
}

static void test_gemm(unsigned long long *rng)
{
    /* m, n, k: a single row, odd k (a half-filled bf16 pair), C wider than
     * tall (column slices), and big enough to split over threads */
    static const int shapes[][3] = {{1, 7, 5}, {13, 9, 37}, {40, 300, 129}, {257, 65, 96}};
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
                float alpha = s == 1 ? 0.5f : 1.0f, beta = s == 2 ? 1.0f : (s == 3 ? 0.25f : 0.0f);
                check_gemm_case(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], alpha, beta, rng);
            }
}

/* The bf16 columns are exactly the fp32 columns rounded by gt_f32_to_bf16
 * (the packing's AVX-512 rounding must agree bit for bit with the shared
 * element function), including ties, inf and NaN, for runs of every length
 * class: k_w * in_c = 3, 9 (scalar-length runs), 16, 40 (several vectors). */
static void test_im2col_rounding(unsigned long long *rng)
{
    static const int cases[][8] = {{2, 6, 7, 1, 3, 3, 1, 1},
                                   {1, 5, 5, 3, 2, 3, 2, 0},
                                   {2, 4, 4, 8, 2, 2, 1, 1},
                                   {1, 6, 6, 8, 2, 5, 1, 1}};
    static const uint32_t specials[] = {0x3f808000u, 0x3f818000u, 0x7f800000u, 0xff800000u,
                                        0x7fc00000u, 0x7f800001u, 0x7f7fffffu, 0x00018000u};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        const int *k = cases[c];
        gt_conv_geom g = conv_geom(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]);
        size_t xn = conv_x_size(&g), rows = (size_t)g.n * g.out_h * g.out_w;
        size_t taps = (size_t)g.k_h * g.k_w * g.in_c;
        float *x = rand_buf(xn, rng, -3, 3);
        for (size_t i = 0; i < xn; i += 5)
            memcpy(&x[i], &specials[(i / 5) % (sizeof specials / sizeof specials[0])], 4);
        float *col = zero_buf(rows * taps);
        uint16_t *colb = malloc(rows * taps * sizeof *colb);
        gt_cpu_im2col_rows(&g, col, x, 0, rows);
        gt_cpu_im2col_rows_bf16(&g, colb, x, 0, rows);
        size_t bad = 0;
        for (size_t i = 0; i < rows * taps; ++i)
            bad += colb[i] != gt_f32_to_bf16(col[i]);
        CHECK_MSG(bad == 0, "im2col bf16 case %zu: %zu of %zu entries differ from gt_f32_to_bf16",
                  c, bad, rows * taps);
        free(x);
        free(col);
        free(colb);
    }
}

static void check_conv_case(const gt_conv_geom *g, unsigned long long *rng)
{
    size_t xn = conv_x_size(g), yn = conv_y_size(g), wn = conv_w_size(g);
    float *x = rand_buf(xn, rng, -1, 1), *w = rand_buf(wn, rng, -1, 1);
    float *bias = rand_buf((size_t)g->out_c, rng, -1, 1), *dy = rand_buf(yn, rng, -1, 1);
    float *xr = rounded_copy(x, xn), *wr = rounded_copy(w, wn), *dyr = rounded_copy(dy, yn);
    float *y_e = zero_buf(yn), *dx_e = zero_buf(xn), *dw_e = zero_buf(wn);
    float *y_f = zero_buf(yn), *dx_f = zero_buf(xn), *dw_f = zero_buf(wn);
    float *db_ref = zero_buf((size_t)g->out_c), *db = zero_buf((size_t)g->out_c);
    float *y = zero_buf(yn), *dx = zero_buf(xn), *dw = zero_buf(wn);
    float *again = zero_buf(xn > wn ? (xn > yn ? xn : yn) : (wn > yn ? wn : yn));
    char what[200];
    /* exact-input references: each op's two GEMM operands rounded */
    CHECK_OK(ref_be->conv2d_forward(ref_be, g, y_e, xr, wr, bias, GT_ACT_RELU, NULL));
    CHECK_OK(ref_be->conv2d_backward_data(ref_be, g, dx_e, dyr, wr, NULL));
    CHECK_OK(ref_be->conv2d_backward_filter(ref_be, g, dw_e, NULL, dyr, xr, NULL));
    CHECK_OK(ref_be->conv2d_forward(ref_be, g, y_f, x, w, bias, GT_ACT_RELU, NULL));
    CHECK_OK(ref_be->conv2d_backward_data(ref_be, g, dx_f, dy, w, NULL));
    CHECK_OK(ref_be->conv2d_backward_filter(ref_be, g, dw_f, db_ref, dy, x, NULL));
    for (int i = 0; i < 2; ++i) {
        gt_backend *be = bf_be[i];
        snprintf(what, sizeof what, "bf16 conv %d threads n%d %dx%dx%d->%dx%dx%d k%d s%d",
                 gt_cpu_threads(be), g->n, g->in_h, g->in_w, g->in_c, g->out_h, g->out_w, g->out_c,
                 g->k_h, g->stride_h);
        void *ws = conv_workspace(be, g);
        CHECK_MSG(ws != NULL, "%s: bf16 needs a workspace (even 1x1)", what);
        run_conv_ops(what, be, g, GT_ACT_RELU, x, w, bias, dy, ws, y, dx, dw, db, again);
        CHECK_CLOSE(what, y, y_e, yn, EXACT_INPUT_TOL);
        CHECK_CLOSE(what, y, y_f, yn, FP32_TOL);
        CHECK_CLOSE(what, dx, dx_e, xn, EXACT_INPUT_TOL);
        CHECK_CLOSE(what, dx, dx_f, xn, FP32_TOL);
        CHECK_CLOSE(what, dw, dw_e, wn, EXACT_INPUT_TOL);
        CHECK_CLOSE(what, dw, dw_f, wn, FP32_TOL);
        /* the bias gradient is not a GEMM: fp32 dy, the same double sums */
        CHECK_CLOSE(what, db, db_ref, (size_t)g->out_c, 0.0);
        be->free(be, ws);
    }
    float *bufs[] = {x,   w,    bias, dy,     xr, wr, dyr, y_e, dx_e, dw_e,
                     y_f, dx_f, dw_f, db_ref, db, y,  dx,  dw,  again};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
        free(bufs[i]);
}

static void test_conv(unsigned long long *rng)
{
    /* n, h, w, in_c, out_c, k, stride, same */
    static const int cases[][8] = {
        {1, 5, 7, 3, 4, 3, 1, 1},     /* batch 1: the split single-image data gradient */
        {3, 8, 8, 2, 5, 3, 2, 1},     /* same, stride 2 */
        {2, 9, 7, 4, 6, 5, 1, 0},     /* valid k5 */
        {4, 6, 6, 8, 16, 1, 1, 0},    /* pointwise: im2col path in bf16 */
        {3, 10, 10, 1, 8, 3, 1, 1},   /* one input channel (run of 3) */
        {30, 32, 32, 20, 4, 3, 1, 1}, /* several chunks per thread */
        {4, 8, 8, 64, 32, 3, 1, 1},   /* VGG-like channel counts */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const int *c = cases[i];
        gt_conv_geom g = conv_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        check_conv_case(&g, rng);
    }
}

/* Parameters after `steps` training steps of the tiny CNN (conv, pool, dense,
 * dropout, dense softmax; Adam) on one backend. */
static gt_status train(const char *device, int threads, gt_precision precision, int steps,
                       const gt_model *model, const gt_dataset *data, float *params, double *loss0)
{
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_status st = gt_backend_create(device, threads, precision, &be);
    gt_train_config cfg = gt_train_config_for(model);
    cfg.batch_size = 16;
    cfg.seed = 42;
    if (st == GT_OK) st = gt_trainer_create(model, be, &cfg, &tr);
    for (int s = 0; s < steps && st == GT_OK; ++s) {
        int32_t idx[16];
        for (int i = 0; i < 16; ++i)
            idx[i] = (int32_t)(s * 16 + i);
        double loss = 0.0;
        st = gt_trainer_step(tr, data, idx, 16, &loss, NULL);
        if (s == 0 && loss0) *loss0 = loss / 16.0;
    }
    if (st == GT_OK) st = gt_trainer_get_params(tr, params, gt_model_param_count(model));
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    return st;
}

static void test_training(void)
{
    gt_model *model = NULL;
    gt_dataset *data = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, 64, 5, 3, &data));
    if (!model || !data) return;
    size_t np = gt_model_param_count(model);
    float *ref = malloc(np * sizeof(float)), *bf = malloc(np * sizeof(float));
    float *bf2 = malloc(np * sizeof(float)), *init = malloc(np * sizeof(float));
    double loss_ref = 0.0, loss_bf = 0.0;
    CHECK_OK(train("cpu-reference", 1, GT_PRECISION_FP32, 0, model, data, init, NULL));
    CHECK_OK(train("cpu-reference", 1, GT_PRECISION_FP32, 3, model, data, ref, &loss_ref));
    CHECK_OK(train("cpu", 2, GT_PRECISION_BF16, 3, model, data, bf, &loss_bf));
    /* First-step loss: the forward pass only, logits off by ~2^-8 relative
     * (see FP32_TOL), so the mean cross-entropy moves by about that much. */
    CHECK_MSG(fabs(loss_bf - loss_ref) <= 1e-2 * fabs(loss_ref), "loss %.6f vs fp32 %.6f", loss_bf,
              loss_ref);
    /* Adam's first steps move each weight by about lr * g / |g| whatever |g|
     * is, so a bf16 gradient (~2^-8 relative error) changes an update only
     * where g is tiny enough for its sign or its ratio to m/sqrt(v) to shift:
     * per weight at most 2 lr per step (a full sign flip), 3 steps => 6 lr;
     * on average far less, so the mean difference must stay below 5% of
     * one step's lr, while a wrong gradient gives O(lr) everywhere. */
    float lr = gt_train_config_for(model).learning_rate;
    double max_d = 0.0, sum_d = 0.0, moved = 0.0;
    for (size_t i = 0; i < np; ++i) {
        double d = fabs((double)bf[i] - (double)ref[i]);
        if (d > max_d) max_d = d;
        sum_d += d;
        moved += fabs((double)ref[i] - (double)init[i]);
    }
    CHECK_MSG(max_d <= 6.0 * lr, "max |bf16 - fp32| parameter difference %.3g > 6 lr", max_d);
    CHECK_MSG(sum_d / np <= 0.05 * lr, "mean |bf16 - fp32| parameter difference %.3g > 0.05 lr",
              sum_d / np);
    CHECK_MSG(moved / np > lr, "training did not move the weights (%.3g)", moved / np);
    printf("3-step parity: loss %.6f vs %.6f, param diff max %.3g mean %.3g (lr %g)\n", loss_bf,
           loss_ref, max_d, sum_d / np, lr);

    /* Determinism: same seed and threads, same bits. */
    CHECK_OK(train("cpu", 2, GT_PRECISION_BF16, 3, model, data, bf2, NULL));
    CHECK_MSG(memcmp(bf, bf2, np * sizeof(float)) == 0, "two bf16 runs differ");
    free(ref);
    free(bf);
    free(bf2);
    free(init);
    gt_dataset_free(data);
    gt_model_free(model);
}

int main(void)
{
    /* The reference backend is the fp32 oracle on every machine. */
    gt_backend *none = NULL;
    CHECK_FAILS_WITH(gt_backend_create("cpu-reference", 1, GT_PRECISION_BF16, &none),
                     GT_ERR_UNSUPPORTED, "bf16");
    CHECK(none == NULL);
    gt_status st = gt_backend_create("cpu", 2, GT_PRECISION_BF16, &bf_be[0]);
    if (st == GT_ERR_UNSUPPORTED) {
        /* the message names what is missing: the CPU feature or oneDNN */
        CHECK(strstr(gt_last_error(), gt_cpu_has_avx512_bf16() ? "oneDNN" : "AVX512_BF16"));
        if (gt_test_failures) TEST_EXIT();
        TEST_SKIP("no bf16 path here: %s", gt_last_error());
    }
    CHECK_OK(st);
    CHECK_OK(gt_backend_create("cpu", 3, GT_PRECISION_BF16, &bf_be[1]));
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref_be));
    if (!bf_be[0] || !bf_be[1] || !ref_be) TEST_EXIT();
    CHECK(strstr(bf_be[0]->describe(bf_be[0]), "bf16") != NULL);
    unsigned long long rng = 2024;
    test_im2col_rounding(&rng);
    test_gemm(&rng);
    test_conv(&rng);
    test_training();
    gt_backend_destroy(bf_be[0]);
    gt_backend_destroy(bf_be[1]);
    gt_backend_destroy(ref_be);
    TEST_EXIT();
}
