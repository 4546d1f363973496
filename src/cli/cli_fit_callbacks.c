/* gtrain fit's --optimizer NAME:k=v, --lr-schedule, --early-stopping,
 * --reduce-lr-on-plateau, --model-checkpoint and --tensorboard: each option
 * becomes Keras' serialized form ({"class_name": ..., "config": {...}}) and
 * goes to the library's parsers, which hold the defaults and the checks. */
#include "cli_fit_callbacks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

const char gt_cli_fit_extras_help[] =
    "  --optimizer O[:k=v,...]  adam, sgd, rmsprop or adamw with Keras' arguments\n"
    "                    (rmsprop:rho=0.95,momentum=0.9; adamw:weight_decay=0.01;\n"
    "                    sgd:momentum=0.9,nesterov=true) [the model's recipe]\n"
    "  --lr-schedule S   exponential:decay_steps=N,decay_rate=R[,staircase=true]\n"
    "                    cosine:decay_steps=N[,alpha=A,warmup_steps=W,warmup_target=T]\n"
    "                    piecewise:boundaries=[B1,B2],values=[V0,V1,V2]\n"
    "                    Keras' schedules over optimizer steps, from --lr\n"
    "  --early-stopping k=v,...  Keras' EarlyStopping (monitor=val_loss, patience=0,\n"
    "                    min_delta=0, mode=auto, baseline, restore_best_weights=false,\n"
    "                    start_from_epoch=0); 'defaults' for none changed\n"
    "  --reduce-lr-on-plateau k=v,...  ReduceLROnPlateau (monitor=val_loss,\n"
    "                    factor=0.1, patience=10, min_delta=1e-4, cooldown=0, min_lr=0)\n"
    "  --model-checkpoint filepath=F.h5[,k=v,...]  ModelCheckpoint (monitor=val_loss,\n"
    "                    save_best_only=false, mode=auto; {epoch:02d} in F)\n"
    "  --tensorboard DIR event files in DIR/train and DIR/validation, as Keras'\n"
    "                    TensorBoard callback writes them\n"
    "  --tensorboard-update-freq N  also batch_loss/batch_accuracy every N steps\n"
    "                    (or batch, epoch) [epoch]\n"
    "                    The callbacks are recorded in --save checkpoints: --resume\n"
    "                    continues them.\n";

int gt_cli_fit_extras_any(const gt_cli_fit_extras *x)
{
    return x->optimizer || x->lr_schedule || x->early_stopping || x->reduce_lr || x->checkpoint ||
           x->tensorboard || x->tensorboard_freq;
}

/* "k=v,..." (or "defaults") as a parsed object; NULL after a usage error. */
static cJSON *spec_object(const char *option, const char *spec)
{
    char *json = NULL;
    if (strcmp(spec, "defaults") == 0) spec = "";
    if (gt_spec_to_json(spec, &json) != GT_OK) {
        gt_cli_error(GT_EXIT_USAGE, "%s: %s", option, gt_last_error());
        return NULL;
    }
    cJSON *obj = cJSON_Parse(json);
    free(json);
    return obj;
}

/* {"class_name": name, "config": spec} */
static cJSON *item(const char *option, const char *name, const char *spec)
{
    cJSON *cfg = spec_object(option, spec ? spec : "");
    if (!cfg) return NULL;
    cJSON *it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "class_name", name);
    cJSON_AddItemToObject(it, "config", cfg);
    return it;
}

static char *print_and_delete(cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    char *copy = text ? malloc(strlen(text) + 1) : NULL;
    if (copy) strcpy(copy, text);
    cJSON_free(text);
    return copy;
}

static int set_optimizer(gt_train_config *cfg, cJSON *obj, const char *option)
{
    char *json = print_and_delete(obj);
    gt_status st = json ? gt_train_config_set_optimizer_json(cfg, json) : GT_ERR_OUT_OF_MEMORY;
    free(json);
    if (st != GT_OK) return gt_cli_error(GT_EXIT_USAGE, "%s: %s", option, gt_last_error());
    return GT_EXIT_OK;
}

static const struct {
    const char *short_name, *keras;
} schedules[] = {{"exponential", "ExponentialDecay"},
                 {"cosine", "CosineDecay"},
                 {"piecewise", "PiecewiseConstantDecay"}};

