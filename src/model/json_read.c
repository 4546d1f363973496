/* Reading fields of Keras JSON configs (see json_read.h). */
#include "json_read.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SUPPORTED_INITIALIZERS                                                                     \
    "GlorotUniform, GlorotNormal, HeUniform, HeNormal, RandomNormal, RandomUniform, "              \
    "TruncatedNormal, Zeros, Ones, Constant"

gt_status gt_json_fail(const gt_json_where *w, gt_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->index < 0) return gt_fail(st, "%s: %s", w->origin, msg);
    return gt_fail(st, "%s: layer %d '%s' (%s): %s", w->origin, w->index, w->name ? w->name : "",
                   w->class_name ? w->class_name : "?", msg);
}

/* Compact JSON text of a value for messages, cut to fit. */
void gt_json_found_text(const cJSON *item, char *out, size_t cap)
{
    if (item == NULL) {
        snprintf(out, cap, "(missing)");
        return;
    }
    if (cJSON_IsNumber(item) && !isfinite(item->valuedouble)) {
        /* cJSON reads 1e400 as inf and would print it as null */
        snprintf(out, cap, "%s",
                 item->valuedouble > 0 ? "(a number beyond 1.8e308)" : "(a number below -1.8e308)");
        return;
    }
    char *text = cJSON_PrintUnformatted(item);
    if (text == NULL) {
        snprintf(out, cap, "(unprintable)");
        return;
    }
    if (strlen(text) >= cap && cap > 4) {
        memcpy(out, text, cap - 4);
        memcpy(out + cap - 4, "...", 4);
    } else {
        snprintf(out, cap, "%s", text);
    }
    cJSON_free(text);
}

int gt_json_is_integer(const cJSON *item)
{
    return cJSON_IsNumber(item) && item->valuedouble == floor(item->valuedouble) &&
           fabs(item->valuedouble) < 2147483647.0;
}

/* An integer field; `required` or else `fallback` when absent or null. */
gt_status gt_json_int(const gt_json_where *w, const cJSON *cfg, const char *field, int required,
                      int fallback, int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (required)
            return gt_json_fail(w, GT_ERR_FORMAT, "%s is missing (expected an integer)", field);
        *out = fallback;
        return GT_OK;
    }
    if (!gt_json_is_integer(item)) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_json_fail(w, GT_ERR_FORMAT, "%s %s is not an integer", field, found);
    }
    *out = (int)item->valuedouble;
    return GT_OK;
}

gt_status gt_json_float(const gt_json_where *w, const cJSON *cfg, const char *field, int required,
                        float fallback, float *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (required)
            return gt_json_fail(w, GT_ERR_FORMAT, "%s is missing (expected a number)", field);
        *out = fallback;
        return GT_OK;
    }
    if (!cJSON_IsNumber(item)) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected a number)",
                            field, found);
    }
    if (!(fabs(item->valuedouble) <= FLT_MAX)) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_json_fail(w, GT_ERR_FORMAT,
                            "%s %s is out of range (expected a float32, |x| <= %g)", field, found,
                            (double)FLT_MAX);
    }
    *out = (float)item->valuedouble;
    return GT_OK;
}

gt_status gt_json_bool(const gt_json_where *w, const cJSON *cfg, const char *field, int fallback,
                       int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        *out = fallback;
        return GT_OK;
    }
    if (!cJSON_IsBool(item)) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_json_fail(w, GT_ERR_FORMAT, "%s %s is not true or false", field, found);
    }
    *out = cJSON_IsTrue(item);
    return GT_OK;
}

/* A (height, width) pair written as an integer or a two-element list. */
gt_status gt_json_pair(const gt_json_where *w, const cJSON *cfg, const char *field, int required,
                       int fallback, int *a, int *b)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (required)
            return gt_json_fail(w, GT_ERR_FORMAT, "%s is missing (expected [height, width])",
                                field);
        *a = *b = fallback;
        return GT_OK;
    }
    if (gt_json_is_integer(item)) {
        *a = *b = (int)item->valuedouble;
        return GT_OK;
    }
    if (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 2 &&
        gt_json_is_integer(cJSON_GetArrayItem(item, 0)) &&
        gt_json_is_integer(cJSON_GetArrayItem(item, 1))) {
        *a = (int)cJSON_GetArrayItem(item, 0)->valuedouble;
        *b = (int)cJSON_GetArrayItem(item, 1)->valuedouble;
        return GT_OK;
    }
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    return gt_json_fail(w, GT_ERR_FORMAT, "%s %s is not [height, width]", field, found);
}

