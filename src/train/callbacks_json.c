/* The callbacks' JSON (include/gtrain/callbacks.h): Keras' class names,
 * argument names and defaults in, the same out, with each callback's state
 * beside its config for checkpoints; and the command line's "k=v,..."
 * specs turned into such config objects. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks_state.h"
#include "gtrain/status.h"
#include "json_fields.h"
#include "trainer_internal.h"

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

static gt_status parse_monitor(gt_callback *c, const cJSON *cfg, const char *what)
{
    const char *monitor = NULL, *mode = NULL;
    GT_TRY(gt_cfg_string(cfg, what, "monitor", "val_loss", &monitor));
    int found = -1;
    for (int m = 0; m < GT_METRIC_COUNT; ++m)
        if (strcmp(monitor, gt_metric_names[m]) == 0) found = m;
    if (found < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: monitor '%s' is not a metric of gtrain's fit (loss, accuracy, "
                       "val_loss, val_accuracy)",
                       what, monitor);
    c->monitor = (gt_metric)found;
    GT_TRY(gt_cfg_string(cfg, what, "mode", "auto", &mode));
    if (strcmp(mode, "auto") == 0)
        c->mode = 0;
    else if (strcmp(mode, "min") == 0)
        c->mode = 1;
    else if (strcmp(mode, "max") == 0)
        c->mode = 2;
    else
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: mode '%s', expected auto, min or max", what,
                       mode);
    /* auto: the losses go down, the accuracies up (Keras' metric direction) */
    c->maximize = c->mode == 2 || (c->mode == 0 && (c->monitor == GT_METRIC_ACCURACY ||
                                                    c->monitor == GT_METRIC_VAL_ACCURACY));
    return GT_OK;
}

static gt_status get_int(const cJSON *cfg, const char *what, const char *key, int fallback, int lo,
                         int hi, int *out)
{
    double v = 0;
    GT_TRY(gt_cfg_integer(cfg, what, key, fallback, lo, hi, &v));
    *out = (int)v;
    return GT_OK;
}

static gt_status parse_early_stopping(gt_callback *c, const cJSON *cfg, const char *what)
{
    static const char *const keys[] = {"monitor",
                                       "min_delta",
                                       "patience",
                                       "verbose",
                                       "mode",
                                       "baseline",
                                       "restore_best_weights",
                                       "start_from_epoch",
                                       NULL};
    GT_TRY(gt_cfg_check_keys(cfg, what, keys));
    GT_TRY(parse_monitor(c, cfg, what));
    GT_TRY(gt_cfg_number(cfg, what, "min_delta", 0.0, -1e300, 1e300, &c->min_delta));
    c->min_delta = fabs(c->min_delta);
    GT_TRY(get_int(cfg, what, "patience", 0, 0, 1 << 30, &c->patience));
    GT_TRY(gt_cfg_number(cfg, what, "baseline", NAN, -1e300, 1e300, &c->baseline));
    GT_TRY(gt_cfg_bool(cfg, what, "restore_best_weights", 0, &c->restore_best_weights));
    return get_int(cfg, what, "start_from_epoch", 0, 0, 1 << 30, &c->start_from_epoch);
}

