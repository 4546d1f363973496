/* Reference losses: fused softmax + sparse cross-entropy, Keras categorical
 * cross-entropy on probabilities, and the plain softmax. Each row is
 * computed in double; the batch loss sum is accumulated in double. */
#include <math.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_softmax_xent(gt_backend *be, float *dlogits, float *stats, const float *logits,
                                  const int32_t *labels, int n, int classes, float grad_scale,
                                  float log_epsilon)
{
    (void)be;
    GT_TRY(gt_check_labels("softmax_xent", labels, n, classes));
    double loss_sum = 0.0;
    int correct = 0;
    for (int i = 0; i < n; ++i) {
        int top;
        loss_sum += gt_softmax_xent_row(dlogits ? dlogits + (size_t)i * classes : NULL,
                                        logits + (size_t)i * classes, classes, labels[i],
                                        grad_scale, log_epsilon, &top);
        correct += top == labels[i];
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
        loss_sum += gt_prob_xent_row(dout ? dout + (size_t)i * classes : NULL, row, classes,
                                     labels[i], grad_scale);
        correct += gt_row_argmax(row, classes) == labels[i];
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
    for (int i = 0; i < n; ++i)
        gt_softmax_row(probs + (size_t)i * classes, logits + (size_t)i * classes, classes);
    return GT_OK;
}
