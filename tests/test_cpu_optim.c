/* AdamW and RMSprop: the fast CPU ops equal the reference bit for bit (both
 * run elem_math.h's per-element functions), on one thread and on several,
 * over sizes below and above the parallel threshold; and the ops refuse
 * missing buffers and out-of-range hyperparameters with the op's name. Their
 * agreement with Keras itself is test_optimizers_keras.c's. */
#include "optim_cases.h"

int main(void)
{
    gt_backend *ref = NULL, *fast[2] = {NULL, NULL};
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &fast[0]));
    CHECK_OK(gt_backend_create("cpu", 4, GT_PRECISION_FP32, &fast[1]));
    if (!ref || !fast[0] || !fast[1]) TEST_EXIT();
    const size_t sizes[] = {1, 1001, 70001};
    for (size_t s = 0; s < 3; ++s)
        for (size_t v = 0; v < OPTIM_VARIANTS; ++v) {
            optim_result want = optim_run(ref, &optim_variants[v], sizes[s]);
            for (int k = 0; k < 2; ++k) {
                optim_result got = optim_run(fast[k], &optim_variants[v], sizes[s]);
                for (int b = 0; b < 4; ++b)
                    CHECK_MSG(memcmp(got.buf[b], want.buf[b], sizes[s] * sizeof(float)) == 0,
                              "%s, %zu elements, %s: buffer %d differs from the reference",
                              optim_variants[v].name, sizes[s], fast[k]->describe(fast[k]), b);
                optim_result_free(&got);
            }
            optim_result_free(&want);
        }

    float p = 0.5f, g = 0.1f, m = 0.0f, v = 0.0f;
    gt_adam_params hp = {0.01f, 0.9f, 0.999f, 1e-7f, 1};
    gt_rmsprop_params rp = {0.01f, 0.9f, 0.5f, 1e-7f, 0};
    for (int k = 0; k < 2; ++k) {
        gt_backend *be = k ? fast[0] : ref;
        CHECK_FAILS_WITH(be->adamw_update(be, &p, &g, &m, &v, 1, &hp, 1.5f),
                         GT_ERR_INVALID_ARGUMENT, "adamw_update: weight_decay");
        hp.step = 0;
        CHECK_FAILS_WITH(be->adamw_update(be, &p, &g, &m, &v, 1, &hp, 0.0f),
                         GT_ERR_INVALID_ARGUMENT, "adamw_update: step");
        hp.step = 1;
        CHECK_FAILS_WITH(be->rmsprop_update(be, &p, &g, &v, NULL, NULL, 1, &rp),
                         GT_ERR_INVALID_ARGUMENT, "momentum buffer");
        rp.momentum = 0.0f;
        rp.centered = 1;
        CHECK_FAILS_WITH(be->rmsprop_update(be, &p, &g, &v, NULL, NULL, 1, &rp),
                         GT_ERR_INVALID_ARGUMENT, "mean-gradient");
        rp.centered = 0;
        rp.rho = 1.0f;
        CHECK_FAILS_WITH(be->rmsprop_update(be, &p, &g, &v, NULL, NULL, 1, &rp),
                         GT_ERR_INVALID_ARGUMENT, "rho");
        rp.rho = 0.9f;
        rp.momentum = 0.5f;
    }
    /* the arithmetic by hand, one element: RMSprop v = 0.1 g^2, p -= lr g / sqrt(v + eps) */
    float vel = 0.0f;
    rp.momentum = 0.0f;
    p = 0.5f;
    CHECK_OK(ref->rmsprop_update(ref, &p, &g, &vel, NULL, NULL, 1, &rp));
    CHECK_NEAR(vel, 0.1 * 0.01, 1e-9);
    CHECK_NEAR(p, 0.5 - 0.01 * 0.1 / sqrt(0.001 + 1e-7), 1e-7);
    /* AdamW: p = 0.5 - 0.5 * 0.1 * 0.01 first, then Adam's first step (m/sqrt(v) = sign g) */
    p = 0.5f;
    m = v = 0.0f;
    CHECK_OK(ref->adamw_update(ref, &p, &g, &m, &v, 1, &hp, 0.1f));
    CHECK_NEAR(p, 0.5 - 0.5 * 0.1 * 0.01 - 0.01 * 0.1 / (0.1 + 1e-7 / sqrt(0.001)), 1e-7);
    gt_backend_destroy(ref);
    gt_backend_destroy(fast[0]);
    gt_backend_destroy(fast[1]);
    TEST_EXIT();
}
