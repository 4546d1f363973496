/* gt_model_to_json: the model as Keras 2 (tf.keras 2.x) writes a Sequential
 * model with model.to_json(), so that keras.models.model_from_json reads it
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
    snprintf(name, sizeof name, "%s_input", m->n_layers > 0 ? m->layers[0].name : "input");
    gt_jw_put(wr, obj, "class_name", cJSON_CreateString("InputLayer"));
    gt_jw_put(wr, cfg, "batch_input_shape", shape);
    gt_jw_put(wr, cfg, "dtype", cJSON_CreateString("float32"));
    gt_jw_put(wr, cfg, "sparse", cJSON_CreateFalse());
    gt_jw_put(wr, cfg, "ragged", cJSON_CreateFalse());
    gt_jw_put(wr, cfg, "name", cJSON_CreateString(name));
    gt_jw_put(wr, obj, "config", cfg);
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
    for (int i = 0; i < model->n_layers; ++i)
        if (!cJSON_AddItemToArray(layers, layer_json(&wr, &model->layers[i]))) wr.failed = 1;
    gt_jw_put(&wr, root, "class_name", cJSON_CreateString("Sequential"));
    gt_jw_put(&wr, config, "name", cJSON_CreateString(model->name));
    gt_jw_put(&wr, config, "layers", layers);
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
