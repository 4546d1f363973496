/* gt_model_to_json: the model as Keras 2 (tf.keras 2.x) writes a Sequential
 * model with model.to_json(), so that keras.models.model_from_json reads it
 * (RepeatChannels needs custom_objects there) and gtrain reads it back to the
 * same model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "model_internal.h"

#define KERAS_VERSION "2.11.0"

/* The shortest decimal that reads back as the same float, so that 1/255 is
 * written 0.003921569 rather than the double expansion of the float. */
static cJSON *float_number(float value)
{
    char text[32];
    for (int digits = 6; digits <= 9; ++digits) {
        snprintf(text, sizeof text, "%.*g", digits, (double)value);
        if (strtof(text, NULL) == value) break;
    }
    return cJSON_CreateNumber(strtod(text, NULL));
}

static cJSON *int_pair(int a, int b)
{
    const int values[2] = {a, b};
    return cJSON_CreateIntArray(values, 2);
}

/* Collects allocation failures: cJSON_Add* return NULL when out of memory. */
typedef struct writer {
    int failed;
} writer;

static void put(writer *wr, cJSON *obj, const char *key, cJSON *value)
{
    if (value == NULL || !cJSON_AddItemToObject(obj, key, value)) {
        cJSON_Delete(value);
        wr->failed = 1;
    }
}

static cJSON *initializer_json(writer *wr, const gt_initializer *init)
{
    static const char *const class_names[] = {
        [GT_INIT_GLOROT_UNIFORM] = "GlorotUniform",
        [GT_INIT_GLOROT_NORMAL] = "GlorotNormal",
        [GT_INIT_HE_UNIFORM] = "HeUniform",
        [GT_INIT_HE_NORMAL] = "HeNormal",
        [GT_INIT_RANDOM_NORMAL] = "RandomNormal",
        [GT_INIT_RANDOM_UNIFORM] = "RandomUniform",
        [GT_INIT_TRUNCATED_NORMAL] = "TruncatedNormal",
        [GT_INIT_ZEROS] = "Zeros",
        [GT_INIT_ONES] = "Ones",
        [GT_INIT_CONSTANT] = "Constant",
    };
    cJSON *obj = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    if (obj == NULL || cfg == NULL) {
        cJSON_Delete(obj);
        cJSON_Delete(cfg);
        wr->failed = 1;
        return NULL;
    }
    put(wr, obj, "class_name", cJSON_CreateString(class_names[init->kind]));
    switch (init->kind) {
    case GT_INIT_RANDOM_NORMAL:
    case GT_INIT_TRUNCATED_NORMAL:
        put(wr, cfg, "mean", float_number(init->mean));
        put(wr, cfg, "stddev", float_number(init->stddev));
        put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    case GT_INIT_RANDOM_UNIFORM:
        put(wr, cfg, "minval", float_number(init->minval));
        put(wr, cfg, "maxval", float_number(init->maxval));
        put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    case GT_INIT_CONSTANT:
        put(wr, cfg, "value", float_number(init->value));
        break;
    case GT_INIT_ZEROS:
    case GT_INIT_ONES:
        break;
    default:
        put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    }
    put(wr, obj, "config", cfg);
    return obj;
}

/* Kernel, bias, regularizers and constraints, in Keras 2's key order. */
static void put_weights(writer *wr, cJSON *cfg, const gt_layer *l)
{
    static const char *const nulls[] = {"kernel_regularizer", "bias_regularizer",
                                        "activity_regularizer", "kernel_constraint",
                                        "bias_constraint"};
    put(wr, cfg, "activation", cJSON_CreateString(gt_activation_name(l->activation)));
    put(wr, cfg, "use_bias", cJSON_CreateBool(l->use_bias));
    put(wr, cfg, "kernel_initializer", initializer_json(wr, &l->kernel_init));
    put(wr, cfg, "bias_initializer", initializer_json(wr, &l->bias_init));
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; ++i)
        put(wr, cfg, nulls[i], cJSON_CreateNull());
}

static const char *padding_name(gt_padding p)
{
    return p == GT_PAD_SAME ? "same" : "valid";
}

