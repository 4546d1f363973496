/* CPU-vs-GPU parity of every backend op except convolution and pooling
 * (gpu_conv_parity.c): each op runs on the "cuda" backend
 * and on the "cpu-reference" oracle with the same random inputs (fixed
 * seeds), and the outputs are compared with a tolerance chosen per op and
 * precision (fp32 and tf32), each written next to its reason.
 *
 * Comparison rule: |gpu - cpu| <= of_max * max|cpu| + rel * |cpu|. An
 * indexing bug moves an output by O(max|cpu|), far outside every bound. */
#include "gpu_parity_common.h"
#include "optim_cases.h"
/* white-box: the element math and the activations' names */
#include "elem_math.h"
#include "model_internal.h"

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

/* Every elementwise activation, forward and backward, in place too. The
 * element math is computed in double and rounded once on both sides, so
 * CUDA's and glibc's exp/log1p/erf (both within an ulp or two of double)
 * round to the same float but in rare ties: 1 float ulp (~6e-8 relative). */
static void test_activations(const parity *t)
{
    const size_t n = 2001;
    unsigned long long seed = 650;
    float *x = host_floats(n), *dy = host_floats(n);
    gt_test_fill(x, n, &seed, -6.0f, 6.0f);
    gt_test_fill(dy, n, &seed, -1.0f, 1.0f);
    x[0] = 0.0f; /* the kink */
    for (int a = 0; a < GT_ACT_COUNT; ++a) {
        if (a == GT_ACT_SOFTMAX) continue;
        gt_activation act = (gt_activation)a;
        float alpha = act == GT_ACT_LEAKY_RELU ? 0.3f : 1.0f;
        for (int in_place = 0; in_place < 2; ++in_place) {
            float *y[2] = {host_floats(n), host_floats(n)},
                  *dx[2] = {host_floats(n), host_floats(n)};
            gt_backend *bes[2] = {t->gpu, t->ref};
            for (int e = 0; e < 2; ++e) {
                gt_backend *be = bes[e];
                float *d_x = dev_from(be, x, n * 4), *d_dy = dev_from(be, dy, n * 4);
                float *d_y = in_place ? d_x : dev_alloc(be, n * 4);
                float *d_dx = in_place ? d_dy : dev_alloc(be, n * 4);
                /* in place, x is gone after the forward: only the y-only gradients */
                if (in_place && gt_act_grad_needs_x(act)) {
                    be->free(be, d_x);
                    be->free(be, d_dy);
                    continue;
                }
                CHECK_OK(be->act_forward(be, d_y, d_x, n, act, alpha));
                CHECK_OK(
                    be->act_backward(be, d_dx, d_dy, in_place ? NULL : d_x, d_y, n, act, alpha));
                dev_to(be, y[e], d_y, n * 4);
                dev_to(be, dx[e], d_dx, n * 4);
                if (!in_place) {
                    be->free(be, d_y);
                    be->free(be, d_dx);
                }
                be->free(be, d_x);
                be->free(be, d_dy);
            }
            if (!(in_place && gt_act_grad_needs_x(act))) {
                char what[80];
                snprintf(what, sizeof what, "act_forward %s%s", gt_activation_name(act),
                         in_place ? " in place" : "");
                compare(t, what, y[0], y[1], n, 0.0, 1.2e-7);
                snprintf(what, sizeof what, "act_backward %s%s", gt_activation_name(act),
                         in_place ? " in place" : "");
                compare(t, what, dx[0], dx[1], n, 0.0, 1.2e-7);
            }
            for (int e = 0; e < 2; ++e) {
                free(y[e]);
                free(dx[e]);
            }
        }
    }
    free(x);
    free(dy);
}

/* ---- losses ---- */

