/* The merge ops (axpby, mul, channel_copy) on the CPU: known values, beta 0
 * ignoring y (NaN included, as BLAS), in-place use, the fast table equal to
 * the reference bit for bit at 1 and 3 threads over sizes that do and do not
 * go parallel, and channel ranges outside their rows refused. */
#include "cpu_ops_common.h"

static void check_values(gt_backend *be)
{
    float x[4] = {1.0f, -2.0f, 0.5f, 3.0f}, y[4] = {NAN, 1.0f, 2.0f, -1.0f};
    CHECK_OK(be->axpby(be, y, x, 4, 2.0f, 0.0f));
    CHECK(y[0] == 2.0f && y[1] == -4.0f && y[2] == 1.0f && y[3] == 6.0f);
    CHECK_OK(be->axpby(be, y, x, 4, -1.0f, 1.0f));
    CHECK(y[0] == 1.0f && y[1] == -2.0f && y[2] == 0.5f && y[3] == 3.0f);
    CHECK_OK(be->axpby(be, y, y, 4, 0.5f, 0.0f)); /* in place */
    CHECK(y[0] == 0.5f && y[3] == 1.5f);
    CHECK_OK(be->mul(be, y, y, x, 4));
    CHECK(y[0] == 0.5f && y[1] == 2.0f && y[2] == 0.125f && y[3] == 4.5f);
    /* two rows of 3 channels into channels 1..3 of rows of 5, and back */
    float src[6] = {1, 2, 3, 4, 5, 6}, dst[10], back[6] = {0};
    for (int i = 0; i < 10; ++i)
        dst[i] = -1.0f;
    CHECK_OK(be->channel_copy(be, dst, 5, 1, src, 3, 0, 2, 3));
    const float want[10] = {-1, 1, 2, 3, -1, -1, 4, 5, 6, -1};
    CHECK(memcmp(dst, want, sizeof want) == 0);
    CHECK_OK(be->channel_copy(be, back, 3, 0, dst, 5, 1, 2, 3));
    CHECK(memcmp(back, src, sizeof src) == 0);
    CHECK_FAILS_WITH(be->channel_copy(be, dst, 5, 3, src, 3, 0, 2, 3), GT_ERR_INVALID_ARGUMENT,
                     "channel_copy: channels [0, 0 + 3) of rows of 3 into channels [3, 3 + 3) of "
                     "rows of 5 do not fit");
    CHECK_FAILS_WITH(be->channel_copy(be, back, 3, 0, dst, 0, 0, 2, 3), GT_ERR_INVALID_ARGUMENT,
                     "do not fit");
}

static void check_fast_equals_reference(gt_backend *ref, gt_backend *fast)
{
    unsigned long long rng = 7;
    const size_t sizes[] = {5, 1000, 70001};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; ++s) {
        size_t n = sizes[s];
        float *x = rand_buf(n, &rng, -2.0f, 2.0f), *y0 = rand_buf(n, &rng, -2.0f, 2.0f);
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        memcpy(a, y0, n * sizeof *a);
        memcpy(b, y0, n * sizeof *b);
        CHECK_OK(ref->axpby(ref, a, x, n, 0.3f, -1.7f));
        CHECK_OK(fast->axpby(fast, b, x, n, 0.3f, -1.7f));
        CHECK_MSG(memcmp(a, b, n * sizeof *a) == 0, "axpby n %zu: fast != reference", n);
        CHECK_OK(ref->mul(ref, a, x, y0, n));
        CHECK_OK(fast->mul(fast, b, x, y0, n));
        CHECK_MSG(memcmp(a, b, n * sizeof *a) == 0, "mul n %zu: fast != reference", n);
        /* rows of 7 channels: channels 2..6 into channels 0..4 of rows of 5 */
        size_t rows = n / 7;
        float *ca = zero_buf(rows * 5 + 1), *cb = zero_buf(rows * 5 + 1);
        CHECK_OK(ref->channel_copy(ref, ca, 5, 0, x, 7, 2, rows, 5));
        CHECK_OK(fast->channel_copy(fast, cb, 5, 0, x, 7, 2, rows, 5));
        CHECK_MSG(memcmp(ca, cb, (rows * 5 + 1) * sizeof *ca) == 0,
                  "channel_copy rows %zu: fast != reference", rows);
        free(x);
        free(y0);
        free(a);
        free(b);
        free(ca);
        free(cb);
    }
}

int main(void)
{
    gt_backend *ref = NULL, *fast1 = NULL, *fast3 = NULL;
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &fast1));
    CHECK_OK(gt_backend_create("cpu", 3, GT_PRECISION_FP32, &fast3));
    if (!ref || !fast1 || !fast3) return 1;
    check_values(ref);
    check_values(fast3);
    check_fast_equals_reference(ref, fast1);
    check_fast_equals_reference(ref, fast3);
    gt_backend_destroy(ref);
    gt_backend_destroy(fast1);
    gt_backend_destroy(fast3);
    TEST_EXIT();
}
