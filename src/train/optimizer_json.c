/* Optimizers and learning-rate schedules in Keras' serialized form
 * (keras.optimizers.serialize, keras.optimizers.schedules.serialize):
 * parsed onto a gt_train_config with Keras' per-class defaults, and written
 * back the same way (train.h). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gtrain/status.h"
#include "json_fields.h"
#include "optimizer.h"

#define COMMON_KEYS                                                                                \
    "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",           \
        "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",                 \
        "gradient_accumulation_steps"

static const char *const adam_keys[] = {COMMON_KEYS, "beta_1",  "beta_2",
                                        "epsilon",   "amsgrad", NULL};
static const char *const sgd_keys[] = {COMMON_KEYS, "momentum", "nesterov", NULL};
static const char *const rmsprop_keys[] = {COMMON_KEYS, "rho",      "momentum",
                                           "epsilon",   "centered", NULL};

/* Keras' defaults of each class (keras/src/optimizers/<name>.py). */
static void set_class_defaults(gt_train_config *c, gt_optimizer_kind kind)
{
    c->optimizer = kind;
    c->learning_rate = kind == GT_OPT_SGD ? 0.01f : 0.001f;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->epsilon = 1e-7f;
    c->momentum = 0.0f;
    c->nesterov = 0;
    c->rho = 0.9f;
    c->centered = 0;
    c->weight_decay = 0.004f;
    memset(&c->schedule, 0, sizeof c->schedule);
}

static gt_status get_float(const cJSON *obj, const char *what, const char *key, float fallback,
                           double lo, double hi, float *out)
{
    double v = 0;
    GT_TRY(gt_cfg_number(obj, what, key, fallback, lo, hi, &v));
    *out = (float)v;
    return GT_OK;
}

static gt_status parse_schedule_list(const cJSON *cfg, const char *what, const char *key,
                                     double *out, int max, int *count)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cfg, key);
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    if (n < 1 || n > max)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s must be a list of 1..%d numbers", what, key,
                       max);
    for (int i = 0; i < n; ++i) {
        const cJSON *item = cJSON_GetArrayItem(list, i);
        if (!cJSON_IsNumber(item))
            return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s[%d] is not a number", what, key, i);
        out[i] = item->valuedouble;
    }
    *count = n;
    return GT_OK;
}

/* learning_rate given as a serialized LearningRateSchedule. */
static gt_status parse_schedule(const cJSON *item, gt_train_config *c)
{
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(item, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(item, "config");
    const char *name = cJSON_IsString(cls) ? cls->valuestring : "";
    char what[96];
    snprintf(what, sizeof what, "learning-rate schedule %s config", name);
    if (!cJSON_IsObject(cfg))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "learning_rate: expected a number or {\"class_name\": "
                       "\"ExponentialDecay\"|\"CosineDecay\"|\"PiecewiseConstantDecay\", "
                       "\"config\": {...}}");
    gt_lr_schedule *s = &c->schedule;
    memset(s, 0, sizeof *s);
    double lr0 = 0;
    if (strcmp(name, "ExponentialDecay") == 0) {
        static const char *const keys[] = {
            "initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name", NULL};
        GT_TRY(gt_cfg_check_keys(cfg, what, keys));
        s->kind = GT_LR_EXPONENTIAL;
        GT_TRY(gt_cfg_number(cfg, what, "initial_learning_rate", NAN, 1e-12, 1e6, &lr0));
        GT_TRY(gt_cfg_number(cfg, what, "decay_steps", NAN, 1e-12, 1e18, &s->decay_steps));
        GT_TRY(gt_cfg_number(cfg, what, "decay_rate", NAN, 1e-12, 1e6, &s->decay_rate));
        GT_TRY(gt_cfg_bool(cfg, what, "staircase", 0, &s->staircase));
    } else if (strcmp(name, "CosineDecay") == 0) {
        static const char *const keys[] = {"initial_learning_rate", "decay_steps",  "alpha", "name",
                                           "warmup_target",         "warmup_steps", NULL};
        GT_TRY(gt_cfg_check_keys(cfg, what, keys));
        s->kind = GT_LR_COSINE;
        GT_TRY(gt_cfg_number(cfg, what, "initial_learning_rate", NAN, 0.0, 1e6, &lr0));
        GT_TRY(gt_cfg_number(cfg, what, "decay_steps", NAN, 1e-12, 1e18, &s->decay_steps));
        GT_TRY(gt_cfg_number(cfg, what, "alpha", 0.0, 0.0, 1.0, &s->alpha));
        GT_TRY(gt_cfg_number(cfg, what, "warmup_steps", 0.0, 0.0, 1e18, &s->warmup_steps));
        GT_TRY(gt_cfg_number(cfg, what, "warmup_target", 0.0, 0.0, 1e6, &s->warmup_target));
        if (lr0 == 0.0 && s->warmup_steps == 0.0)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "%s: initial_learning_rate 0 without warmup never trains", what);
    } else if (strcmp(name, "PiecewiseConstantDecay") == 0) {
        static const char *const keys[] = {"boundaries", "values", "name", NULL};
        GT_TRY(gt_cfg_check_keys(cfg, what, keys));
        s->kind = GT_LR_PIECEWISE;
        int nv = 0;
        GT_TRY(parse_schedule_list(cfg, what, "boundaries", s->boundaries, GT_LR_MAX_BOUNDARIES,
                                   &s->n_boundaries));
        GT_TRY(parse_schedule_list(cfg, what, "values", s->values, GT_LR_MAX_BOUNDARIES + 1, &nv));
        if (nv != s->n_boundaries + 1)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "%s: %d boundaries need %d values, found %d (Keras' rule: one more "
                           "value than boundaries)",
                           what, s->n_boundaries, s->n_boundaries + 1, nv);
        lr0 = s->values[0];
    } else {
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "learning-rate schedule '%s' is not supported (gtrain has "
                       "ExponentialDecay, CosineDecay and PiecewiseConstantDecay)",
                       name);
    }
    if (isnan(lr0))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: initial_learning_rate is missing", what);
    if (isnan(s->decay_steps) || isnan(s->decay_rate))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: decay_steps and decay_rate are required",
                       what);
    c->learning_rate = (float)lr0;
    return GT_OK;
}

