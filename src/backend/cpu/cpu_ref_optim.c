/* Reference optimizer updates beyond Adam and SGD (cpu_ref_misc.c): AdamW
 * and RMSprop as plain loops around elem_math.h's per-element functions, the
 * same ones the fast ops and the CUDA kernels run. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_adamw_update(gt_backend *be, float *params, const float *grads, float *m,
                                  float *v, size_t count, const gt_adam_params *hp,
                                  float weight_decay)
{
    (void)be;
    GT_TRY(gt_check_adamw(hp, weight_decay));
    float lr_t = gt_adam_lr_t(hp->learning_rate, hp->beta1, hp->beta2, hp->step);
    for (size_t i = 0; i < count; ++i)
        params[i] = gt_adamw_elem(params[i], grads[i], &m[i], &v[i], hp->learning_rate,
                                  weight_decay, lr_t, hp->beta1, hp->beta2, hp->epsilon);
    return GT_OK;
}

gt_status gt_cpu_ref_rmsprop_update(gt_backend *be, float *params, const float *grads,
                                    float *velocity, float *momentum_buf, float *mean_grad,
                                    size_t count, const gt_rmsprop_params *hp)
{
    (void)be;
    GT_TRY(gt_check_rmsprop(hp, momentum_buf, mean_grad));
    int use_momentum = hp->momentum > 0.0f;
    for (size_t i = 0; i < count; ++i)
        params[i] = gt_rmsprop_elem(params[i], grads[i], &velocity[i],
                                    use_momentum ? &momentum_buf[i] : NULL,
                                    hp->centered ? &mean_grad[i] : NULL, hp->learning_rate, hp->rho,
                                    hp->momentum, hp->epsilon);
    return GT_OK;
}