static gt_status parse_reduce_lr(gt_callback *c, const cJSON *cfg, const char *what)
{
    static const char *const keys[] = {"monitor",   "factor",   "patience", "verbose", "mode",
                                       "min_delta", "cooldown", "min_lr",   NULL};
    GT_TRY(gt_cfg_check_keys(cfg, what, keys));
    GT_TRY(parse_monitor(c, cfg, what));
    GT_TRY(gt_cfg_number(cfg, what, "factor", 0.1, -1e300, 1e300, &c->factor));
    if (!(c->factor < 1.0 && c->factor > 0.0))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: factor %g; ReduceLROnPlateau needs 0 < factor < 1 (Keras refuses "
                       "factor >= 1.0)",
                       what, c->factor);
    GT_TRY(get_int(cfg, what, "patience", 10, 0, 1 << 30, &c->patience));
    GT_TRY(gt_cfg_number(cfg, what, "min_delta", 1e-4, -1e300, 1e300, &c->min_delta));
    c->min_delta = fabs(c->min_delta);
    GT_TRY(get_int(cfg, what, "cooldown", 0, 0, 1 << 30, &c->cooldown));
    return gt_cfg_number(cfg, what, "min_lr", 0.0, 0.0, 1e6, &c->min_lr);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static gt_status parse_model_checkpoint(gt_callback *c, const cJSON *cfg, const char *what)
{
    static const char *const keys[] = {"filepath",
                                       "monitor",
                                       "verbose",
                                       "save_best_only",
                                       "save_weights_only",
                                       "mode",
                                       "save_freq",
                                       "initial_value_threshold",
                                       NULL};
    GT_TRY(gt_cfg_check_keys(cfg, what, keys));
    const char *path = NULL, *freq = NULL;
    GT_TRY(gt_cfg_string(cfg, what, "filepath", NULL, &path));
    if (!path || !*path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: filepath is required", what);
    if (!ends_with(path, ".h5"))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: filepath '%s' must end in .h5: gtrain writes Keras' HDF5 format "
                       "(Keras' load_model and load_weights read it)",
                       what, path);
    GT_TRY(parse_monitor(c, cfg, what));
    GT_TRY(gt_cfg_bool(cfg, what, "save_best_only", 0, &c->save_best_only));
    int weights_only = 0;
    GT_TRY(gt_cfg_bool(cfg, what, "save_weights_only", 0, &weights_only));
    if (weights_only)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "%s: save_weights_only is not supported: gtrain's checkpoint is a Keras "
                       "model.save() file that load_weights reads as well",
                       what);
    GT_TRY(gt_cfg_string(cfg, what, "save_freq", "epoch", &freq));
    if (strcmp(freq, "epoch") != 0)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "%s: save_freq '%s' is not supported (only \"epoch\"; the CLI's "
                       "--save-every N saves every N steps)",
                       what, freq);
    GT_TRY(gt_cfg_number(cfg, what, "initial_value_threshold", NAN, -1e300, 1e300,
                         &c->initial_value_threshold));
    if (!isnan(c->initial_value_threshold)) {
        c->has_best = 1;
        c->best = c->initial_value_threshold;
    }
    if (!(c->filepath = copy_string(path)))
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    /* a path without placeholders can be checked before any training */
    if (!strchr(path, '{')) return gt_checkpoint_check_target(path);
    return GT_OK;
}

static gt_status parse_tensorboard(gt_callback *c, const cJSON *cfg, const char *what)
{
    static const char *const keys[] = {"log_dir",
                                       "histogram_freq",
                                       "write_graph",
                                       "write_images",
                                       "write_steps_per_second",
                                       "update_freq",
                                       "profile_batch",
                                       "embeddings_freq",
                                       "embeddings_metadata",
                                       NULL};
    GT_TRY(gt_cfg_check_keys(cfg, what, keys));
    const char *dir = NULL;
    GT_TRY(gt_cfg_string(cfg, what, "log_dir", "logs", &dir));
    static const char *const neutral[] = {"histogram_freq",         "write_images",
                                          "write_steps_per_second", "profile_batch",
                                          "embeddings_freq",        "embeddings_metadata"};
    for (size_t i = 0; i < sizeof neutral / sizeof *neutral; ++i)
        GT_TRY(gt_cfg_neutral(cfg, what, neutral[i], 0.0));
    int graph = 0; /* Keras' default true; gtrain writes no graph, either value is accepted */
    GT_TRY(gt_cfg_bool(cfg, what, "write_graph", 1, &graph));
    const cJSON *freq = cJSON_GetObjectItemCaseSensitive(cfg, "update_freq");
    if (cJSON_IsString(freq) && strcmp(freq->valuestring, "epoch") == 0)
        c->update_freq = 0;
    else if (cJSON_IsString(freq) && strcmp(freq->valuestring, "batch") == 0)
        c->update_freq = 1;
    else if (freq && !cJSON_IsNull(freq))
        GT_TRY(get_int(cfg, what, "update_freq", 0, 1, 1 << 30, &c->update_freq));
    if (!(c->log_dir = copy_string(dir)))
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    return GT_OK;
}

/* A callback's state, written by callbacks_json below; checked as every
 * checkpoint field is. */
