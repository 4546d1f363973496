/* Model lifecycle: creation with Keras' defaults, appending layers with
 * Keras' default names, the layer constructors, accessors, stripping the
 * preprocessing layers and freeing. Shape inference is in model_build.c, the
 * summary table in model_summary.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/status.h"
#include "layer.h"
#include "model_internal.h"

static int copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

gt_status gt_model_new(const char *name, gt_shape3 input, gt_model **out)
{
    if (out == NULL) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_new: out is NULL");
    *out = NULL;
    if (name == NULL || name[0] == '\0') name = "sequential";
    gt_model *m = calloc(1, sizeof *m);
    if (m == NULL) return gt_fail(GT_ERR_OUT_OF_MEMORY, "model '%s': out of host memory", name);
    if (!copy_name(m->name, sizeof m->name, name)) {
        free(m);
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model name '%s' is longer than %zu characters",
                       name, sizeof m->name - 1);
    }
    m->input = input;
    /* Keras' defaults: fit(batch_size=32, epochs=1, shuffle=True),
     * compile(optimizer='adam') with learning rate 1e-3, no validation, mean
     * loss over the batch. */
    snprintf(m->recipe.dataset, sizeof m->recipe.dataset, "%s", "fashion-mnist");
    m->recipe.batch_size = 32;
    m->recipe.epochs = 1;
    m->recipe.optimizer = GT_OPT_ADAM;
    m->recipe.learning_rate = 1e-3f;
    m->recipe.momentum = 0.0f;
    m->recipe.validation = GT_VAL_NONE;
    m->recipe.validation_count = 0;
    m->recipe.reduction = GT_REDUCE_MEAN;
    m->recipe.order = GT_ORDER_SHUFFLED;
    *out = m;
    return GT_OK;
}

/* Keras' default layer name: the class name in snake case, as
 * keras.utils.generic_utils.to_snake_case does it ("MaxPooling2D" ->
 * "max_pooling2d", "RepeatChannels" -> "repeat_channels"). */
static void snake_case(const char *camel, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; camel[i] != '\0' && o + 2 < cap; ++i) {
        char c = camel[i];
        int upper = isupper((unsigned char)c);
        int next_lower = camel[i + 1] != '\0' && islower((unsigned char)camel[i + 1]);
        int prev_lower = i > 0 && islower((unsigned char)camel[i - 1]);
        if (i > 0 && upper && (next_lower || prev_lower)) out[o++] = '_';
        out[o++] = (char)tolower((unsigned char)c);
    }
    out[o] = '\0';
}

static int layer_name_taken(const gt_model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; ++i)
        if (strcmp(m->layers[i].name, name) == 0) return 1;
    return 0;
}

/* "conv2d", then "conv2d_1", "conv2d_2", ...: the first not yet in the model. */
static void default_layer_name(const gt_model *m, gt_layer_kind kind, char *out, size_t cap)
{
    char base[48];
    snake_case(gt_layer_kind_keras_name(kind), base, sizeof base);
    snprintf(out, cap, "%s", base);
    for (int k = 1; layer_name_taken(m, out); ++k)
        snprintf(out, cap, "%s_%d", base, k);
}

const char *gt_layer_name_problem(const char *name)
{
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "is a path component ('.' or '..'), which HDF5 and file names cannot hold";
    for (const unsigned char *p = (const unsigned char *)name; *p; ++p) {
        if (*p == '/')
            return "contains '/', which separates groups in HDF5 (and Keras' .h5 files), so "
                   "its weights could not be saved";
        if (*p < 0x20 || *p == 0x7f) return "contains a control character";
    }
    return NULL;
}

gt_status gt_model_add(gt_model *m, const gt_layer *layer)
{
    if (m == NULL || layer == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_add: model or layer is NULL");
    if ((int)layer->kind < 0 || layer->kind >= GT_LAYER_KIND_COUNT)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s': layer %d has an invalid kind %d",
                       m->name, m->n_layers, (int)layer->kind);
    if (memchr(layer->name, '\0', sizeof layer->name) == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s': layer %d name is not terminated",
                       m->name, m->n_layers);
    const char *problem = gt_layer_name_problem(layer->name);
    if (problem)
        return gt_fail(GT_ERR_FORMAT, "model '%s': layer %d name '%s' %s; rename the layer",
                       m->name, m->n_layers, layer->name, problem);
    if (layer->name[0] != '\0' && layer_name_taken(m, layer->name))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "model '%s': layer name '%s' is used twice; layer names must be unique "
                       "(as in Keras)",
                       m->name, layer->name);
    if (m->n_layers == m->capacity) {
        int cap = m->capacity ? m->capacity * 2 : 16;
        gt_layer *grown = realloc(m->layers, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return gt_fail(GT_ERR_OUT_OF_MEMORY, "model '%s': out of host memory adding a layer",
                           m->name);
        m->layers = grown;
        m->capacity = cap;
    }
    if (layer->n_inputs < 0 || layer->n_inputs > GT_LAYER_MAX_INPUTS)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s': layer %d has %d inputs (at most %d)",
                       m->name, m->n_layers, layer->n_inputs, GT_LAYER_MAX_INPUTS);
    gt_layer *dst = &m->layers[m->n_layers];
    *dst = *layer;
    if (dst->n_inputs == 0) { /* a Sequential stack: the layer before, or the model's input */
        dst->n_inputs = 1;
        dst->inputs[0] = m->n_layers - 1;
    }
    if (dst->name[0] == '\0') default_layer_name(m, dst->kind, dst->name, sizeof dst->name);
    m->n_layers++;
    m->built = 0;
    return GT_OK;
}

