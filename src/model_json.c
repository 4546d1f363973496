/* Reading a Keras Sequential model from its model JSON (model.to_json()), as
 * Keras 2 (tf.keras 2.x) and Keras 3 write it. Every rejection names the
 * file, the layer (its index in the JSON "layers" array, its name and
 * class), the field, what was found and what is supported. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "model_internal.h"

#define SUPPORTED_LAYERS                                                                           \
    "InputLayer, Rescaling, Resizing, RepeatChannels, Conv2D, MaxPooling2D, Flatten, Dense, "      \
    "Dropout, Activation"
#define SUPPORTED_INITIALIZERS                                                                     \
    "GlorotUniform, GlorotNormal, HeUniform, HeNormal, RandomNormal, RandomUniform, "              \
    "TruncatedNormal, Zeros, Ones, Constant"

/* Where in the file we are, for messages. index < 0: the model level. */
typedef struct json_where {
    const char *origin;
    int index;
    const char *name;
    const char *class_name;
} json_where;

static gt_status fail_at(const json_where *w, gt_status st, const char *fmt, ...) GT_PRINTF(3, 4);

static gt_status fail_at(const json_where *w, gt_status st, const char *fmt, ...)
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
static void found_text(const cJSON *item, char *out, size_t cap)
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

static int is_integer(const cJSON *item)
{
    return cJSON_IsNumber(item) && item->valuedouble == floor(item->valuedouble) &&
           fabs(item->valuedouble) < 2147483647.0;
}

/* An integer field; `required` or else `fallback` when absent or null. */
static gt_status get_int(const json_where *w, const cJSON *cfg, const char *field, int required,
                         int fallback, int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (required)
            return fail_at(w, GT_ERR_FORMAT, "%s is missing (expected an integer)", field);
        *out = fallback;
        return GT_OK;
    }
    if (!is_integer(item)) {
        char found[96];
        found_text(item, found, sizeof found);
        return fail_at(w, GT_ERR_FORMAT, "%s %s is not an integer", field, found);
    }
    *out = (int)item->valuedouble;
    return GT_OK;
}

static gt_status get_float(const json_where *w, const cJSON *cfg, const char *field, int required,
                           float fallback, float *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (required) return fail_at(w, GT_ERR_FORMAT, "%s is missing (expected a number)", field);
        *out = fallback;
        return GT_OK;
    }
    if (!cJSON_IsNumber(item)) {
        char found[96];
        found_text(item, found, sizeof found);
        return fail_at(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected a number)", field,
                       found);
    }
    if (!(fabs(item->valuedouble) <= FLT_MAX)) {
        char found[96];
        found_text(item, found, sizeof found);
        return fail_at(w, GT_ERR_FORMAT, "%s %s is out of range (expected a float32, |x| <= %g)",
                       field, found, (double)FLT_MAX);
    }
    *out = (float)item->valuedouble;
    return GT_OK;
}

static gt_status get_bool(const json_where *w, const cJSON *cfg, const char *field, int fallback,
                          int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        *out = fallback;
        return GT_OK;
    }
    if (!cJSON_IsBool(item)) {
        char found[96];
        found_text(item, found, sizeof found);
        return fail_at(w, GT_ERR_FORMAT, "%s %s is not true or false", field, found);
    }
    *out = cJSON_IsTrue(item);
    return GT_OK;
}

/* A (height, width) pair written as an integer or a two-element list. */
static gt_status get_pair(const json_where *w, const cJSON *cfg, const char *field, int required,
                          int fallback, int *a, int *b)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (required)
            return fail_at(w, GT_ERR_FORMAT, "%s is missing (expected [height, width])", field);
        *a = *b = fallback;
        return GT_OK;
    }
    if (is_integer(item)) {
        *a = *b = (int)item->valuedouble;
        return GT_OK;
    }
    if (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 2 &&
        is_integer(cJSON_GetArrayItem(item, 0)) && is_integer(cJSON_GetArrayItem(item, 1))) {
        *a = (int)cJSON_GetArrayItem(item, 0)->valuedouble;
        *b = (int)cJSON_GetArrayItem(item, 1)->valuedouble;
        return GT_OK;
    }
    char found[96];
    found_text(item, found, sizeof found);
    return fail_at(w, GT_ERR_FORMAT, "%s %s is not [height, width]", field, found);
}

