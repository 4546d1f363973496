/* Batch normalization on both CPU backends: hand-computed statistics and
 * outputs (biased variance, Keras' y = gamma (x - mean) / sqrt(var + eps) +
 * beta), inference with given statistics, Keras 3's moving-average update,
 * NULL gamma/beta, the fast backend equal to the reference bit for bit at
 * several thread counts and shapes, and bad arguments refused; the
 * batch-shared ops (a batch split over ranks: per-part sums, added, then the
 * whole batch's statistics and dx) give the fused ops' results. */
#include "cpu_ops_common.h"

static void check_values(gt_backend *be)
{
    /* 4 rows x 2 channels: channel 0 = 1,2,3,4 (mean 2.5, var 1.25),
     * channel 1 = 10,10,10,14 (mean 11, var 3) */
    float x[8] = {1, 10, 2, 10, 3, 10, 4, 14}, y[8], mean[2], var[2];
    float gamma[2] = {2.0f, 1.0f}, beta[2] = {0.5f, -1.0f};
    const float eps = 1e-3f;
    CHECK_OK(be->batchnorm_forward_train(be, y, mean, var, x, gamma, beta, 4, 2, eps));
    CHECK(mean[0] == 2.5f && mean[1] == 11.0f);
    CHECK(var[0] == 1.25f && var[1] == 3.0f);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 2; ++c) {
            double want =
                gamma[c] * (x[r * 2 + c] - mean[c]) / sqrt((double)var[c] + eps) + beta[c];
            CHECK_MSG(y[r * 2 + c] == (float)want, "%s: y[%d,%d] %.9g want %.9g", be->name, r, c,
                      (double)y[r * 2 + c], want);
        }
    /* no gamma, no beta: the plain standardized x */
    CHECK_OK(be->batchnorm_forward_train(be, y, mean, var, x, NULL, NULL, 4, 2, eps));
    CHECK(y[0] == (float)((1.0 - 2.5) / sqrt(1.25 + (double)eps)));
    /* inference with given statistics, in place */
    float z[2] = {3.0f, 5.0f}, m[2] = {1.0f, 5.0f}, v[2] = {4.0f, 0.25f};
    CHECK_OK(be->batchnorm_forward_infer(be, z, z, gamma, beta, m, v, 1, 2, eps));
    CHECK(z[0] == (float)(2.0 * 2.0 / sqrt(4.0 + (double)eps) + 0.5));
    CHECK(z[1] == -1.0f);
    /* moving = moving * 0.99 + batch * 0.01, in float */
    float mm[2] = {0.0f, 1.0f}, mv[2] = {1.0f, 1.0f};
    CHECK_OK(be->batchnorm_update_moving(be, mm, mv, mean, var, 2, 0.99f));
    CHECK(mm[0] == 0.0f * 0.99f + 2.5f * (1.0f - 0.99f));
    CHECK(mv[1] == 1.0f * 0.99f + 3.0f * (1.0f - 0.99f));
    CHECK_FAILS_WITH(be->batchnorm_forward_train(be, y, mean, var, x, gamma, beta, 0, 2, eps),
                     GT_ERR_INVALID_ARGUMENT, "rows=0");
    CHECK_FAILS_WITH(be->batchnorm_forward_train(be, y, mean, var, x, gamma, beta, 4, 2, 0.0f),
                     GT_ERR_INVALID_ARGUMENT, "epsilon");
    CHECK_FAILS_WITH(be->batchnorm_update_moving(be, mm, mv, mean, var, 2, 1.5f),
                     GT_ERR_INVALID_ARGUMENT, "momentum");
}

/* fast == reference bit for bit: shapes with more channels than a block, and
 * fewer channels than threads */