static gt_status parse_state(gt_callback *c, const cJSON *st, const char *what, size_t n_params)
{
    static const char *const keys[] = {"first_epoch",      "wait", "stopped_epoch",    "best_epoch",
                                       "cooldown_counter", "best", "has_best_weights", NULL};
    GT_TRY(gt_cfg_check_keys(st, what, keys));
    GT_TRY(get_int(st, what, "first_epoch", c->first_epoch, 1, 1 << 30, &c->first_epoch));
    GT_TRY(get_int(st, what, "wait", 0, 0, 1 << 30, &c->wait));
    GT_TRY(get_int(st, what, "stopped_epoch", 0, 0, 1 << 30, &c->stopped_epoch));
    GT_TRY(get_int(st, what, "best_epoch", 0, 0, 1 << 30, &c->best_epoch));
    GT_TRY(get_int(st, what, "cooldown_counter", 0, 0, 1 << 30, &c->cooldown_counter));
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(st, "best");
    if (cJSON_IsString(best) && strcmp(best->valuestring, "nan") == 0) {
        c->has_best = 1;
        c->best = NAN;
    } else if (best && !cJSON_IsNull(best)) {
        c->has_best = 1;
        GT_TRY(gt_cfg_number(st, what, "best", 0.0, -1e300, 1e300, &c->best));
    }
    int has_weights = 0;
    GT_TRY(gt_cfg_bool(st, what, "has_best_weights", 0, &has_weights));
    if (has_weights) {
        if (c->kind != GT_CB_EARLY_STOPPING || !c->restore_best_weights)
            return gt_fail(GT_ERR_FORMAT, "%s: has_best_weights without restore_best_weights",
                           what);
        /* the values come from the checkpoint's best_weights dataset */
        if (!(c->best_weights = calloc(n_params ? n_params : 1, sizeof(float))))
            return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for the best weights");
    }
    return GT_OK;
}

static gt_status parse_item(gt_callback *c, const cJSON *item, int index, int first_epoch,
                            size_t n_params)
{
    char what[96];
    snprintf(what, sizeof what, "callback %d", index);
    if (!cJSON_IsObject(item))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: expected {\"class_name\": ..., \"config\": {...}}", what);
    static const char *const keys[] = {"class_name", "config",          "state",
                                       "module",     "registered_name", NULL};
    GT_TRY(gt_cfg_check_keys(item, what, keys));
    const char *name = NULL;
    GT_TRY(gt_cfg_string(item, what, "class_name", NULL, &name));
    int kind = -1;
    for (int k = 0; name && k < GT_CB_KIND_COUNT; ++k)
        if (strcmp(name, gt_cb_class_names[k]) == 0) kind = k;
    if (kind < 0)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "%s: '%s' is not a callback gtrain runs (EarlyStopping, "
                       "ReduceLROnPlateau, ModelCheckpoint, TensorBoard)",
                       what, name ? name : "(no class_name)");
    snprintf(what, sizeof what, "%s config", name);
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(item, "config");
    cJSON *empty = NULL;
    if (!cfg || cJSON_IsNull(cfg)) cfg = empty = cJSON_CreateObject();
    if (!cJSON_IsObject(cfg)) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: not an object", what);
    memset(c, 0, sizeof *c);
    c->kind = (gt_cb_kind)kind;
    c->baseline = c->initial_value_threshold = NAN;
    c->first_epoch = first_epoch;
    gt_status st = get_int(cfg, what, "verbose", 0, 0, 2, &c->verbose);
    if (st == GT_OK) {
        switch (c->kind) {
        case GT_CB_EARLY_STOPPING:
            st = parse_early_stopping(c, cfg, what);
            break;
        case GT_CB_REDUCE_LR:
            st = parse_reduce_lr(c, cfg, what);
            break;
        case GT_CB_MODEL_CHECKPOINT:
            st = parse_model_checkpoint(c, cfg, what);
            break;
        case GT_CB_TENSORBOARD:
            st = parse_tensorboard(c, cfg, what);
            break;
        case GT_CB_KIND_COUNT:
            break;
        }
    }
    cJSON_Delete(empty);
    GT_TRY(st);
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(item, "state");
    if (state && !cJSON_IsObject(state))
        return gt_fail(GT_ERR_FORMAT, "%s state: not an object", name);
    snprintf(what, sizeof what, "%s state", name);
    if (state) GT_TRY(parse_state(c, state, what, n_params));
    return GT_OK;
}

