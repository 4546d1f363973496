/* The trainer's callbacks at work (see include/gtrain/callbacks.h for what
 * each does and the Keras code it follows): EarlyStopping,
 * ReduceLROnPlateau, ModelCheckpoint and TensorBoard, run by
 * gt_trainer_fit at each epoch's end in list order. Parsing and writing
 * their JSON is callbacks_json.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks_state.h"
#include "gtrain/status.h"
#include "trainer_internal.h"

const char *const gt_cb_class_names[GT_CB_KIND_COUNT] = {"EarlyStopping", "ReduceLROnPlateau",
                                                         "ModelCheckpoint", "TensorBoard"};
const char *const gt_metric_names[GT_METRIC_COUNT] = {"loss", "accuracy", "val_loss",
                                                      "val_accuracy"};

void gt_callbacks_free(gt_callbacks *cbs)
{
    if (!cbs) return;
    for (int i = 0; i < cbs->count; ++i) {
        gt_callback *c = &cbs->items[i];
        free(c->filepath);
        free(c->log_dir);
        free(c->best_weights);
        gt_tb_close(c->train_writer);
        gt_tb_close(c->val_writer);
    }
    free(cbs);
}

static double metric_value(const gt_epoch_logs *logs, gt_metric m)
{
    switch (m) {
    case GT_METRIC_LOSS:
        return logs->loss;
    case GT_METRIC_ACCURACY:
        return logs->accuracy;
    case GT_METRIC_VAL_LOSS:
        return logs->val_loss;
    case GT_METRIC_VAL_ACCURACY:
        return logs->val_accuracy;
    case GT_METRIC_COUNT:
        break;
    }
    return NAN;
}

/* MonitorCallback._is_improvement: any value improves on no reference. */
static int improves(const gt_callback *c, double current, int has_reference, double reference)
{
    if (!has_reference) return 1;
    return c->maximize ? current - c->min_delta > reference : current + c->min_delta < reference;
}

gt_status gt_callbacks_fit_begin(gt_trainer *tr, int has_validation, int *finished)
{
    *finished = 0;
    gt_callbacks *cbs = tr->callbacks;
    if (!cbs) return GT_OK;
    for (int i = 0; i < cbs->count; ++i) {
        gt_callback *c = &cbs->items[i];
        int monitors = c->kind != GT_CB_TENSORBOARD &&
                       (c->kind != GT_CB_MODEL_CHECKPOINT || c->save_best_only);
        if (monitors && !has_validation &&
            (c->monitor == GT_METRIC_VAL_LOSS || c->monitor == GT_METRIC_VAL_ACCURACY))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "%s monitors %s, but this fit has no validation data: give "
                           "validation data (validation_data, validation_split, --validation) "
                           "or monitor \"%s\"",
                           gt_cb_class_names[c->kind], gt_metric_names[c->monitor],
                           gt_metric_names[c->monitor] + 4);
        if (c->kind == GT_CB_REDUCE_LR && tr->cfg.schedule.kind != GT_LR_CONSTANT)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "ReduceLROnPlateau cannot change a learning rate that follows a "
                           "schedule (Keras refuses this too): drop one of them");
        if (c->kind == GT_CB_EARLY_STOPPING && c->stopped_epoch > 0) *finished = 1;
    }
    return GT_OK;
}

gt_status gt_trainer_check_callbacks(gt_trainer *tr, int has_validation)
{
    int finished = 0;
    return gt_callbacks_fit_begin(tr, has_validation, &finished);
}

gt_status gt_callbacks_batch_end(gt_trainer *tr, int64_t global_step, double loss, double accuracy)
{
    gt_callbacks *cbs = tr->callbacks;
    for (int i = 0; cbs && !tr->silent && i < cbs->count; ++i) {
        gt_callback *c = &cbs->items[i];
        if (c->kind != GT_CB_TENSORBOARD || c->update_freq <= 0 ||
            global_step % c->update_freq != 0)
            continue;
        if (!c->train_writer) {
            char dir[4200];
            snprintf(dir, sizeof dir, "%s/train", c->log_dir);
            GT_TRY(gt_tb_open(dir, &c->train_writer));
        }
        GT_TRY(gt_tb_scalar(c->train_writer, "batch_loss", global_step, loss));
        GT_TRY(gt_tb_scalar(c->train_writer, "batch_accuracy", global_step, accuracy));
    }
    return GT_OK;
}

