/* gt_model_build: each layer's shape from its class, the weight tensors'
 * offsets, the folded preprocessing and the loss form, with errors that name
 * the layer and the shapes involved. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gtrain/status.h"
#include "layer.h"
#include "model_internal.h"

#define SHAPE_FMT "%dx%dx%d"
#define SHAPE_ARGS(s) (s).h, (s).w, (s).c

static gt_status layer_error(gt_status status, const gt_model *m, int index, const char *what)
{
    const gt_layer *l = &m->layers[index];
    return gt_fail(status, "model '%s': layer '%s' (%s): %s", m->name, l->name,
                   gt_layer_kind_keras_name(l->kind), what);
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

/* Folds the leading preprocessing layers into one preprocess-gather: channel
 * repeat, bilinear resize, the augmentation stages in the model's order,
 * then x * scale + offset. The repeat and the rescale commute with the rest
 * (resampling weights sum to one, so an affine map passes through them), so
 * their place in the model does not matter; each kind's fold says what it
 * cannot fold (a resize after an augmentation layer). */
static gt_status fold_preprocessing(gt_model *m)
{
    gt_preprocess *p = &m->preprocess;
    memset(&m->augment, 0, sizeof m->augment);
    gt_fold fold = {.p = p, .augment = &m->augment};
    p->in_h = m->input.h;
    p->in_w = m->input.w;
    p->in_c = m->input.c;
    p->scale = 1.0f;
    p->offset = 0.0f;
    gt_shape3 cur = m->input;
    for (int i = 0; i < m->first_compute; ++i) {
        const gt_layer *l = &m->layers[i];
        gt_status st = gt_layer_class_of(l->kind)->fold(l, &fold);
        if (st != GT_OK)
            return gt_fail_context(st, "model '%s': layer '%s' (%s)", m->name, l->name,
                                   gt_layer_kind_keras_name(l->kind));
        cur = l->out;
    }
    p->out_h = cur.h;
    p->out_w = cur.w;
    p->out_c = cur.c;
    return GT_OK;
}

/* Each layer's weight tensors: trainable ones in the trainable buffer,
 * moving statistics in the state buffer, all of them also in model order
 * (gt_trainer_get_params); every count and total is overflow-checked (a
 * 2^30 x 2^30 kernel would otherwise wrap to a few thousand parameters). */
static gt_status assign_weights(gt_model *m)
{
    size_t trainable = 0, state = 0, model_order = 0;
    for (int i = 0; i < m->n_layers; ++i) {
        gt_layer *l = &m->layers[i];
        const gt_layer_class *cls = gt_layer_class_of(l->kind);
        gt_weight_spec specs[GT_LAYER_MAX_WEIGHTS];
        l->n_weights = cls->weights ? cls->weights(l, specs) : 0;
        for (int k = 0; k < l->n_weights; ++k) {
            const gt_weight_spec *w = &specs[k];
            unsigned long long d[4] = {1, 1, 1, 1};
            for (int r = 0; r < w->rank; ++r)
                d[r] = w->dims[r];
            size_t count = checked_elements(d[0], d[1], d[2], d[3]);
            if (!count) return too_many(m, i, w->name, d[0], d[1], d[2], d[3]);
            gt_layer_weight *slot = &l->weights[k];
            slot->count = count;
            slot->trainable = w->trainable;
            slot->model_offset = model_order;
            slot->offset = w->trainable ? trainable : state;
            *(w->trainable ? &trainable : &state) += count;
            model_order += count; /* each under 2^40, and so is the running total */
            if (model_order > GT_MODEL_MAX_ELEMENTS) {
                char msg[256];
                snprintf(msg, sizeof msg,
                         "the parameters up to this layer number %zu, more than 2^40; gtrain "
                         "refuses such models",
                         model_order);
                return layer_error(GT_ERR_SHAPE, m, i, msg);
            }
        }
    }
    m->n_trainable = trainable;
    m->n_state = state;
    return GT_OK;
}

static const char *layer_name_or_input(const gt_model *m, int src)
{
    return src == GT_MODEL_INPUT ? (m->input_name[0] ? m->input_name : "the model's input")
                                 : m->layers[src].name;
}