gt_status gt_trainer_set_callbacks(gt_trainer *tr, const char *json)
{
    if (!tr) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_set_callbacks: NULL trainer");
    cJSON *list = NULL;
    if (json && *json) {
        list = cJSON_Parse(json);
        if (!cJSON_IsArray(list)) {
            cJSON_Delete(list);
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "callbacks: expected a JSON list of {\"class_name\": ..., "
                           "\"config\": {...}}, found '%.80s'",
                           json);
        }
    }
    int n = list ? cJSON_GetArraySize(list) : 0;
    if (n > GT_MAX_CALLBACKS) {
        cJSON_Delete(list);
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "callbacks: %d given, at most %d", n,
                       GT_MAX_CALLBACKS);
    }
    gt_callbacks *cbs = n ? calloc(1, sizeof *cbs) : NULL;
    gt_status st = n && !cbs ? gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory") : GT_OK;
    for (int i = 0; st == GT_OK && i < n; ++i) {
        st = parse_item(&cbs->items[i], cJSON_GetArrayItem(list, i), i, tr->epochs_done + 1,
                        gt_model_param_count(tr->model));
        cbs->count = i + 1; /* what it holds is freed on failure */
    }
    cJSON_Delete(list);
    if (st != GT_OK) {
        gt_callbacks_free(cbs);
        return st;
    }
    gt_callbacks_free(tr->callbacks);
    tr->callbacks = cbs;
    return GT_OK;
}

static void put_monitor(cJSON *cfg, const gt_callback *c)
{
    static const char *const modes[] = {"auto", "min", "max"};
    cJSON_AddStringToObject(cfg, "monitor", gt_metric_names[c->monitor]);
    cJSON_AddStringToObject(cfg, "mode", modes[c->mode]);
}

static cJSON *config_of(const gt_callback *c)
{
    cJSON *cfg = cJSON_CreateObject();
    if (!cfg) return NULL;
    switch (c->kind) {
    case GT_CB_EARLY_STOPPING:
        put_monitor(cfg, c);
        cJSON_AddNumberToObject(cfg, "min_delta", c->min_delta);
        cJSON_AddNumberToObject(cfg, "patience", c->patience);
        if (isnan(c->baseline))
            cJSON_AddNullToObject(cfg, "baseline");
        else
            cJSON_AddNumberToObject(cfg, "baseline", c->baseline);
        cJSON_AddBoolToObject(cfg, "restore_best_weights", c->restore_best_weights);
        cJSON_AddNumberToObject(cfg, "start_from_epoch", c->start_from_epoch);
        break;
    case GT_CB_REDUCE_LR:
        put_monitor(cfg, c);
        cJSON_AddNumberToObject(cfg, "factor", c->factor);
        cJSON_AddNumberToObject(cfg, "patience", c->patience);
        cJSON_AddNumberToObject(cfg, "min_delta", c->min_delta);
        cJSON_AddNumberToObject(cfg, "cooldown", c->cooldown);
        cJSON_AddNumberToObject(cfg, "min_lr", c->min_lr);
        break;
    case GT_CB_MODEL_CHECKPOINT:
        cJSON_AddStringToObject(cfg, "filepath", c->filepath);
        put_monitor(cfg, c);
        cJSON_AddBoolToObject(cfg, "save_best_only", c->save_best_only);
        if (!isnan(c->initial_value_threshold))
            cJSON_AddNumberToObject(cfg, "initial_value_threshold", c->initial_value_threshold);
        break;
    case GT_CB_TENSORBOARD:
        cJSON_AddStringToObject(cfg, "log_dir", c->log_dir);
        if (c->update_freq > 0)
            cJSON_AddNumberToObject(cfg, "update_freq", c->update_freq);
        else
            cJSON_AddStringToObject(cfg, "update_freq", "epoch");
        break;
    case GT_CB_KIND_COUNT:
        break;
    }
    if (c->kind != GT_CB_TENSORBOARD) cJSON_AddNumberToObject(cfg, "verbose", c->verbose);
    return cfg;
}

