/* Reference element-wise ops: dropout, Adam, SGD, and the preprocess-gather
 * of the input pipeline. The arithmetic is elem_math.h's (shared with the
 * CUDA kernels); these are the plain loops around it. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_dropout_forward(gt_backend *be, float *y, const float *x, size_t count,
                                     float rate, uint64_t seed, uint64_t offset)
{
    (void)be;
    GT_TRY(gt_check_rate("dropout_forward", rate));
    for (size_t i = 0; i < count; ++i)
        y[i] = x[i] * gt_dropout_factor(seed, offset, i, rate);
    return GT_OK;
}

gt_status gt_cpu_ref_adam_update(gt_backend *be, float *params, const float *grads, float *m,
                                 float *v, size_t count, const gt_adam_params *hp)
{
    (void)be;
    GT_TRY(gt_check_adam(hp));
    float lr_t = gt_adam_lr_t(hp->learning_rate, hp->beta1, hp->beta2, hp->step);
    for (size_t i = 0; i < count; ++i)
        params[i] = gt_adam_elem(params[i], grads[i], &m[i], &v[i], lr_t, hp->beta1, hp->beta2,
                                 hp->epsilon);
    return GT_OK;
}

gt_status gt_cpu_ref_sgd_update(gt_backend *be, float *params, const float *grads, float *velocity,
                                size_t count, float learning_rate, float momentum, int nesterov)
{
    (void)be;
    GT_TRY(gt_check_sgd(velocity, momentum));
    for (size_t i = 0; i < count; ++i)
        params[i] = gt_sgd_elem(params[i], grads[i], velocity ? &velocity[i] : NULL, learning_rate,
                                momentum, nesterov);
    return GT_OK;
}

gt_status gt_cpu_ref_preprocess_gather(gt_backend *be, const gt_preprocess *p, float *x, int32_t *y,
                                       const uint8_t *images, const int32_t *labels,
                                       const int32_t *indices, int n)
{
    (void)be;
    GT_TRY(gt_check_preprocess(p, x, y, images, labels, indices, n));
    size_t image_size = (size_t)p->in_h * p->in_w * p->in_c;
    for (int i = 0; i < n; ++i) {
        const uint8_t *image = images + (size_t)indices[i] * image_size;
        for (int oy = 0; oy < p->out_h; ++oy)
            for (int ox = 0; ox < p->out_w; ++ox)
                for (int c = 0; c < p->out_c; ++c)
                    x[(((size_t)i * p->out_h + oy) * p->out_w + ox) * p->out_c + c] =
                        gt_gather_pixel(p, image, oy, ox, c) * p->scale + p->offset;
        if (y) y[i] = labels[indices[i]];
    }
    return GT_OK;
}
