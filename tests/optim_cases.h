/* The AdamW and RMSprop update ops run for a few steps on one backend, for
 * the tests that set backends side by side (test_cpu_optim.c: fast against
 * the reference, bit for bit; gpu_optim_parity.c: CUDA against the
 * reference). Each variant starts from the same parameters and moments and
 * applies OPTIM_STEPS gradients drawn from a fixed seed. */
#ifndef GT_OPTIM_CASES_H
#define GT_OPTIM_CASES_H

#include "test_util.h"

#define OPTIM_STEPS 3

typedef struct optim_variant {
    const char *name;
    int adamw;             /* else RMSprop */
    gt_rmsprop_params rms; /* RMSprop's hyperparameters */
    float weight_decay;    /* AdamW */
} optim_variant;

static const optim_variant optim_variants[] = {
    {"adamw", 1, {0.0f, 0.0f, 0.0f, 0.0f, 0}, 0.004f},
    {"adamw decay 0.1", 1, {0.0f, 0.0f, 0.0f, 0.0f, 0}, 0.1f},
    {"rmsprop", 0, {0.001f, 0.9f, 0.0f, 1e-7f, 0}, 0},
    {"rmsprop momentum", 0, {0.01f, 0.9f, 0.9f, 1e-7f, 0}, 0},
    {"rmsprop centered", 0, {0.01f, 0.8f, 0.0f, 1e-6f, 1}, 0},
    {"rmsprop momentum centered", 0, {0.01f, 0.9f, 0.5f, 1e-7f, 1}, 0},
};
#define OPTIM_VARIANTS (sizeof optim_variants / sizeof *optim_variants)

/* The buffers a variant updates: params, then up to three moments. */
typedef struct optim_result {
    float *buf[4];
    size_t n;
} optim_result;

static void optim_result_free(optim_result *r)
{
    for (int b = 0; b < 4; ++b)
        free(r->buf[b]);
}

/* Runs variant v on `be` over n elements; every buffer goes through the
 * backend's alloc/upload/download, so the same code serves the CPU and CUDA. */
static optim_result optim_run(gt_backend *be, const optim_variant *v, size_t n)
{
    optim_result r = {{NULL, NULL, NULL, NULL}, n};
    unsigned long long seed = 4242;
    void *dev[5] = {NULL, NULL, NULL, NULL, NULL}; /* params, 3 moments, grads */
    float *host = malloc(n * sizeof(float));
    for (int b = 0; b < 5; ++b) {
        CHECK_OK(be->alloc(be, n * sizeof(float), &dev[b]));
        /* params in [-1, 1], moments small and the second moments positive */
        float lo = b == 0 ? -1.0f : (b == 2 || (b == 1 && !v->adamw) ? 0.0f : -0.1f);
        float hi = b == 0 ? 1.0f : 0.1f;
        gt_test_fill(host, n, &seed, lo, hi);
        CHECK_OK(be->upload(be, dev[b], host, n * sizeof(float)));
    }
    for (int step = 1; step <= OPTIM_STEPS; ++step) {
        gt_test_fill(host, n, &seed, -1.0f, 1.0f);
        CHECK_OK(be->upload(be, dev[4], host, n * sizeof(float)));
        if (v->adamw) {
            gt_adam_params hp = {0.01f, 0.9f, 0.999f, 1e-7f, step};
            CHECK_OK(be->adamw_update(be, dev[0], dev[4], dev[1], dev[2], n, &hp, v->weight_decay));
        } else {
            CHECK_OK(be->rmsprop_update(be, dev[0], dev[4], dev[1],
                                        v->rms.momentum > 0.0f ? dev[2] : NULL,
                                        v->rms.centered ? dev[3] : NULL, n, &v->rms));
        }
    }
    CHECK_OK(be->synchronize(be));
    for (int b = 0; b < 4; ++b) {
        r.buf[b] = malloc(n * sizeof(float));
        CHECK_OK(be->download(be, r.buf[b], dev[b], n * sizeof(float)));
    }
    CHECK_OK(be->synchronize(be));
    for (int b = 0; b < 5; ++b)
        be->free(be, dev[b]);
    free(host);
    return r;
}

#endif
