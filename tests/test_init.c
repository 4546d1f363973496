/* Weight initialization: each Keras initializer's distribution (bounds, mean
 * and standard deviation within statistical tolerance), Keras' fans for
 * Dense and Conv2D, exact constants, and determinism per seed and stream. */
#include "test_layers.h"
#include "test_util.h"

#include "init.h"
#include "model_internal.h"
#include "philox.h"
#include "rng.h"

typedef struct stats {
    double mean, std, min, max;
} stats;

static stats stats_of(const float *x, size_t n)
{
    stats s = {0.0, 0.0, INFINITY, -INFINITY};
    double sum = 0.0, sq = 0.0;
    for (size_t i = 0; i < n; ++i) {
        sum += x[i];
        sq += (double)x[i] * x[i];
        if (x[i] < s.min) s.min = x[i];
        if (x[i] > s.max) s.max = x[i];
    }
    s.mean = sum / (double)n;
    s.std = sqrt(sq / (double)n - s.mean * s.mean);
    return s;
}

static gt_initializer init_of(gt_init_kind kind)
{
    gt_initializer init;
    memset(&init, 0, sizeof init);
    init.kind = kind;
    return init;
}

/* input 1000 -> Dense 500 glorot_uniform -> Dense 400 normal(0.5, 2)
 * -> Dense 300 truncated(0.1, 0.3) + bias constant 0.25 -> Dense 200 he_normal
 * + bias ones -> Dense 100 uniform(-0.2, 0.6) -> Dense 50 he_uniform. */
static gt_model *dense_model(void)
{
    gt_shape3 in = {1, 1, 1000};
    gt_model *m = NULL;
    CHECK_OK(gt_model_new("init", in, &m));
    if (!m) return NULL;
    gt_layer l = gt_layer_dense(500, GT_ACT_RELU);
    CHECK_OK(gt_model_add(m, &l));
    l = gt_layer_dense(400, GT_ACT_RELU);
    l.kernel_init = init_of(GT_INIT_RANDOM_NORMAL);
    l.kernel_init.mean = 0.5f;
    l.kernel_init.stddev = 2.0f;
    CHECK_OK(gt_model_add(m, &l));
    l = gt_layer_dense(300, GT_ACT_RELU);
    l.kernel_init = init_of(GT_INIT_TRUNCATED_NORMAL);
    l.kernel_init.mean = 0.1f;
    l.kernel_init.stddev = 0.3f;
    l.bias_init = init_of(GT_INIT_CONSTANT);
    l.bias_init.value = 0.25f;
    CHECK_OK(gt_model_add(m, &l));
    l = gt_layer_dense(200, GT_ACT_RELU);
    l.kernel_init = init_of(GT_INIT_HE_NORMAL);
    l.bias_init = init_of(GT_INIT_ONES);
    CHECK_OK(gt_model_add(m, &l));
    l = gt_layer_dense(100, GT_ACT_RELU);
    l.kernel_init = init_of(GT_INIT_RANDOM_UNIFORM);
    l.kernel_init.minval = -0.2f;
    l.kernel_init.maxval = 0.6f;
    CHECK_OK(gt_model_add(m, &l));
    l = gt_layer_dense(50, GT_ACT_LINEAR);
    l.kernel_init = init_of(GT_INIT_HE_UNIFORM);
    CHECK_OK(gt_model_add(m, &l));
    CHECK_OK(gt_model_build(m));
    return m;
}

static float *init_params(const gt_model *m, uint64_t seed)
{
    float *p = malloc(gt_model_param_count(m) * sizeof *p);
    CHECK(p != NULL);
    if (p) CHECK_OK(gt_model_init_params(m, seed, p));
    return p;
}

