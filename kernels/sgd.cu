/* Keras SGD (momentum, Nesterov) over the flat parameter buffer with the
 * shared gt_sgd_elem. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void sgd_kernel(float *params, const float *grads, float *velocity, size_t count,
                                  float lr, float momentum, int nesterov)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        /* Without momentum there is no velocity buffer (it may be NULL). */
        float vel = velocity ? velocity[i] : 0.0f;
        params[i] = gt_sgd_elem(params[i], grads[i], &vel, lr, momentum, nesterov);
        if (velocity) velocity[i] = vel;
    }
}

extern "C" cudaError_t gt_launch_sgd(float *params, const float *grads, float *velocity,
                                     size_t count, float learning_rate, float momentum,
                                     int nesterov, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    sgd_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(params, grads, velocity, count,
                                                              learning_rate, momentum, nesterov);
    return cudaGetLastError();
}