/* A string field that must be one of a few accepted values (absent or null
 * means the first). Returns the index of the value in `accepted`. */
gt_status gt_json_choice(const gt_json_where *w, const cJSON *cfg, const char *field,
                         const char *const *accepted, int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        *out = 0;
        return GT_OK;
    }
    for (int i = 0; cJSON_IsString(item) && accepted[i]; ++i) {
        if (strcmp(item->valuestring, accepted[i]) == 0) {
            *out = i;
            return GT_OK;
        }
    }
    char found[96], expected[160] = "";
    gt_json_found_text(item, found, sizeof found);
    for (int i = 0; accepted[i]; ++i) {
        size_t used = strlen(expected);
        snprintf(expected + used, sizeof expected - used, "%s\"%s\"", i ? " or " : "", accepted[i]);
    }
    return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected %s)", field, found,
                        expected);
}

/* Fields gtrain cannot honour unless they hold their neutral value. */
gt_status gt_json_expect_null(const gt_json_where *w, const cJSON *cfg, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) return GT_OK;
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected null)", field,
                        found);
}

gt_status gt_json_expect_false(const gt_json_where *w, const cJSON *cfg, const char *field)
{
    int value = 0;
    GT_TRY(gt_json_bool(w, cfg, field, 0, &value));
    if (value)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s true is not supported (expected false)",
                            field);
    return GT_OK;
}

gt_status gt_json_expect_pair(const gt_json_where *w, const cJSON *cfg, const char *field,
                              int value)
{
    int a = 0, b = 0;
    GT_TRY(gt_json_pair(w, cfg, field, 0, value, &a, &b));
    if (a != value || b != value)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s [%d,%d] is not supported (expected [%d,%d])",
                            field, a, b, value, value);
    return GT_OK;
}

gt_status gt_json_data_format(const gt_json_where *w, const cJSON *cfg)
{
    static const char *const formats[] = {"channels_last", NULL};
    int which;
    return gt_json_choice(w, cfg, "data_format", formats, &which);
}

gt_status gt_json_activation(const gt_json_where *w, const cJSON *cfg, int required,
                             gt_activation *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, "activation");
    char names[256] = "";
    for (int a = 0; a < GT_ACT_COUNT; ++a) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s", a ? ", " : "",
                 gt_activation_name((gt_activation)a));
    }
    if (item == NULL && required)
        return gt_json_fail(w, GT_ERR_FORMAT, "activation is missing (expected one of %s)", names);
    if (item == NULL || cJSON_IsNull(item)) {
        *out = GT_ACT_LINEAR;
        return GT_OK;
    }
    if (cJSON_IsString(item) && gt_activation_from_name(item->valuestring, out)) return GT_OK;
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                        "activation %s is not supported (expected one of %s)", found, names);
}

/* ---- initializers ---- */

typedef struct init_name {
    const char *class_name; /* Keras' class */
    const char *alias;      /* the string form compile-time code may use */
    gt_init_kind kind;
} init_name;

static const init_name init_names[] = {
    {"GlorotUniform", "glorot_uniform", GT_INIT_GLOROT_UNIFORM},
    {"GlorotNormal", "glorot_normal", GT_INIT_GLOROT_NORMAL},
    {"HeUniform", "he_uniform", GT_INIT_HE_UNIFORM},
    {"HeNormal", "he_normal", GT_INIT_HE_NORMAL},
    {"RandomNormal", "random_normal", GT_INIT_RANDOM_NORMAL},
    {"RandomNormal", "normal", GT_INIT_RANDOM_NORMAL},
    {"RandomUniform", "random_uniform", GT_INIT_RANDOM_UNIFORM},
    {"RandomUniform", "uniform", GT_INIT_RANDOM_UNIFORM},
    {"TruncatedNormal", "truncated_normal", GT_INIT_TRUNCATED_NORMAL},
    {"Zeros", "zeros", GT_INIT_ZEROS},
    {"Ones", "ones", GT_INIT_ONES},
    {"Constant", "constant", GT_INIT_CONSTANT},
};