/* A string field that must be one of a few accepted values (absent or null
 * means the first). Returns the index of the value in `accepted`. */
static gt_status get_choice(const json_where *w, const cJSON *cfg, const char *field,
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
    found_text(item, found, sizeof found);
    for (int i = 0; accepted[i]; ++i) {
        size_t used = strlen(expected);
        snprintf(expected + used, sizeof expected - used, "%s\"%s\"", i ? " or " : "", accepted[i]);
    }
    return fail_at(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected %s)", field, found,
                   expected);
}

/* Fields gtrain cannot honour unless they hold their neutral value. */
static gt_status expect_null(const json_where *w, const cJSON *cfg, const char *field)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) return GT_OK;
    char found[96];
    found_text(item, found, sizeof found);
    return fail_at(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected null)", field, found);
}

static gt_status expect_false(const json_where *w, const cJSON *cfg, const char *field)
{
    int value = 0;
    GT_TRY(get_bool(w, cfg, field, 0, &value));
    if (value)
        return fail_at(w, GT_ERR_UNSUPPORTED, "%s true is not supported (expected false)", field);
    return GT_OK;
}

static gt_status expect_pair(const json_where *w, const cJSON *cfg, const char *field, int value)
{
    int a, b;
    GT_TRY(get_pair(w, cfg, field, 0, value, &a, &b));
    if (a != value || b != value)
        return fail_at(w, GT_ERR_UNSUPPORTED, "%s [%d,%d] is not supported (expected [%d,%d])",
                       field, a, b, value, value);
    return GT_OK;
}

static gt_status check_data_format(const json_where *w, const cJSON *cfg)
{
    static const char *const formats[] = {"channels_last", NULL};
    int which;
    return get_choice(w, cfg, "data_format", formats, &which);
}

static gt_status get_activation(const json_where *w, const cJSON *cfg, int required,
                                gt_activation *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, "activation");
    if (item == NULL && required)
        return fail_at(w, GT_ERR_FORMAT,
                       "activation is missing (expected linear, relu or softmax)");
    if (item == NULL || cJSON_IsNull(item)) {
        *out = GT_ACT_LINEAR;
        return GT_OK;
    }
    if (cJSON_IsString(item) && gt_activation_from_name(item->valuestring, out)) return GT_OK;
    char found[96];
    found_text(item, found, sizeof found);
    return fail_at(w, GT_ERR_UNSUPPORTED,
                   "activation %s is not supported (expected one of linear, relu, softmax)", found);
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

static gt_status parse_initializer(const json_where *w, const cJSON *cfg, const char *field,
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
        found_text(item, found, sizeof found);
        return fail_at(w, GT_ERR_UNSUPPORTED, "%s %s is not supported (expected one of %s)", field,
                       found, SUPPORTED_INITIALIZERS);
    }
    out->kind = init_names[i].kind;
    if (icfg == NULL || !cJSON_IsObject(icfg)) return GT_OK;
    /* Keras' own seed is ignored: gtrain draws every tensor from its run seed. */
    switch (out->kind) {
    case GT_INIT_RANDOM_NORMAL:
    case GT_INIT_TRUNCATED_NORMAL:
        GT_TRY(get_float(w, icfg, "mean", 0, 0.0f, &out->mean));
        GT_TRY(get_float(w, icfg, "stddev", 0, 0.05f, &out->stddev));
        break;
    case GT_INIT_RANDOM_UNIFORM:
        GT_TRY(get_float(w, icfg, "minval", 0, -0.05f, &out->minval));
        GT_TRY(get_float(w, icfg, "maxval", 0, 0.05f, &out->maxval));
        if (!(out->maxval > out->minval))
            return fail_at(w, GT_ERR_FORMAT, "%s: maxval %g must be greater than minval %g", field,
                           (double)out->maxval, (double)out->minval);
        break;
    case GT_INIT_CONSTANT:
        GT_TRY(get_float(w, icfg, "value", 0, 0.0f, &out->value));
        break;
    default:
        break;
    }
    return GT_OK;
}

