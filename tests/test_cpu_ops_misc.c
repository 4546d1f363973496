/* Fast vs reference CPU ops, second half: losses, softmax, dropout,
 * optimizers, preprocess-gather; plus hand-computed values for the losses
 * and the gather. Tolerances are scaled errors (max |fast - ref| / max |ref|)
 * stated per op with why. */
#include "cpu/cpu_internal.h"
#include "cpu_ops_common.h"

static gt_backend *ref_be;
static gt_backend *fast_bes[2];

/* Row math in float (expf, logf) against double: ~1e-7 per element of the
 * loss and the probabilities; 1e-5 leaves a wide margin. */
#define LOSS_TOL 1e-5

static void check_loss_case(int n, int classes, float spread, float eps, unsigned long long *rng)
{
    size_t total = (size_t)n * classes;
    float *logits = rand_buf(total, rng, -spread, spread);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    for (int i = 0; i < n; ++i)
        labels[i] = (int32_t)(gt_test_rng_next(rng) % (unsigned)classes);
    float *d_ref = zero_buf(total), *d = zero_buf(total), *again = zero_buf(total);
    float stats_ref[2], stats[2], stats2[2];
    float scale = 1.0f / (float)n;
    char what[96];
    snprintf(what, sizeof what, "softmax_xent n=%d classes=%d spread=%g log epsilon=%g", n, classes,
             (double)spread, (double)eps);

    CHECK_OK(
        ref_be->softmax_xent(ref_be, d_ref, stats_ref, logits, labels, n, classes, scale, eps));
    CHECK(isfinite(stats_ref[0]));
    for (int k = 0; k < 2; ++k) {
        gt_backend *be = fast_bes[k];
        CHECK_OK(be->softmax_xent(be, d, stats, logits, labels, n, classes, scale, eps));
        CHECK_CLOSE(what, d, d_ref, total, LOSS_TOL);
        CHECK_NEAR(stats[0], stats_ref[0], LOSS_TOL * (1.0 + fabs(stats_ref[0])));
        CHECK(stats[1] == stats_ref[1]);
        /* Evaluation (no gradient) gives the same stats; repeats are bitwise equal. */
        CHECK_OK(be->softmax_xent(be, NULL, stats2, logits, labels, n, classes, scale, eps));
        CHECK(memcmp(stats, stats2, sizeof stats) == 0);
        CHECK_OK(be->softmax_xent(be, again, stats2, logits, labels, n, classes, scale, eps));
        CHECK(memcmp(again, d, total * sizeof *d) == 0 && memcmp(stats, stats2, sizeof stats) == 0);
    }

    /* Softmax rows. */
    CHECK_OK(ref_be->softmax_forward(ref_be, d_ref, logits, n, classes));
    for (int k = 0; k < 2; ++k) {
        CHECK_OK(fast_bes[k]->softmax_forward(fast_bes[k], d, logits, n, classes));
        CHECK_CLOSE("softmax_forward", d, d_ref, total, LOSS_TOL);
    }

    /* prob_xent on those probabilities, and on unnormalised positive rows. */
    for (int unnorm = 0; unnorm < 2; ++unnorm) {
        float *out = malloc(total * sizeof *out);
        memcpy(out, d_ref, total * sizeof *out);
        if (unnorm)
            for (size_t i = 0; i < total; ++i)
                out[i] = out[i] * 3.0f + 0.01f;
        float *g_ref = zero_buf(total);
        CHECK_OK(ref_be->prob_xent(ref_be, g_ref, stats_ref, out, labels, n, classes, scale));
        for (int k = 0; k < 2; ++k) {
            CHECK_OK(fast_bes[k]->prob_xent(fast_bes[k], d, stats, out, labels, n, classes, scale));
            /* Gradients 1/sum - 1/out_label: float vs double, same 1e-5 margin. */
            CHECK_CLOSE("prob_xent", d, g_ref, total, LOSS_TOL);
            CHECK_NEAR(stats[0], stats_ref[0], LOSS_TOL * (1.0 + fabs(stats_ref[0])));
            CHECK(stats[1] == stats_ref[1]);
        }
        free(out);
        free(g_ref);
    }
    free(logits);
    free(labels);
    free(d_ref);
    free(d);
    free(again);
}