static void test_distributions(void)
{
    gt_model *m = dense_model();
    if (!m || !m->built) {
        gt_model_free(m);
        return;
    }
    float *p = init_params(m, 1234);
    if (!p) {
        gt_model_free(m);
        return;
    }
    const gt_layer *L = m->layers;

    /* glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) */
    double limit = sqrt(6.0 / (1000 + 500));
    stats s = stats_of(p + KERNEL_OFFSET(&L[0]), KERNEL_COUNT(&L[0]));
    CHECK(s.min >= -limit && s.max < limit);
    CHECK(s.max > 0.999 * limit && s.min < -0.999 * limit);
    CHECK_NEAR(s.mean, 0.0, 5 * limit / sqrt(3.0 * 500000));
    CHECK_NEAR(s.std, limit / sqrt(3.0), 0.01 * limit / sqrt(3.0));
    s = stats_of(p + BIAS_OFFSET(&L[0]), BIAS_COUNT(&L[0]));
    CHECK(s.min == 0.0 && s.max == 0.0);

    /* RandomNormal(0.5, 2): 200,000 draws, 5 standard errors */
    s = stats_of(p + KERNEL_OFFSET(&L[1]), KERNEL_COUNT(&L[1]));
    CHECK_NEAR(s.mean, 0.5, 5 * 2.0 / sqrt(200000.0));
    CHECK_NEAR(s.std, 2.0, 0.01 * 2.0);
    CHECK(s.max > 0.5 + 4 * 2.0 && s.min < 0.5 - 4 * 2.0); /* tails are present */

    /* TruncatedNormal(0.1, 0.3): within 2 stddev, std 0.3 * 0.8796 */
    s = stats_of(p + KERNEL_OFFSET(&L[2]), KERNEL_COUNT(&L[2]));
    CHECK(s.min >= 0.1 - 0.6 - 1e-6 && s.max <= 0.1 + 0.6 + 1e-6);
    CHECK(s.min < 0.1 - 0.59 && s.max > 0.1 + 0.59);
    CHECK_NEAR(s.mean, 0.1, 5 * 0.3 / sqrt(120000.0));
    CHECK_NEAR(s.std, 0.3 * 0.87962566103423978, 0.01 * 0.3);
    const float *b = p + BIAS_OFFSET(&L[2]);
    for (size_t i = 0; i < BIAS_COUNT(&L[2]); ++i)
        CHECK(b[i] == 0.25f);

    /* he_normal: truncated, scaled back to std sqrt(2 / fan_in) */
    double he = sqrt(2.0 / 300.0);
    s = stats_of(p + KERNEL_OFFSET(&L[3]), KERNEL_COUNT(&L[3]));
    CHECK_NEAR(s.std, he, 0.02 * he);
    CHECK(s.max <= 2 * he / 0.87962566103423978 + 1e-6);
    b = p + BIAS_OFFSET(&L[3]);
    for (size_t i = 0; i < BIAS_COUNT(&L[3]); ++i)
        CHECK(b[i] == 1.0f);

    /* RandomUniform(-0.2, 0.6) */
    s = stats_of(p + KERNEL_OFFSET(&L[4]), KERNEL_COUNT(&L[4]));
    CHECK(s.min >= -0.2 && s.max < 0.6);
    CHECK_NEAR(s.mean, 0.2, 5 * 0.8 / sqrt(12.0 * 20000));

    /* he_uniform: limit sqrt(6 / fan_in) */
    limit = sqrt(6.0 / 100.0);
    s = stats_of(p + KERNEL_OFFSET(&L[5]), KERNEL_COUNT(&L[5]));
    CHECK(s.min >= -limit && s.max < limit && s.max > 0.9 * limit);

    free(p);
    gt_model_free(m);
}

static void test_conv_fans(void)
{
    /* Conv2D: fan_in = kh*kw*cin = 72, fan_out = kh*kw*filters = 288 */
    gt_shape3 in = {16, 16, 8};
    gt_model *m = NULL;
    CHECK_OK(gt_model_new("conv", in, &m));
    if (!m) return;
    gt_layer conv = gt_layer_conv2d(32, 3, 1, GT_PAD_SAME, GT_ACT_RELU);
    CHECK_OK(gt_model_add(m, &conv));
    gt_layer conv2 = gt_layer_conv2d(512, 3, 1, GT_PAD_SAME, GT_ACT_RELU);
    conv2.kernel_init = init_of(GT_INIT_GLOROT_NORMAL);
    CHECK_OK(gt_model_add(m, &conv2));
    CHECK_OK(gt_model_build(m));
    float *p = init_params(m, 7);
    if (p) {
        double limit = sqrt(6.0 / (72 + 288));
        stats s = stats_of(p + KERNEL_OFFSET(&m->layers[0]), KERNEL_COUNT(&m->layers[0]));
        CHECK(s.min >= -limit && s.max < limit && s.max > 0.99 * limit);
        /* glorot_normal: std sqrt(2 / (9*32 + 9*512)) */
        double sd = sqrt(2.0 / (9.0 * 32 + 9.0 * 512));
        s = stats_of(p + KERNEL_OFFSET(&m->layers[1]), KERNEL_COUNT(&m->layers[1]));
        CHECK_NEAR(s.std, sd, 0.01 * sd);
        CHECK(s.max <= 2 * sd / 0.87962566103423978 + 1e-6);
        free(p);
    }
    gt_model_free(m);
}

