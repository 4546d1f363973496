/* Keras' names and shapes of a layer's weights (from its class), and the conv
 * kernel transposes between gtrain's OHWI (cuDNN's NHWC filter layout) and
 * Keras' HWIO. */
#include <string.h>

#include "checkpoint.h"

int gt_layer_weight_specs(const gt_layer *l, gt_weight_spec out[GT_LAYER_MAX_WEIGHTS])
{
    const gt_layer_class *c = gt_layer_class_of(l->kind);
    return c->weights ? c->weights(l, out) : 0;
}

/* A conv kernel spec's Keras dims are (kh, kw, cin, filters); ours are
 * OHWI. Copies src to dst in the other layout (to_keras: ours -> Keras). */
static void convert_weight(const gt_weight_spec *w, const float *src, float *dst, size_t count,
                           int to_keras)
{
    if (!w->conv_kernel) {
        memcpy(dst, src, count * sizeof(float));
        return;
    }
    const size_t h_n = w->dims[0], w_n = w->dims[1], i_n = w->dims[2], o_n = w->dims[3];
    for (size_t o = 0; o < o_n; ++o)
        for (size_t h = 0; h < h_n; ++h)
            for (size_t x = 0; x < w_n; ++x)
                for (size_t i = 0; i < i_n; ++i) {
                    size_t keras = ((h * w_n + x) * i_n + i) * o_n + o;
                    size_t ours = ((o * h_n + h) * w_n + x) * i_n + i;
                    if (to_keras)
                        dst[keras] = src[ours];
                    else
                        dst[ours] = src[keras];
                }
}

void gt_weight_to_keras(const gt_weight_spec *w, const float *ours, float *keras, size_t count)
{
    convert_weight(w, ours, keras, count, 1);
}

void gt_weight_from_keras(const gt_weight_spec *w, const float *keras, float *ours, size_t count)
{
    convert_weight(w, keras, ours, count, 0);
}

int gt_weight_name_matches(const char *saved, const char *name)
{
    /* "dense/kernel:0" (Keras 2), "model/dense/kernel" (Keras 3) */
    const char *base = strrchr(saved, '/');
    base = base ? base + 1 : saved;
    size_t n = strlen(name);
    return strncmp(base, name, n) == 0 && (base[n] == '\0' || strcmp(base + n, ":0") == 0);
}