static void test_losses(unsigned long long *rng)
{
    check_loss_case(1, 10, 3.0f, 0.0f, rng);
    check_loss_case(7, 3, 1.0f, 0.0f, rng);
    check_loss_case(300, 10, 5.0f, 0.0f, rng); /* > 8192 logits: the threaded path */
    check_loss_case(64, 1000, 2.0f, 0.0f, rng);
    check_loss_case(5, 6, 5000.0f, 0.0f, rng); /* huge logits: max subtraction keeps it finite */
    check_loss_case(3, 1, 1.0f, 0.0f, rng);    /* one class: loss 0, gradient 0 */
    /* notebook 004's -log(p + 1e-10), and a large epsilon whose factor p / (p + eps) shows */
    check_loss_case(300, 10, 5.0f, 1e-10f, rng);
    check_loss_case(7, 3, 1.0f, 0.05f, rng);

    gt_backend *all[3] = {ref_be, fast_bes[0], fast_bes[1]};
    for (int k = 0; k < 3; ++k) {
        gt_backend *be = all[k];
        /* By hand: logits (0, 0): loss log 2, softmax (0.5, 0.5). Row (1, 3, 3):
         * the first maximum is class 1, so label 2 is wrong and label 1 right. */
        float logits[8] = {0, 0, 1, 3, 3, 1, 3, 3}, stats[2], d[8];
        int32_t lab[3] = {0, 2, 1};
        CHECK_OK(be->softmax_xent(be, d, stats, logits, lab, 1, 2, 2.0f, 0.0f));
        CHECK_NEAR(stats[0], log(2.0), 1e-6);
        CHECK(stats[1] == 1.0f); /* tie (0, 0): first maximum is class 0 == label */
        CHECK_NEAR(d[0], -1.0, 1e-6);
        CHECK_NEAR(d[1], 1.0, 1e-6); /* (0.5 - onehot) * 2 */
        CHECK_OK(be->softmax_xent(be, NULL, stats, logits + 2, lab + 1, 2, 3, 1.0f, 0.0f));
        CHECK(stats[1] == 1.0f);
        /* -log(p + eps), eps 0.5: p 0.5 gives loss -log 1 = 0 and the gradient
         * (0.5 - onehot) * 2 times p / (p + eps) = 1/2. */
        CHECK_OK(be->softmax_xent(be, d, stats, logits, lab, 1, 2, 2.0f, 0.5f));
        CHECK_NEAR(stats[0], 0.0, 1e-6);
        CHECK_NEAR(d[0], -0.5, 1e-6);
        CHECK_NEAR(d[1], 0.5, 1e-6);
        /* Confidently wrong, eps 1e-10: logits (0, 40), label 0, p = e^-40.
         * The loss is capped near -log 1e-10 = 23.03 (exact: 40) and the
         * gradient shrinks by p / (p + 1e-10) = 4.2e-8: as in TF, such an
         * example barely trains. */
        float wrong[2] = {0.0f, 40.0f};
        CHECK_OK(be->softmax_xent(be, d, stats, wrong, lab, 1, 2, 1.0f, 1e-10f));
        CHECK_NEAR(stats[0], -log(exp(-40.0) + 1e-10), 1e-4);
        CHECK(stats[1] == 0.0f);
        CHECK_NEAR(d[0], -exp(-40.0) / (exp(-40.0) + 1e-10), 1e-9);
        CHECK(fabs(d[0]) < 1e-7 && fabs(d[1]) < 1e-7);
        CHECK_OK(be->softmax_xent(be, d, stats, wrong, lab, 1, 2, 1.0f, 0.0f));
        CHECK_NEAR(stats[0], 40.0, 1e-4);
        CHECK_NEAR(d[0], -1.0, 1e-6);

        /* Keras from_logits=False: out (0.2, 0.3, 0.5), label 2: loss -log 0.5,
         * gradient 1/sum - [j == 2]/0.5 = (1, 1, -1). */
        float out[3] = {0.2f, 0.3f, 0.5f};
        int32_t two = 2, zero = 0, one = 1;
        CHECK_OK(be->prob_xent(be, d, stats, out, &two, 1, 3, 1.0f));
        CHECK_NEAR(stats[0], -log(0.5), 1e-6);
        CHECK(stats[1] == 1.0f);
        CHECK_NEAR(d[0], 1.0, 1e-6);
        CHECK_NEAR(d[1], 1.0, 1e-6);
        CHECK_NEAR(d[2], -1.0, 1e-6);
        /* Clipped: p = 1 -> 1 - 1e-7 (loss ~1e-7), p = 0 -> 1e-7 (loss 16.118);
         * clipped probabilities pass no gradient. */
        float sure[3] = {1.0f, 0.0f, 0.0f};
        CHECK_OK(be->prob_xent(be, d, stats, sure, &zero, 1, 3, 1.0f));
        CHECK_NEAR(stats[0], 1.19e-7, 1e-7);
        CHECK(d[0] == 0.0f && d[1] == 0.0f && d[2] == 0.0f);
        CHECK_OK(be->prob_xent(be, d, stats, sure, &one, 1, 3, 1.0f));
        CHECK_NEAR(stats[0], -log(1e-7), 1e-4);
        CHECK(stats[1] == 0.0f);
        CHECK(d[0] == 0.0f && d[1] == 0.0f && d[2] == 0.0f);
        /* A zero row sum gives NaN, as Keras does. */
        float zeros[3] = {0, 0, 0};
        CHECK_OK(be->prob_xent(be, NULL, stats, zeros, &one, 1, 3, 1.0f));
        CHECK(isnan(stats[0]));

        int32_t bad = 3;
        CHECK_FAILS_WITH(be->softmax_xent(be, d, stats, out, &bad, 1, 3, 1.0f, 0.0f),
                         GT_ERR_INVALID_ARGUMENT, "label 3");
        CHECK_FAILS_WITH(be->prob_xent(be, d, stats, out, &bad, 1, 3, 1.0f),
                         GT_ERR_INVALID_ARGUMENT, "outside [0, 3)");
    }
}

