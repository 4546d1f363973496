/* Fast optimizer updates beyond Adam and SGD (cpu_fast_misc.c): AdamW and
 * RMSprop, OpenMP over elements around elem_math.h's per-element functions,
 * so they agree with the reference bit for bit. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Element counts below which one thread beats waking the team (as cpu_fast_misc.c). */
#define OPTIM_PARALLEL_MIN 32768

gt_status gt_cpu_fast_adamw_update(gt_backend *be, float *params, const float *grads, float *m,
                                   float *v, size_t count, const gt_adam_params *hp,
                                   float weight_decay)
{
    GT_TRY(gt_check_adamw(hp, weight_decay));
    float lr_t = gt_adam_lr_t(hp->learning_rate, hp->beta1, hp->beta2, hp->step);
    float lr = hp->learning_rate, b1 = hp->beta1, b2 = hp->beta2, eps = hp->epsilon;
    long long n = (long long)count;
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > OPTIM_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        params[i] =
            gt_adamw_elem(params[i], grads[i], &m[i], &v[i], lr, weight_decay, lr_t, b1, b2, eps);
    return GT_OK;
}

gt_status gt_cpu_fast_rmsprop_update(gt_backend *be, float *params, const float *grads,
                                     float *velocity, float *momentum_buf, float *mean_grad,
                                     size_t count, const gt_rmsprop_params *hp)
{
    GT_TRY(gt_check_rmsprop(hp, momentum_buf, mean_grad));
    float lr = hp->learning_rate, rho = hp->rho, momentum = hp->momentum, eps = hp->epsilon;
    int use_momentum = momentum > 0.0f, centered = hp->centered;
    long long n = (long long)count;
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > OPTIM_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        params[i] = gt_rmsprop_elem(params[i], grads[i], &velocity[i],
                                    use_momentum ? &momentum_buf[i] : NULL,
                                    centered ? &mean_grad[i] : NULL, lr, rho, momentum, eps);
    return GT_OK;
}
