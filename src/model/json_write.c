/* Writing Keras JSON configs (see json_write.h). */
#include "json_write.h"

#include <stdio.h>
#include <stdlib.h>

/* The shortest decimal that reads back as the same float, so that 1/255 is
 * written 0.003921569 rather than the double expansion of the float. */
cJSON *gt_jw_float(float value)
{
    char text[32];
    for (int digits = 6; digits <= 9; ++digits) {
        snprintf(text, sizeof text, "%.*g", digits, (double)value);
        if (strtof(text, NULL) == value) break;
    }
    return cJSON_CreateNumber(strtod(text, NULL));
}

cJSON *gt_jw_pair(int a, int b)
{
    const int values[2] = {a, b};
    return cJSON_CreateIntArray(values, 2);
}

void gt_jw_put(gt_json_writer *wr, cJSON *obj, const char *key, cJSON *value)
{
    if (value == NULL || !cJSON_AddItemToObject(obj, key, value)) {
        cJSON_Delete(value);
        wr->failed = 1;
    }
}

cJSON *gt_jw_initializer(gt_json_writer *wr, const gt_initializer *init)
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
    gt_jw_put(wr, obj, "class_name", cJSON_CreateString(class_names[init->kind]));
    switch (init->kind) {
    case GT_INIT_RANDOM_NORMAL:
    case GT_INIT_TRUNCATED_NORMAL:
        gt_jw_put(wr, cfg, "mean", gt_jw_float(init->mean));
        gt_jw_put(wr, cfg, "stddev", gt_jw_float(init->stddev));
        gt_jw_put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    case GT_INIT_RANDOM_UNIFORM:
        gt_jw_put(wr, cfg, "minval", gt_jw_float(init->minval));
        gt_jw_put(wr, cfg, "maxval", gt_jw_float(init->maxval));
        gt_jw_put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    case GT_INIT_CONSTANT:
        gt_jw_put(wr, cfg, "value", gt_jw_float(init->value));
        break;
    case GT_INIT_ZEROS:
    case GT_INIT_ONES:
        break;
    default:
        gt_jw_put(wr, cfg, "seed", cJSON_CreateNull());
        break;
    }
    gt_jw_put(wr, obj, "config", cfg);
    return obj;
}

/* Kernel, bias, regularizers and constraints, in Keras 2's key order. */
void gt_jw_kernel_bias(gt_json_writer *wr, cJSON *cfg, const gt_layer *l)
{
    static const char *const nulls[] = {"kernel_regularizer", "bias_regularizer",
                                        "activity_regularizer", "kernel_constraint",
                                        "bias_constraint"};
    gt_jw_put(wr, cfg, "activation", cJSON_CreateString(gt_activation_name(l->activation)));
    gt_jw_put(wr, cfg, "use_bias", cJSON_CreateBool(l->use_bias));
    gt_jw_put(wr, cfg, "kernel_initializer", gt_jw_initializer(wr, &l->kernel_init));
    gt_jw_put(wr, cfg, "bias_initializer", gt_jw_initializer(wr, &l->bias_init));
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; ++i)
        gt_jw_put(wr, cfg, nulls[i], cJSON_CreateNull());
}

const char *gt_jw_padding_name(gt_padding p)
{
    return p == GT_PAD_SAME ? "same" : "valid";
}
