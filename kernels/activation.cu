/* Elementwise activations forward and backward: elem_math.h's functions,
 * one element a thread. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void act_forward_kernel(float *y, const float *x, size_t count, gt_activation act,
                                          float alpha)
{
    GT_GRID_STRIDE_LOOP(i, count) y[i] = gt_act_elem(act, x[i], alpha);
}

static __global__ void act_backward_kernel(float *dx, const float *dy, const float *x,
                                           const float *y, size_t count, gt_activation act,
                                           float alpha)
{
    GT_GRID_STRIDE_LOOP(i, count)
    dx[i] = gt_act_grad_elem(act, dy[i], x ? x[i] : 0.0f, y[i], alpha);
}

extern "C" cudaError_t gt_launch_act_forward(float *y, const float *x, size_t count,
                                             gt_activation act, float alpha, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    act_forward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(y, x, count, act, alpha);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_act_backward(float *dx, const float *dy, const float *x,
                                              const float *y, size_t count, gt_activation act,
                                              float alpha, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    act_backward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(dx, dy, x, y, count, act,
                                                                       alpha);
    return cudaGetLastError();
}
