/* RMSprop (Keras 3) over the flat parameter buffer with the shared
 * gt_rmsprop_elem; the momentum and mean-gradient buffers are NULL when the
 * options are off. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void rmsprop_kernel(float *params, const float *grads, float *velocity,
                                      float *momentum_buf, float *mean_grad, size_t count, float lr,
                                      float rho, float momentum, float epsilon)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        float vel = velocity[i];
        float mom = momentum_buf ? momentum_buf[i] : 0.0f;
        float avg = mean_grad ? mean_grad[i] : 0.0f;
        params[i] = gt_rmsprop_elem(params[i], grads[i], &vel, momentum_buf ? &mom : NULL,
                                    mean_grad ? &avg : NULL, lr, rho, momentum, epsilon);
        velocity[i] = vel;
        if (momentum_buf) momentum_buf[i] = mom;
        if (mean_grad) mean_grad[i] = avg;
    }
}

extern "C" cudaError_t gt_launch_rmsprop(float *params, const float *grads, float *velocity,
                                         float *momentum_buf, float *mean_grad, size_t count,
                                         const gt_rmsprop_params *hp, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    rmsprop_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(
        params, grads, velocity, hp->momentum > 0.0f ? momentum_buf : NULL,
        hp->centered ? mean_grad : NULL, count, hp->learning_rate, hp->rho, hp->momentum,
        hp->epsilon);
    return cudaGetLastError();
}