/* ---- dropout and optimizers: the same elem_math functions, so bitwise equal ---- */

static void test_elementwise(unsigned long long *rng)
{
    const size_t n = 100003; /* odd, past the parallel thresholds */
    float *x = rand_buf(n, rng, -1, 1), *want = zero_buf(n), *got = zero_buf(n);
    CHECK_OK(ref_be->dropout_forward(ref_be, want, x, n, 0.4f, 77, 5));
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) {
        kept += want[i] != 0.0f;
        CHECK(want[i] == 0.0f || want[i] == x[i] * (1.0f / 0.6f));
    }
    CHECK_NEAR((double)kept / (double)n, 0.6, 0.01);
    for (int k = 0; k < 2; ++k) {
        CHECK_OK(fast_bes[k]->dropout_forward(fast_bes[k], got, x, n, 0.4f, 77, 5));
        CHECK_CLOSE("dropout_forward", got, want, n, 0.0);
    }
    CHECK_FAILS_WITH(ref_be->dropout_forward(ref_be, got, x, n, 1.0f, 1, 0),
                     GT_ERR_INVALID_ARGUMENT, "rate");

    float *p0 = rand_buf(n, rng, -1, 1), *g = rand_buf(n, rng, -1, 1);
    float *m0 = rand_buf(n, rng, -0.1f, 0.1f), *v0 = rand_buf(n, rng, 0, 0.01f);
    float *pr = malloc(n * sizeof *pr), *mr = malloc(n * sizeof *mr), *vr = malloc(n * sizeof *vr);
    float *pf = malloc(n * sizeof *pf), *mf = malloc(n * sizeof *mf), *vf = malloc(n * sizeof *vf);
    gt_adam_params hp = {0.001f, 0.9f, 0.999f, 1e-7f, 3};
    memcpy(pr, p0, n * 4);
    memcpy(mr, m0, n * 4);
    memcpy(vr, v0, n * 4);
    CHECK_OK(ref_be->adam_update(ref_be, pr, g, mr, vr, n, &hp));
    for (int k = 0; k < 2; ++k) {
        memcpy(pf, p0, n * 4);
        memcpy(mf, m0, n * 4);
        memcpy(vf, v0, n * 4);
        CHECK_OK(fast_bes[k]->adam_update(fast_bes[k], pf, g, mf, vf, n, &hp));
        CHECK_CLOSE("adam params", pf, pr, n, 0.0);
        CHECK_CLOSE("adam m", mf, mr, n, 0.0);
        CHECK_CLOSE("adam v", vf, vr, n, 0.0);
    }
    hp.step = 0;
    CHECK_FAILS_WITH(fast_bes[0]->adam_update(fast_bes[0], pf, g, mf, vf, n, &hp),
                     GT_ERR_INVALID_ARGUMENT, "step");

    for (int variant = 0; variant < 3; ++variant) {
        float momentum = variant == 0 ? 0.0f : 0.9f;
        int nesterov = variant == 2;
        memcpy(pr, p0, n * 4);
        memcpy(mr, m0, n * 4);
        CHECK_OK(
            ref_be->sgd_update(ref_be, pr, g, momentum ? mr : NULL, n, 0.01f, momentum, nesterov));
        for (int k = 0; k < 2; ++k) {
            memcpy(pf, p0, n * 4);
            memcpy(mf, m0, n * 4);
            CHECK_OK(fast_bes[k]->sgd_update(fast_bes[k], pf, g, momentum ? mf : NULL, n, 0.01f,
                                             momentum, nesterov));
            CHECK_CLOSE("sgd params", pf, pr, n, 0.0);
            CHECK_CLOSE("sgd velocity", mf, mr, n, 0.0);
        }
    }
    CHECK_FAILS_WITH(ref_be->sgd_update(ref_be, pf, g, NULL, n, 0.01f, 0.9f, 0),
                     GT_ERR_INVALID_ARGUMENT, "velocity");
    free(x);
    free(want);
    free(got);
    free(p0);
    free(g);
    free(m0);
    free(v0);
    free(pr);
    free(mr);
    free(vr);
    free(pf);
    free(mf);
    free(vf);
}

