/* Preprocess-gather: builds a float batch from the uint8 (or float32)
 * dataset that stays resident on the device, so a step moves only the index list to the GPU.
 * Per output element: the source image is images[indices[i]], the channel is
 * repeated when the dataset has one channel, the pixel is bilinearly
 * resampled with tf.image.resize's taps (gt_gather_pixel in elem_math.h,
 * shared with the CPU) when the size changes, then x * scale + offset. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

/* One pixel from either dataset type: elem_math.h's function for it. */
static __device__ __forceinline__ float gather_pixel(const gt_preprocess *p, const uint8_t *image,
                                                     int oy, int ox, int c)
{
    return gt_gather_pixel(p, image, oy, ox, c);
}

static __device__ __forceinline__ float gather_pixel(const gt_preprocess *p, const float *image,
                                                     int oy, int ox, int c)
{
    return gt_gather_pixel_f32(p, image, oy, ox, c);
}

template <typename T>
static __global__ void preprocess_kernel(const gt_preprocess p, float *x, int32_t *y,
                                         const T *images, const int32_t *labels,
                                         const int32_t *indices, int n, size_t count)
{
    size_t image_size = (size_t)p.in_h * p.in_w * p.in_c;
    GT_GRID_STRIDE_LOOP(i, count)
    {
        if (y && i < (size_t)n) y[i] = labels[indices[i]];
        int c = (int)(i % p.out_c);
        size_t r = i / p.out_c;
        int ox = (int)(r % p.out_w);
        r /= p.out_w;
        int oy = (int)(r % p.out_h);
        size_t e = r / p.out_h;
        const T *img = images + (size_t)indices[e] * image_size;
        x[i] = gather_pixel(&p, img, oy, ox, c) * p.scale + p.offset;
    }
}

/* The launch for either dataset type. */
template <typename T>
static cudaError_t launch(const gt_preprocess *p, float *x, int32_t *y, const T *images,
                          const int32_t *labels, const int32_t *indices, int n, cudaStream_t stream)
{
    size_t count = (size_t)n * p->out_h * p->out_w * p->out_c;
    if (n <= 0) return cudaSuccess;
    preprocess_kernel<T><<<gt_grid_for(count), GT_THREADS, 0, stream>>>(*p, x, y, images, labels,
                                                                        indices, n, count);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_preprocess_gather(const gt_preprocess *p, float *x, int32_t *y,
                                                   const uint8_t *images, const int32_t *labels,
                                                   const int32_t *indices, int n,
                                                   cudaStream_t stream)
{
    return launch(p, x, y, images, labels, indices, n, stream);
}

extern "C" cudaError_t gt_launch_preprocess_gather_f32(const gt_preprocess *p, float *x, int32_t *y,
                                                       const float *images, const int32_t *labels,
                                                       const int32_t *indices, int n,
                                                       cudaStream_t stream)
{
    return launch(p, x, y, images, labels, indices, n, stream);
}
