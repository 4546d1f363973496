/* The functions over the one table of layer kinds (GT_LAYER_KINDS in
 * model_internal.h) and the activation names Keras writes. */
#include <string.h>

#include "model_internal.h"

typedef struct layer_kind_info {
    const char *keras_name;
    int is_preprocessing;
} layer_kind_info;

static const layer_kind_info layer_kind_table[GT_LAYER_KIND_COUNT] = {
#define GT_LAYER_INFO_(id, keras, pre) [GT_LAYER_##id] = {keras, pre},
    GT_LAYER_KINDS(GT_LAYER_INFO_)
#undef GT_LAYER_INFO_
};

const char *gt_layer_kind_keras_name(gt_layer_kind kind)
{
    if ((int)kind < 0 || kind >= GT_LAYER_KIND_COUNT) return NULL;
    return layer_kind_table[kind].keras_name;
}

int gt_layer_kind_from_keras_name(const char *name, gt_layer_kind *out)
{
    if (name == NULL) return 0;
    for (int k = 0; k < GT_LAYER_KIND_COUNT; ++k) {
        if (strcmp(layer_kind_table[k].keras_name, name) == 0) {
            if (out) *out = (gt_layer_kind)k;
            return 1;
        }
    }
    /* Keras registers MaxPool2D as an alias of MaxPooling2D; a hand-written
     * JSON may use either spelling. */
    if (strcmp(name, "MaxPool2D") == 0) {
        if (out) *out = GT_LAYER_MAXPOOL2D;
        return 1;
    }
    return 0;
}

int gt_layer_kind_is_preprocessing(gt_layer_kind kind)
{
    if ((int)kind < 0 || kind >= GT_LAYER_KIND_COUNT) return 0;
    return layer_kind_table[kind].is_preprocessing;
}

int gt_activation_from_name(const char *name, gt_activation *out)
{
    gt_activation act;
    /* Keras writes "linear" for no activation; a NULL name stands for JSON null. */
    if (name == NULL || strcmp(name, "linear") == 0 || strcmp(name, "None") == 0)
        act = GT_ACT_LINEAR;
    else if (strcmp(name, "relu") == 0)
        act = GT_ACT_RELU;
    else if (strcmp(name, "softmax") == 0)
        act = GT_ACT_SOFTMAX;
    else
        return 0;
    if (out) *out = act;
    return 1;
}

const char *gt_activation_name(gt_activation act)
{
    static const char *const names[GT_ACT_COUNT] = {
#define GT_ACT_NAME_(id, keras) keras,
        GT_ACTIVATIONS(GT_ACT_NAME_)
#undef GT_ACT_NAME_
    };
    return (int)act >= 0 && act < GT_ACT_COUNT ? names[act] : "unknown";
}