/* ---- preprocess-gather ---- */

static void test_gather(unsigned long long *rng)
{
    /* in_h, in_w, in_c, out_h, out_w, out_c */
    static const int cases[][6] = {
        {28, 28, 1, 32, 32, 3},                     /* Fashion-MNIST into VGG-16: resize + repeat */
        {28, 28, 1, 28, 28, 1},                     /* plain copy */
        {5, 7, 3, 9, 4, 3},                         /* up in h, down in w */
        {6, 6, 3, 6, 6, 3},     {8, 8, 1, 8, 5, 2}, /* only the width differs */
    };
    const int count = 10, n = 7;
    int32_t labels[10], indices[7] = {3, 0, 9, 3, 5, 1, 8};
    for (int i = 0; i < count; ++i)
        labels[i] = 100 + i;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        gt_preprocess p = {cases[c][0], cases[c][1], cases[c][2],   cases[c][3],
                           cases[c][4], cases[c][5], 1.0f / 255.0f, -0.5f};
        size_t img = (size_t)p.in_h * p.in_w * p.in_c,
               out = (size_t)n * p.out_h * p.out_w * p.out_c;
        uint8_t *images = malloc(img * count);
        for (size_t i = 0; i < img * count; ++i)
            images[i] = (uint8_t)(gt_test_rng_next(rng) >> 56);
        float *x_ref = zero_buf(out), *x = zero_buf(out);
        int32_t y_ref[7], y[7];
        CHECK_OK(ref_be->preprocess_gather(ref_be, &p, x_ref, y_ref, images, labels, indices, n));
        for (int k = 0; k < 2; ++k) {
            CHECK_OK(
                fast_bes[k]->preprocess_gather(fast_bes[k], &p, x, y, images, labels, indices, n));
            /* The same tap and mix functions in the same order: bitwise equal. */
            CHECK_CLOSE("preprocess_gather", x, x_ref, out, 0.0);
            CHECK(memcmp(y, y_ref, sizeof y) == 0);
        }
        for (int i = 0; i < n; ++i)
            CHECK(y_ref[i] == 100 + indices[i]);
        if (p.in_h == p.out_h && p.in_w == p.out_w) /* no resize: exact pixel * scale + offset */
            for (size_t i = 0; i < out; ++i) {
                size_t pix = i / (size_t)p.out_c, e = pix / ((size_t)p.out_h * p.out_w);
                size_t within = pix % ((size_t)p.out_h * p.out_w);
                size_t ch = p.in_c == 1 ? 0 : i % (size_t)p.out_c;
                uint8_t v = images[(size_t)indices[e] * img + within * p.in_c + ch];
                CHECK(x_ref[i] == (float)v * p.scale + p.offset);
            }
        if (p.in_c == 1 && p.out_c == 3) /* channel repeat: three equal channels */
            for (size_t i = 0; i < out; i += 3)
                CHECK(x_ref[i] == x_ref[i + 1] && x_ref[i] == x_ref[i + 2]);
        free(images);
        free(x_ref);
        free(x);
    }
    /* By hand: a 2x2 image (0, 100; 200, 40) resized to 4x4. Output (1, 1):
     * in = 1.5 * 0.5 - 0.5 = 0.25 on both axes: lower 0, upper 1, lerp 0.25;
     * top = 0 + 100 * 0.25 = 25, bottom = 200 - 160 * 0.25 = 160,
     * value = 25 + 135 * 0.25 = 58.75. Output (0, 0): in = -0.25 -> both taps
     * 0: value 0. */
    uint8_t tiny[4] = {0, 100, 200, 40};
    int32_t idx0 = 0;
    gt_preprocess up = {2, 2, 1, 4, 4, 1, 1.0f, 0.0f};
    float xs[16];
    for (int k = 0; k < 3; ++k) {
        gt_backend *be = k == 2 ? ref_be : fast_bes[k];
        CHECK_OK(be->preprocess_gather(be, &up, xs, NULL, tiny, NULL, &idx0, 1));
        CHECK_NEAR(xs[5], 58.75, 1e-5);
        CHECK(xs[0] == 0.0f && xs[15] == 40.0f);
    }
    gt_preprocess bad = {4, 4, 3, 4, 4, 1, 1.0f, 0.0f};
    CHECK_FAILS_WITH(
        fast_bes[0]->preprocess_gather(fast_bes[0], &bad, xs, NULL, tiny, NULL, &idx0, 1),
        GT_ERR_INVALID_ARGUMENT, "3 input channels into 1");
}

int main(void)
{
    unsigned long long rng = 0xD1B54A32D192ED03ull;
    ref_be = make_backend("cpu-reference", 1);
    fast_bes[0] = make_backend("cpu", 2);
    fast_bes[1] = make_backend("cpu", 3);
    test_losses(&rng);
    test_elementwise(&rng);
    test_gather(&rng);
    gt_backend_destroy(ref_be);
    gt_backend_destroy(fast_bes[0]);
    gt_backend_destroy(fast_bes[1]);
    TEST_EXIT();
}
