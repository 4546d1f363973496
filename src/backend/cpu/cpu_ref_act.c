/* Reference elementwise activations: plain loops over elem_math.h's
 * gt_act_elem and gt_act_grad_elem. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_act_forward(gt_backend *be, float *y, const float *x, size_t count,
                                 gt_activation act, float alpha)
{
    (void)be;
    GT_TRY(gt_check_elementwise_act("act_forward", act));
    for (size_t i = 0; i < count; ++i)
        y[i] = gt_act_elem(act, x[i], alpha);
    return GT_OK;
}

gt_status gt_cpu_ref_act_backward(gt_backend *be, float *dx, const float *dy, const float *x,
                                  const float *y, size_t count, gt_activation act, float alpha)
{
    (void)be;
    GT_TRY(gt_check_act_backward(act, x));
    for (size_t i = 0; i < count; ++i)
        dx[i] = gt_act_grad_elem(act, dy[i], x ? x[i] : 0.0f, y[i], alpha);
    return GT_OK;
}