static gt_status parse_config(const cJSON *cfg, gt_optimizer_kind kind, gt_train_config *c)
{
    char what[64];
    snprintf(what, sizeof what, "%s config", gt_optimizer_keras_name(kind));
    const char *const *keys = kind == GT_OPT_SGD       ? sgd_keys
                              : kind == GT_OPT_RMSPROP ? rmsprop_keys
                                                       : adam_keys;
    GT_TRY(gt_cfg_check_keys(cfg, what, keys));
    static const char *const neutral[] = {
        "clipnorm",          "global_clipnorm", "clipvalue", "use_ema", "ema_overwrite_frequency",
        "loss_scale_factor", "amsgrad"};
    for (size_t i = 0; i < sizeof neutral / sizeof *neutral; ++i)
        GT_TRY(gt_cfg_neutral(cfg, what, neutral[i], NAN));
    GT_TRY(gt_cfg_neutral(cfg, what, "gradient_accumulation_steps", 1.0));
    if (kind != GT_OPT_ADAMW) GT_TRY(gt_cfg_neutral(cfg, what, "weight_decay", 0.0));
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(cfg, "learning_rate");
    if (cJSON_IsObject(lr))
        GT_TRY(parse_schedule(lr, c));
    else
        GT_TRY(
            get_float(cfg, what, "learning_rate", c->learning_rate, 1e-12, 1e6, &c->learning_rate));
    GT_TRY(get_float(cfg, what, "beta_1", c->beta1, 0.0, 0.999999, &c->beta1));
    GT_TRY(get_float(cfg, what, "beta_2", c->beta2, 0.0, 0.999999999, &c->beta2));
    GT_TRY(get_float(cfg, what, "epsilon", c->epsilon, 1e-30, 1.0, &c->epsilon));
    GT_TRY(get_float(cfg, what, "momentum", c->momentum, 0.0, 0.999999, &c->momentum));
    GT_TRY(gt_cfg_bool(cfg, what, "nesterov", c->nesterov, &c->nesterov));
    GT_TRY(get_float(cfg, what, "rho", c->rho, 0.0, 0.999999, &c->rho));
    GT_TRY(gt_cfg_bool(cfg, what, "centered", c->centered, &c->centered));
    if (kind == GT_OPT_ADAMW)
        GT_TRY(
            get_float(cfg, what, "weight_decay", c->weight_decay, 0.0, 0.999999, &c->weight_decay));
    return gt_optimizer_check_config(c);
}

