/* Fast element-wise ops: dropout, Adam, SGD and the preprocess-gather, with
 * OpenMP over elements (or output rows). Element math is elem_math.h's, the
 * same functions the reference loops and the CUDA kernels call, so these
 * agree with the reference bit for bit. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Element counts below which one thread beats waking the team. */
#define ELEM_PARALLEL_MIN 32768
#define RNG_PARALLEL_MIN 4096 /* Philox costs ~10x an Adam step per element */

gt_status gt_cpu_fast_dropout_forward(gt_backend *be, float *y, const float *x, size_t count,
                                      float rate, uint64_t seed, uint64_t offset)
{
    GT_TRY(gt_check_rate("dropout_forward", rate));
    long long n = (long long)count;
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > RNG_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        y[i] = x[i] * gt_dropout_factor(seed, offset, (uint64_t)i, rate);
    return GT_OK;
}

gt_status gt_cpu_fast_adam_update(gt_backend *be, float *params, const float *grads, float *m,
                                  float *v, size_t count, const gt_adam_params *hp)
{
    GT_TRY(gt_check_adam(hp));
    float lr_t = gt_adam_lr_t(hp->learning_rate, hp->beta1, hp->beta2, hp->step);
    float b1 = hp->beta1, b2 = hp->beta2, eps = hp->epsilon;
    long long n = (long long)count;
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > ELEM_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        params[i] = gt_adam_elem(params[i], grads[i], &m[i], &v[i], lr_t, b1, b2, eps);
    return GT_OK;
}

gt_status gt_cpu_fast_sgd_update(gt_backend *be, float *params, const float *grads, float *velocity,
                                 size_t count, float learning_rate, float momentum, int nesterov)
{
    GT_TRY(gt_check_sgd(velocity, momentum));
    long long n = (long long)count;
#pragma omp parallel for num_threads(gt_cpu_threads(be))                                           \
    schedule(static) if (count > ELEM_PARALLEL_MIN)
    for (long long i = 0; i < n; ++i)
        params[i] = gt_sgd_elem(params[i], grads[i], velocity ? &velocity[i] : NULL, learning_rate,
                                momentum, nesterov);
    return GT_OK;
}

gt_status gt_cpu_fast_preprocess_gather(gt_backend *be, const gt_preprocess *p, float *x,
                                        int32_t *y, const uint8_t *images, const int32_t *labels,
                                        const int32_t *indices, int n)
{
    GT_TRY(gt_check_preprocess(p, x, y, images, labels, indices, n));
    size_t image_size = (size_t)p->in_h * p->in_w * p->in_c;
    int resize = p->in_h != p->out_h || p->in_w != p->out_w;
    int in_c = p->in_c, out_c = p->out_c;
    float scale = p->scale, offset = p->offset;
    int lines = n * p->out_h;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 8)
    for (int line = 0; line < lines; ++line) {
        int i = line / p->out_h, oy = line % p->out_h;
        const uint8_t *image = images + (size_t)indices[i] * image_size;
        float *out = x + (size_t)line * p->out_w * out_c;
        /* The vertical taps are the same for the whole output row. */
        gt_bilinear_tap ty = gt_bilinear_tap_at(oy, p->in_h, p->out_h);
        const uint8_t *top = image + (size_t)(resize ? ty.lower : oy) * p->in_w * in_c;
        const uint8_t *bottom = image + (size_t)(resize ? ty.upper : oy) * p->in_w * in_c;
        for (int ox = 0; ox < p->out_w; ++ox, out += out_c) {
            if (!resize) {
                for (int c = 0; c < out_c; ++c)
                    out[c] = (float)top[(size_t)ox * in_c + (in_c == 1 ? 0 : c)] * scale + offset;
                continue;
            }
            gt_bilinear_tap tx = gt_bilinear_tap_at(ox, p->in_w, p->out_w);
            if (in_c == 1) { /* one interpolation, repeated into every channel */
                float v = gt_bilinear_mix((float)top[tx.lower], (float)top[tx.upper],
                                          (float)bottom[tx.lower], (float)bottom[tx.upper], tx.lerp,
                                          ty.lerp);
                for (int c = 0; c < out_c; ++c)
                    out[c] = v * scale + offset;
            } else {
                size_t l = (size_t)tx.lower * in_c, u = (size_t)tx.upper * in_c;
                for (int c = 0; c < out_c; ++c)
                    out[c] =
                        gt_bilinear_mix((float)top[l + c], (float)top[u + c], (float)bottom[l + c],
                                        (float)bottom[u + c], tx.lerp, ty.lerp) *
                            scale +
                        offset;
            }
        }
    }
    if (y)
        for (int i = 0; i < n; ++i)
            y[i] = labels[indices[i]];
    return GT_OK;
}
