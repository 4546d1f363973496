/* Augment-gather: the preprocess-gather with augmentation stages (Keras'
 * RandomFlip, RandomTranslation, RandomZoom, RandomCrop), one thread per
 * output element. Each thread draws its example's stages from Philox and
 * evaluates them nested at its pixel with augment_math.h, the element math
 * the CPU ops run, so both give the same bits for the same seed. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void augment_kernel(const gt_preprocess p, const gt_augment a, float *x,
                                      int32_t *y, const uint8_t *images, const int32_t *labels,
                                      const int32_t *indices, int n, size_t count)
{
    size_t image_size = (size_t)p.in_h * p.in_w * p.in_c;
    GT_GRID_STRIDE_LOOP(i, count)
    {
        if (y && i < (size_t)n) y[i] = labels[indices[i]];
        gt_nhwc_pos at = gt_nhwc_of(i, p.out_h, p.out_w, p.out_c);
        gt_aug_example e = gt_augment_example(&p, &a, images + (size_t)indices[at.n] * image_size,
                                              a.first + (uint64_t)at.n);
        x[i] = gt_augment_pixel(&e, at.y, at.x, at.c) * p.scale + p.offset;
    }
}

extern "C" cudaError_t gt_launch_augment_gather(const gt_preprocess *p, const gt_augment *a,
                                                float *x, int32_t *y, const uint8_t *images,
                                                const int32_t *labels, const int32_t *indices,
                                                int n, cudaStream_t stream)
{
    size_t count = (size_t)n * p->out_h * p->out_w * p->out_c;
    if (n <= 0) return cudaSuccess;
    augment_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(*p, *a, x, y, images, labels,
                                                                  indices, n, count);
    return cudaGetLastError();
}
