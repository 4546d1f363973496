/* Keras' weight shapes and the conv kernel transposes between gtrain's OHWI
 * (cuDNN's NHWC filter layout) and Keras' HWIO. */
#include "checkpoint.h"

int gt_layer_keras_kernel_shape(const gt_layer *l, unsigned long long dims[4])
{
    if (l->kind == GT_LAYER_CONV2D) {
        dims[0] = (unsigned long long)l->kernel_h;
        dims[1] = (unsigned long long)l->kernel_w;
        dims[2] = (unsigned long long)l->in.c;
        dims[3] = (unsigned long long)l->filters;
        return 4;
    }
    dims[0] = gt_shape3_size(l->in);
    dims[1] = (unsigned long long)l->units;
    return 2;
}

void gt_kernel_ohwi_to_hwio(const gt_layer *l, const float *ohwi, float *hwio)
{
    const size_t o_n = (size_t)l->filters, h_n = (size_t)l->kernel_h, w_n = (size_t)l->kernel_w,
                 i_n = (size_t)l->in.c;
    for (size_t o = 0; o < o_n; ++o)
        for (size_t h = 0; h < h_n; ++h)
            for (size_t w = 0; w < w_n; ++w)
                for (size_t i = 0; i < i_n; ++i)
                    hwio[((h * w_n + w) * i_n + i) * o_n + o] =
                        ohwi[((o * h_n + h) * w_n + w) * i_n + i];
}

void gt_kernel_hwio_to_ohwi(const gt_layer *l, const float *hwio, float *ohwi)
{
    const size_t o_n = (size_t)l->filters, h_n = (size_t)l->kernel_h, w_n = (size_t)l->kernel_w,
                 i_n = (size_t)l->in.c;
    for (size_t o = 0; o < o_n; ++o)
        for (size_t h = 0; h < h_n; ++h)
            for (size_t w = 0; w < w_n; ++w)
                for (size_t i = 0; i < i_n; ++i)
                    ohwi[((o * h_n + h) * w_n + w) * i_n + i] =
                        hwio[((h * w_n + w) * i_n + i) * o_n + o];
}
