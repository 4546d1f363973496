/* Dropout forward and backward: both are y = x * factor(i) with the mask
 * factor from gt_dropout_factor (Philox4x32-10 on seed, offset + i), so the
 * backward pass regenerates the forward mask instead of storing it, and the
 * CPU draws the very same masks. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void dropout_kernel(float *y, const float *x, size_t count, float rate,
                                      uint64_t seed, uint64_t offset)
{
    GT_GRID_STRIDE_LOOP(i, count) y[i] = x[i] * gt_dropout_factor(seed, offset, i, rate);
}

extern "C" cudaError_t gt_launch_dropout(float *y, const float *x, size_t count, float rate,
                                         uint64_t seed, uint64_t offset, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    dropout_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(y, x, count, rate, seed, offset);
    return cudaGetLastError();
}
