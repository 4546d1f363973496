/* The optimizers' bookkeeping outside the step: their names (GT_OPTIMIZERS),
 * how many moment floats each keeps, the checks of their hyperparameters,
 * and the learning-rate schedules' values (Keras' LearningRateSchedule
 * formulas, include/gtrain/train.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gtrain/status.h"
#include "optimizer.h"

#define GT_PI 3.14159265358979323846

static const char *const names[] = {
#define GT_OPT_NAME_(id, name, keras) name,
    GT_OPTIMIZERS(GT_OPT_NAME_)
#undef GT_OPT_NAME_
};
static const char *const keras_names[] = {
#define GT_OPT_KERAS_(id, name, keras) keras,
    GT_OPTIMIZERS(GT_OPT_KERAS_)
#undef GT_OPT_KERAS_
};

const char *gt_optimizer_name(gt_optimizer_kind kind)
{
    return kind >= 0 && kind < GT_OPT_COUNT ? names[kind] : NULL;
}

const char *gt_optimizer_keras_name(gt_optimizer_kind kind)
{
    return kind >= 0 && kind < GT_OPT_COUNT ? keras_names[kind] : NULL;
}

gt_status gt_optimizer_from_name(const char *name, gt_optimizer_kind *out)
{
    for (int k = 0; name && k < GT_OPT_COUNT; ++k)
        if (strcasecmp(name, names[k]) == 0 || strcasecmp(name, keras_names[k]) == 0) {
            *out = (gt_optimizer_kind)k;
            return GT_OK;
        }
    char accepted[160] = "";
    size_t used = 0;
    for (int k = 0; k < GT_OPT_COUNT && used < sizeof accepted; ++k)
        used += (size_t)snprintf(accepted + used, sizeof accepted - used, "%s%s", k ? ", " : "",
                                 names[k]);
    return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown optimizer '%s': expected one of %s",
                   name ? name : "(null)", accepted);
}

size_t gt_optimizer_state_floats(const gt_train_config *c, size_t n_params)
{
    switch (c->optimizer) {
    case GT_OPT_ADAM:
    case GT_OPT_ADAMW:
        return 2 * n_params;
    case GT_OPT_SGD:
        return c->momentum > 0.0f ? n_params : 0;
    case GT_OPT_RMSPROP:
        return n_params * (size_t)(1 + (c->momentum > 0.0f) + (c->centered != 0));
    case GT_OPT_COUNT:
        break;
    }
    return 0;
}

static int fraction(float x)
{
    return x >= 0.0f && x < 1.0f;
}

static gt_status check_schedule(const gt_lr_schedule *s)
{
    switch (s->kind) {
    case GT_LR_CONSTANT:
        return GT_OK;
    case GT_LR_EXPONENTIAL:
        if (!(s->decay_steps > 0.0 && isfinite(s->decay_steps)) ||
            !(s->decay_rate > 0.0 && isfinite(s->decay_rate)))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "ExponentialDecay needs decay_steps > 0 and decay_rate > 0 (found %g, "
                           "%g)",
                           s->decay_steps, s->decay_rate);
        return GT_OK;
    case GT_LR_COSINE:
        if (!(s->decay_steps > 0.0 && isfinite(s->decay_steps)) ||
            !(s->alpha >= 0.0 && s->alpha <= 1.0) ||
            !(s->warmup_steps >= 0.0 && isfinite(s->warmup_steps)))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "CosineDecay needs decay_steps > 0, 0 <= alpha <= 1 and warmup_steps "
                           ">= 0 (found %g, %g, %g)",
                           s->decay_steps, s->alpha, s->warmup_steps);
        if (s->warmup_steps > 0.0 && !(s->warmup_target > 0.0 && isfinite(s->warmup_target)))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "CosineDecay with warmup_steps %g needs a warmup_target > 0 (found %g)",
                           s->warmup_steps, s->warmup_target);
        return GT_OK;
    case GT_LR_PIECEWISE:
        if (s->n_boundaries < 1 || s->n_boundaries > GT_LR_MAX_BOUNDARIES)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "PiecewiseConstantDecay takes 1..%d boundaries, found %d",
                           GT_LR_MAX_BOUNDARIES, s->n_boundaries);
        for (int i = 0; i < s->n_boundaries; ++i)
            if (!isfinite(s->boundaries[i]) || (i > 0 && s->boundaries[i] <= s->boundaries[i - 1]))
                return gt_fail(GT_ERR_INVALID_ARGUMENT,
                               "PiecewiseConstantDecay: boundaries must increase, found %g after "
                               "%g",
                               s->boundaries[i], i > 0 ? s->boundaries[i - 1] : NAN);
        for (int i = 0; i <= s->n_boundaries; ++i)
            if (!(s->values[i] > 0.0 && isfinite(s->values[i])))
                return gt_fail(GT_ERR_INVALID_ARGUMENT,
                               "PiecewiseConstantDecay: value %d is %g; learning rates must be "
                               "positive",
                               i, s->values[i]);
        return GT_OK;
    }
    return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown learning-rate schedule kind %d", (int)s->kind);
}

gt_status gt_optimizer_check_config(const gt_train_config *c)
{
    if (!gt_optimizer_name(c->optimizer))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown optimizer kind %d", (int)c->optimizer);
    if ((c->optimizer == GT_OPT_ADAM || c->optimizer == GT_OPT_ADAMW) &&
        (!fraction(c->beta1) || !fraction(c->beta2) || !(c->epsilon > 0.0f)))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s needs 0 <= beta1, beta2 < 1 and epsilon > 0 (found %g, %g, %g)",
                       keras_names[c->optimizer], (double)c->beta1, (double)c->beta2,
                       (double)c->epsilon);
    if (c->optimizer == GT_OPT_ADAMW && !fraction(c->weight_decay))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "AdamW weight_decay must be in [0, 1), found %g",
                       (double)c->weight_decay);
    if ((c->optimizer == GT_OPT_SGD || c->optimizer == GT_OPT_RMSPROP) && !fraction(c->momentum))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s momentum must be in [0, 1), found %g",
                       keras_names[c->optimizer], (double)c->momentum);
    if (c->optimizer == GT_OPT_RMSPROP && (!fraction(c->rho) || !(c->epsilon > 0.0f)))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "RMSprop needs 0 <= rho < 1 and epsilon > 0 (found %g, %g)", (double)c->rho,
                       (double)c->epsilon);
    return check_schedule(&c->schedule);
}

double gt_lr_schedule_value(const gt_lr_schedule *s, double lr0, int64_t step_count)
{
    double step = (double)step_count;
    switch (s->kind) {
    case GT_LR_CONSTANT:
        return lr0;
    case GT_LR_EXPONENTIAL: {
        double p = step / s->decay_steps;
        if (s->staircase) p = floor(p);
        return lr0 * pow(s->decay_rate, p);
    }
    case GT_LR_COSINE: {
        double from = lr0;
        if (s->warmup_steps > 0.0) {
            step = fmin(step, s->decay_steps + s->warmup_steps);
            if (step < s->warmup_steps)
                return (s->warmup_target - lr0) * (step / s->warmup_steps) + lr0;
            step -= s->warmup_steps;
            from = s->warmup_target;
        } else {
            step = fmin(step, s->decay_steps);
        }
        double cosine = 0.5 * (1.0 + cos(GT_PI * (step / s->decay_steps)));
        return from * ((1.0 - s->alpha) * cosine + s->alpha);
    }
    case GT_LR_PIECEWISE: {
        int n = s->n_boundaries;
        if (step <= s->boundaries[0]) return s->values[0];
        for (int i = 1; i < n; ++i)
            if (step > s->boundaries[i - 1] && step <= s->boundaries[i]) return s->values[i];
        return s->values[n];
    }
    }
    return NAN;
}
