/* gt_model_build: shape inference, TensorFlow padding, parameter offsets, the
 * folded preprocessing and the loss form, with errors that name the layer
 * and the shapes involved. */
#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "error.h"
#include "model_internal.h"

#define SHAPE_FMT "%dx%dx%d"
#define SHAPE_ARGS(s) (s).h, (s).w, (s).c

static gt_status layer_error(gt_status status, const gt_model *m, int index, const char *what)
{
    const gt_layer *l = &m->layers[index];
    return gt_fail(status, "model '%s': layer '%s' (%s): %s", m->name, l->name,
                   gt_layer_kind_keras_name(l->kind), what);
}

static const char *padding_name(gt_padding p)
{
    return p == GT_PAD_SAME ? "same" : "valid";
}

/* One spatial dimension of a TensorFlow convolution or pooling window.
 * valid: out = floor((in - k) / s) + 1, no padding.
 * same:  out = ceil(in / s), total padding max((out-1)*s + k - in, 0), of
 *        which the smaller half goes on top/left (the odd one at the bottom). */
static int window_dim(int in, int k, int s, gt_padding padding, int *out, int *pad_before)
{
    if (padding == GT_PAD_SAME) {
        *out = (in + s - 1) / s;
        long total = (long)(*out - 1) * s + k - in;
        if (total < 0) total = 0;
        *pad_before = (int)(total / 2);
        return 1;
    }
    *pad_before = 0;
    if (in < k) return 0;
    *out = (in - k) / s + 1;
    return 1;
}

/* Shape of a windowed layer (Conv2D kernel or MaxPooling2D pool). */
static gt_status window_shape(gt_model *m, int index, const char *what, int channels)
{
    gt_layer *l = &m->layers[index];
    char msg[512];
    if (l->kernel_h <= 0 || l->kernel_w <= 0 || l->stride_h <= 0 || l->stride_w <= 0) {
        snprintf(msg, sizeof msg, "%s %dx%d with strides %dx%d: sizes must be positive", what,
                 l->kernel_h, l->kernel_w, l->stride_h, l->stride_w);
        return layer_error(GT_ERR_SHAPE, m, index, msg);
    }
    int oh, ow;
    if (!window_dim(l->in.h, l->kernel_h, l->stride_h, l->padding, &oh, &l->pad_top) ||
        !window_dim(l->in.w, l->kernel_w, l->stride_w, l->padding, &ow, &l->pad_left)) {
        snprintf(msg, sizeof msg, "%s %dx%d does not fit input " SHAPE_FMT " with padding %s", what,
                 l->kernel_h, l->kernel_w, SHAPE_ARGS(l->in), padding_name(l->padding));
        return layer_error(GT_ERR_SHAPE, m, index, msg);
    }
    l->out.h = oh;
    l->out.w = ow;
    l->out.c = channels;
    return GT_OK;
}

/* Infers l->out from l->in and the layer's configuration. */
static gt_status infer_layer_shape(gt_model *m, int index)
{
    gt_layer *l = &m->layers[index];
    char msg[512];
    l->out = l->in;
    l->pad_top = l->pad_left = 0;
    switch (l->kind) {
    case GT_LAYER_RESCALING:
        if (!isfinite(l->scale) || !isfinite(l->offset))
            return layer_error(GT_ERR_INVALID_ARGUMENT, m, index,
                               "scale and offset must be finite numbers");
        return GT_OK;
    case GT_LAYER_RESIZING:
        if (l->height <= 0 || l->width <= 0) {
            snprintf(msg, sizeof msg, "target size %dx%d must be positive", l->height, l->width);
            return layer_error(GT_ERR_SHAPE, m, index, msg);
        }
        l->out.h = l->height;
        l->out.w = l->width;
        return GT_OK;
    case GT_LAYER_REPEAT_CHANNELS:
        if (l->repeats <= 0 || (long)l->in.c * l->repeats > INT_MAX / 4) {
            snprintf(msg, sizeof msg, "repeats %d must be a positive count", l->repeats);
            return layer_error(GT_ERR_INVALID_ARGUMENT, m, index, msg);
        }
        l->out.c = l->in.c * l->repeats;
        return GT_OK;
    case GT_LAYER_CONV2D:
        if (l->filters <= 0) {
            snprintf(msg, sizeof msg, "filters %d must be positive", l->filters);
            return layer_error(GT_ERR_INVALID_ARGUMENT, m, index, msg);
        }
        return window_shape(m, index, "kernel", l->filters);
    case GT_LAYER_MAXPOOL2D:
        return window_shape(m, index, "pool", l->in.c);
    case GT_LAYER_FLATTEN: {
        size_t n = gt_shape3_size(l->in);
        if (n > (size_t)INT_MAX) {
            snprintf(msg, sizeof msg, "input " SHAPE_FMT " has too many features to flatten",
                     SHAPE_ARGS(l->in));
            return layer_error(GT_ERR_SHAPE, m, index, msg);
        }
        l->out.h = l->out.w = 1;
        l->out.c = (int)n; /* NHWC order: Keras' channels_last Flatten */
        return GT_OK;
    }
    case GT_LAYER_DENSE:
        if (l->in.h != 1 || l->in.w != 1) {
            snprintf(msg, sizeof msg,
                     "needs a flat input (None, n) but gets " SHAPE_FMT
                     "; gtrain does not apply Dense to the last axis of an image as Keras "
                     "would: add a Flatten layer before it",
                     SHAPE_ARGS(l->in));
            return layer_error(GT_ERR_UNSUPPORTED, m, index, msg);
        }
        if (l->units <= 0) {
            snprintf(msg, sizeof msg, "units %d must be positive", l->units);
            return layer_error(GT_ERR_INVALID_ARGUMENT, m, index, msg);
        }
        l->out.c = l->units;
        return GT_OK;
    case GT_LAYER_DROPOUT:
        if (!(l->rate >= 0.0f && l->rate < 1.0f)) {
            snprintf(msg, sizeof msg, "rate %g must be in [0, 1)", (double)l->rate);
            return layer_error(GT_ERR_INVALID_ARGUMENT, m, index, msg);
        }
        return GT_OK;
    case GT_LAYER_ACTIVATION:
        return GT_OK;
    case GT_LAYER_KIND_COUNT:
        break;
    }
    return layer_error(GT_ERR_INTERNAL, m, index, "unknown layer kind");
}

