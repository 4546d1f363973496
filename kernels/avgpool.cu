/* Average pooling forward (one thread per output cell) and backward (one
 * thread per input cell, gathering from the windows that hold it: no
 * atomics), elem_math.h's gt_avgpool_at / gt_avgpool_grad_at. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void avgpool_forward_kernel(const gt_pool_geom g, float *y, const float *x,
                                              size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        gt_nhwc_pos o = gt_nhwc_of(i, g.out_h, g.out_w, g.c);
        y[i] = gt_avgpool_at(&g, x, o.n, o.y, o.x, o.c);
    }
}

static __global__ void avgpool_backward_kernel(const gt_pool_geom g, float *dx, const float *dy,
                                               size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        gt_nhwc_pos p = gt_nhwc_of(i, g.in_h, g.in_w, g.c);
        dx[i] = gt_avgpool_grad_at(&g, dy, p.n, p.y, p.x, p.c);
    }
}

extern "C" cudaError_t gt_launch_avgpool_forward(const gt_pool_geom *g, float *y, const float *x,
                                                 cudaStream_t stream)
{
    size_t count = (size_t)g->n * g->out_h * g->out_w * g->c;
    if (count == 0) return cudaSuccess;
    avgpool_forward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(*g, y, x, count);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_avgpool_backward(const gt_pool_geom *g, float *dx, const float *dy,
                                                  cudaStream_t stream)
{
    size_t count = (size_t)g->n * g->in_h * g->in_w * g->c;
    if (count == 0) return cudaSuccess;
    avgpool_backward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(*g, dx, dy, count);
    return cudaGetLastError();
}
