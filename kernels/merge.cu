/* The merge ops on the GPU (axpby, mul, channel_copy): elem_math.h's
 * arithmetic per element, as the CPU computes it (no FMA contraction:
 * --fmad=false), so the results are the CPU's bits. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void axpby_kernel(float *y, const float *x, size_t count, float alpha, float beta)
{
    GT_GRID_STRIDE_LOOP(i, count) y[i] = gt_axpby_elem(alpha, x[i], beta, y[i]);
}

static __global__ void mul_kernel(float *y, const float *a, const float *b, size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count) y[i] = a[i] * b[i];
}

static __global__ void channel_copy_kernel(float *dst, int dst_stride, int dst_offset,
                                           const float *src, int src_stride, int src_offset,
                                           size_t rows, int channels)
{
    size_t count = rows * (size_t)channels;
    GT_GRID_STRIDE_LOOP(i, count)
    {
        size_t r = i / (size_t)channels, c = i % (size_t)channels;
        dst[r * (size_t)dst_stride + (size_t)dst_offset + c] =
            src[r * (size_t)src_stride + (size_t)src_offset + c];
    }
}

extern "C" cudaError_t gt_launch_axpby(float *y, const float *x, size_t count, float alpha,
                                       float beta, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    axpby_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(y, x, count, alpha, beta);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_mul(float *y, const float *a, const float *b, size_t count,
                                     cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    mul_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(y, a, b, count);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_channel_copy(float *dst, int dst_stride, int dst_offset,
                                              const float *src, int src_stride, int src_offset,
                                              size_t rows, int channels, cudaStream_t stream)
{
    size_t count = rows * (size_t)channels;
    if (count == 0) return cudaSuccess;
    channel_copy_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(
        dst, dst_stride, dst_offset, src, src_stride, src_offset, rows, channels);
    return cudaGetLastError();
}
