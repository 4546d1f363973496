/* gt_model_to_json: the model as Keras 2 (tf.keras 2.x) writes a Sequential
 * or a Functional model with model.to_json(), so that keras.models.model_from_json reads it
 * (RepeatChannels needs custom_objects there) and gtrain reads it back to the
 * same model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gtrain/status.h"
#include "json_write.h"
#include "layer.h"
#include "model_internal.h"

#define KERAS_VERSION "2.11.0"

static cJSON *layer_json(gt_json_writer *wr, const gt_layer *l)
{
    cJSON *obj = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    if (obj == NULL || cfg == NULL) {
        cJSON_Delete(obj);
        cJSON_Delete(cfg);
        wr->failed = 1;
        return NULL;
    }
    gt_jw_put(wr, obj, "class_name", cJSON_CreateString(gt_layer_kind_keras_name(l->kind)));
    gt_jw_put(wr, cfg, "name", cJSON_CreateString(l->name));
    gt_jw_put(wr, cfg, "trainable", cJSON_CreateTrue());
    gt_jw_put(wr, cfg, "dtype", cJSON_CreateString("float32"));
    gt_layer_class_of(l->kind)->write_config(l, cfg, wr);
    gt_jw_put(wr, obj, "config", cfg);
    return obj;
}

/* [name, 0, 0] (with Keras 2's kwargs {} in inbound nodes). */
static cJSON *tensor_ref(gt_json_writer *wr, const char *name, int with_kwargs)
{
    cJSON *ref = cJSON_CreateArray();
    if (ref == NULL) {
        wr->failed = 1;
        return NULL;
    }
    if (!cJSON_AddItemToArray(ref, cJSON_CreateString(name)) ||
        !cJSON_AddItemToArray(ref, cJSON_CreateNumber(0)) ||
        !cJSON_AddItemToArray(ref, cJSON_CreateNumber(0)) ||
        (with_kwargs && !cJSON_AddItemToArray(ref, cJSON_CreateObject())))
        wr->failed = 1;
    return ref;
}

/* A list holding one item (Keras 2's input_layers, inbound_nodes). */
static cJSON *list_of(gt_json_writer *wr, cJSON *item)
{
    cJSON *list = cJSON_CreateArray();
    if (list == NULL || !cJSON_AddItemToArray(list, item)) {
        cJSON_Delete(list);
        cJSON_Delete(item);
        wr->failed = 1;
        return NULL;
    }
    return list;
}

/* Keras 2's Functional layer entry: the Sequential one plus its name and
 * the call [[[input, 0, 0, {}], ...]]. */
static cJSON *functional_layer_json(gt_json_writer *wr, const gt_model *m, const gt_layer *l)
{
    cJSON *obj = layer_json(wr, l);
    cJSON *call = cJSON_CreateArray();
    if (obj == NULL || call == NULL) {
        cJSON_Delete(obj);
        cJSON_Delete(call);
        wr->failed = 1;
        return NULL;
    }
    for (int k = 0; k < l->n_inputs; ++k) {
        int src = l->inputs[k];
        const char *name = src == GT_MODEL_INPUT ? m->input_name : m->layers[src].name;
        if (!cJSON_AddItemToArray(call, tensor_ref(wr, name, 1))) wr->failed = 1;
    }
    gt_jw_put(wr, obj, "name", cJSON_CreateString(l->name));
    gt_jw_put(wr, obj, "inbound_nodes", list_of(wr, call));
    return obj;
}

/* Keras 2 names a Sequential's implicit input "<first layer>_input". */
static cJSON *input_layer_json(gt_json_writer *wr, const gt_model *m)
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
    if (m->functional)
        snprintf(name, sizeof name, "%s", m->input_name[0] ? m->input_name : "input_1");
    else
        snprintf(name, sizeof name, "%s_input", m->n_layers > 0 ? m->layers[0].name : "input");
    gt_jw_put(wr, obj, "class_name", cJSON_CreateString("InputLayer"));
    gt_jw_put(wr, cfg, "batch_input_shape", shape);
    gt_jw_put(wr, cfg, "dtype", cJSON_CreateString("float32"));
    gt_jw_put(wr, cfg, "sparse", cJSON_CreateFalse());
    gt_jw_put(wr, cfg, "ragged", cJSON_CreateFalse());
    gt_jw_put(wr, cfg, "name", cJSON_CreateString(name));
    gt_jw_put(wr, obj, "config", cfg);
    if (m->functional) {
        gt_jw_put(wr, obj, "name", cJSON_CreateString(name));
        gt_jw_put(wr, obj, "inbound_nodes", cJSON_CreateArray());
    }
    return obj;
}

gt_status gt_model_to_json(const gt_model *model, char **out_text)
{
    if (model == NULL || out_text == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_to_json: model or out_text is NULL");
    *out_text = NULL;
    gt_json_writer wr = {0};
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
    for (int i = 0; i < model->n_layers; ++i) {
        const gt_layer *l = &model->layers[i];
        cJSON *entry =
            model->functional ? functional_layer_json(&wr, model, l) : layer_json(&wr, l);
        if (!cJSON_AddItemToArray(layers, entry)) wr.failed = 1;
    }
    gt_jw_put(&wr, root, "class_name",
              cJSON_CreateString(model->functional ? "Functional" : "Sequential"));
    gt_jw_put(&wr, config, "name", cJSON_CreateString(model->name));
    gt_jw_put(&wr, config, "layers", layers);
    if (model->functional) {
        const char *input = model->input_name[0] ? model->input_name : "input_1";
        const char *output = model->layers[model->n_layers - 1].name;
        gt_jw_put(&wr, config, "input_layers", list_of(&wr, tensor_ref(&wr, input, 0)));
        gt_jw_put(&wr, config, "output_layers", list_of(&wr, tensor_ref(&wr, output, 0)));
    }
    gt_jw_put(&wr, root, "config", config);
    gt_jw_put(&wr, root, "keras_version", cJSON_CreateString(KERAS_VERSION));
    gt_jw_put(&wr, root, "backend", cJSON_CreateString("tensorflow"));
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