/* ---- layers ---- */

/* Weights, bias, regularizers and constraints shared by Conv2D and Dense. */
static gt_status parse_weights(const json_where *w, const cJSON *cfg, gt_layer *l)
{
    static const char *const neutral[] = {"kernel_regularizer",   "bias_regularizer",
                                          "activity_regularizer", "kernel_constraint",
                                          "bias_constraint",      "lora_rank"};
    GT_TRY(get_activation(w, cfg, 0, &l->activation));
    GT_TRY(get_bool(w, cfg, "use_bias", 1, &l->use_bias));
    GT_TRY(
        parse_initializer(w, cfg, "kernel_initializer", GT_INIT_GLOROT_UNIFORM, &l->kernel_init));
    GT_TRY(parse_initializer(w, cfg, "bias_initializer", GT_INIT_ZEROS, &l->bias_init));
    for (size_t i = 0; i < sizeof neutral / sizeof neutral[0]; ++i)
        GT_TRY(expect_null(w, cfg, neutral[i]));
    return GT_OK;
}

static gt_status parse_padding(const json_where *w, const cJSON *cfg, gt_padding *out)
{
    static const char *const paddings[] = {"valid", "same", NULL};
    int which;
    GT_TRY(get_choice(w, cfg, "padding", paddings, &which));
    *out = which == 1 ? GT_PAD_SAME : GT_PAD_VALID;
    return GT_OK;
}

static gt_status parse_layer_config(const json_where *w, const cJSON *cfg, gt_layer *l)
{
    switch (l->kind) {
    case GT_LAYER_CONV2D:
        GT_TRY(get_int(w, cfg, "filters", 1, 0, &l->filters));
        GT_TRY(get_pair(w, cfg, "kernel_size", 1, 0, &l->kernel_h, &l->kernel_w));
        GT_TRY(get_pair(w, cfg, "strides", 0, 1, &l->stride_h, &l->stride_w));
        GT_TRY(parse_padding(w, cfg, &l->padding));
        GT_TRY(check_data_format(w, cfg));
        GT_TRY(expect_pair(w, cfg, "dilation_rate", 1));
        {
            int groups;
            GT_TRY(get_int(w, cfg, "groups", 0, 1, &groups));
            if (groups != 1)
                return fail_at(w, GT_ERR_UNSUPPORTED, "groups %d is not supported (expected 1)",
                               groups);
        }
        return parse_weights(w, cfg, l);
    case GT_LAYER_MAXPOOL2D:
        GT_TRY(get_pair(w, cfg, "pool_size", 0, 2, &l->kernel_h, &l->kernel_w));
        /* strides null means strides = pool_size */
        GT_TRY(get_pair(w, cfg, "strides", 0, -1, &l->stride_h, &l->stride_w));
        if (l->stride_h == -1 && l->stride_w == -1) {
            l->stride_h = l->kernel_h;
            l->stride_w = l->kernel_w;
        }
        GT_TRY(parse_padding(w, cfg, &l->padding));
        return check_data_format(w, cfg);
    case GT_LAYER_FLATTEN:
        return check_data_format(w, cfg);
    case GT_LAYER_DENSE:
        GT_TRY(get_int(w, cfg, "units", 1, 0, &l->units));
        return parse_weights(w, cfg, l);
    case GT_LAYER_DROPOUT:
        GT_TRY(get_float(w, cfg, "rate", 1, 0.0f, &l->rate));
        return expect_null(w, cfg, "noise_shape");
    case GT_LAYER_ACTIVATION:
        return get_activation(w, cfg, 1, &l->activation);
    case GT_LAYER_RESCALING:
        GT_TRY(get_float(w, cfg, "scale", 1, 1.0f, &l->scale));
        return get_float(w, cfg, "offset", 0, 0.0f, &l->offset);
    case GT_LAYER_RESIZING: {
        static const char *const methods[] = {"bilinear", NULL};
        int which;
        GT_TRY(get_int(w, cfg, "height", 1, 0, &l->height));
        GT_TRY(get_int(w, cfg, "width", 1, 0, &l->width));
        GT_TRY(get_choice(w, cfg, "interpolation", methods, &which));
        GT_TRY(expect_false(w, cfg, "crop_to_aspect_ratio"));
        GT_TRY(expect_false(w, cfg, "pad_to_aspect_ratio"));
        GT_TRY(expect_false(w, cfg, "antialias"));
        return check_data_format(w, cfg);
    }
    case GT_LAYER_REPEAT_CHANNELS:
        return get_int(w, cfg, "repeats", 1, 1, &l->repeats);
    case GT_LAYER_KIND_COUNT:
        break;
    }
    return fail_at(w, GT_ERR_INTERNAL, "unhandled layer kind");
}