static cJSON *state_of(const gt_callback *c)
{
    cJSON *st = cJSON_CreateObject();
    if (!st) return NULL;
    cJSON_AddNumberToObject(st, "first_epoch", c->first_epoch);
    cJSON_AddNumberToObject(st, "wait", c->wait);
    cJSON_AddNumberToObject(st, "stopped_epoch", c->stopped_epoch);
    cJSON_AddNumberToObject(st, "best_epoch", c->best_epoch);
    cJSON_AddNumberToObject(st, "cooldown_counter", c->cooldown_counter);
    /* JSON has no NaN: a NaN best (Keras keeps one when the first value was
     * NaN) is the string "nan" */
    if (c->has_best && isnan(c->best))
        cJSON_AddStringToObject(st, "best", "nan");
    else if (c->has_best)
        cJSON_AddNumberToObject(st, "best", c->best);
    cJSON_AddBoolToObject(st, "has_best_weights", c->best_weights != NULL);
    return st;
}

gt_status gt_trainer_callbacks_json(const gt_trainer *tr, int with_state, char **out)
{
    if (!tr || !out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_callbacks_json: NULL");
    cJSON *list = cJSON_CreateArray();
    const gt_callbacks *cbs = tr->callbacks;
    for (int i = 0; list && cbs && i < cbs->count; ++i) {
        const gt_callback *c = &cbs->items[i];
        cJSON *item = cJSON_CreateObject();
        if (!item) continue;
        cJSON_AddStringToObject(item, "class_name", gt_cb_class_names[c->kind]);
        cJSON_AddItemToObject(item, "config", config_of(c));
        if (with_state) cJSON_AddItemToObject(item, "state", state_of(c));
        cJSON_AddItemToArray(list, item);
    }
    return gt_cfg_print(list, out);
}

/* ---- "k=v,k=[a,b]" ---- */

static cJSON *spec_value(const char *text)
{
    if (strcmp(text, "true") == 0) return cJSON_CreateTrue();
    if (strcmp(text, "false") == 0) return cJSON_CreateFalse();
    if (strcmp(text, "null") == 0 || strcmp(text, "None") == 0) return cJSON_CreateNull();
    char *end = NULL;
    double v = strtod(text, &end);
    if (*text && end && *end == '\0' && isfinite(v)) return cJSON_CreateNumber(v);
    return cJSON_CreateString(text);
}

gt_status gt_spec_to_json(const char *spec, char **out)
{
    if (!spec || !out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_spec_to_json: NULL");
    cJSON *obj = cJSON_CreateObject();
    size_t n = strlen(spec);
    char *buf = malloc(n + 1);
    if (!obj || !buf) {
        cJSON_Delete(obj);
        free(buf);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    gt_status st = GT_OK;
    size_t i = 0;
    while (st == GT_OK && i < n) {
        /* one k=v up to the next comma outside brackets */
        size_t start = i;
        int depth = 0;
        while (i < n && (spec[i] != ',' || depth > 0)) {
            if (spec[i] == '[') ++depth;
            if (spec[i] == ']') --depth;
            ++i;
        }
        memcpy(buf, spec + start, i - start);
        buf[i - start] = '\0';
        ++i;
        char *eq = strchr(buf, '=');
        if (!eq || eq == buf) {
            st = gt_fail(GT_ERR_INVALID_ARGUMENT,
                         "'%s' in '%s' is not key=value (values: numbers, true/false, "
                         "[a,b,...] lists or text)",
                         buf, spec);
            break;
        }
        *eq = '\0';
        const char *value = eq + 1;
        size_t vlen = strlen(value);
        cJSON *item = NULL;
        if (vlen >= 2 && value[0] == '[' && value[vlen - 1] == ']') {
            item = cJSON_CreateArray();
            char *inner = eq + 2;
            inner[vlen - 2] = '\0';
            for (char *tok = inner; item && *tok;) {
                char *comma = strchr(tok, ',');
                if (comma) *comma = '\0';
                cJSON_AddItemToArray(item, spec_value(tok));
                if (!comma) break;
                tok = comma + 1;
            }
        } else {
            item = spec_value(value);
        }
        if (cJSON_GetObjectItemCaseSensitive(obj, buf))
            st = gt_fail(GT_ERR_INVALID_ARGUMENT, "'%s' is given twice in '%s'", buf, spec);
        else if (!item)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
        if (st == GT_OK)
            cJSON_AddItemToObject(obj, buf, item);
        else
            cJSON_Delete(item);
    }
    free(buf);
    if (st != GT_OK) {
        cJSON_Delete(obj);
        return st;
    }
    return gt_cfg_print(obj, out);
}