static int has_activation(gt_layer_kind kind)
{
    return kind == GT_LAYER_CONV2D || kind == GT_LAYER_DENSE || kind == GT_LAYER_ACTIVATION;
}

/* Folds the leading preprocessing layers into one preprocess-gather: channel
 * repeat, bilinear resize, then x * scale + offset. The three commute (resize
 * weights sum to one, so an affine map passes through it), so their order in
 * the model does not matter; what cannot be folded is two different resizes
 * or a repeat of a multi-channel image, which the gather op cannot do. */
static gt_status fold_preprocessing(gt_model *m)
{
    gt_preprocess *p = &m->preprocess;
    p->in_h = m->input.h;
    p->in_w = m->input.w;
    p->in_c = m->input.c;
    p->scale = 1.0f;
    p->offset = 0.0f;
    gt_shape3 cur = m->input;
    int resized = -1;
    char msg[512];
    for (int i = 0; i < m->first_compute; ++i) {
        const gt_layer *l = &m->layers[i];
        switch (l->kind) {
        case GT_LAYER_RESCALING:
            /* (x * s1 + o1) * s2 + o2 */
            p->offset = p->offset * l->scale + l->offset;
            p->scale *= l->scale;
            break;
        case GT_LAYER_RESIZING:
            /* Resizing to the size the image already has is the identity. */
            if (l->height == cur.h && l->width == cur.w) break;
            if (resized >= 0) {
                snprintf(msg, sizeof msg,
                         "a second resize (to %dx%d, after '%s') cannot be folded into the "
                         "data pipeline; resize once",
                         l->height, l->width, m->layers[resized].name);
                return layer_error(GT_ERR_UNSUPPORTED, m, i, msg);
            }
            resized = i;
            break;
        case GT_LAYER_REPEAT_CHANNELS:
            if (l->repeats != 1 && m->input.c != 1) {
                snprintf(msg, sizeof msg,
                         "repeating a %d-channel input is not supported; the data pipeline "
                         "repeats single-channel images only",
                         m->input.c);
                return layer_error(GT_ERR_UNSUPPORTED, m, i, msg);
            }
            break;
        default:
            return layer_error(GT_ERR_INTERNAL, m, i, "not a preprocessing layer");
        }
        cur = l->out;
    }
    p->out_h = cur.h;
    p->out_w = cur.w;
    p->out_c = cur.c;
    return GT_OK;
}

/* Element count of a shape, or 0 when it passes GT_MODEL_MAX_ELEMENTS. */
static size_t checked_elements(size_t a, size_t b, size_t c, size_t d)
{
    size_t n = 0;
    if (__builtin_mul_overflow(a, b, &n) || __builtin_mul_overflow(n, c, &n) ||
        __builtin_mul_overflow(n, d, &n) || n > GT_MODEL_MAX_ELEMENTS)
        return 0;
    return n;
}