static void test_zoo_constants(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo("cnn-mnist", &m));
    if (m) {
        float *p = init_params(m, 0);
        for (int i = 0; p && i < m->n_layers; ++i) {
            const gt_layer *l = &m->layers[i];
            for (size_t k = 0; k < BIAS_COUNT(l); ++k)
                CHECK(p[BIAS_OFFSET(l) + k] == 0.1f);
            if (KERNEL_COUNT(l)) {
                stats s = stats_of(p + KERNEL_OFFSET(l), KERNEL_COUNT(l));
                CHECK(s.min >= -0.2f - 1e-6 && s.max <= 0.2f + 1e-6);
            }
        }
        free(p);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("softmax-mnist", &m));
    if (m) {
        float *p = init_params(m, 99);
        for (size_t i = 0; p && i < gt_model_param_count(m); ++i)
            CHECK(p[i] == 0.0f);
        free(p);
        gt_model_free(m);
    }
}

static void test_determinism(void)
{
    gt_model *m = dense_model();
    if (!m || !m->built) {
        gt_model_free(m);
        return;
    }
    size_t n = gt_model_param_count(m);
    float *a = init_params(m, 42), *b = init_params(m, 42), *c = init_params(m, 43);
    if (a && b && c) {
        CHECK(memcmp(a, b, n * sizeof *a) == 0);
        size_t same = 0, count = KERNEL_COUNT(&m->layers[0]);
        for (size_t i = 0; i < count; ++i)
            same += a[i] == c[i];
        CHECK_MSG(same < count / 1000, "seeds 42 and 43 agree on %zu of %zu values", same, count);
        /* A tensor's values depend only on (seed, layer, kernel/bias): changing
         * another layer's initializer leaves them as they were. */
        m->layers[0].kernel_init = init_of(GT_INIT_TRUNCATED_NORMAL);
        m->layers[0].kernel_init.stddev = 1.0f;
        CHECK_OK(gt_model_init_params(m, 42, c));
        const gt_layer *l1 = &m->layers[1];
        CHECK(memcmp(a + KERNEL_OFFSET(l1), c + KERNEL_OFFSET(l1),
                     (n - KERNEL_OFFSET(l1)) * sizeof *a) == 0);
        CHECK(memcmp(a, c, KERNEL_COUNT(&m->layers[0]) * sizeof *a) != 0);
    }
    free(a);
    free(b);
    free(c);

    /* unbuilt models are refused */
    m->built = 0;
    float x;
    CHECK_FAILS_WITH(gt_model_init_params(m, 1, &x), GT_ERR_INVALID_ARGUMENT, "is not built");
    gt_model_free(m);
}

static void test_rng_streams(void)
{
    gt_rng r1, r2, r3;
    gt_rng_init(&r1, 5, 0);
    gt_rng_init(&r2, 5, 0);
    gt_rng_init(&r3, 5, 1);
    int differ = 0;
    double sum = 0.0;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
        float u = gt_rng_uniform(&r1);
        CHECK(u >= 0.0f && u < 1.0f);
        sum += u;
        CHECK(gt_u32_to_unit_float(gt_rng_u32(&r2)) == u);
        differ += gt_rng_uniform(&r3) != u;
    }
    CHECK_NEAR(sum / n, 0.5, 5 * sqrt(1.0 / 12.0 / n));
    CHECK(differ > n - 100);

    /* the first word of a stream is Philox at counter (0, 0, stream) */
    gt_rng_init(&r1, 0x1234567890abcdefULL, 3);
    gt_u32x4 w = gt_philox4x32_10(0, 0, 3, 0, 0x90abcdefu, 0x12345678u);
    CHECK(gt_rng_u32(&r1) == w.v[0] && gt_rng_u32(&r1) == w.v[1]);

    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < n; ++i) {
        double z = gt_rng_normal(&r3);
        s1 += z;
        s2 += z * z;
    }
    CHECK_NEAR(s1 / n, 0.0, 5 / sqrt((double)n));
    CHECK_NEAR(sqrt(s2 / n), 1.0, 0.01);
    for (int i = 0; i < n; ++i) {
        double z = gt_rng_truncated_normal(&r3);
        CHECK(z >= -2.0 && z <= 2.0);
    }
}

int main(void)
{
    test_distributions();
    test_conv_fans();
    test_zoo_constants();
    test_determinism();
    test_rng_streams();
    TEST_EXIT();
}