static gt_status set_from_item(gt_train_config *cfg, const cJSON *item)
{
    const char *name = NULL;
    const cJSON *config = NULL;
    if (cJSON_IsString(item)) {
        name = item->valuestring;
    } else if (cJSON_IsObject(item)) {
        static const char *const keys[] = {"class_name", "config", "module", "registered_name",
                                           NULL};
        GT_TRY(gt_cfg_check_keys(item, "optimizer", keys));
        GT_TRY(gt_cfg_string(item, "optimizer", "class_name", NULL, &name));
        config = cJSON_GetObjectItemCaseSensitive(item, "config");
        if (config && !cJSON_IsObject(config) && !cJSON_IsNull(config))
            return gt_fail(GT_ERR_INVALID_ARGUMENT, "optimizer: config must be an object");
    }
    if (!name)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "optimizer: expected a name (\"adam\") or {\"class_name\": \"Adam\", "
                       "\"config\": {...}}");
    gt_optimizer_kind kind;
    GT_TRY(gt_optimizer_from_name(name, &kind));
    gt_train_config c = *cfg;
    set_class_defaults(&c, kind);
    if (cJSON_IsObject(config)) GT_TRY(parse_config(config, kind, &c));
    *cfg = c;
    return GT_OK;
}

gt_status gt_train_config_set_optimizer_json(gt_train_config *cfg, const char *json)
{
    if (!cfg || !json)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_train_config_set_optimizer_json: NULL");
    cJSON *item = cJSON_Parse(json);
    /* a bare name is not JSON: take it as the name itself */
    if (!item) item = cJSON_CreateString(json);
    if (!item) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    gt_status st = set_from_item(cfg, item);
    cJSON_Delete(item);
    return st;
}

static cJSON *schedule_item(const gt_train_config *c)
{
    const gt_lr_schedule *s = &c->schedule;
    cJSON *item = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    static const char *const classes[] = {"", "ExponentialDecay", "CosineDecay",
                                          "PiecewiseConstantDecay"};
    cJSON_AddStringToObject(item, "class_name", classes[s->kind]);
    cJSON_AddItemToObject(item, "config", cfg);
    if (s->kind == GT_LR_PIECEWISE) {
        cJSON_AddItemToObject(cfg, "boundaries",
                              cJSON_CreateDoubleArray(s->boundaries, s->n_boundaries));
        cJSON_AddItemToObject(cfg, "values",
                              cJSON_CreateDoubleArray(s->values, s->n_boundaries + 1));
        return item;
    }
    cJSON_AddNumberToObject(cfg, "initial_learning_rate", (double)c->learning_rate);
    cJSON_AddNumberToObject(cfg, "decay_steps", s->decay_steps);
    if (s->kind == GT_LR_EXPONENTIAL) {
        cJSON_AddNumberToObject(cfg, "decay_rate", s->decay_rate);
        cJSON_AddBoolToObject(cfg, "staircase", s->staircase);
    } else {
        cJSON_AddNumberToObject(cfg, "alpha", s->alpha);
        cJSON_AddNumberToObject(cfg, "warmup_steps", s->warmup_steps);
        if (s->warmup_steps > 0.0) cJSON_AddNumberToObject(cfg, "warmup_target", s->warmup_target);
    }
    return item;
}

cJSON *gt_optimizer_to_cjson(const gt_train_config *c)
{
    cJSON *item = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    if (!item || !cfg) {
        cJSON_Delete(item);
        cJSON_Delete(cfg);
        return NULL;
    }
    cJSON_AddStringToObject(item, "class_name", gt_optimizer_keras_name(c->optimizer));
    cJSON_AddItemToObject(item, "config", cfg);
    if (c->schedule.kind != GT_LR_CONSTANT)
        cJSON_AddItemToObject(cfg, "learning_rate", schedule_item(c));
    else
        cJSON_AddNumberToObject(cfg, "learning_rate", (double)c->learning_rate);
    if (c->optimizer == GT_OPT_ADAMW)
        cJSON_AddNumberToObject(cfg, "weight_decay", (double)c->weight_decay);
    switch (c->optimizer) {
    case GT_OPT_ADAMW: /* Adam's keys too */
    case GT_OPT_ADAM:
        cJSON_AddNumberToObject(cfg, "beta_1", (double)c->beta1);
        cJSON_AddNumberToObject(cfg, "beta_2", (double)c->beta2);
        cJSON_AddNumberToObject(cfg, "epsilon", (double)c->epsilon);
        break;
    case GT_OPT_SGD:
        cJSON_AddNumberToObject(cfg, "momentum", (double)c->momentum);
        cJSON_AddBoolToObject(cfg, "nesterov", c->nesterov);
        break;
    case GT_OPT_RMSPROP:
        cJSON_AddNumberToObject(cfg, "rho", (double)c->rho);
        cJSON_AddNumberToObject(cfg, "momentum", (double)c->momentum);
        cJSON_AddNumberToObject(cfg, "epsilon", (double)c->epsilon);
        cJSON_AddBoolToObject(cfg, "centered", c->centered);
        break;
    case GT_OPT_COUNT:
        break;
    }
    return item;
}