void gt_model_free(gt_model *model)
{
    if (model == NULL) return;
    free(model->layers);
    free(model);
}

/* ---- layer constructors (Keras defaults, from each kind's class) ---- */

gt_layer gt_layer_conv2d(int filters, int kernel, int stride, gt_padding padding, gt_activation act)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_CONV2D);
    l.filters = filters;
    l.kernel_h = l.kernel_w = kernel;
    l.stride_h = l.stride_w = stride;
    l.padding = padding;
    l.activation = act;
    return l;
}

/* Keras: strides=None means strides = pool_size. */
static gt_layer pool_layer(gt_layer_kind kind, int pool, int stride, gt_padding padding)
{
    gt_layer l = gt_layer_defaults(kind);
    l.kernel_h = l.kernel_w = pool;
    l.stride_h = l.stride_w = stride > 0 ? stride : pool;
    l.padding = padding;
    return l;
}

gt_layer gt_layer_maxpool2d(int pool, int stride, gt_padding padding)
{
    return pool_layer(GT_LAYER_MAXPOOL2D, pool, stride, padding);
}

gt_layer gt_layer_avgpool2d(int pool, int stride, gt_padding padding)
{
    return pool_layer(GT_LAYER_AVGPOOL2D, pool, stride, padding);
}

gt_layer gt_layer_global_avgpool2d(void)
{
    return gt_layer_defaults(GT_LAYER_GLOBAL_AVGPOOL2D);
}

gt_layer gt_layer_batchnorm(void)
{
    return gt_layer_defaults(GT_LAYER_BATCHNORM);
}

gt_layer gt_layer_flatten(void)
{
    return gt_layer_defaults(GT_LAYER_FLATTEN);
}

gt_layer gt_layer_dense(int units, gt_activation act)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_DENSE);
    l.units = units;
    l.activation = act;
    return l;
}

gt_layer gt_layer_dropout(float rate)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_DROPOUT);
    l.rate = rate;
    return l;
}

gt_layer gt_layer_activation(gt_activation act)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_ACTIVATION);
    l.activation = act;
    l.alpha = gt_activation_default_alpha(act);
    return l;
}

gt_layer gt_layer_rescaling(float scale, float offset)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_RESCALING);
    l.scale = scale;
    l.offset = offset;
    return l;
}

gt_layer gt_layer_resizing(int height, int width)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_RESIZING);
    l.height = height;
    l.width = width;
    return l;
}

gt_layer gt_layer_repeat_channels(int repeats)
{
    gt_layer l = gt_layer_defaults(GT_LAYER_REPEAT_CHANNELS);
    l.repeats = repeats;
    return l;
}

/* ---- accessors ---- */

const char *gt_model_name(const gt_model *model)
{
    return model ? model->name : "";
}

size_t gt_model_param_count(const gt_model *model)
{
    return model ? model->n_trainable + model->n_state : 0;
}

size_t gt_model_trainable_param_count(const gt_model *model)
{
    /* BatchNormalization's moving statistics are the non-trainable rest */
    return model ? model->n_trainable : 0;
}

gt_shape3 gt_model_input_shape(const gt_model *model)
{
    gt_shape3 none = {0, 0, 0};
    return model ? model->input : none;
}

int gt_model_num_classes(const gt_model *model)
{
    return model ? model->num_classes : 0;
}

const char *gt_data_order_name(gt_data_order order)
{
    switch (order) {
    case GT_ORDER_SHUFFLED:
        return "shuffled";
    case GT_ORDER_FILE:
        return "file";
    }
    return NULL;
}

const gt_recipe *gt_model_recipe(const gt_model *model)
{
    return model ? &model->recipe : NULL;
}

gt_status gt_model_strip_preprocessing(gt_model *model)
{
    if (model == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_strip_preprocessing: model is NULL");
    if (!model->built) GT_TRY(gt_model_build(model));
    int drop = model->first_compute;
    if (drop == 0) return GT_OK;
    gt_shape3 compute_input = model->layers[drop].in;
    memmove(model->layers, model->layers + drop,
            (size_t)(model->n_layers - drop) * sizeof *model->layers);
    model->n_layers -= drop;
    for (int i = 0; i < model->n_layers; ++i) { /* the graph's indices move with the layers */
        gt_layer *l = &model->layers[i];
        for (int k = 0; k < l->n_inputs; ++k)
            l->inputs[k] = l->inputs[k] - drop < 0 ? GT_MODEL_INPUT : l->inputs[k] - drop;
    }
    model->input = compute_input;
    return gt_model_build(model);
}

/* ---- per-layer accessors (for tools that inspect layers) ---- */

static const gt_layer *layer_at(const gt_model *model, int layer)
{
    return model && layer >= 0 && layer < model->n_layers ? &model->layers[layer] : NULL;
}

int gt_model_layer_count(const gt_model *model)
{
    return model ? model->n_layers : 0;
}

const char *gt_model_layer_name(const gt_model *model, int layer)
{
    const gt_layer *l = layer_at(model, layer);
    return l ? l->name : NULL;
}

const char *gt_model_layer_kind(const gt_model *model, int layer)
{
    const gt_layer *l = layer_at(model, layer);
    return l ? gt_layer_kind_keras_name(l->kind) : NULL;
}

gt_shape3 gt_model_layer_output_shape(const gt_model *model, int layer)
{
    gt_shape3 none = {0, 0, 0};
    const gt_layer *l = layer_at(model, layer);
    return l ? l->out : none;
}