/* dtype is "float32" (Keras 2) or a DTypePolicy object naming it (Keras 3). */
static gt_status check_dtype(const json_where *w, const cJSON *cfg)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, "dtype");
    const cJSON *name = item;
    if (cJSON_IsObject(item)) {
        name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "config"),
                                                "name");
    }
    if (item == NULL || cJSON_IsNull(item) ||
        (cJSON_IsString(name) && strcmp(name->valuestring, "float32") == 0))
        return GT_OK;
    char found[96];
    found_text(item, found, sizeof found);
    return fail_at(w, GT_ERR_UNSUPPORTED, "dtype %s is not supported (expected \"float32\")",
                   found);
}

static gt_status parse_layer(json_where *w, const cJSON *jl, gt_layer *l)
{
    w->name = NULL;
    w->class_name = NULL;
    if (!cJSON_IsObject(jl)) return fail_at(w, GT_ERR_FORMAT, "the layer is not a JSON object");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(jl, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(jl, "config");
    if (!cJSON_IsString(cls)) return fail_at(w, GT_ERR_FORMAT, "class_name is missing");
    w->class_name = cls->valuestring;
    if (!cJSON_IsObject(cfg)) return fail_at(w, GT_ERR_FORMAT, "config is missing");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(cfg, "name");
    if (cJSON_IsString(name)) w->name = name->valuestring;

    gt_layer_kind kind;
    if (!gt_layer_kind_from_keras_name(cls->valuestring, &kind))
        return fail_at(w, GT_ERR_UNSUPPORTED,
                       "class_name \"%s\" is not a supported layer (supported: " SUPPORTED_LAYERS
                       ")",
                       cls->valuestring);
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->stride_h = l->stride_w = 1;
    l->scale = 1.0f;
    l->repeats = 1;
    if (w->name != NULL) {
        if (strlen(w->name) >= sizeof l->name)
            return fail_at(w, GT_ERR_UNSUPPORTED, "name is longer than %zu characters",
                           sizeof l->name - 1);
        const char *problem = gt_layer_name_problem(w->name);
        if (problem) {
            char shown[sizeof l->name]; /* control characters are not printed raw */
            size_t k = 0;
            for (; w->name[k] && k + 1 < sizeof shown; ++k)
                shown[k] =
                    (unsigned char)w->name[k] < 0x20 || w->name[k] == 0x7f ? '?' : w->name[k];
            shown[k] = '\0';
            w->name = shown;
            return fail_at(w, GT_ERR_FORMAT, "name \"%s\" %s; rename the layer", shown, problem);
        }
    }
    if (w->name != NULL) {
        memcpy(l->name, w->name, strlen(w->name) + 1);
    }
    int trainable = 1;
    GT_TRY(get_bool(w, cfg, "trainable", 1, &trainable));
    if (!trainable)
        return fail_at(w, GT_ERR_UNSUPPORTED,
                       "trainable false is not supported (expected true): gtrain trains every "
                       "layer");
    GT_TRY(check_dtype(w, cfg));
    return parse_layer_config(w, cfg, l);
}

/* [null, h, w, c] -> (h, w, c); [null, h, w] -> (h, w, 1); [null, n] -> (1, 1, n). */
static gt_status parse_input_shape(const json_where *w, const char *field, const cJSON *shape,
                                   gt_shape3 *out)
{
    int n = cJSON_IsArray(shape) ? cJSON_GetArraySize(shape) : 0;
    int dims[3] = {1, 1, 1}, ok = n >= 2 && n <= 4;
    for (int i = 1; ok && i < n; ++i) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        ok = is_integer(d) && d->valuedouble >= 1;
        if (ok) dims[i - 1] = (int)d->valuedouble;
    }
    if (!ok) {
        char found[96];
        found_text(shape, found, sizeof found);
        return fail_at(w, GT_ERR_UNSUPPORTED,
                       "%s %s is not supported (expected [null, height, width, channels], "
                       "[null, height, width] or [null, features] with positive sizes)",
                       field, found);
    }
    if (n == 4) *out = (gt_shape3){dims[0], dims[1], dims[2]};
    if (n == 3) *out = (gt_shape3){dims[0], dims[1], 1};
    if (n == 2) *out = (gt_shape3){1, 1, dims[0]};
    return GT_OK;
}