static void loss_case(const parity *t, int prob, float log_epsilon, int n, int classes,
                      int with_grad, unsigned long long seed)
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
            CHECK_OK(be->softmax_xent(be, g_out, d_stats, d_in, d_labels, n, classes, scale,
                                      log_epsilon));
        dev_to(be, stats[e], d_stats, sizeof stats[e]);
        if (with_grad) dev_to(be, grad[e], d_g, count * 4);
        be->free(be, d_in);
        be->free(be, d_g);
        be->free(be, d_stats);
        be->free(be, d_labels);
    }
    char what[96];
    const char *name =
        prob ? "prob_xent" : (log_epsilon > 0 ? "softmax_xent (log epsilon)" : "softmax_xent");
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
        loss_case(t, prob, 0.0f, 37, 10, 1, seed++);
        loss_case(t, prob, 0.0f, 37, 10, 0, seed++); /* evaluation: no gradient */
        loss_case(t, prob, 0.0f, 600, 6, 1, seed++); /* more rows than the block's threads */
        loss_case(t, prob, 0.0f, 2, 10, 1, seed++);  /* just the clipped rows */
    }
    /* notebook 004's -log(p + epsilon): 0.05 so that p / (p + epsilon) is far from 1 */
    loss_case(t, 0, 0.05f, 37, 10, 1, seed++);
    loss_case(t, 0, 0.05f, 600, 6, 1, seed++);
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
        /* offset 6 starts in the middle of a Philox block; the backward pass
         * is the same op on dy, so it needs no case of its own */
        const uint64_t offsets[2] = {6, 1u << 20};
        for (int o = 0; o < 2; ++o) {
            float *out[2] = {host_floats(n), host_floats(n)};
            gt_backend *bes[2] = {t->gpu, t->ref};
            for (int e = 0; e < 2; ++e) {
                gt_backend *be = bes[e];
                float *d_x = dev_from(be, x, n * 4), *d_y = dev_alloc(be, n * 4);
                CHECK_OK(
                    be->dropout_forward(be, d_y, d_x, n, rates[r], 0x1234567890ULL, offsets[o]));
                dev_to(be, out[e], d_y, n * 4);
                be->free(be, d_x);
                be->free(be, d_y);
            }
            char what[64];
            snprintf(what, sizeof what, "dropout_forward rate %.2f offset %llu", (double)rates[r],
                     (unsigned long long)offsets[o]);
            /* Exact: the same Philox words decide the same mask, and x * factor
             * is one rounded multiply on both sides. */
            compare(t, what, out[0], out[1], n, 0.0, 0.0);
            free(out[0]);
            free(out[1]);
        }
    }
    free(x);
}

/* ---- merge ops (Add, Subtract, Average, Multiply, Concatenate) ----
 * Exact: one rounded multiply (and add) per element on both sides, without
 * FMA contraction (--fmad=false), and copies. */
static void test_merge(const parity *t)
{
    const size_t n = 70001, rows = 10000;
    unsigned long long seed = 950;
    float *x = host_floats(n), *y0 = host_floats(n);
    gt_test_fill(x, n, &seed, -2.0f, 2.0f);
    gt_test_fill(y0, n, &seed, -2.0f, 2.0f);
    static const char *const what[] = {"axpby beta 0", "axpby", "mul", "channel_copy into",
                                       "channel_copy slice"};
    for (int op = 0; op < 5; ++op) {
        float *out[2] = {host_floats(n), host_floats(n)};
        gt_backend *bes[2] = {t->gpu, t->ref};
        for (int e = 0; e < 2; ++e) {
            gt_backend *be = bes[e];
            float *d_x = dev_from(be, x, n * 4), *d_y = dev_from(be, y0, n * 4);
            if (op == 0) CHECK_OK(be->axpby(be, d_y, d_x, n, -0.7f, 0.0f));
            if (op == 1) CHECK_OK(be->axpby(be, d_y, d_x, n, 0.3f, 1.0f));
            if (op == 2) CHECK_OK(be->mul(be, d_y, d_x, d_y, n));
            /* rows of 7 channels: 3 of them into channels 2..4, or a slice back */
            if (op == 3) CHECK_OK(be->channel_copy(be, d_y, 7, 2, d_x, 3, 0, rows, 3));
            if (op == 4) CHECK_OK(be->channel_copy(be, d_y, 3, 0, d_x, 7, 4, rows, 3));
            dev_to(be, out[e], d_y, n * 4);
            be->free(be, d_x);
            be->free(be, d_y);
        }
        compare(t, what[op], out[0], out[1], n, 0.0, 0.0);
        free(out[0]);
        free(out[1]);
    }
    free(x);
    free(y0);
}

/* ---- batch normalization ----
 * Both sides sum elem_math.h's terms in double, in different orders (the CPU
 * by row, the GPU in chunks), so the float results agree to an ulp or two:
 * 1e-6 of max for the outputs and dx (dx subtracts nearly equal terms), 1e-6
 * relative for the statistics and parameter gradients. Shapes: one chunk,
 * many chunks, more channels than one block of 32, a single row (variance 0),
 * and gamma/beta absent. */
