/* Fast losses: rows split across threads in fixed contiguous ranges; each
 * thread sums its rows' losses in double, and the per-thread partials are
 * added in thread order afterwards — no atomics, no OpenMP reduction (whose
 * combination order is unspecified), so a fixed thread count gives a fixed
 * result. */
#include <math.h>
#include <omp.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Below this many logits one thread is faster than waking the team. */
#define LOSS_PARALLEL_MIN 8192

/* The row math is elem_math.h's, shared with the reference and the CUDA
 * kernels; this file only splits the rows over threads. */
static double xent_row(float *drow, const float *row, int label, int classes, float grad_scale,
                       float log_epsilon, int *correct)
{
    int top = 0;
    double loss = gt_softmax_xent_row(drow, row, classes, label, grad_scale, log_epsilon, &top);
    *correct += top == label;
    return loss;
}

static double prob_row(float *drow, const float *row, int label, int classes, float grad_scale,
                       float log_epsilon, int *correct)
{
    (void)log_epsilon; /* Keras' clip plays its part */
    *correct += gt_row_argmax(row, classes) == label;
    return gt_prob_xent_row(drow, row, classes, label, grad_scale);
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
    for (int i = 0; i < n; ++i)
        gt_softmax_row(probs + (size_t)i * classes, logits + (size_t)i * classes, classes);
    return GT_OK;
}