/* Finds the input shape: an InputLayer's batch_input_shape (Keras 2) or
 * batch_shape (Keras 3), the first layer's batch_input_shape (input_shape=
 * given to it), its build_config, or the Sequential's build_input_shape. */
static gt_status find_input_shape(const char *origin, const cJSON *config, const cJSON *layers,
                                  gt_shape3 *out)
{
    static const char *const fields[] = {"batch_input_shape", "batch_shape"};
    const cJSON *first = cJSON_GetArrayItem(layers, 0);
    const cJSON *first_cfg = cJSON_GetObjectItemCaseSensitive(first, "config");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(first, "class_name");
    json_where w = {origin, 0, NULL, cJSON_IsString(cls) ? cls->valuestring : NULL};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(first_cfg, "name");
    if (cJSON_IsString(name)) w.name = name->valuestring;
    for (int i = 0; i < 2; ++i) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(first_cfg, fields[i]);
        if (s != NULL && !cJSON_IsNull(s)) return parse_input_shape(&w, fields[i], s, out);
    }
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(first, "build_config");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(build, "input_shape");
    if (s != NULL && !cJSON_IsNull(s))
        return parse_input_shape(&w, "build_config.input_shape", s, out);
    s = cJSON_GetObjectItemCaseSensitive(config, "build_input_shape");
    w.index = -1;
    if (s != NULL && !cJSON_IsNull(s)) return parse_input_shape(&w, "build_input_shape", s, out);
    return gt_fail(GT_ERR_FORMAT,
                   "%s: the model has no input shape: expected an InputLayer with "
                   "batch_input_shape (Keras 2) or batch_shape (Keras 3), or batch_input_shape "
                   "on the first layer (Keras' input_shape=...)",
                   origin);
}