static void batchnorm_case(const parity *t, int rows, int ch, int affine, unsigned long long seed)
{
    size_t n = (size_t)rows * ch, c = (size_t)ch;
    float *x = host_floats(n), *dy = host_floats(n), *gamma = host_floats(c),
          *beta = host_floats(c);
    float *mm = host_floats(c), *mv = host_floats(c);
    gt_test_fill(x, n, &seed, -2.0f, 4.0f);
    gt_test_fill(dy, n, &seed, -1.0f, 1.0f);
    gt_test_fill(gamma, c, &seed, 0.5f, 1.5f);
    gt_test_fill(beta, c, &seed, -1.0f, 1.0f);
    gt_test_fill(mm, c, &seed, -1.0f, 1.0f);
    gt_test_fill(mv, c, &seed, 0.5f, 2.0f);
    enum { Y, MEAN, VAR, DX, DGAMMA, DBETA, YINF, MMEAN, MVAR, SUMS, CSUMS, BSUMS, DXS, OUTS };
    size_t counts[OUTS] = {n, c, c, n, c, c, n, c, c, c, c, 2 * c, n};
    /* per-channel statistics (relative tolerance) rather than tensors */
    const int stat[OUTS] = {0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0};
    float *out[2][OUTS];
    gt_backend *bes[2] = {t->gpu, t->ref};
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_x = dev_from(be, x, n * 4), *d_dy = dev_from(be, dy, n * 4);
        float *d_g = affine ? dev_from(be, gamma, c * 4) : NULL;
        float *d_b = affine ? dev_from(be, beta, c * 4) : NULL;
        float *d[OUTS];
        for (int k = 0; k < OUTS; ++k)
            d[k] = dev_alloc(be, counts[k] * 4);
        CHECK_OK(be->upload(be, d[MMEAN], mm, c * 4));
        CHECK_OK(be->upload(be, d[MVAR], mv, c * 4));
        CHECK_OK(
            be->batchnorm_forward_train(be, d[Y], d[MEAN], d[VAR], d_x, d_g, d_b, rows, ch, 1e-3f));
        CHECK_OK(be->batchnorm_backward(be, d[DX], affine ? d[DGAMMA] : NULL,
                                        affine ? d[DBETA] : NULL, d_dy, d_x, d_g, d[MEAN], d[VAR],
                                        rows, ch, 1e-3f));
        CHECK_OK(be->batchnorm_update_moving(be, d[MMEAN], d[MVAR], d[MEAN], d[VAR], ch, 0.99f));
        CHECK_OK(be->batchnorm_forward_infer(be, d[YINF], d_x, d_g, d_b, d[MMEAN], d[MVAR], rows,
                                             ch, 1e-3f));
        /* the batch-shared ops: this rank's sums, then dx of a batch 3 times larger */
        CHECK_OK(be->batchnorm_sums(be, d[SUMS], d_x, NULL, rows, ch));
        CHECK_OK(be->batchnorm_sums(be, d[CSUMS], d_x, d[MEAN], rows, ch));
        CHECK_OK(
            be->batchnorm_backward_sums(be, d[BSUMS], d_dy, d_x, d[MEAN], d[VAR], rows, ch, 1e-3f));
        CHECK_OK(be->batchnorm_backward_apply(be, d[DXS], d_dy, d_x, d_g, d[MEAN], d[VAR], d[BSUMS],
                                              rows, ch, 3 * (size_t)rows, 1e-3f));
        for (int k = 0; k < OUTS; ++k) {
            out[e][k] = host_floats(counts[k]);
            if (affine || (k != DGAMMA && k != DBETA)) dev_to(be, out[e][k], d[k], counts[k] * 4);
            be->free(be, d[k]);
        }
        be->free(be, d_x);
        be->free(be, d_dy);
        if (d_g) be->free(be, d_g);
        if (d_b) be->free(be, d_b);
    }
    static const char *const names[OUTS] = {
        "y",        "batch mean",  "batch var",  "dx",   "dgamma",        "dbeta",
        "y infer",  "moving mean", "moving var", "sums", "centered sums", "backward sums",
        "shared dx"};
    for (int k = 0; k < OUTS; ++k) {
        char what[128];
        snprintf(what, sizeof what, "batchnorm %s (%d rows x %d channels%s)", names[k], rows, ch,
                 affine ? "" : ", no gamma/beta");
        compare(t, what, out[0][k], out[1][k], counts[k], stat[k] ? 1e-7 : 1e-6,
                stat[k] ? 1e-6 : 0.0);
        free(out[0][k]);
        free(out[1][k]);
    }
    float *bufs[] = {x, dy, gamma, beta, mm, mv};
    for (int k = 0; k < 6; ++k)
        free(bufs[k]);
}

