/* Element math shared by the CPU backend and the CUDA kernels
 * (kernels/elem_math.h, kernels/philox.h), checked against published or
 * hand-computed values, so the arithmetic the GPU runs is verified on every
 * machine. */
#include <stdint.h>

#include "elem_math.h"
#include "philox.h"
#include "test_util.h"

static void check_philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                         uint32_t k1, uint32_t e0, uint32_t e1, uint32_t e2, uint32_t e3)
{
    gt_u32x4 r = gt_philox4x32_10(c0, c1, c2, c3, k0, k1);
    CHECK_MSG(r.v[0] == e0 && r.v[1] == e1 && r.v[2] == e2 && r.v[3] == e3,
              "philox(%08x %08x %08x %08x; %08x %08x) = %08x %08x %08x %08x, expected "
              "%08x %08x %08x %08x",
              c0, c1, c2, c3, k0, k1, r.v[0], r.v[1], r.v[2], r.v[3], e0, e1, e2, e3);
}

/* Known-answer vectors of Philox4x32-10 from Random123's kat_vectors. */
static void test_philox_known_answers(void)
{
    check_philox(0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u);
    check_philox(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
                 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
    check_philox(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
                 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
    /* gt_philox_word: block is the low 64 counter bits, seed the key. */
    uint64_t seed = 0x299f31d0a4093822ull, block = 0x85a308d3243f6a88ull;
    gt_u32x4 r = gt_philox4x32_10((uint32_t)block, (uint32_t)(block >> 32), 0, 0, (uint32_t)seed,
                                  (uint32_t)(seed >> 32));
    for (unsigned lane = 0; lane < 4; ++lane)
        CHECK(gt_philox_word(seed, block, lane) == r.v[lane]);
}

static void test_unit_float(void)
{
    CHECK(gt_u32_to_unit_float(0u) == 0.0f);
    /* The top 24 bits map exactly, so the largest word stays below 1. */
    CHECK(gt_u32_to_unit_float(0xffffffffu) == 1.0f - 1.0f / 16777216.0f);
    CHECK(gt_u32_to_unit_float(0xffffffffu) < 1.0f);
    CHECK(gt_u32_to_unit_float(0x80000000u) == 0.5f);
    CHECK(gt_u32_to_unit_float(0x000000ffu) == 0.0f); /* low 8 bits are dropped */
    double sum = 0.0;
    float lo = 1.0f, hi = 0.0f;
    for (uint64_t b = 0; b < 25000; ++b)
        for (unsigned lane = 0; lane < 4; ++lane) {
            float u = gt_u32_to_unit_float(gt_philox_word(42, b, lane));
            CHECK(u >= 0.0f && u < 1.0f);
            sum += u;
            lo = u < lo ? u : lo;
            hi = u > hi ? u : hi;
        }
    /* 100000 uniforms: mean 0.5 with standard error 0.0009. */
    CHECK_NEAR(sum / 100000.0, 0.5, 0.005);
    CHECK(lo < 0.001f && hi > 0.999f);
}

static void test_dropout(void)
{
    const float rate = 0.3f;
    const uint64_t seed = 1234, n = 100000;
    uint64_t kept = 0;
    for (uint64_t i = 0; i < n; ++i) {
        float f = gt_dropout_factor(seed, 0, i, rate);
        /* Kept elements are scaled by exactly 1 / (1 - rate) (inverted dropout). */
        CHECK(f == 0.0f || f == 1.0f / (1.0f - rate));
        kept += f != 0.0f;
        /* The contract with the CUDA kernel: element i uses block i / 4, lane i % 4. */
        float u = gt_u32_to_unit_float(gt_philox_word(seed, i >> 2, (unsigned)(i & 3)));
        CHECK((f != 0.0f) == (u >= rate));
    }
    /* Keep probability 0.7, standard error 0.0014. */
    CHECK_NEAR((double)kept / (double)n, 0.7, 0.01);
    /* The offset shifts the stream: (offset 4, element 0) is (offset 0, element 4),
     * and an odd offset crosses a block boundary correctly. */
    for (uint64_t i = 0; i < 64; ++i) {
        CHECK(gt_dropout_factor(seed, 4, i, rate) == gt_dropout_factor(seed, 0, i + 4, rate));
        CHECK(gt_dropout_factor(seed, 7, i, rate) == gt_dropout_factor(seed, 0, i + 7, rate));
    }
    /* Another seed gives another mask. */
    int differ = 0;
    for (uint64_t i = 0; i < 256; ++i)
        differ += gt_dropout_factor(seed, 0, i, rate) != gt_dropout_factor(seed + 1, 0, i, rate);
    CHECK(differ > 50);
    /* Rate 0 keeps everything unscaled. */
    for (uint64_t i = 0; i < 1000; ++i)
        CHECK(gt_dropout_factor(seed, 0, i, 0.0f) == 1.0f);
}

static void check_tap(int out, int in_size, int out_size, int lower, int upper, float lerp)
{
    gt_bilinear_tap t = gt_bilinear_tap_at(out, in_size, out_size);
    CHECK_MSG(t.lower == lower && t.upper == upper && t.lerp == lerp,
              "tap(%d, %d->%d) = {%d, %d, %g}, expected {%d, %d, %g}", out, in_size, out_size,
              t.lower, t.upper, (double)t.lerp, lower, upper, (double)lerp);
}

/* tf.image.resize bilinear (half-pixel centres): for output index o,
 *   in = (o + 0.5) * in_size / out_size - 0.5,
 *   lower = max(floor(in), 0), upper = min(ceil(in), in_size - 1),
 *   lerp = in - floor(in).
 * For 28 -> 32 the scale is 0.875 and every value is a multiple of 1/16,
 * exact in float:
 *   o=0:  0.4375 - 0.5  = -0.0625 -> floor -1: lower 0, upper 0,  lerp 0.9375
 *   o=1:  1.3125 - 0.5  =  0.8125 -> lower 0,  upper 1,  lerp 0.8125
 *   o=2:  2.1875 - 0.5  =  1.6875 -> lower 1,  upper 2,  lerp 0.6875
 *   o=15: 13.5625 - 0.5 = 13.0625 -> lower 13, upper 14, lerp 0.0625
 *   o=16: 14.4375 - 0.5 = 13.9375 -> lower 13, upper 14, lerp 0.9375
 *   o=31: 27.5625 - 0.5 = 27.0625 -> lower 27, upper 27 (clamped), lerp 0.0625 */
static void test_bilinear(void)
{
    check_tap(0, 28, 32, 0, 0, 0.9375f);
    check_tap(1, 28, 32, 0, 1, 0.8125f);
    check_tap(2, 28, 32, 1, 2, 0.6875f);
    check_tap(15, 28, 32, 13, 14, 0.0625f);
    check_tap(16, 28, 32, 13, 14, 0.9375f);
    check_tap(31, 28, 32, 27, 27, 0.0625f);
    /* Equal sizes are the identity: lower == upper == o. */
    for (int o = 0; o < 28; ++o)
        check_tap(o, 28, 28, o, o, 0.0f);
    /* Downscale 4 -> 2: in = (o + 0.5) * 2 - 0.5 = 0.5, 2.5. */
    check_tap(0, 4, 2, 0, 1, 0.5f);
    check_tap(1, 4, 2, 2, 3, 0.5f);
    /* The mix: x first, then y. */
    CHECK_NEAR(gt_bilinear_mix(0.0f, 10.0f, 20.0f, 30.0f, 0.25f, 0.5f), 12.5, 1e-6);
    CHECK_NEAR(gt_bilinear_mix(1.0f, 1.0f, 1.0f, 1.0f, 0.3f, 0.7f), 1.0, 1e-7);
    CHECK(gt_bilinear_mix(5.0f, 9.0f, 7.0f, 3.0f, 0.0f, 0.0f) == 5.0f);
    CHECK(gt_bilinear_mix(5.0f, 9.0f, 7.0f, 3.0f, 1.0f, 1.0f) == 3.0f);
}

/* Numbers computed by hand (in double) from Keras' Adam, with the
 * hyperparameters as the float32 values both Keras and gtrain hold
 * (0.9f = 0.8999999761581421, 0.999f = 0.9990000128746033,
 * 0.001f = 0.0010000000474974513; the 1 - beta2 of 1.2874e-8 too many moves
 * lr_t by 6e-6 relative, so the exact decimal constants would not do):
 *   p0 = 1, g1 = 0.5, g2 = -0.25, epsilon 1e-7
 *   t=1: lr_t = lr sqrt(1 - b2)/(1 - b1) = 3.162256699826117e-4,
 *        m = (1 - b1) 0.5 = 0.050000011920928955, v = (1 - b2) 0.25 = 2.4999678134918213e-4,
 *        p = 1 - lr_t m/(sqrt(v) + 1e-7) = 0.999000006277059
 *   t=2: lr_t = lr sqrt(1 - b2^2)/(1 - b1^2) = 2.3531516930179558e-4,
 *        m = 0.020000003576278402, v = 3.1224598312373786e-4,
 *        p = 0.9987336707450302 */
static void test_adam(void)
{
    CHECK_NEAR(gt_adam_lr_t(0.001f, 0.9f, 0.999f, 1), 3.162256699826117e-4, 1e-10);
    CHECK_NEAR(gt_adam_lr_t(0.001f, 0.9f, 0.999f, 2), 2.3531516930179558e-4, 1e-10);
    float m = 0.0f, v = 0.0f, p = 1.0f;
    p = gt_adam_elem(p, 0.5f, &m, &v, gt_adam_lr_t(0.001f, 0.9f, 0.999f, 1), 0.9f, 0.999f, 1e-7f);
    /* float arithmetic: a few ulps from the double values */
    CHECK_NEAR(m, 0.050000011920928955, 1e-8);
    CHECK_NEAR(v, 2.4999678134918213e-4, 1e-10);
    CHECK_NEAR(p, 0.999000006277059, 2e-7);
    p = gt_adam_elem(p, -0.25f, &m, &v, gt_adam_lr_t(0.001f, 0.9f, 0.999f, 2), 0.9f, 0.999f, 1e-7f);
    CHECK_NEAR(m, 0.020000003576278402, 1e-8);
    CHECK_NEAR(v, 3.1224598312373786e-4, 1e-10);
    CHECK_NEAR(p, 0.9987336707450302, 2e-7);
    /* A late step: the bias corrections vanish, lr_t -> lr. */
    CHECK_NEAR(gt_adam_lr_t(0.001f, 0.9f, 0.999f, 100000), 0.0010000000474974513, 1e-9);
}

/* Keras SGD, p = 1, g = 0.5, lr = 0.1:
 *   plain:    p = 1 - 0.05 = 0.95
 *   momentum 0.9, velocity 0.2: v = 0.18 - 0.05 = 0.13, p = 1.13
 *   nesterov: v = 0.13, p = 1 + 0.9 * 0.13 - 0.05 = 1.067 */
static void test_sgd(void)
{
    CHECK_NEAR(gt_sgd_elem(1.0f, 0.5f, NULL, 0.1f, 0.0f, 0), 0.95, 1e-7);
    float vel = 0.2f;
    CHECK_NEAR(gt_sgd_elem(1.0f, 0.5f, &vel, 0.1f, 0.9f, 0), 1.13, 1e-6);
    CHECK_NEAR(vel, 0.13, 1e-7);
    vel = 0.2f;
    CHECK_NEAR(gt_sgd_elem(1.0f, 0.5f, &vel, 0.1f, 0.9f, 1), 1.067, 1e-6);
    CHECK_NEAR(vel, 0.13, 1e-7);
}

static void test_relu_and_clip(void)
{
    CHECK(gt_relu(-2.0f) == 0.0f && gt_relu(0.0f) == 0.0f && gt_relu(3.5f) == 3.5f);
    CHECK(gt_relu_grad(7.0f, 0.0f) == 0.0f && gt_relu_grad(7.0f, 0.1f) == 7.0f);
    CHECK(gt_prob_xent_clip(0.0f) == GT_KERAS_EPSILON);
    CHECK(gt_prob_xent_clip(1.0f) == 1.0f - GT_KERAS_EPSILON);
    CHECK(gt_prob_xent_clip(0.25f) == 0.25f);
    CHECK(isnan(gt_prob_xent_clip(NAN))); /* a zero row sum stays NaN, as in Keras */
}

/* bf16 bits of x, through the shared conversion. */
static uint16_t bf(float x)
{
    return gt_f32_to_bf16(x);
}

static float from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static void test_bf16(void)
{
    /* exact values keep their upper half */
    CHECK(bf(1.0f) == 0x3f80 && bf(-2.0f) == 0xc000 && bf(0.0f) == 0x0000);
    CHECK(bf(-0.0f) == 0x8000 && bf(0.15625f) == 0x3e20);
    /* 1 + 2^-8 is halfway between 1 (even, 0x3f80) and 1 + 2^-7 (0x3f81): ties to even */
    CHECK(bf(from_bits(0x3f808000u)) == 0x3f80);
    /* halfway above an odd kept half rounds up to the even neighbour */
    CHECK(bf(from_bits(0x3f818000u)) == 0x3f82);
    /* just above / below halfway */
    CHECK(bf(from_bits(0x3f808001u)) == 0x3f81);
    CHECK(bf(from_bits(0x3f807fffu)) == 0x3f80);
    CHECK(bf(from_bits(0xbf808001u)) == 0xbf81); /* sign-magnitude: same for negatives */
    /* 1/3 = 0x3eaaaaab: dropped half 0xaaab > 0x8000 rounds up */
    CHECK(bf(1.0f / 3.0f) == 0x3eab);
    /* the largest finite fp32 rounds past the largest bf16 (0x7f7f) to inf */
    CHECK(bf(from_bits(0x7f7fffffu)) == 0x7f80);
    CHECK(bf(from_bits(0x7f7f7fffu)) == 0x7f7f);
    /* inf and NaN are preserved (NaN stays NaN, quiet, same sign) */
    CHECK(bf(INFINITY) == 0x7f80 && bf(-INFINITY) == 0xff80);
    CHECK(isnan(gt_bf16_to_f32(bf(NAN))));
    uint16_t snan = bf(from_bits(0x7f800001u)); /* signalling NaN whose payload would carry */
    CHECK(isnan(gt_bf16_to_f32(snan)) && (snan & 0x0040u));
    CHECK(bf(from_bits(0xffffffffu)) == 0xffff);
    /* subnormals round like any other value */
    CHECK(bf(from_bits(0x00008000u)) == 0x0000 && bf(from_bits(0x00018000u)) == 0x0002);
    /* back to fp32 is exact, and round-tripping a bf16 value is the identity */
    CHECK(gt_bf16_to_f32(0x3f81) == 1.0078125f);
    for (uint32_t h = 0; h < 0x10000u; h += 7) {
        float x = gt_bf16_to_f32((uint16_t)h);
        if (!isnan(x)) CHECK(bf(x) == (uint16_t)h);
    }
    /* relative error of the rounding is at most 2^-8: half an ulp of an 8-bit
     * significand (7 stored bits + the implicit one) */
    unsigned long long s = 7;
    for (int i = 0; i < 10000; ++i) {
        float x = gt_test_uniform(&s, -1000.0f, 1000.0f);
        CHECK(fabsf(gt_bf16_to_f32(bf(x)) - x) <= fabsf(x) * (1.0f / 256.0f));
    }
}

/* The activations against values computed independently (Python's math at
 * double precision, rounded to float): Keras' definitions, GELU exact. */
static void test_activations(void)
{
    typedef struct {
        gt_activation act;
        float alpha, x;
        double want;
    } act_case;
    const act_case cases[] = {
        {GT_ACT_SIGMOID, 0, 0.0f, 0.5},
        {GT_ACT_SIGMOID, 0, 2.0f, 0.8807970779778823},
        {GT_ACT_SIGMOID, 0, -100.0f, 3.7200759760208356e-44}, /* no overflow, no 0/0 */
        {GT_ACT_TANH, 0, 0.5f, 0.46211715726000974},
        {GT_ACT_ELU, 1.0f, -1.0f, -0.6321205588285577},
        {GT_ACT_ELU, 0.5f, -2.0f, -0.43233235838169365},
        {GT_ACT_ELU, 1.0f, 1.5f, 1.5},
        {GT_ACT_SELU, 0, -1.0f, -1.1113307378125625},
        {GT_ACT_SELU, 0, 1.0f, 1.0507009873554805},
        {GT_ACT_GELU, 0, 1.0f, 0.8413447460685429},
        {GT_ACT_GELU, 0, -0.5f, -0.15426876936299344},
        {GT_ACT_SWISH, 0, 1.0f, 0.7310585786300049},
        {GT_ACT_SWISH, 0, -3.0f, -0.14227761953270035},
        {GT_ACT_SOFTPLUS, 0, 0.0f, 0.6931471805599453},
        {GT_ACT_SOFTPLUS, 0, 100.0f, 100.0}, /* no overflow of e^x */
        {GT_ACT_SOFTPLUS, 0, -20.0f, 2.061153620314381e-09},
        {GT_ACT_LEAKY_RELU, 0.2f, -2.0f, -0.4},
        {GT_ACT_LEAKY_RELU, 0.2f, 3.0f, 3.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const act_case *c = &cases[i];
        float got = gt_act_elem(c->act, c->x, c->alpha);
        CHECK_MSG(got == (float)c->want, "act %d at %g: got %.9g, want %.9g", (int)c->act,
                  (double)c->x, (double)got, (double)(float)c->want);
    }
    CHECK(isnan(gt_act_elem(GT_ACT_SOFTMAX, 1.0f, 0.0f)));
    /* gradients at the kink, as TensorFlow's: relu 0, leaky its slope, elu alpha */
    CHECK(gt_act_grad_elem(GT_ACT_RELU, 1.0f, 0.0f, 0.0f, 0.0f) == 0.0f);
    CHECK(gt_act_grad_elem(GT_ACT_LEAKY_RELU, 1.0f, 0.0f, 0.0f, 0.2f) == 0.2f);
    CHECK(gt_act_grad_elem(GT_ACT_ELU, 1.0f, 0.0f, 0.0f, 0.7f) == 0.7f);
    /* softplus' gradient from y alone stays exact where y is tiny */
    float y = gt_act_elem(GT_ACT_SOFTPLUS, -20.0f, 0.0f);
    CHECK_MSG(fabs(gt_act_grad_elem(GT_ACT_SOFTPLUS, 1.0f, 0.0f, y, 0.0f) - 2.0611536e-09) < 1e-15,
              "softplus' at -20");
    CHECK(gt_act_grad_needs_x(GT_ACT_GELU) && gt_act_grad_needs_x(GT_ACT_SWISH) &&
          !gt_act_grad_needs_x(GT_ACT_TANH));
}

/* gt_pool_covering (the windows holding a cell; the max-pool and average-pool
 * backward kernels rely on it) against a brute-force scan. */
static void test_pool_covering(void)
{
    for (int k = 1; k <= 4; ++k)
        for (int stride = 1; stride <= 3; ++stride)
            for (int pad = 0; pad < k; ++pad)
                for (int in = 1; in <= 9; ++in) {
                    int out = (in + 2 * pad - k) / stride + 1;
                    if (out < 1) continue;
                    for (int i = 0; i < in; ++i) {
                        int lo = 0, hi = 0;
                        gt_pool_covering(i, stride, pad, k, out, &lo, &hi);
                        for (int o = 0; o < out; ++o) {
                            int covers = o * stride - pad <= i && i < o * stride - pad + k;
                            CHECK_MSG(covers == (lo <= o && o < hi),
                                      "covering k%d s%d pad%d in%d: cell %d window %d: [%d,%d)", k,
                                      stride, pad, in, i, o, lo, hi);
                        }
                    }
                }
}

int main(void)
{
    test_activations();
    test_pool_covering();
    test_philox_known_answers();
    test_unit_float();
    test_dropout();
    test_bilinear();
    test_adam();
    test_sgd();
    test_relu_and_clip();
    test_bf16();
    TEST_EXIT();
}
