/* Reference losses: fused softmax + sparse cross-entropy, Keras categorical
 * cross-entropy on probabilities, and the plain softmax. Each row is
 * computed in double; the batch loss sum is accumulated in double. */
#include <math.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "error.h"

/* Index of the first maximum of row[0..classes). */
static int row_argmax(const float *row, int classes)
{
    int best = 0;
    for (int j = 1; j < classes; ++j)
        if (row[j] > row[best]) best = j;
    return best;
}

gt_status gt_cpu_ref_softmax_xent(gt_backend *be, float *dlogits, float *stats, const float *logits,
                                  const int32_t *labels, int n, int classes, float grad_scale)
{
    (void)be;
    GT_TRY(gt_check_labels("softmax_xent", labels, n, classes));
    double loss_sum = 0.0;
    int correct = 0;
    for (int i = 0; i < n; ++i) {
        const float *row = logits + (size_t)i * classes;
        int label = labels[i];
        int top = row_argmax(row, classes);
        /* Subtracting the maximum keeps exp() from overflowing. */
        double mx = (double)row[top];
        double sum = 0.0;
        for (int j = 0; j < classes; ++j)
            sum += exp((double)row[j] - mx);
        loss_sum += log(sum) + mx - (double)row[label]; /* log-sum-exp - logit[label] */
        correct += top == label;
        if (dlogits) {
            float *drow = dlogits + (size_t)i * classes;
            for (int j = 0; j < classes; ++j) {
                double p = exp((double)row[j] - mx) / sum;
                drow[j] = (float)((p - (j == label ? 1.0 : 0.0)) * (double)grad_scale);
            }
        }
    }
    if (stats) {
        stats[0] = (float)loss_sum;
        stats[1] = (float)correct;
    }
    return GT_OK;
}

gt_status gt_cpu_ref_prob_xent(gt_backend *be, float *dout, float *stats, const float *out,
                               const int32_t *labels, int n, int classes, float grad_scale)
{
    (void)be;
    GT_TRY(gt_check_labels("prob_xent", labels, n, classes));
    double loss_sum = 0.0;
    int correct = 0;
    for (int i = 0; i < n; ++i) {
        const float *row = out + (size_t)i * classes;
        int label = labels[i];
        double sum = 0.0;
        for (int j = 0; j < classes; ++j)
            sum += (double)row[j];
        /* Keras normalises in float: p = out / sum(out). A zero sum gives NaN,
         * as in Keras, and is deliberately not guarded. */
        float p = row[label] / (float)sum;
        float clipped = gt_prob_xent_clip(p);
        loss_sum += -log((double)clipped);
        correct += row_argmax(row, classes) == label;
        if (dout) {
            /* TF's clip_by_value passes no gradient where it clipped (strict
             * comparisons: NaN passes through, as in TF). */
            int was_clipped = p < GT_KERAS_EPSILON || p > 1.0f - GT_KERAS_EPSILON;
            double inv_label = 1.0 / (double)row[label];
            float *drow = dout + (size_t)i * classes;
            for (int j = 0; j < classes; ++j) {
                double d = was_clipped ? 0.0 : 1.0 / sum - (j == label ? inv_label : 0.0);
                drow[j] = (float)(d * (double)grad_scale);
            }
        }
    }
    if (stats) {
        stats[0] = (float)loss_sum;
        stats[1] = (float)correct;
    }
    return GT_OK;
}

gt_status gt_cpu_ref_softmax_forward(gt_backend *be, float *probs, const float *logits, int n,
                                     int classes)
{
    (void)be;
    if (n < 0 || classes <= 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "softmax_forward: n=%d classes=%d", n, classes);
    for (int i = 0; i < n; ++i) {
        const float *row = logits + (size_t)i * classes;
        double mx = (double)row[row_argmax(row, classes)];
        double sum = 0.0;
        for (int j = 0; j < classes; ++j)
            sum += exp((double)row[j] - mx);
        for (int j = 0; j < classes; ++j)
            probs[(size_t)i * classes + j] = (float)(exp((double)row[j] - mx) / sum);
    }
    return GT_OK;
}
