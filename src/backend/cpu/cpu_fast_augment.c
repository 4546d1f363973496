/* Fast augment-gather: OpenMP over output rows, each example's stages drawn
 * once per row and evaluated nested per pixel (augment_math.h), the same
 * values as the reference's stage-by-stage images. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"
#include "op_checks.h"

gt_status gt_cpu_fast_augment_gather(gt_backend *be, const gt_preprocess *p, const gt_augment *a,
                                     float *x, int32_t *y, const uint8_t *images,
                                     const int32_t *labels, const int32_t *indices, int n)
{
    GT_TRY(gt_check_augment(p, a, n));
    GT_TRY(gt_check_preprocess(p, x, y, images, labels, indices, n));
    size_t image_size = (size_t)p->in_h * p->in_w * p->in_c;
    int lines = n * p->out_h;
    float scale = p->scale, offset = p->offset;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 8)
    for (int line = 0; line < lines; ++line) {
        int i = line / p->out_h, oy = line % p->out_h;
        gt_aug_example e = gt_augment_example(p, a, images + (size_t)indices[i] * image_size,
                                              a->first + (uint64_t)i);
        float *out = x + (size_t)line * p->out_w * p->out_c;
        for (int ox = 0; ox < p->out_w; ++ox)
            for (int c = 0; c < p->out_c; ++c)
                *out++ = gt_augment_pixel(&e, oy, ox, c) * scale + offset;
    }
    if (y)
        for (int i = 0; i < n; ++i)
            y[i] = labels[indices[i]];
    return GT_OK;
}