static gt_status tensorboard_epoch(gt_trainer *tr, gt_callback *c, const gt_epoch_logs *logs)
{
    char dir[4200];
    int64_t step = logs->epoch - 1; /* Keras' epoch index */
    if (!c->train_writer) {
        snprintf(dir, sizeof dir, "%s/train", c->log_dir);
        GT_TRY(gt_tb_open(dir, &c->train_writer));
    }
    GT_TRY(gt_tb_scalar(c->train_writer, "epoch_loss", step, logs->loss));
    GT_TRY(gt_tb_scalar(c->train_writer, "epoch_accuracy", step, logs->accuracy));
    GT_TRY(gt_tb_scalar(c->train_writer, "epoch_learning_rate", step, logs->learning_rate));
    GT_TRY(gt_tb_flush(c->train_writer));
    if (isnan(logs->val_loss) && isnan(logs->val_accuracy)) return GT_OK;
    if (!c->val_writer) {
        snprintf(dir, sizeof dir, "%s/validation", c->log_dir);
        GT_TRY(gt_tb_open(dir, &c->val_writer));
    }
    GT_TRY(gt_tb_scalar(c->val_writer, "epoch_loss", step, logs->val_loss));
    GT_TRY(gt_tb_scalar(c->val_writer, "epoch_accuracy", step, logs->val_accuracy));
    /* Keras' on_test_end: the validation metrics against optimizer.iterations */
    GT_TRY(gt_tb_scalar(c->val_writer, "evaluation_loss_vs_iterations", tr->optimizer_step,
                        logs->val_loss));
    GT_TRY(gt_tb_scalar(c->val_writer, "evaluation_accuracy_vs_iterations", tr->optimizer_step,
                        logs->val_accuracy));
    return gt_tb_flush(c->val_writer);
}

static gt_status early_stopping_epoch(gt_trainer *tr, gt_callback *c, const gt_epoch_logs *logs,
                                      int *stop)
{
    int epoch = logs->epoch - c->first_epoch; /* Keras' 0-based epoch of this fit */
    double current = metric_value(logs, c->monitor);
    if (epoch < c->start_from_epoch) return GT_OK;
    size_t np = gt_model_param_count(tr->model);
    if (c->restore_best_weights && !c->best_weights) {
        /* never set: the current weights are the best */
        c->best_weights = malloc((np ? np : 1) * sizeof(float));
        if (!c->best_weights)
            return gt_fail(GT_ERR_OUT_OF_MEMORY,
                           "EarlyStopping: out of host memory for the best weights (%zu floats)",
                           np);
        GT_TRY(gt_trainer_get_params(tr, c->best_weights, np));
        c->best_epoch = logs->epoch;
    }
    c->wait += 1;
    if (improves(c, current, c->has_best, c->best)) {
        c->best = current;
        c->has_best = 1;
        c->best_epoch = logs->epoch;
        if (c->restore_best_weights) GT_TRY(gt_trainer_get_params(tr, c->best_weights, np));
        /* only restart the wait when the baseline is beaten too */
        if (isnan(c->baseline) || improves(c, current, 1, c->baseline)) c->wait = 0;
        return GT_OK;
    }
    if (c->wait >= c->patience && epoch > 0) {
        c->stopped_epoch = logs->epoch;
        *stop = 1;
    }
    return GT_OK;
}

static gt_status reduce_lr_epoch(gt_trainer *tr, gt_callback *c, gt_epoch_logs *logs)
{
    double current = metric_value(logs, c->monitor);
    if (c->cooldown_counter > 0) {
        c->cooldown_counter -= 1;
        c->wait = 0;
    }
    if (improves(c, current, c->has_best, c->best)) {
        c->best = current;
        c->has_best = 1;
        c->wait = 0;
        return GT_OK;
    }
    if (c->cooldown_counter > 0) return GT_OK;
    c->wait += 1;
    if (c->wait < c->patience) return GT_OK;
    double old_lr = tr->learning_rate;
    if (!(old_lr > (double)(float)c->min_lr)) return GT_OK;
    double new_lr = fmax(old_lr * c->factor, c->min_lr);
    GT_TRY(gt_trainer_set_learning_rate(tr, new_lr));
    logs->lr_reduced_to = tr->learning_rate;
    c->cooldown_counter = c->cooldown;
    c->wait = 0;
    return GT_OK;
}

