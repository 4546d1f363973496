/* Shared by the gpu parity tests: a CPU-reference vs CUDA pair, device
 * buffers from host data, and the comparison rule
 *   |gpu - cpu| <= of_max * max|cpu| + rel * |cpu|
 * (an indexing bug moves an output by O(max|cpu|), far outside every bound).
 * gt_parity_main runs a test's cases in fp32 and then in tf32. */
#ifndef GT_GPU_PARITY_COMMON_H
#define GT_GPU_PARITY_COMMON_H

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

/* Runs run_all with the cuda backend in fp32, then in tf32; returns the exit code. */
static int gt_parity_main(const char *name, void (*run_all)(const parity *t))
{
    gt_backend *gpu = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &gpu);
    if (code >= 0) return code;
    gt_backend *ref = NULL;
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref));
    if (!ref) {
        gt_backend_destroy(gpu);
        TEST_EXIT();
    }
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
    gt_backend_destroy(ref);
    if (!gt_test_failures) printf("%s: all ops agree in fp32 and tf32\n", name);
    TEST_EXIT();
}

#endif
