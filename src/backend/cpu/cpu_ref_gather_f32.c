/* Reference preprocess-gather from a float32 dataset: plain loops around
 * elem_math.h's gt_gather_pixel_f32, as cpu_ref_misc.c does for uint8. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_preprocess_gather_f32(gt_backend *be, const gt_preprocess *p, float *x,
                                           int32_t *y, const float *images, const int32_t *labels,
                                           const int32_t *indices, int n)
{
    (void)be;
    GT_TRY(gt_check_preprocess(p, x, y, (const uint8_t *)images, labels, indices, n));
    size_t image_size = (size_t)p->in_h * p->in_w * p->in_c;
    for (int i = 0; i < n; ++i) {
        const float *image = images + (size_t)indices[i] * image_size;
        for (int oy = 0; oy < p->out_h; ++oy)
            for (int ox = 0; ox < p->out_w; ++ox)
                for (int c = 0; c < p->out_c; ++c)
                    x[(((size_t)i * p->out_h + oy) * p->out_w + ox) * p->out_c + c] =
                        gt_gather_pixel_f32(p, image, oy, ox, c) * p->scale + p->offset;
        if (y) y[i] = labels[indices[i]];
    }
    return GT_OK;
}