/* Keras' filepath.format(epoch=epoch + 1, **logs) for the placeholders
 * {epoch}, {loss}, {accuracy}, {val_loss}, {val_accuracy}, each with an
 * optional format spec of digits, '.', and d, f, e or g ({epoch:02d},
 * {val_loss:.2f}). */
static gt_status format_path(const gt_callback *c, const gt_epoch_logs *logs, char *out,
                             size_t size)
{
    const char *t = c->filepath;
    size_t used = 0;
    while (*t) {
        if (*t != '{') {
            if (used + 1 >= size) goto too_long;
            out[used++] = *t++;
            continue;
        }
        const char *close = strchr(t, '}');
        const char *colon = close ? memchr(t, ':', (size_t)(close - t)) : NULL;
        size_t name_len = (size_t)((colon ? colon : close ? close : t) - (t + 1));
        char name[32], spec[16] = "";
        if (!close || name_len == 0 || name_len >= sizeof name) goto bad;
        memcpy(name, t + 1, name_len);
        name[name_len] = '\0';
        if (colon) {
            size_t spec_len = (size_t)(close - colon - 1);
            if (spec_len == 0 || spec_len >= sizeof spec) goto bad;
            memcpy(spec, colon + 1, spec_len);
            spec[spec_len] = '\0';
            if (strspn(spec, "0123456789.") != spec_len - 1 || !strchr("dfeg", spec[spec_len - 1]))
                goto bad;
        }
        double value = NAN;
        int is_epoch = strcmp(name, "epoch") == 0;
        if (is_epoch) value = logs->epoch;
        for (int m = 0; m < GT_METRIC_COUNT && !is_epoch; ++m)
            if (strcmp(name, gt_metric_names[m]) == 0) value = metric_value(logs, (gt_metric)m);
        if (!is_epoch && isnan(value)) goto bad;
        char fmt[24];
        int n;
        char type = spec[0] ? spec[strlen(spec) - 1] : (is_epoch ? 'd' : 'g');
        if (!spec[0]) snprintf(spec, sizeof spec, "%c", type);
        snprintf(fmt, sizeof fmt, "%%%s", spec);
        if (type == 'd') {
            fmt[strlen(fmt) - 1] = '\0';
            strcat(fmt, "lld");
            n = snprintf(out + used, size - used, fmt, (long long)value);
        } else {
            n = snprintf(out + used, size - used, fmt, value);
        }
        if (n < 0 || (size_t)n >= size - used) goto too_long;
        used += (size_t)n;
        t = close + 1;
    }
    out[used] = '\0';
    return GT_OK;
bad:
    return gt_fail(GT_ERR_INVALID_ARGUMENT,
                   "ModelCheckpoint filepath '%s': placeholders are {epoch}, {loss}, "
                   "{accuracy}, {val_loss} or {val_accuracy} with an optional format such as "
                   ":02d or :.4f (the metric must exist in this fit)",
                   c->filepath);
too_long:
    return gt_fail(GT_ERR_INVALID_ARGUMENT, "ModelCheckpoint filepath '%s' is too long",
                   c->filepath);
}

static gt_status checkpoint_epoch(gt_trainer *tr, gt_callback *c, gt_epoch_logs *logs)
{
    if (c->save_best_only) {
        double current = metric_value(logs, c->monitor);
        if (!improves(c, current, c->has_best, c->best)) return GT_OK;
        c->best = current;
        c->has_best = 1;
        logs->checkpoint_best = current;
    }
    char path[4096];
    GT_TRY(format_path(c, logs, path, sizeof path));
    if (!tr->silent) GT_TRY(gt_checkpoint_save(tr, path, tr->run_info)); /* rank 0 writes */
    logs->checkpoint_saved = 1;
    return GT_OK;
}

