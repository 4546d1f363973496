/* Keras' initializers on the host (see init.h for the streams and fans). */
#include "init.h"

#include <math.h>

#include "gtrain/status.h"
#include "layer.h"
#include "rng.h"

/* Keras' VarianceScaling draws a normal truncated at two standard deviations
 * and divides the wanted stddev by the stddev of the standard normal so
 * truncated, so that the result has the wanted variance. */
#define TRUNCATED_STDDEV_FIX 0.87962566103423978

static void fill_uniform(gt_rng *rng, float lo, float hi, float *out, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        out[i] = gt_rng_uniform_range(rng, lo, hi);
}

static void fill_truncated(gt_rng *rng, double mean, double stddev, float *out, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        out[i] = (float)(mean + stddev * gt_rng_truncated_normal(rng));
}

gt_status gt_init_tensor(const gt_initializer *init, double fan_in, double fan_out, uint64_t seed,
                         uint64_t stream, float *out, size_t count)
{
    gt_rng rng;
    gt_rng_init(&rng, seed, stream);
    if (fan_in < 1.0) fan_in = 1.0;
    if (fan_out < 1.0) fan_out = 1.0;
    switch (init->kind) {
    case GT_INIT_GLOROT_UNIFORM: {
        float limit = (float)sqrt(6.0 / (fan_in + fan_out));
        fill_uniform(&rng, -limit, limit, out, count);
        return GT_OK;
    }
    case GT_INIT_HE_UNIFORM: {
        float limit = (float)sqrt(6.0 / fan_in);
        fill_uniform(&rng, -limit, limit, out, count);
        return GT_OK;
    }
    case GT_INIT_GLOROT_NORMAL:
        fill_truncated(&rng, 0.0, sqrt(2.0 / (fan_in + fan_out)) / TRUNCATED_STDDEV_FIX, out,
                       count);
        return GT_OK;
    case GT_INIT_HE_NORMAL:
        fill_truncated(&rng, 0.0, sqrt(2.0 / fan_in) / TRUNCATED_STDDEV_FIX, out, count);
        return GT_OK;
    case GT_INIT_RANDOM_NORMAL:
        for (size_t i = 0; i < count; ++i)
            out[i] = (float)(init->mean + init->stddev * gt_rng_normal(&rng));
        return GT_OK;
    case GT_INIT_RANDOM_UNIFORM:
        if (!(init->maxval > init->minval))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "RandomUniform: maxval %g must be greater than minval %g",
                           (double)init->maxval, (double)init->minval);
        fill_uniform(&rng, init->minval, init->maxval, out, count);
        return GT_OK;
    case GT_INIT_TRUNCATED_NORMAL:
        fill_truncated(&rng, init->mean, init->stddev, out, count);
        return GT_OK;
    case GT_INIT_ZEROS:
        for (size_t i = 0; i < count; ++i)
            out[i] = 0.0f;
        return GT_OK;
    case GT_INIT_ONES:
        for (size_t i = 0; i < count; ++i)
            out[i] = 1.0f;
        return GT_OK;
    case GT_INIT_CONSTANT:
        for (size_t i = 0; i < count; ++i)
            out[i] = init->value;
        return GT_OK;
    }
    return gt_fail(GT_ERR_INTERNAL, "unknown initializer kind %d", (int)init->kind);
}

/* Random streams: weight k of layer i draws from stream 2i + k for k < 2
 * (kernel and bias, as gtrain always did, so runs repeat across versions);
 * further weights (BatchNormalization's, all constant by default) from
 * 2^32 + 4i + k. */
static uint64_t weight_stream(int layer, int k)
{
    return k < 2 ? 2u * (uint64_t)layer + (uint64_t)k
                 : ((uint64_t)1 << 32) + 4u * (uint64_t)layer + (uint64_t)k;
}

gt_status gt_model_init_params(const gt_model *m, uint64_t seed, float *host_params)
{
    if (m == NULL || host_params == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_init_params: model or buffer is NULL");
    if (!m->built)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "model '%s' is not built; call gt_model_build before initializing", m->name);
    for (int i = 0; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        const gt_layer_class *cls = gt_layer_class_of(l->kind);
        gt_weight_spec specs[GT_LAYER_MAX_WEIGHTS];
        int n = cls->weights ? cls->weights(l, specs) : 0;
        for (int k = 0; k < n; ++k) {
            const gt_layer_weight *w = &l->weights[k];
            gt_status st =
                gt_init_tensor(&specs[k].init, specs[k].fan_in, specs[k].fan_out, seed,
                               weight_stream(i, k), host_params + w->model_offset, w->count);
            if (st != GT_OK)
                return gt_fail_context(st, "model '%s': layer '%s' weight %s", m->name, l->name,
                                       specs[k].name);
        }
    }
    return GT_OK;
}
