/* Adam over the flat parameter buffer: one thread per element runs the
 * shared gt_adam_elem. lr_t (both bias corrections) is computed once per step
 * on the host and passed by value, so the kernel needs no step state. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void adam_kernel(float *params, const float *grads, float *m, float *v,
                                   size_t count, float lr_t, float beta1, float beta2,
                                   float epsilon)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        float mi = m[i], vi = v[i];
        params[i] = gt_adam_elem(params[i], grads[i], &mi, &vi, lr_t, beta1, beta2, epsilon);
        m[i] = mi;
        v[i] = vi;
    }
}

extern "C" cudaError_t gt_launch_adam(float *params, const float *grads, float *m, float *v,
                                      size_t count, float lr_t, float beta1, float beta2,
                                      float epsilon, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    adam_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(params, grads, m, v, count, lr_t,
                                                               beta1, beta2, epsilon);
    return cudaGetLastError();
}
