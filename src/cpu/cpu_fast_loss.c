/* Fast losses: rows split across threads in fixed contiguous ranges; each
 * thread sums its rows' losses in double, and the per-thread partials are
 * added in thread order afterwards — no atomics, no OpenMP reduction (whose
 * combination order is unspecified), so a fixed thread count gives a fixed
 * result. Row math is float (expf/logf) with the max subtracted. */
#include <math.h>
#include <omp.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "error.h"

/* Below this many logits one thread is faster than waking the team. */
#define LOSS_PARALLEL_MIN 8192

/* One row of softmax + cross-entropy (log_epsilon as in gt_softmax_xent_row);
 * returns the loss, adds to *correct. Safe when drow aliases row: everything
 * read is read before it is written. */
static double xent_row(float *drow, const float *row, int label, int classes, float grad_scale,
                       float log_epsilon, int *correct)
{
    int top = gt_row_argmax(row, classes);
    float mx = row[top], x_label = row[label];
    float sum = 0.0f;
    for (int j = 0; j < classes; ++j) {
        float e = expf(row[j] - mx);
        if (drow) drow[j] = e;
        sum += e;
    }
    *correct += top == label;
    float inv = 1.0f / sum;
    double loss = (double)(logf(sum) + mx - x_label);
    if (log_epsilon > 0.0f) {
        /* in float, as TF computes the notebook's -log(p + 1e-10) */
        float p_label = expf(x_label - mx) * inv;
        grad_scale *= (float)gt_log_epsilon_share((double)p_label, (double)log_epsilon);
        loss = (double)-logf(p_label + log_epsilon);
    }
    if (drow)
        for (int j = 0; j < classes; ++j)
            drow[j] = (drow[j] * inv - (j == label ? 1.0f : 0.0f)) * grad_scale;
    return loss;
}

/* Keras categorical cross-entropy on probabilities, one row (see backend.h). */
static double prob_row(float *drow, const float *row, int label, int classes, float grad_scale,
                       float log_epsilon, int *correct)
{
    (void)log_epsilon; /* Keras' clip plays its part */
    double sum_d = 0.0;
    for (int j = 0; j < classes; ++j)
        sum_d += (double)row[j];
    float sum = (float)sum_d;
    float out_label = row[label];
    float p = out_label / sum; /* zero sum: NaN, as in Keras (not guarded) */
    *correct += gt_row_argmax(row, classes) == label;
    if (drow) {
        int was_clipped = p < GT_KERAS_EPSILON || p > 1.0f - GT_KERAS_EPSILON;
        float inv_sum = 1.0f / sum, inv_label = 1.0f / out_label;
        for (int j = 0; j < classes; ++j)
            drow[j] = was_clipped ? 0.0f : (inv_sum - (j == label ? inv_label : 0.0f)) * grad_scale;
    }
    return (double)-logf(gt_prob_xent_clip(p));
}

typedef double (*row_fn)(float *drow, const float *row, int label, int classes, float grad_scale,
                         float log_epsilon, int *correct);

static void run_rows(int threads, row_fn fn, float *dout, float *stats, const float *in,
                     const int32_t *labels, int n, int classes, float grad_scale, float log_epsilon)
{
    double loss_part[GT_CPU_MAX_THREADS];
    int correct_part[GT_CPU_MAX_THREADS];
    int used = 1;
#pragma omp parallel num_threads(threads) if ((size_t)n * classes >= LOSS_PARALLEL_MIN)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        int r0 = (int)((long long)n * tid / nt), r1 = (int)((long long)n * (tid + 1) / nt);
        double loss = 0.0;
        int correct = 0;
        for (int i = r0; i < r1; ++i)
            loss += fn(dout ? dout + (size_t)i * classes : NULL, in + (size_t)i * classes,
                       labels[i], classes, grad_scale, log_epsilon, &correct);
        loss_part[tid] = loss;
        correct_part[tid] = correct;
        if (tid == 0) used = nt;
    }
    double loss = 0.0;
    long long correct = 0;
    for (int t = 0; t < used; ++t) {
        loss += loss_part[t];
        correct += correct_part[t];
    }
    if (stats) {
        stats[0] = (float)loss;
        stats[1] = (float)correct;
    }
}

gt_status gt_cpu_fast_softmax_xent(gt_backend *be, float *dlogits, float *stats,
                                   const float *logits, const int32_t *labels, int n, int classes,
                                   float grad_scale, float log_epsilon)
{
    GT_TRY(gt_check_labels("softmax_xent", labels, n, classes));
    run_rows(gt_cpu_threads(be), xent_row, dlogits, stats, logits, labels, n, classes, grad_scale,
             log_epsilon);
    return GT_OK;
}

gt_status gt_cpu_fast_prob_xent(gt_backend *be, float *dout, float *stats, const float *out,
                                const int32_t *labels, int n, int classes, float grad_scale)
{
    GT_TRY(gt_check_labels("prob_xent", labels, n, classes));
    run_rows(gt_cpu_threads(be), prob_row, dout, stats, out, labels, n, classes, grad_scale, 0.0f);
    return GT_OK;
}

gt_status gt_cpu_fast_softmax_forward(gt_backend *be, float *probs, const float *logits, int n,
                                      int classes)
{
    if (n < 0 || classes <= 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "softmax_forward: n=%d classes=%d", n, classes);
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if ((size_t)n * classes >= LOSS_PARALLEL_MIN)
    for (int i = 0; i < n; ++i) {
        const float *row = logits + (size_t)i * classes;
        float *prow = probs + (size_t)i * classes;
        float mx = row[gt_row_argmax(row, classes)];
        float sum = 0.0f;
        for (int j = 0; j < classes; ++j) {
            prow[j] = expf(row[j] - mx);
            sum += prow[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < classes; ++j)
            prow[j] *= inv;
    }
    return GT_OK;
}