gt_status gt_json_initializer(const gt_json_where *w, const cJSON *cfg, const char *field,
                              gt_init_kind fallback, gt_initializer *out)
{
    memset(out, 0, sizeof *out);
    out->kind = fallback;
    /* Keras' defaults for the parameterized ones. */
    out->stddev = 0.05f;
    out->minval = -0.05f;
    out->maxval = 0.05f;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) return GT_OK;

    const char *name = NULL;
    const cJSON *icfg = NULL;
    if (cJSON_IsString(item)) {
        name = item->valuestring;
    } else if (cJSON_IsObject(item)) {
        const cJSON *cls = cJSON_GetObjectItemCaseSensitive(item, "class_name");
        if (cJSON_IsString(cls)) name = cls->valuestring;
        icfg = cJSON_GetObjectItemCaseSensitive(item, "config");
    }
    size_t n = sizeof init_names / sizeof init_names[0], i;
    for (i = 0; name != NULL && i < n; ++i)
        if (strcmp(name, init_names[i].class_name) == 0 || strcmp(name, init_names[i].alias) == 0)
            break;
    if (name == NULL || i == n) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected one of %s)",
                            field, found, SUPPORTED_INITIALIZERS);
    }
    out->kind = init_names[i].kind;
    if (icfg == NULL || !cJSON_IsObject(icfg)) return GT_OK;
    /* Keras' own seed is ignored: gtrain draws every tensor from its run seed. */
    switch (out->kind) {
    case GT_INIT_RANDOM_NORMAL:
    case GT_INIT_TRUNCATED_NORMAL:
        GT_TRY(gt_json_float(w, icfg, "mean", 0, 0.0f, &out->mean));
        GT_TRY(gt_json_float(w, icfg, "stddev", 0, 0.05f, &out->stddev));
        break;
    case GT_INIT_RANDOM_UNIFORM:
        GT_TRY(gt_json_float(w, icfg, "minval", 0, -0.05f, &out->minval));
        GT_TRY(gt_json_float(w, icfg, "maxval", 0, 0.05f, &out->maxval));
        if (!(out->maxval > out->minval))
            return gt_json_fail(w, GT_ERR_FORMAT, "%s: maxval %g must be greater than minval %g",
                                field, (double)out->maxval, (double)out->minval);
        break;
    case GT_INIT_CONSTANT:
        GT_TRY(gt_json_float(w, icfg, "value", 0, 0.0f, &out->value));
        break;
    default:
        break;
    }
    return GT_OK;
}

/* Weights, bias, regularizers and constraints shared by Conv2D and Dense. */
gt_status gt_json_kernel_bias(const gt_json_where *w, const cJSON *cfg, gt_layer *l)
{
    static const char *const neutral[] = {"kernel_regularizer",   "bias_regularizer",
                                          "activity_regularizer", "kernel_constraint",
                                          "bias_constraint",      "lora_rank"};
    GT_TRY(gt_json_activation(w, cfg, 0, &l->activation));
    GT_TRY(gt_json_bool(w, cfg, "use_bias", 1, &l->use_bias));
    GT_TRY(
        gt_json_initializer(w, cfg, "kernel_initializer", GT_INIT_GLOROT_UNIFORM, &l->kernel_init));
    GT_TRY(gt_json_initializer(w, cfg, "bias_initializer", GT_INIT_ZEROS, &l->bias_init));
    for (size_t i = 0; i < sizeof neutral / sizeof neutral[0]; ++i)
        GT_TRY(gt_json_expect_null(w, cfg, neutral[i]));
    return GT_OK;
}

gt_status gt_json_padding(const gt_json_where *w, const cJSON *cfg, gt_padding *out)
{
    static const char *const paddings[] = {"valid", "same", NULL};
    int which;
    GT_TRY(gt_json_choice(w, cfg, "padding", paddings, &which));
    *out = which == 1 ? GT_PAD_SAME : GT_PAD_VALID;
    return GT_OK;
}
