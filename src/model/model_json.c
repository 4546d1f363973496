/* Reading a Keras model from its model JSON (model.to_json()): Sequential
 * here, Functional in model_json_functional.c, as Keras 2 (tf.keras 2.x) and
 * Keras 3 write them. Every rejection names the file, the layer (its index in
 * the JSON "layers" array, its name and class), the field, what was found
 * and what is supported; each layer kind reads its own config fields (its
 * class, src/model/layers/). */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gtrain/status.h"
#include "json_read.h"
#include "layer.h"
#include "model_internal.h"
#include "model_json.h"

/* dtype is "float32" (Keras 2) or a DTypePolicy object naming it (Keras 3). */
static gt_status check_dtype(const gt_json_where *w, const cJSON *cfg)
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
    gt_json_found_text(item, found, sizeof found);
    return gt_json_fail(w, GT_ERR_UNSUPPORTED, "dtype %s is not supported (expected \"float32\")",
                        found);
}

gt_status gt_json_parse_layer(gt_json_where *w, const cJSON *jl, gt_layer *l)
{
    w->name = NULL;
    w->class_name = NULL;
    if (!cJSON_IsObject(jl))
        return gt_json_fail(w, GT_ERR_FORMAT, "the layer is not a JSON object");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(jl, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(jl, "config");
    if (!cJSON_IsString(cls)) return gt_json_fail(w, GT_ERR_FORMAT, "class_name is missing");
    w->class_name = cls->valuestring;
    if (!cJSON_IsObject(cfg)) return gt_json_fail(w, GT_ERR_FORMAT, "config is missing");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(cfg, "name");
    if (cJSON_IsString(name)) w->name = name->valuestring;

    gt_layer_kind kind;
    if (!gt_layer_kind_from_keras_name(cls->valuestring, &kind))
        return gt_json_fail(
            w, GT_ERR_UNSUPPORTED,
            "class_name \"%s\" is not a supported layer (supported: InputLayer, %s)",
            cls->valuestring, gt_layer_kinds_supported());
    *l = gt_layer_defaults(kind);
    if (w->name != NULL) {
        if (strlen(w->name) >= sizeof l->name)
            return gt_json_fail(w, GT_ERR_UNSUPPORTED, "name is longer than %zu characters",
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
            return gt_json_fail(w, GT_ERR_FORMAT, "name \"%s\" %s; rename the layer", shown,
                                problem);
        }
    }
    if (w->name != NULL) {
        memcpy(l->name, w->name, strlen(w->name) + 1);
    }
    int trainable = 1;
    GT_TRY(gt_json_bool(w, cfg, "trainable", 1, &trainable));
    if (!trainable)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                            "trainable false is not supported (expected true): gtrain trains every "
                            "layer");
    GT_TRY(check_dtype(w, cfg));
    return gt_layer_class_of(kind)->read_config(l, cfg, w);
}

/* [null, h, w, c] -> (h, w, c); [null, h, w] -> (h, w, 1); [null, n] -> (1, 1, n). */
gt_status gt_json_parse_input_shape(const gt_json_where *w, const char *field, const cJSON *shape,
                                    gt_shape3 *out)
{
    int n = cJSON_IsArray(shape) ? cJSON_GetArraySize(shape) : 0;
    int dims[3] = {1, 1, 1}, ok = n >= 2 && n <= 4;
    for (int i = 1; ok && i < n; ++i) {
        const cJSON *d = cJSON_GetArrayItem(shape, i);
        ok = gt_json_is_integer(d) && d->valuedouble >= 1;
        if (ok) dims[i - 1] = (int)d->valuedouble;
    }
    if (!ok) {
        char found[96];
        gt_json_found_text(shape, found, sizeof found);
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
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
    gt_json_where w = {origin, 0, NULL, cJSON_IsString(cls) ? cls->valuestring : NULL};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(first_cfg, "name");
    if (cJSON_IsString(name)) w.name = name->valuestring;
    for (int i = 0; i < 2; ++i) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(first_cfg, fields[i]);
        if (s != NULL && !cJSON_IsNull(s)) return gt_json_parse_input_shape(&w, fields[i], s, out);
    }
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(first, "build_config");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(build, "input_shape");
    if (s != NULL && !cJSON_IsNull(s))
        return gt_json_parse_input_shape(&w, "build_config.input_shape", s, out);
    s = cJSON_GetObjectItemCaseSensitive(config, "build_input_shape");
    w.index = -1;
    if (s != NULL && !cJSON_IsNull(s))
        return gt_json_parse_input_shape(&w, "build_input_shape", s, out);
    return gt_fail(GT_ERR_FORMAT,
                   "%s: the model has no input shape: expected an InputLayer with "
                   "batch_input_shape (Keras 2) or batch_shape (Keras 3), or batch_input_shape "
                   "on the first layer (Keras' input_shape=...)",
                   origin);
}

static gt_status read_model(const char *origin, const cJSON *root, gt_model **out)
{
    gt_json_where top = {origin, -1, NULL, NULL};
    if (!cJSON_IsObject(root))
        return gt_json_fail(&top, GT_ERR_FORMAT,
                            "not a Keras model JSON (expected an object with "
                            "class_name and config)");
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(root, "class_name");
    if (!cJSON_IsString(cls))
        return gt_json_fail(&top, GT_ERR_FORMAT, "class_name is missing: not a Keras model JSON");
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
    /* Keras 2 wrote "Model" for Functional models before 2.4 */
    if (strcmp(cls->valuestring, "Functional") == 0 || strcmp(cls->valuestring, "Model") == 0)
        return gt_json_read_functional(origin, config, out);
    if (strcmp(cls->valuestring, "Sequential") != 0)
        return gt_json_fail(&top, GT_ERR_UNSUPPORTED,
                            "model class_name \"%s\" is not supported (expected \"Sequential\" "
                            "or \"Functional\")",
                            cls->valuestring);
    /* Keras before 2.2.3 wrote the layer list itself as the config. */
    const cJSON *layers =
        cJSON_IsArray(config) ? config : cJSON_GetObjectItemCaseSensitive(config, "layers");
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
        return gt_json_fail(&top, GT_ERR_FORMAT, "config.layers is missing or empty");
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
                gt_json_where w = {origin, i, NULL, "InputLayer"};
                const cJSON *jn = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(jl, "config"), "name");
                if (cJSON_IsString(jn)) w.name = jn->valuestring;
                st = gt_json_fail(&w, GT_ERR_FORMAT, "an InputLayer may only be the first layer");
            }
            continue;
        }
        gt_json_where w = {origin, i, NULL, NULL};
        gt_layer layer;
        st = gt_json_parse_layer(&w, jl, &layer);
        if (st == GT_OK) {
            st = gt_model_add(m, &layer);
            if (st != GT_OK) st = gt_fail_context(st, "%s", origin);
        }
    }
    return gt_json_finish_model(origin, st, m, out);
}

gt_status gt_json_finish_model(const char *origin, gt_status st, gt_model *m, gt_model **out)
{
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
