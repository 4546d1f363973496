/* AdamW over the flat parameter buffer: one thread per element runs the
 * shared gt_adamw_elem (weight decay, then Adam's step). lr_t is computed
 * once per step on the host, as for adam.cu. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void adamw_kernel(float *params, const float *grads, float *m, float *v,
                                    size_t count, float lr, float weight_decay, float lr_t,
                                    float beta1, float beta2, float epsilon)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        float mi = m[i], vi = v[i];
        params[i] = gt_adamw_elem(params[i], grads[i], &mi, &vi, lr, weight_decay, lr_t, beta1,
                                  beta2, epsilon);
        m[i] = mi;
        v[i] = vi;
    }
}

extern "C" cudaError_t gt_launch_adamw(float *params, const float *grads, float *m, float *v,
                                       size_t count, float lr, float weight_decay, float lr_t,
                                       float beta1, float beta2, float epsilon, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    adamw_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(
        params, grads, m, v, count, lr, weight_decay, lr_t, beta1, beta2, epsilon);
    return cudaGetLastError();
}