static gt_status read_model(const char *origin, const cJSON *root, gt_model **out)
{
    json_where top = {origin, -1, NULL, NULL};
    if (!cJSON_IsObject(root))
        return fail_at(&top, GT_ERR_FORMAT,
                       "not a Keras model JSON (expected an object with "
                       "class_name and config)");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(root, "class_name");
    if (!cJSON_IsString(cls))
        return fail_at(&top, GT_ERR_FORMAT, "class_name is missing: not a Keras model JSON");
    if (strcmp(cls->valuestring, "Sequential") != 0)
        return fail_at(&top, GT_ERR_UNSUPPORTED,
                       "model class_name \"%s\" is not supported (expected \"Sequential\"): "
                       "gtrain reads Sequential models",
                       cls->valuestring);
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    /* Keras before 2.2.3 wrote the layer list itself as the config. */
    const cJSON *layers =
        cJSON_IsArray(config) ? config : cJSON_GetObjectItemCaseSensitive(config, "layers");
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
        return fail_at(&top, GT_ERR_FORMAT, "config.layers is missing or empty");
    const cJSON *jname = cJSON_GetObjectItemCaseSensitive(config, "name");
    const char *name = cJSON_IsString(jname) ? jname->valuestring : "sequential";

    gt_shape3 input;
    GT_TRY(find_input_shape(origin, config, layers, &input));
    gt_model *m = NULL;
    gt_status st = gt_model_new(name, input, &m);
    if (st != GT_OK) return gt_fail_context(st, "%s", origin);

    int n = cJSON_GetArraySize(layers);
    for (int i = 0; i < n && st == GT_OK; ++i) {
        const cJSON *jl = cJSON_GetArrayItem(layers, i);
        const cJSON *jcls = cJSON_GetObjectItemCaseSensitive(jl, "class_name");
        if (cJSON_IsString(jcls) && strcmp(jcls->valuestring, "InputLayer") == 0) {
            if (i != 0) {
                json_where w = {origin, i, NULL, "InputLayer"};
                const cJSON *jn = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(jl, "config"), "name");
                if (cJSON_IsString(jn)) w.name = jn->valuestring;
                st = fail_at(&w, GT_ERR_FORMAT, "an InputLayer may only be the first layer");
            }
            continue;
        }
        json_where w = {origin, i, NULL, NULL};
        gt_layer layer;
        st = parse_layer(&w, jl, &layer);
        if (st == GT_OK) {
            st = gt_model_add(m, &layer);
            if (st != GT_OK) st = gt_fail_context(st, "%s", origin);
        }
    }
    if (st == GT_OK) {
        st = gt_model_build(m);
        if (st != GT_OK) st = gt_fail_context(st, "%s", origin);
    }
    if (st != GT_OK) {
        gt_model_free(m);
        return st;
    }
    *out = m;
    return GT_OK;
}

gt_status gt_model_from_json_text(const char *text, const char *origin, gt_model **out)
{
    if (out == NULL || text == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_from_json_text: text or out is NULL");
    *out = NULL;
    if (origin == NULL) origin = "<string>";
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (root == NULL) {
        /* cJSON reports where it stopped; say the line and show the text there. */
        const char *at = end ? end : cJSON_GetErrorPtr();
        int line = 1;
        for (const char *p = text; at && p < at && *p; ++p)
            line += *p == '\n';
        char near[32] = "";
        if (at) snprintf(near, sizeof near, "%.24s", at);
        for (char *p = near; *p; ++p)
            if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
        return gt_fail(GT_ERR_FORMAT, "%s: not valid JSON: parse error at line %d near \"%s\"",
                       origin, line, near);
    }
    gt_status st = read_model(origin, root, out);
    cJSON_Delete(root);
    return st;
}

#define GT_MODEL_JSON_MAX_BYTES (64 << 20)

gt_status gt_model_from_json_file(const char *path, gt_model **out)
{
    if (out == NULL || path == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_from_json_file: path or out is NULL");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return gt_fail(GT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(text, cap + 1);
            if (grown == NULL) {
                free(text);
                fclose(f);
                return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory reading it", path);
            }
            text = grown;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
        if (len > GT_MODEL_JSON_MAX_BYTES) {
            /* VGG-16's JSON is 12 kB: this is not a model (or /dev/zero) */
            free(text);
            fclose(f);
            return gt_fail(GT_ERR_FORMAT, "%s: more than %d MiB: not a Keras model JSON file", path,
                           GT_MODEL_JSON_MAX_BYTES >> 20);
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(text);
        return gt_fail(GT_ERR_IO, "%s: read error", path);
    }
    text[len] = '\0';
    gt_status st = gt_model_from_json_text(text, path, out);
    free(text);
    return st;
}