static gt_status too_many(const gt_model *m, int index, const char *what, size_t a, size_t b,
                          size_t c, size_t d)
{
    char msg[512];
    snprintf(msg, sizeof msg,
             "%s %zux%zux%zux%zu has more than 2^40 elements; gtrain refuses such "
             "sizes (they cannot be allocated, and their byte counts would overflow)",
             what, a, b, c, d);
    return layer_error(GT_ERR_SHAPE, m, index, msg);
}

/* Parameter slices in model order, each layer's kernel then its bias; every
 * count and the total are overflow-checked (a 2^30 x 2^30 kernel would
 * otherwise wrap to a few thousand parameters). */
static gt_status assign_parameters(gt_model *m)
{
    size_t offset = 0;
    for (int i = 0; i < m->n_layers; ++i) {
        gt_layer *l = &m->layers[i];
        l->kernel_count = l->bias_count = 0;
        if (l->kind == GT_LAYER_CONV2D) {
            size_t f = (size_t)l->filters, kh = (size_t)l->kernel_h, kw = (size_t)l->kernel_w,
                   c = (size_t)l->in.c;
            l->kernel_count = checked_elements(kh, kw, c, f);
            if (!l->kernel_count) return too_many(m, i, "kernel", kh, kw, c, f);
            l->bias_count = l->use_bias ? f : 0;
        } else if (l->kind == GT_LAYER_DENSE) {
            size_t in = (size_t)l->in.c, units = (size_t)l->units;
            l->kernel_count = checked_elements(in, units, 1, 1);
            if (!l->kernel_count) return too_many(m, i, "kernel", in, units, 1, 1);
            l->bias_count = l->use_bias ? units : 0;
        }
        l->kernel_offset = offset;
        offset += l->kernel_count; /* each under 2^40, and so is the running total */
        l->bias_offset = offset;
        offset += l->bias_count;
        if (offset > GT_MODEL_MAX_ELEMENTS) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "the parameters up to this layer number %zu, more than 2^40; gtrain "
                     "refuses such models",
                     offset);
            return layer_error(GT_ERR_SHAPE, m, i, msg);
        }
    }
    m->n_params = offset;
    return GT_OK;
}

gt_status gt_model_build(gt_model *m)
{
    if (m == NULL) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_build: model is NULL");
    m->built = 0;
    if (m->input.h <= 0 || m->input.w <= 0 || m->input.c <= 0)
        return gt_fail(GT_ERR_SHAPE, "model '%s': input shape " SHAPE_FMT " must be positive",
                       m->name, SHAPE_ARGS(m->input));
    if (!checked_elements((size_t)m->input.h, (size_t)m->input.w, (size_t)m->input.c, 1))
        return gt_fail(GT_ERR_SHAPE,
                       "model '%s': input shape " SHAPE_FMT " has more than 2^40 "
                       "elements",
                       m->name, SHAPE_ARGS(m->input));
    if (m->n_layers == 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s' has no layers", m->name);

    m->first_compute = -1;
    gt_shape3 cur = m->input;
    for (int i = 0; i < m->n_layers; ++i) {
        gt_layer *l = &m->layers[i];
        int pre = gt_layer_kind_is_preprocessing(l->kind);
        if (!pre && m->first_compute < 0) m->first_compute = i;
        if (pre && m->first_compute >= 0) {
            const gt_layer *c = &m->layers[m->first_compute];
            char msg[512];
            snprintf(msg, sizeof msg,
                     "preprocessing layers run in the data pipeline, before the network; this "
                     "one comes after the compute layer '%s' (%s): move it before '%s'",
                     c->name, gt_layer_kind_keras_name(c->kind), c->name);
            return layer_error(GT_ERR_UNSUPPORTED, m, i, msg);
        }
        if (has_activation(l->kind) && l->activation == GT_ACT_SOFTMAX && i != m->n_layers - 1)
            return layer_error(GT_ERR_UNSUPPORTED, m, i,
                               "softmax is supported only on the last layer, where it is fused "
                               "with the cross-entropy loss");
        l->in = cur;
        GT_TRY(infer_layer_shape(m, i));
        cur = l->out;
        if (!checked_elements((size_t)cur.h, (size_t)cur.w, (size_t)cur.c, 1))
            return too_many(m, i, "output", (size_t)cur.h, (size_t)cur.w, (size_t)cur.c, 1);
    }
    if (m->first_compute < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "model '%s' has only preprocessing layers; add the network's layers",
                       m->name);
    GT_TRY(fold_preprocessing(m));
    GT_TRY(assign_parameters(m));

    const gt_layer *last = &m->layers[m->n_layers - 1];
    m->num_classes = last->out.c;
    m->logits_output = has_activation(last->kind) && last->activation == GT_ACT_SOFTMAX;
    m->built = 1;
    return GT_OK;
}