static cJSON *layer_json(writer *wr, const gt_layer *l)
{
    cJSON *obj = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    if (obj == NULL || cfg == NULL) {
        cJSON_Delete(obj);
        cJSON_Delete(cfg);
        wr->failed = 1;
        return NULL;
    }
    put(wr, obj, "class_name", cJSON_CreateString(gt_layer_kind_keras_name(l->kind)));
    put(wr, cfg, "name", cJSON_CreateString(l->name));
    put(wr, cfg, "trainable", cJSON_CreateTrue());
    put(wr, cfg, "dtype", cJSON_CreateString("float32"));
    switch (l->kind) {
    case GT_LAYER_CONV2D:
        put(wr, cfg, "filters", cJSON_CreateNumber(l->filters));
        put(wr, cfg, "kernel_size", int_pair(l->kernel_h, l->kernel_w));
        put(wr, cfg, "strides", int_pair(l->stride_h, l->stride_w));
        put(wr, cfg, "padding", cJSON_CreateString(padding_name(l->padding)));
        put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
        put(wr, cfg, "dilation_rate", int_pair(1, 1));
        put(wr, cfg, "groups", cJSON_CreateNumber(1));
        put_weights(wr, cfg, l);
        break;
    case GT_LAYER_MAXPOOL2D:
        put(wr, cfg, "pool_size", int_pair(l->kernel_h, l->kernel_w));
        put(wr, cfg, "padding", cJSON_CreateString(padding_name(l->padding)));
        put(wr, cfg, "strides", int_pair(l->stride_h, l->stride_w));
        put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
        break;
    case GT_LAYER_FLATTEN:
        put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
        break;
    case GT_LAYER_DENSE:
        put(wr, cfg, "units", cJSON_CreateNumber(l->units));
        put_weights(wr, cfg, l);
        break;
    case GT_LAYER_DROPOUT:
        put(wr, cfg, "rate", float_number(l->rate));
        put(wr, cfg, "noise_shape", cJSON_CreateNull());
        put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    case GT_LAYER_ACTIVATION:
        put(wr, cfg, "activation", cJSON_CreateString(gt_activation_name(l->activation)));
        break;
    case GT_LAYER_RESCALING:
        put(wr, cfg, "scale", float_number(l->scale));
        put(wr, cfg, "offset", float_number(l->offset));
        break;
    case GT_LAYER_RESIZING:
        put(wr, cfg, "height", cJSON_CreateNumber(l->height));
        put(wr, cfg, "width", cJSON_CreateNumber(l->width));
        put(wr, cfg, "interpolation", cJSON_CreateString("bilinear"));
        put(wr, cfg, "crop_to_aspect_ratio", cJSON_CreateFalse());
        break;
    case GT_LAYER_REPEAT_CHANNELS:
        put(wr, cfg, "repeats", cJSON_CreateNumber(l->repeats));
        break;
    case GT_LAYER_KIND_COUNT:
        break;
    }
    put(wr, obj, "config", cfg);
    return obj;
}

/* Keras 2 names a Sequential's implicit input "<first layer>_input". */
static cJSON *input_layer_json(writer *wr, const gt_model *m)
{
    cJSON *obj = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    if (obj == NULL || cfg == NULL) {
        cJSON_Delete(obj);
        cJSON_Delete(cfg);
        wr->failed = 1;
        return NULL;
    }
    cJSON *shape = cJSON_CreateArray();
    if (shape != NULL) {
        int flat = m->input.h == 1 && m->input.w == 1;
        int dims[3] = {m->input.h, m->input.w, m->input.c};
        if (!cJSON_AddItemToArray(shape, cJSON_CreateNull())) wr->failed = 1;
        for (int i = flat ? 2 : 0; i < 3; ++i)
            if (!cJSON_AddItemToArray(shape, cJSON_CreateNumber(dims[i]))) wr->failed = 1;
    }
    char name[80];
    snprintf(name, sizeof name, "%s_input", m->n_layers > 0 ? m->layers[0].name : "input");
    put(wr, obj, "class_name", cJSON_CreateString("InputLayer"));
    put(wr, cfg, "batch_input_shape", shape);
    put(wr, cfg, "dtype", cJSON_CreateString("float32"));
    put(wr, cfg, "sparse", cJSON_CreateFalse());
    put(wr, cfg, "ragged", cJSON_CreateFalse());
    put(wr, cfg, "name", cJSON_CreateString(name));
    put(wr, obj, "config", cfg);
    return obj;
}

gt_status gt_model_to_json(const gt_model *model, char **out_text)
{
    if (model == NULL || out_text == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_to_json: model or out_text is NULL");
    *out_text = NULL;
    writer wr = {0};
    cJSON *root = cJSON_CreateObject();
    cJSON *config = cJSON_CreateObject();
    cJSON *layers = cJSON_CreateArray();
    if (root == NULL || config == NULL || layers == NULL) {
        cJSON_Delete(root);
        cJSON_Delete(config);
        cJSON_Delete(layers);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "model '%s': out of host memory writing JSON",
                       model->name);
    }
    if (!cJSON_AddItemToArray(layers, input_layer_json(&wr, model))) wr.failed = 1;
    for (int i = 0; i < model->n_layers; ++i)
        if (!cJSON_AddItemToArray(layers, layer_json(&wr, &model->layers[i]))) wr.failed = 1;
    put(&wr, root, "class_name", cJSON_CreateString("Sequential"));
    put(&wr, config, "name", cJSON_CreateString(model->name));
    put(&wr, config, "layers", layers);
    put(&wr, root, "config", config);
    put(&wr, root, "keras_version", cJSON_CreateString(KERAS_VERSION));
    put(&wr, root, "backend", cJSON_CreateString("tensorflow"));
    char *text = wr.failed ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text == NULL)
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "model '%s': out of host memory writing JSON",
                       model->name);
    /* The caller frees with free(); cJSON may use its own allocator hooks. */
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    if (copy != NULL) memcpy(copy, text, n + 1);
    cJSON_free(text);
    if (copy == NULL)
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "model '%s': out of host memory writing JSON",
                       model->name);
    *out_text = copy;
    return GT_OK;
}
