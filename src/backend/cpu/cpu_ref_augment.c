/* Reference augment-gather: plain loops that apply the stages one after
 * another to whole images (each stage's output materialized in float), with
 * augment_math.h's element math. The oracle for the fast op and the kernel,
 * which evaluate the stages nested per output pixel. */
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"
#include "op_checks.h"

gt_status gt_cpu_ref_augment_gather(gt_backend *be, const gt_preprocess *p, const gt_augment *a,
                                    float *x, int32_t *y, const uint8_t *images,
                                    const int32_t *labels, const int32_t *indices, int n)
{
    (void)be;
    GT_TRY(gt_check_augment(p, a, n));
    GT_TRY(gt_check_preprocess(p, x, y, images, labels, indices, n));
    /* the largest image along the chain, twice: the stage's input and output */
    size_t largest = (size_t)a->in_h * a->in_w;
    for (int s = 0; s < a->n_stages; ++s)
        if (a->stages[s].kind == GT_AUG_CROP &&
            (size_t)a->stages[s].out_h * a->stages[s].out_w > largest)
            largest = (size_t)a->stages[s].out_h * a->stages[s].out_w;
    size_t cap = largest * (size_t)p->out_c;
    float *cur = malloc(cap * sizeof *cur), *next = malloc(cap * sizeof *next);
    if (!cur || !next) {
        free(cur);
        free(next);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "augment_gather: out of host memory");
    }
    size_t image_size = (size_t)p->in_h * p->in_w * p->in_c;
    int c_out = p->out_c;
    for (int i = 0; i < n; ++i) {
        const uint8_t *image = images + (size_t)indices[i] * image_size;
        int h = a->in_h, w = a->in_w;
        for (int oy = 0; oy < h; ++oy)
            for (int ox = 0; ox < w; ++ox)
                for (int c = 0; c < c_out; ++c)
                    cur[((size_t)oy * w + ox) * c_out + c] =
                        gt_resize_pixel(p, image, h, w, oy, ox, c);
        for (int s = 0; s < a->n_stages; ++s) {
            gt_aug_draw d = gt_augment_draw(a, s, a->first + (uint64_t)i, h, w);
            for (int oy = 0; oy < d.out_h; ++oy)
                for (int ox = 0; ox < d.out_w; ++ox) {
                    gt_aug_taps t = gt_augment_taps(&d, oy, ox);
                    for (int c = 0; c < c_out; ++c) {
                        float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                        for (int k = 0; k < t.n; ++k)
                            v[k] = t.inside[k] ? cur[((size_t)t.y[k] * w + t.x[k]) * c_out + c]
                                               : t.fill;
                        next[((size_t)oy * d.out_w + ox) * c_out + c] = gt_augment_combine(&t, v);
                    }
                }
            float *swap = cur;
            cur = next;
            next = swap;
            h = d.out_h;
            w = d.out_w;
        }
        float *out = x + (size_t)i * p->out_h * p->out_w * c_out;
        for (size_t k = 0; k < (size_t)h * w * c_out; ++k)
            out[k] = cur[k] * p->scale + p->offset;
        if (y) y[i] = labels[indices[i]];
    }
    free(cur);
    free(next);
    return GT_OK;
}