/* Layer i's input shapes from the layers it reads. Preprocessing layers run
 * in the data pipeline as one chain from the input; the network reads what
 * the last of them produces (the trainer's input batch). */
static gt_status resolve_inputs(gt_model *m, int i)
{
    gt_layer *l = &m->layers[i];
    const gt_layer_class *cls = gt_layer_class_of(l->kind);
    int pre = gt_layer_kind_is_preprocessing(l->kind);
    char msg[512];
    if (cls->merge ? l->n_inputs < 2 : l->n_inputs != 1) {
        snprintf(msg, sizeof msg, "takes %s, found %d",
                 cls->merge ? "2 or more inputs" : "one input", l->n_inputs);
        return layer_error(GT_ERR_UNSUPPORTED, m, i, msg);
    }
    int fc = m->first_compute;
    for (int k = 0; k < l->n_inputs; ++k) {
        int src = l->inputs[k];
        if (src < GT_MODEL_INPUT || src >= i) {
            snprintf(msg, sizeof msg, "input %d is layer index %d, which does not come before it",
                     k, src);
            return layer_error(GT_ERR_FORMAT, m, i, msg);
        }
        if (pre && src != i - 1) {
            snprintf(msg, sizeof msg,
                     "preprocessing layers run in the data pipeline as one chain from the "
                     "input; this one reads '%s' instead of %s",
                     layer_name_or_input(m, src), i ? m->layers[i - 1].name : "the model's input");
            return layer_error(GT_ERR_UNSUPPORTED, m, i, msg);
        }
        if (!pre && fc > 0 && src < fc - 1) {
            snprintf(msg, sizeof msg,
                     "reads '%s', before the preprocessing layer '%s' has run; the network "
                     "sees the data only after all the preprocessing layers",
                     layer_name_or_input(m, src), m->layers[fc - 1].name);
            return layer_error(GT_ERR_UNSUPPORTED, m, i, msg);
        }
        l->ins[k] = src == GT_MODEL_INPUT ? m->input : m->layers[src].out;
    }
    l->in = l->ins[0];
    return GT_OK;
}

/* Every layer but the last feeds another one (the last one is the output);
 * a chain (each compute layer reads the one before) keeps the trainer's
 * straight-line path. */
static gt_status check_connected(gt_model *m)
{
    int last = m->n_layers - 1;
    m->chain = 1;
    for (int i = 0; i < last; ++i) {
        int used = 0;
        for (int j = i + 1; j < m->n_layers && !used; ++j)
            for (int k = 0; k < m->layers[j].n_inputs; ++k)
                used |= m->layers[j].inputs[k] == i;
        if (!used)
            return layer_error(GT_ERR_UNSUPPORTED, m, i,
                               "its output is not used by any layer, and gtrain trains models "
                               "with one output (the last layer)");
    }
    for (int i = m->first_compute + 1; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        if (l->n_inputs != 1 || l->inputs[0] != i - 1) m->chain = 0;
    }
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
        if (l->activation == GT_ACT_SOFTMAX && i != m->n_layers - 1)
            return layer_error(GT_ERR_UNSUPPORTED, m, i,
                               "softmax is supported only on the last layer, where it is fused "
                               "with the cross-entropy loss");
        GT_TRY(resolve_inputs(m, i));
        l->out = l->in;
        l->pad_top = l->pad_left = 0;
        gt_status st = gt_layer_class_of(l->kind)->infer(l);
        if (st != GT_OK)
            return gt_fail_context(st, "model '%s': layer '%s' (%s)", m->name, l->name,
                                   gt_layer_kind_keras_name(l->kind));
        gt_shape3 cur = l->out;
        if (!checked_elements((size_t)cur.h, (size_t)cur.w, (size_t)cur.c, 1))
            return too_many(m, i, "output", (size_t)cur.h, (size_t)cur.w, (size_t)cur.c, 1);
    }
    if (m->first_compute < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "model '%s' has only preprocessing layers; add the network's layers",
                       m->name);
    GT_TRY(check_connected(m));
    GT_TRY(fold_preprocessing(m));
    GT_TRY(assign_weights(m));

    const gt_layer *last = &m->layers[m->n_layers - 1];
    m->num_classes = last->out.c;
    m->logits_output = last->activation == GT_ACT_SOFTMAX;
    m->built = 1;
    return GT_OK;
}