int gt_cli_fit_optimizer(const gt_cli_fit_extras *x, double lr_option, gt_train_config *cfg)
{
    int code;
    if (x->optimizer) {
        const char *colon = strchr(x->optimizer, ':');
        char name[32];
        snprintf(name, sizeof name, "%.*s",
                 (int)(colon ? (size_t)(colon - x->optimizer) : strlen(x->optimizer)),
                 x->optimizer);
        gt_optimizer_kind kind;
        if (gt_optimizer_from_name(name, &kind) != GT_OK)
            return gt_cli_error(GT_EXIT_USAGE, "--optimizer: %s", gt_last_error());
        /* naming the recipe's own optimizer keeps the recipe's settings */
        if (colon || kind != cfg->optimizer) {
            cJSON *it = item("--optimizer", gt_optimizer_keras_name(kind), colon ? colon + 1 : "");
            if (!it) return GT_EXIT_USAGE;
            if ((code = set_optimizer(cfg, it, "--optimizer")) != GT_EXIT_OK) return code;
        }
    }
    if (lr_option > 0) cfg->learning_rate = (float)lr_option;
    if (!x->lr_schedule) return GT_EXIT_OK;
    const char *colon = strchr(x->lr_schedule, ':');
    size_t len = colon ? (size_t)(colon - x->lr_schedule) : strlen(x->lr_schedule);
    const char *keras = NULL;
    for (size_t k = 0; k < sizeof schedules / sizeof *schedules; ++k)
        if ((strlen(schedules[k].short_name) == len &&
             strncasecmp(x->lr_schedule, schedules[k].short_name, len) == 0) ||
            (strlen(schedules[k].keras) == len &&
             strncmp(x->lr_schedule, schedules[k].keras, len) == 0))
            keras = schedules[k].keras;
    if (!keras)
        return gt_cli_error(GT_EXIT_USAGE,
                            "--lr-schedule expects exponential, cosine or piecewise, found '%s'",
                            x->lr_schedule);
    cJSON *sched = item("--lr-schedule", keras, colon ? colon + 1 : "");
    if (!sched) return GT_EXIT_USAGE;
    cJSON *scfg = cJSON_GetObjectItemCaseSensitive(sched, "config");
    if (strcmp(keras, "PiecewiseConstantDecay") != 0 &&
        !cJSON_GetObjectItemCaseSensitive(scfg, "initial_learning_rate"))
        cJSON_AddNumberToObject(scfg, "initial_learning_rate", (double)cfg->learning_rate);
    /* the optimizer as it stands, its learning rate replaced by the schedule */
    char *now = NULL;
    if (gt_train_config_optimizer_json(cfg, &now) != GT_OK) {
        cJSON_Delete(sched);
        return gt_cli_status_error(GT_ERR_OUT_OF_MEMORY);
    }
    cJSON *opt = cJSON_Parse(now);
    free(now);
    cJSON *ocfg = cJSON_GetObjectItemCaseSensitive(opt, "config");
    cJSON_ReplaceItemInObjectCaseSensitive(ocfg, "learning_rate", sched);
    return set_optimizer(cfg, opt, "--lr-schedule");
}

int gt_cli_fit_callbacks_json(const gt_cli_fit_extras *x, char **out)
{
    *out = NULL;
    cJSON *list = cJSON_CreateArray();
    struct {
        const char *option, *name, *spec;
    } given[] = {{"--model-checkpoint", "ModelCheckpoint", x->checkpoint},
                 {"--reduce-lr-on-plateau", "ReduceLROnPlateau", x->reduce_lr},
                 {"--early-stopping", "EarlyStopping", x->early_stopping}};
    for (size_t k = 0; k < sizeof given / sizeof *given; ++k) {
        if (!given[k].spec) continue;
        cJSON *it = item(given[k].option, given[k].name, given[k].spec);
        if (!it) {
            cJSON_Delete(list);
            return GT_EXIT_USAGE;
        }
        cJSON_AddItemToArray(list, it);
    }
    if (x->tensorboard_freq && !x->tensorboard) {
        cJSON_Delete(list);
        return gt_cli_error(GT_EXIT_USAGE, "--tensorboard-update-freq needs --tensorboard DIR");
    }
    if (x->tensorboard) {
        cJSON *tb = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
        cJSON_AddStringToObject(tb, "class_name", "TensorBoard");
        cJSON_AddItemToObject(tb, "config", cfg);
        cJSON_AddStringToObject(cfg, "log_dir", x->tensorboard);
        const char *f = x->tensorboard_freq;
        char *end = NULL;
        double n = f ? strtod(f, &end) : 0;
        if (f && end && *end == '\0' && *f)
            cJSON_AddNumberToObject(cfg, "update_freq", n);
        else if (f)
            cJSON_AddStringToObject(cfg, "update_freq", f);
        cJSON_AddItemToArray(list, tb);
    }
    *out = print_and_delete(list);
    if (!*out) return gt_cli_status_error(GT_ERR_OUT_OF_MEMORY);
    return GT_EXIT_OK;
}

void gt_cli_fit_report_epoch(const gt_epoch_logs *logs, const char *checkpoint)
{
    if (logs->lr_reduced_to > 0)
        printf("Epoch %d: ReduceLROnPlateau reducing learning rate to %.9g.\n", logs->epoch,
               logs->lr_reduced_to);
    if (logs->checkpoint_saved)
        printf("Epoch %d: ModelCheckpoint saved the model (%s)\n", logs->epoch,
               checkpoint ? checkpoint : "");
    if (logs->early_stopped) printf("Epoch %d: early stopping\n", logs->epoch);
    fflush(stdout);
}