static void check_fast_equals_reference(gt_backend *ref, gt_backend *fast)
{
    /* ... and more channels than the row-wise passes take (1024) */
    const int shapes[4][2] = {{300, 7}, {50, 600}, {1000, 1}, {20, 1100}};
    unsigned long long rng = 77;
    for (int s = 0; s < 4; ++s) {
        int rows = shapes[s][0], ch = shapes[s][1];
        size_t n = (size_t)rows * ch;
        float *x = rand_buf(n, &rng, -3, 5), *dy = rand_buf(n, &rng, -1, 1);
        float *gamma = rand_buf((size_t)ch, &rng, 0.5f, 2.0f),
              *beta = rand_buf((size_t)ch, &rng, -1, 1);
        float *out[2][6];
        gt_backend *bes[2] = {ref, fast};
        for (int e = 0; e < 2; ++e) {
            float **o = out[e];
            o[0] = zero_buf(n), o[1] = zero_buf((size_t)ch), o[2] = zero_buf((size_t)ch);
            o[3] = zero_buf(n), o[4] = zero_buf((size_t)ch), o[5] = zero_buf((size_t)ch);
            CHECK_OK(bes[e]->batchnorm_forward_train(bes[e], o[0], o[1], o[2], x, gamma, beta, rows,
                                                     ch, 1e-3f));
            CHECK_OK(bes[e]->batchnorm_backward(bes[e], o[3], o[4], o[5], dy, x, gamma, o[1], o[2],
                                                rows, ch, 1e-3f));
        }
        static const char *const names[6] = {"y", "mean", "var", "dx", "dgamma", "dbeta"};
        size_t counts[6] = {n, (size_t)ch, (size_t)ch, n, (size_t)ch, (size_t)ch};
        for (int k = 0; k < 6; ++k) {
            CHECK_CLOSE(names[k], out[1][k], out[0][k], counts[k], 0.0);
            free(out[0][k]);
            free(out[1][k]);
        }
        free(x);
        free(dy);
        free(gamma);
        free(beta);
    }
}

static void close_named(const char *prefix, const char *name, const float *got, const float *want,
                        size_t n)
{
    char what[160];
    snprintf(what, sizeof what, "%s%s", prefix, name);
    CHECK_CLOSE(what, got, want, n, 1e-5);
}

/* A batch of `rows` rows cut at `cut` (the second part may be empty, as a
 * rank without examples): the parts' sums added give the whole batch's mean
 * and variance, and dx of each part from the added backward sums is the
 * fused backward's, within float rounding of the sums (they travel as floats
 * between the ranks, against doubles inside the fused op). */
static void check_shared_equals_fused(gt_backend *be, int rows, int ch, int cut)
{
    unsigned long long rng = 901;
    size_t n = (size_t)rows * ch, c = (size_t)ch;
    float *x = rand_buf(n, &rng, -3, 5), *dy = rand_buf(n, &rng, -1, 1);
    float *gamma = rand_buf(c, &rng, 0.5f, 2.0f), *beta = rand_buf(c, &rng, -1, 1);
    float *y = zero_buf(n), *mean = zero_buf(c), *var = zero_buf(c), *dx = zero_buf(n);
    float *dg = zero_buf(c), *db = zero_buf(c);
    CHECK_OK(be->batchnorm_forward_train(be, y, mean, var, x, gamma, beta, rows, ch, 1e-3f));
    CHECK_OK(be->batchnorm_backward(be, dx, dg, db, dy, x, gamma, mean, var, rows, ch, 1e-3f));

    int part_rows[2] = {cut, rows - cut};
    const float *part_x[2] = {x, x + (size_t)cut * c}, *part_dy[2] = {dy, dy + (size_t)cut * c};
    float *s_mean = zero_buf(c), *s_var = zero_buf(c), *part = zero_buf(2 * c);
    float *s_y = zero_buf(n), *s_dx = zero_buf(n), *sums = zero_buf(2 * c);
    for (int p = 0; p < 2; ++p) { /* sum of x */
        CHECK_OK(be->batchnorm_sums(be, part, part_x[p], NULL, part_rows[p], ch));
        for (size_t k = 0; k < c; ++k)
            s_mean[k] += part[k];
    }
    for (size_t k = 0; k < c; ++k)
        s_mean[k] /= (float)rows;
    for (int p = 0; p < 2; ++p) { /* sum of (x - mean)^2 */
        CHECK_OK(be->batchnorm_sums(be, part, part_x[p], s_mean, part_rows[p], ch));
        for (size_t k = 0; k < c; ++k)
            s_var[k] += part[k];
    }
    for (size_t k = 0; k < c; ++k)
        s_var[k] /= (float)rows;
    CHECK_OK(be->batchnorm_forward_infer(be, s_y, x, gamma, beta, s_mean, s_var, rows, ch, 1e-3f));
    for (int p = 0; p < 2; ++p) {
        CHECK_OK(be->batchnorm_backward_sums(be, part, part_dy[p], part_x[p], s_mean, s_var,
                                             part_rows[p], ch, 1e-3f));
        for (size_t k = 0; k < 2 * c; ++k)
            sums[k] += part[k];
    }
    for (int p = 0; p < 2; ++p)
        CHECK_OK(be->batchnorm_backward_apply(be, s_dx + (p ? (size_t)cut * c : 0), part_dy[p],
                                              part_x[p], gamma, s_mean, s_var, sums, part_rows[p],
                                              ch, (size_t)rows, 1e-3f));
    char what[96];
    snprintf(what, sizeof what, "%s shared %dx%d cut %d: ", be->name, rows, ch, cut);
    close_named(what, "mean", s_mean, mean, c);
    close_named(what, "var", s_var, var, c);
    close_named(what, "y", s_y, y, n);
    close_named(what, "dx", s_dx, dx, n);
    close_named(what, "dbeta", sums, db, c);
    close_named(what, "dgamma", sums + c, dg, c);
    /* an empty part's sums are zeros, and the whole batch bounds a part */
    CHECK_OK(be->batchnorm_sums(be, part, x, NULL, 0, ch));
    CHECK(part[0] == 0.0f && part[c - 1] == 0.0f);
    CHECK_FAILS_WITH(be->batchnorm_backward_apply(be, s_dx, dy, x, gamma, s_mean, s_var, sums, rows,
                                                  ch, (size_t)rows - 1, 1e-3f),
                     GT_ERR_INVALID_ARGUMENT, "rows=");
    CHECK_FAILS_WITH(be->batchnorm_sums(be, part, x, NULL, -1, ch), GT_ERR_INVALID_ARGUMENT,
                     "rows=-1");
    float *bufs[] = {x,  dy, gamma,  beta,  y,    mean, var,  dx,
                     dg, db, s_mean, s_var, part, s_y,  s_dx, sums};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; ++k)
        free(bufs[k]);
}

