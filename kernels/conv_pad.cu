/* Explicitly padded copies for convolutions whose padding cuDNN cannot
 * express. cuDNN pads top and bottom by the same amount; TensorFlow's 'same'
 * with stride 2 on an even size needs pad_top < pad_bottom (the odd extra row
 * goes to the bottom). The CUDA backend then copies x into a zero-bordered
 * buffer in the workspace and runs cuDNN with zero padding on it; the
 * backward-data result on that buffer is cropped back here. */
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void pad_kernel(float *dst, const float *src, int h, int w, int c, int hp, int wp,
                                  int pad_top, int pad_left, size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        int ch = (int)(i % c);
        size_t r = i / c;
        int x = (int)(r % wp);
        r /= wp;
        int y = (int)(r % hp);
        size_t n = r / hp;
        int sy = y - pad_top, sx = x - pad_left;
        float v = 0.0f;
        if (sy >= 0 && sy < h && sx >= 0 && sx < w)
            v = src[((n * h + sy) * (size_t)w + sx) * c + ch];
        dst[i] = v;
    }
}

static __global__ void crop_kernel(float *dst, const float *src, int h, int w, int c, int hp,
                                   int wp, int pad_top, int pad_left, size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        int ch = (int)(i % c);
        size_t r = i / c;
        int x = (int)(r % w);
        r /= w;
        int y = (int)(r % h);
        size_t n = r / h;
        int py = y + pad_top, px = x + pad_left;
        float v = 0.0f;
        /* Rows or columns past the padded extent were never read by any
         * window (a 'valid' conv that leaves the last rows out): gradient 0. */
        if (py < hp && px < wp) v = src[((n * hp + py) * (size_t)wp + px) * c + ch];
        dst[i] = v;
    }
}

extern "C" cudaError_t gt_launch_pad_nhwc(float *dst, const float *src, int n, int h, int w, int c,
                                          int hp, int wp, int pad_top, int pad_left,
                                          cudaStream_t stream)
{
    size_t count = (size_t)n * hp * wp * c;
    if (count == 0) return cudaSuccess;
    pad_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(dst, src, h, w, c, hp, wp, pad_top,
                                                              pad_left, count);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_crop_nhwc(float *dst, const float *src, int n, int h, int w, int c,
                                           int hp, int wp, int pad_top, int pad_left,
                                           cudaStream_t stream)
{
    size_t count = (size_t)n * h * w * c;
    if (count == 0) return cudaSuccess;
    crop_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(dst, src, h, w, c, hp, wp, pad_top,
                                                               pad_left, count);
    return cudaGetLastError();
}
