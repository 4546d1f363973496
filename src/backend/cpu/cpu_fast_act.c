/* Fast elementwise activations: elem_math.h's functions under OpenMP, so
 * they agree with the reference bit for bit. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Below this many elements one thread beats waking the team (the
 * transcendental activations cost ~20 ns an element). */
#define ACT_PARALLEL_MIN 8192

gt_status gt_cpu_fast_act_forward(gt_backend *be, float *y, const float *x, size_t count,
                                  gt_activation act, float alpha)
{
    GT_TRY(gt_check_elementwise_act("act_forward", act));
    long long n = (long long)count;
    if (act == GT_ACT_RELU) {
        /* ReLU layers (ResNets have one after every block) get a loop of their
         * own: the generic one switches on the activation per element and
         * stays scalar, ~3 GB/s against the memory's 20 */
#pragma omp parallel for simd num_threads(gt_cpu_threads(be))                                      \
    schedule(static) if (count > ACT_PARALLEL_MIN)
        for (long long i = 0; i < n; ++i)
            y[i] = gt_relu(x[i]);
        return GT_OK;
    }
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > ACT_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        y[i] = gt_act_elem(act, x[i], alpha);
    return GT_OK;
}

gt_status gt_cpu_fast_act_backward(gt_backend *be, float *dx, const float *dy, const float *x,
                                   const float *y, size_t count, gt_activation act, float alpha)
{
    GT_TRY(gt_check_act_backward(act, x));
    long long n = (long long)count;
    if (act == GT_ACT_RELU) { /* as in the forward: a loop without the switch */
#pragma omp parallel for simd num_threads(gt_cpu_threads(be))                                      \
    schedule(static) if (count > ACT_PARALLEL_MIN)
        for (long long i = 0; i < n; ++i)
            dx[i] = gt_relu_grad(dy[i], y[i]);
        return GT_OK;
    }
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > ACT_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        dx[i] = gt_act_grad_elem(act, dy[i], x ? x[i] : 0.0f, y[i], alpha);
    return GT_OK;
}
