/* The registry of layer classes (GT_LAYER_KINDS in model_internal.h) and the
 * lookups that derive from it, and the activation names Keras writes. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "layer.h"
#include "model_internal.h"

#define GT_LAYER_EXTERN_(id, cls) extern const gt_layer_class cls;
GT_LAYER_KINDS(GT_LAYER_EXTERN_)
#undef GT_LAYER_EXTERN_

static const gt_layer_class *const layer_classes[GT_LAYER_KIND_COUNT] = {
#define GT_LAYER_CLASS_(id, cls) [GT_LAYER_##id] = &cls,
    GT_LAYER_KINDS(GT_LAYER_CLASS_)
#undef GT_LAYER_CLASS_
};

const gt_layer_class *gt_layer_class_of(gt_layer_kind kind)
{
    if ((int)kind < 0 || kind >= GT_LAYER_KIND_COUNT) return NULL;
    return layer_classes[kind];
}

const char *gt_layer_kind_keras_name(gt_layer_kind kind)
{
    const gt_layer_class *c = gt_layer_class_of(kind);
    return c ? c->keras_name : NULL;
}

int gt_layer_kind_is_preprocessing(gt_layer_kind kind)
{
    const gt_layer_class *c = gt_layer_class_of(kind);
    return c && c->fold != NULL;
}

int gt_layer_kind_from_keras_name(const char *name, gt_layer_kind *out)
{
    if (name == NULL) return 0;
    for (int k = 0; k < GT_LAYER_KIND_COUNT; ++k) {
        const gt_layer_class *c = layer_classes[k];
        int match = strcmp(c->keras_name, name) == 0;
        for (const char *const *a = c->aliases; !match && a && *a; ++a)
            match = strcmp(*a, name) == 0;
        if (match) {
            if (out) *out = (gt_layer_kind)k;
            return 1;
        }
    }
    return 0;
}

static char supported_text[512];
static pthread_once_t supported_once = PTHREAD_ONCE_INIT;

static void list_supported(void)
{
    for (int k = 0; k < GT_LAYER_KIND_COUNT; ++k) {
        size_t used = strlen(supported_text);
        snprintf(supported_text + used, sizeof supported_text - used, "%s%s", k ? ", " : "",
                 layer_classes[k]->keras_name);
    }
}

const char *gt_layer_kinds_supported(void)
{
    (void)pthread_once(&supported_once, list_supported);
    return supported_text;
}

const char *gt_layer_category_name(gt_layer_category c)
{
    static const char *const names[GT_CATEGORY_COUNT] = {
#define GT_LAYER_CATEGORY_NAME_(id, name) name,
        GT_LAYER_CATEGORIES(GT_LAYER_CATEGORY_NAME_)
#undef GT_LAYER_CATEGORY_NAME_
    };
    return (int)c >= 0 && c < GT_CATEGORY_COUNT ? names[c] : "?";
}

int gt_activation_from_name(const char *name, gt_activation *out)
{
    /* Keras writes "linear" for no activation; a NULL name stands for JSON
     * null. Keras 3 writes "silu" where tf.keras 2 wrote "swish". */
    gt_activation act = GT_ACT_LINEAR;
    if (name == NULL || strcmp(name, "None") == 0) {
        if (out) *out = act;
        return 1;
    }
    if (strcmp(name, "swish") == 0) name = "silu";
    for (int a = 0; a < GT_ACT_COUNT; ++a)
        if (strcmp(name, gt_activation_name((gt_activation)a)) == 0) {
            if (out) *out = (gt_activation)a;
            return 1;
        }
    return 0;
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