gt_status gt_train_config_optimizer_json(const gt_train_config *cfg, char **out)
{
    if (!cfg || !out)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_train_config_optimizer_json: NULL");
    if (!gt_optimizer_name(cfg->optimizer))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown optimizer kind %d", (int)cfg->optimizer);
    return gt_cfg_print(gt_optimizer_to_cjson(cfg), out);
}

/* ---- training options ---- */

gt_status gt_train_config_apply_cjson(gt_train_config *cfg, const cJSON *obj)
{
    static const char *const keys[] = {"batch_size",
                                       "seed",
                                       "shuffle",
                                       "steps_per_epoch",
                                       "loss_log_epsilon",
                                       "cuda_graph",
                                       "loss_reduction",
                                       "optimizer",
                                       NULL};
    const char *what = "training options";
    GT_TRY(gt_cfg_check_keys(obj, what, keys));
    gt_train_config c = *cfg;
    double v = 0;
    GT_TRY(gt_cfg_integer(obj, what, "batch_size", c.batch_size, 1, 1 << 20, &v));
    c.batch_size = (int)v;
    /* seeds beyond 2^53 do not survive a JSON number: give those as a string */
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(obj, "seed");
    if (cJSON_IsString(seed)) {
        char *end = NULL;
        unsigned long long u = strtoull(seed->valuestring, &end, 10);
        if (!*seed->valuestring || *end || seed->valuestring[0] == '-')
            return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: seed '%s' is not a whole number", what,
                           seed->valuestring);
        c.seed = u;
    } else {
        GT_TRY(gt_cfg_integer(obj, what, "seed", (double)c.seed, 0, 9007199254740992.0, &v));
        c.seed = (uint64_t)v;
    }
    int flag = c.order == GT_ORDER_SHUFFLED;
    GT_TRY(gt_cfg_bool(obj, what, "shuffle", flag, &flag));
    c.order = flag ? GT_ORDER_SHUFFLED : GT_ORDER_FILE;
    GT_TRY(gt_cfg_integer(obj, what, "steps_per_epoch", c.steps_per_epoch, 0, 1 << 30, &v));
    c.steps_per_epoch = (int)v;
    GT_TRY(gt_cfg_number(obj, what, "loss_log_epsilon", c.loss_log_epsilon, 0.0, 0.5, &v));
    c.loss_log_epsilon = (float)v;
    GT_TRY(gt_cfg_bool(obj, what, "cuda_graph", c.cuda_graph, &c.cuda_graph));
    const char *reduction = NULL;
    GT_TRY(gt_cfg_string(obj, what, "loss_reduction", NULL, &reduction));
    if (reduction && strcmp(reduction, "mean") != 0 && strcmp(reduction, "sum") != 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: loss_reduction '%s', expected mean or sum",
                       what, reduction);
    if (reduction) c.reduction = reduction[0] == 's' ? GT_REDUCE_SUM : GT_REDUCE_MEAN;
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(obj, "optimizer");
    if (opt && !cJSON_IsNull(opt)) GT_TRY(set_from_item(&c, opt));
    *cfg = c;
    return GT_OK;
}

gt_status gt_train_config_apply_json(gt_train_config *cfg, const char *json)
{
    if (!cfg) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_train_config_apply_json: NULL config");
    if (!json || !*json) return GT_OK;
    cJSON *obj = NULL;
    GT_TRY(gt_cfg_parse_object(json, "training options", &obj));
    gt_status st = gt_train_config_apply_cjson(cfg, obj);
    cJSON_Delete(obj);
    return st;
}

gt_status gt_train_config_to_json(const gt_train_config *c, char **out)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    cJSON_AddNumberToObject(obj, "batch_size", c->batch_size);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->seed);
    if (c->seed <= 9007199254740992ULL)
        cJSON_AddNumberToObject(obj, "seed", (double)c->seed);
    else
        cJSON_AddStringToObject(obj, "seed", seed);
    cJSON_AddBoolToObject(obj, "shuffle", c->order == GT_ORDER_SHUFFLED);
    cJSON_AddNumberToObject(obj, "steps_per_epoch", c->steps_per_epoch);
    cJSON_AddNumberToObject(obj, "loss_log_epsilon", (double)c->loss_log_epsilon);
    cJSON_AddBoolToObject(obj, "cuda_graph", c->cuda_graph);
    cJSON_AddStringToObject(obj, "loss_reduction", c->reduction == GT_REDUCE_SUM ? "sum" : "mean");
    cJSON_AddItemToObject(obj, "optimizer", gt_optimizer_to_cjson(c));
    return gt_cfg_print(obj, out);
}
