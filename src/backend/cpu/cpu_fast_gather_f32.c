/* Fast preprocess-gather from a float32 dataset: OpenMP over output rows,
 * each pixel elem_math.h's gt_gather_pixel_f32 (the reference's function),
 * so the two agree bit for bit. A plain copy (no resize, no repeat) is a
 * scaled row copy. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_fast_preprocess_gather_f32(gt_backend *be, const gt_preprocess *p, float *x,
                                            int32_t *y, const float *images, const int32_t *labels,
                                            const int32_t *indices, int n)
{
    GT_TRY(gt_check_preprocess(p, x, y, (const uint8_t *)images, labels, indices, n));
    size_t image_size = (size_t)p->in_h * p->in_w * p->in_c;
    int copy = p->in_h == p->out_h && p->in_w == p->out_w && p->in_c == p->out_c;
    float scale = p->scale, offset = p->offset;
    int lines = n * p->out_h;
    size_t line_len = (size_t)p->out_w * p->out_c;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 8)
    for (int line = 0; line < lines; ++line) {
        int i = line / p->out_h, oy = line % p->out_h;
        const float *image = images + (size_t)indices[i] * image_size;
        float *out = x + (size_t)line * line_len;
        if (copy) {
            const float *src = image + (size_t)oy * line_len;
            for (size_t k = 0; k < line_len; ++k)
                out[k] = src[k] * scale + offset;
            continue;
        }
        for (int ox = 0; ox < p->out_w; ++ox)
            for (int c = 0; c < p->out_c; ++c)
                out[(size_t)ox * p->out_c + c] =
                    gt_gather_pixel_f32(p, image, oy, ox, c) * scale + offset;
    }
    if (y)
        for (int i = 0; i < n; ++i)
            y[i] = labels[indices[i]];
    return GT_OK;
}