/* The fast batch-shared ops equal the reference's bit for bit. */
static void check_shared_fast_equals_reference(gt_backend *ref, gt_backend *fast)
{
    unsigned long long rng = 31;
    int rows = 77, ch = 300;
    size_t n = (size_t)rows * ch, c = (size_t)ch;
    float *x = rand_buf(n, &rng, -3, 5), *dy = rand_buf(n, &rng, -1, 1);
    float *gamma = rand_buf(c, &rng, 0.5f, 2.0f), *center = rand_buf(c, &rng, -1, 1);
    float *var = rand_buf(c, &rng, 0.5f, 2.0f), *sums = rand_buf(2 * c, &rng, -3, 3);
    float *out[2][4];
    gt_backend *bes[2] = {ref, fast};
    for (int e = 0; e < 2; ++e) {
        float **o = out[e];
        o[0] = zero_buf(c), o[1] = zero_buf(c), o[2] = zero_buf(2 * c), o[3] = zero_buf(n);
        CHECK_OK(bes[e]->batchnorm_sums(bes[e], o[0], x, NULL, rows, ch));
        CHECK_OK(bes[e]->batchnorm_sums(bes[e], o[1], x, center, rows, ch));
        CHECK_OK(
            bes[e]->batchnorm_backward_sums(bes[e], o[2], dy, x, center, var, rows, ch, 1e-3f));
        CHECK_OK(bes[e]->batchnorm_backward_apply(bes[e], o[3], dy, x, gamma, center, var, sums,
                                                  rows, ch, (size_t)rows * 4, 1e-3f));
    }
    static const char *const names[4] = {"sums", "centered sums", "backward sums", "apply dx"};
    size_t counts[4] = {c, c, 2 * c, n};
    for (int k = 0; k < 4; ++k) {
        CHECK_CLOSE(names[k], out[1][k], out[0][k], counts[k], 0.0);
        free(out[0][k]);
        free(out[1][k]);
    }
    float *bufs[] = {x, dy, gamma, center, var, sums};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; ++k)
        free(bufs[k]);
}

int main(void)
{
    gt_backend *ref = make_backend("cpu-reference", 1);
    check_values(ref);
    check_shared_equals_fused(ref, 300, 7, 123);
    check_shared_equals_fused(ref, 50, 600, 50); /* the second part empty */
    for (int threads = 1; threads <= 3; ++threads) {
        gt_backend *fast = make_backend("cpu", threads);
        check_values(fast);
        check_fast_equals_reference(ref, fast);
        check_shared_equals_fused(fast, 300, 7, 1);
        check_shared_fast_equals_reference(ref, fast);
        gt_backend_destroy(fast);
    }
    gt_backend_destroy(ref);
    TEST_EXIT();
}