gt_status gt_callbacks_epoch_end(gt_trainer *tr, gt_epoch_logs *logs, int *stop)
{
    gt_callbacks *cbs = tr->callbacks;
    logs->checkpoint_best = NAN;
    for (int i = 0; cbs && i < cbs->count; ++i) {
        gt_callback *c = &cbs->items[i];
        switch (c->kind) {
        case GT_CB_EARLY_STOPPING:
            GT_TRY(early_stopping_epoch(tr, c, logs, stop));
            logs->early_stopped = logs->early_stopped || *stop;
            break;
        case GT_CB_REDUCE_LR:
            GT_TRY(reduce_lr_epoch(tr, c, logs));
            break;
        case GT_CB_MODEL_CHECKPOINT:
            GT_TRY(checkpoint_epoch(tr, c, logs));
            if (c->has_best) logs->checkpoint_best = c->best;
            break;
        case GT_CB_TENSORBOARD:
            if (!tr->silent) GT_TRY(tensorboard_epoch(tr, c, logs));
            break;
        case GT_CB_KIND_COUNT:
            break;
        }
    }
    return GT_OK;
}

gt_status gt_callbacks_train_end(gt_trainer *tr)
{
    gt_callbacks *cbs = tr->callbacks;
    for (int i = 0; cbs && i < cbs->count; ++i) {
        gt_callback *c = &cbs->items[i];
        if (c->kind == GT_CB_EARLY_STOPPING && c->restore_best_weights && c->best_weights) {
            GT_TRY(gt_trainer_set_params(tr, c->best_weights, gt_model_param_count(tr->model)));
            cbs->weights_restored = 1;
        }
        if (c->train_writer) GT_TRY(gt_tb_flush(c->train_writer));
        if (c->val_writer) GT_TRY(gt_tb_flush(c->val_writer));
    }
    return GT_OK;
}

void gt_trainer_callbacks_report(const gt_trainer *tr, gt_callbacks_report *out)
{
    memset(out, 0, sizeof *out);
    const gt_callbacks *cbs = tr->callbacks;
    for (int i = 0; cbs && i < cbs->count; ++i) {
        const gt_callback *c = &cbs->items[i];
        if (c->kind != GT_CB_EARLY_STOPPING) continue;
        if (c->stopped_epoch) out->stopped_epoch = c->stopped_epoch;
        if (c->best_epoch) out->best_epoch = c->best_epoch;
    }
    if (cbs) out->weights_restored = cbs->weights_restored;
}

gt_status gt_trainer_set_run_info(gt_trainer *tr, const char *run_info)
{
    char *copy = NULL;
    if (run_info) {
        size_t n = strlen(run_info) + 1;
        copy = malloc(n);
        if (!copy) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
        memcpy(copy, run_info, n);
    }
    free(tr->run_info);
    tr->run_info = copy;
    return GT_OK;
}

const float *gt_callbacks_best_weights(const gt_trainer *tr, size_t *count)
{
    const gt_callbacks *cbs = tr->callbacks;
    for (int i = 0; cbs && i < cbs->count; ++i)
        if (cbs->items[i].kind == GT_CB_EARLY_STOPPING && cbs->items[i].best_weights) {
            *count = gt_model_param_count(tr->model);
            return cbs->items[i].best_weights;
        }
    *count = 0;
    return NULL;
}

gt_status gt_callbacks_set_best_weights(gt_trainer *tr, const float *weights, size_t count)
{
    gt_callbacks *cbs = tr->callbacks;
    size_t np = gt_model_param_count(tr->model);
    for (int i = 0; cbs && i < cbs->count; ++i) {
        gt_callback *c = &cbs->items[i];
        if (c->kind != GT_CB_EARLY_STOPPING || !c->restore_best_weights) continue;
        if (count != np)
            return gt_fail(GT_ERR_FORMAT,
                           "EarlyStopping's best weights hold %zu values, the model "
                           "%zu",
                           count, np);
        if (!c->best_weights && !(c->best_weights = malloc((np ? np : 1) * sizeof(float))))
            return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for the best weights");
        memcpy(c->best_weights, weights, np * sizeof(float));
        return GT_OK;
    }
    return gt_fail(GT_ERR_FORMAT,
                   "best weights given, but no EarlyStopping with restore_best_weights keeps "
                   "them");
}