static void test_batchnorm(const parity *t)
{
    batchnorm_case(t, 37, 3, 1, 1100);
    batchnorm_case(t, 70001, 8, 1, 1101); /* many chunks */
    batchnorm_case(t, 129, 600, 1, 1102); /* many column blocks */
    batchnorm_case(t, 1, 4, 1, 1103);     /* one row: variance 0 */
    batchnorm_case(t, 500, 16, 0, 1104);  /* scale=False, center=False */
    /* a rank without examples: zero sums, no dx to write */
    gt_backend *be = t->gpu;
    float *d_s = dev_alloc(be, 2 * 8 * 4), back[16];
    for (int k = 0; k < 16; ++k)
        back[k] = 1.0f;
    CHECK_OK(be->upload(be, d_s, back, sizeof back));
    CHECK_OK(be->batchnorm_sums(be, d_s, NULL, NULL, 0, 8));
    CHECK_OK(be->batchnorm_backward_sums(be, d_s + 8, NULL, NULL, NULL, NULL, 0, 4, 1e-3f));
    CHECK_OK(
        be->batchnorm_backward_apply(be, NULL, NULL, NULL, NULL, NULL, NULL, d_s, 0, 8, 5, 1e-3f));
    dev_to(be, back, d_s, sizeof back);
    int zeros = 1;
    for (int k = 0; k < 16; ++k)
        zeros &= back[k] == 0.0f;
    CHECK_MSG(zeros, "batchnorm sums of 0 rows on the GPU are not zeros");
    be->free(be, d_s);
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

/* AdamW and RMSprop (optim_cases.h): kernels/adamw.cu and kernels/rmsprop.cu
 * run elem_math.h's functions as the CPU does, compiled without FMA
 * contraction; sqrtf and the division are correctly rounded on both: 1e-6. */
static void test_adamw_rmsprop(const parity *t)
{
    const size_t sizes[] = {1, 1001, 70001};
    for (size_t s = 0; s < 3; ++s)
        for (size_t v = 0; v < OPTIM_VARIANTS; ++v) {
            optim_result want = optim_run(t->ref, &optim_variants[v], sizes[s]);
            optim_result got = optim_run(t->gpu, &optim_variants[v], sizes[s]);
            for (int b = 0; b < 4; ++b) {
                char what[96];
                snprintf(what, sizeof what, "%s n=%zu buffer %d", optim_variants[v].name, sizes[s],
                         b);
                compare(t, what, got.buf[b], want.buf[b], sizes[s], 1e-6, 1e-6);
            }
            optim_result_free(&want);
            optim_result_free(&got);
        }
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
    /* the float32 dataset path on values as a notebook holds them (x / 255 * 3 - 1) */
    float *fimages = host_floats(image * count);
    for (size_t i = 0; i < image * count; ++i)
        fimages[i] = (float)images[i] / 255.0f * 3.0f - 1.0f;
    for (int e = 0; e < 2; ++e) {
        gt_backend *be = bes[e];
        float *d_img = dev_from(be, fimages, image * count * 4);
        int32_t *d_lab = dev_from(be, labels, sizeof labels);
        int32_t *d_idx = dev_from(be, indices, sizeof indices);
        float *d_x = dev_alloc(be, nx * 4);
        CHECK_OK(be->preprocess_gather_f32(be, &pp, d_x, NULL, d_img, d_lab, d_idx, n));
        dev_to(be, x[e], d_x, nx * 4);
        be->free(be, d_img);
        be->free(be, d_lab);
        be->free(be, d_idx);
        be->free(be, d_x);
    }
    snprintf(what, sizeof what, "preprocess_gather_f32 %s", what_case);
    compare(t, what, x[0], x[1], nx, 1e-6, 1e-6);
    free(fimages);
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
        int done = 0;
        gt_status q = GT_OK;
        while (!done && q == GT_OK && spins < 2000000000L) {
            q = be->fence_query(be, GT_BACKEND_FENCES - 1, &done);
            if (!done) ++spins;
        }
        CHECK_OK(q);
        CHECK(done);
        CHECK_FAILS_WITH(be->fence_query(be, -1, &done), GT_ERR_INVALID_ARGUMENT, "fence");
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

/* bf16 is a CPU precision; the cuda backend refuses it clearly */
static void test_bf16_refused(void)
{
    gt_backend *bf16 = NULL;
    CHECK_FAILS_WITH(gt_backend_create("cuda", 0, GT_PRECISION_BF16, &bf16), GT_ERR_UNSUPPORTED,
                     "bf16");
    CHECK(bf16 == NULL);
}

static void run_all(const parity *t)
{
    if (!t->tf32) test_bf16_refused();
    test_plumbing(t);
    test_upload_semantics(t);
    test_gemm(t);
    test_bias_act(t);
    test_bias_backward(t);
    test_relu_backward(t);
    test_activations(t);
    test_batchnorm(t);
    test_losses(t);
    test_softmax_forward(t);
    test_dropout(t);
    test_merge(t);
    test_adam(t);
    test_sgd(t);
    test_adamw_rmsprop(t);
    test_preprocess(t);
}

int main(void)
{
    return gt_parity_main("gpu_ops_parity", run_all);
}
