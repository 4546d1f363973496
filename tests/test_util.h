/* Minimal test harness: CHECK records a failure and goes on, so one run
 * reports every broken expectation; TEST_EXIT() returns 1 if any failed. */
#ifndef GT_TEST_UTIL_H
#define GT_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/gtrain.h"

static int gt_test_failures = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            ++gt_test_failures;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            ++gt_test_failures;                                                                    \
        }                                                                                          \
    } while (0)

/* Expects GT_OK; on failure prints the library's message. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        gt_status s_ = (expr);                                                                     \
        if (s_ != GT_OK) {                                                                         \
            fprintf(stderr, "%s:%d: %s returned %s: %s\n", __FILE__, __LINE__, #expr,              \
                    gt_status_name(s_), gt_last_error());                                          \
            ++gt_test_failures;                                                                    \
        }                                                                                          \
    } while (0)

/* Expects a given failure status whose message contains `needle`. */
#define CHECK_FAILS_WITH(expr, status, needle)                                                     \
    do {                                                                                           \
        gt_clear_error();                                                                          \
        gt_status s_ = (expr);                                                                     \
        if (s_ != (status) || strstr(gt_last_error(), (needle)) == NULL) {                         \
            fprintf(stderr, "%s:%d: %s: expected %s with \"%s\", got %s: \"%s\"\n", __FILE__,      \
                    __LINE__, #expr, gt_status_name(status), (needle), gt_status_name(s_),         \
                    gt_last_error());                                                              \
            ++gt_test_failures;                                                                    \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %.3g\n",          \
                    __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol));                            \
            ++gt_test_failures;                                                                    \
        }                                                                                          \
    } while (0)

#define TEST_EXIT()                                                                                \
    do {                                                                                           \
        if (gt_test_failures) fprintf(stderr, "%d check(s) failed\n", gt_test_failures);           \
        return gt_test_failures ? 1 : 0;                                                           \
    } while (0)

/* Skips the test (ctest SKIP_RETURN_CODE 77) with one line saying why. */
#define TEST_SKIP(...)                                                                             \
    do {                                                                                           \
        printf("SKIPPED: ");                                                                       \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        return 77;                                                                                 \
    } while (0)

/* Deterministic test data: xorshift64*, uniform in [lo, hi). */
static inline unsigned long long gt_test_rng_next(unsigned long long *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static inline float gt_test_uniform(unsigned long long *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)((gt_test_rng_next(s) >> 40) * (1.0 / 16777216.0));
}

static inline void gt_test_fill(float *x, size_t n, unsigned long long *s, float lo, float hi)
{
    for (size_t i = 0; i < n; ++i)
        x[i] = gt_test_uniform(s, lo, hi);
}

#endif
