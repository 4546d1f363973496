/* Max pooling, NHWC. gtrain's own kernels rather than cuDNN's: cuDNN pads
 * symmetrically (TensorFlow 'same' may need pad_top < pad_bottom), sends a
 * tied window's gradient to an unspecified maximum, and its CUDNN_POOLING_MAX
 * backward uses atomics. The contract is "the first maximum in row-major scan
 * order gets the gradient", deterministic; these kernels do exactly that. */
#include <math.h>

#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

/* Offset (kh * k_w + kw) of the first maximum of window (oh, ow) of image
 * `xn` channel c, skipping padded cells; -1 when the window is all padding. */
static __device__ int window_first_max(const gt_pool_geom g, const float *xn, int oh, int ow, int c,
                                       float *max_out)
{
    int best = -1;
    float best_v = -INFINITY;
    int h0 = oh * g.stride_h - g.pad_top, w0 = ow * g.stride_w - g.pad_left;
    for (int kh = 0; kh < g.k_h; ++kh) {
        int h = h0 + kh;
        if (h < 0 || h >= g.in_h) continue;
        for (int kw = 0; kw < g.k_w; ++kw) {
            int w = w0 + kw;
            if (w < 0 || w >= g.in_w) continue;
            float v = xn[((size_t)h * g.in_w + w) * g.c + c];
            if (best < 0 || v > best_v) {
                best = kh * g.k_w + kw;
                best_v = v;
            }
        }
    }
    *max_out = best_v;
    return best;
}

static __global__ void maxpool_forward_kernel(const gt_pool_geom g, float *y, const float *x,
                                              size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        gt_nhwc_pos o = gt_nhwc_of(i, g.out_h, g.out_w, g.c);
        const float *xn = x + (size_t)o.n * g.in_h * g.in_w * g.c;
        float m;
        window_first_max(g, xn, o.y, o.x, o.c, &m);
        y[i] = m;
    }
}

/* One thread per input cell: it visits the windows covering it in row-major
 * order and adds dy of those whose first maximum it is. */
static __global__ void maxpool_backward_kernel(const gt_pool_geom g, float *dx, const float *dy,
                                               const float *x, size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        gt_nhwc_pos p = gt_nhwc_of(i, g.in_h, g.in_w, g.c);
        int c = p.c, h = p.y, w = p.x;
        const float *xn = x + (size_t)p.n * g.in_h * g.in_w * g.c;
        const float *dyn = dy + (size_t)p.n * g.out_h * g.out_w * g.c;
        /* the windows [lo, hi) holding this cell, as average pooling finds them */
        int oh_lo, oh_end, ow_lo, ow_end;
        gt_pool_covering(h, g.stride_h, g.pad_top, g.k_h, g.out_h, &oh_lo, &oh_end);
        gt_pool_covering(w, g.stride_w, g.pad_left, g.k_w, g.out_w, &ow_lo, &ow_end);
        int oh_hi = oh_end - 1, ow_hi = ow_end - 1;
        float acc = 0.0f;
        for (int oh = oh_lo; oh <= oh_hi; ++oh) {
            for (int ow = ow_lo; ow <= ow_hi; ++ow) {
                float m;
                int best = window_first_max(g, xn, oh, ow, c, &m);
                int mine = (h - (oh * g.stride_h - g.pad_top)) * g.k_w +
                           (w - (ow * g.stride_w - g.pad_left));
                if (best == mine) acc += dyn[((size_t)oh * g.out_w + ow) * g.c + c];
            }
        }
        dx[i] = acc;
    }
}

extern "C" cudaError_t gt_launch_maxpool_forward(const gt_pool_geom *g, float *y, const float *x,
                                                 cudaStream_t stream)
{
    size_t count = (size_t)g->n * g->out_h * g->out_w * g->c;
    if (count == 0) return cudaSuccess;
    maxpool_forward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(*g, y, x, count);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_maxpool_backward(const gt_pool_geom *g, float *dx, const float *dy,
                                                  const float *x, cudaStream_t stream)
{
    size_t count = (size_t)g->n * g->in_h * g->in_w * g->c;
    if (count == 0) return cudaSuccess;
    maxpool_backward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(*g, dx, dy, x, count);
    return cudaGetLastError();
}
