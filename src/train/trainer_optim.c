/* The optimizer update of one step, over the flat buffers through the
 * backend table, and the learning rate it uses: the schedule's value at the
 * step, else the trainer's base rate (which ReduceLROnPlateau and
 * LearningRateScheduler change, as they assign Keras' optimizer.learning_rate). */
#include <math.h>

#include "gtrain/status.h"
#include "trainer_internal.h"

double gt_trainer_learning_rate(const gt_trainer *tr)
{
    const gt_lr_schedule *s = &tr->cfg.schedule;
    if (s->kind == GT_LR_CONSTANT) return tr->learning_rate;
    /* Keras evaluates the schedule at optimizer.iterations: the updates done */
    return gt_lr_schedule_value(s, tr->cfg.learning_rate, tr->optimizer_step);
}

gt_status gt_trainer_set_learning_rate(gt_trainer *tr, double learning_rate)
{
    if (tr->cfg.schedule.kind != GT_LR_CONSTANT)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "the optimizer's learning rate follows a schedule; it cannot be set "
                       "(Keras refuses this too)");
    if (!(learning_rate > 0.0) || !isfinite(learning_rate) || learning_rate > 1e6)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "learning rate must be a positive number up to 1e6, found %g",
                       learning_rate);
    /* stored as Keras stores it: a float32 variable */
    tr->learning_rate = (double)(float)learning_rate;
    return GT_OK;
}

gt_status gt_trainer_apply_update(gt_trainer *tr)
{
    gt_backend *be = tr->be;
    size_t np = tr->model->n_trainable; /* the optimizer updates the trainable weights */
    const gt_train_config *c = &tr->cfg;
    float lr = (float)gt_trainer_learning_rate(tr);
    tr->optimizer_step += 1;
    float *state = tr->opt_state;
    switch (c->optimizer) {
    case GT_OPT_ADAM:
    case GT_OPT_ADAMW: {
        gt_adam_params hp = {lr, c->beta1, c->beta2, c->epsilon, tr->optimizer_step};
        if (c->optimizer == GT_OPT_ADAMW)
            return be->adamw_update(be, tr->params, tr->grads, state, state + np, np, &hp,
                                    c->weight_decay);
        return be->adam_update(be, tr->params, tr->grads, state, state + np, np, &hp);
    }
    case GT_OPT_SGD:
        return be->sgd_update(be, tr->params, tr->grads, state, np, lr, c->momentum, c->nesterov);
    case GT_OPT_RMSPROP: {
        /* state: velocity, then the momentum buffer, then the mean gradient */
        gt_rmsprop_params hp = {lr, c->rho, c->momentum, c->epsilon, c->centered};
        float *momentum_buf = c->momentum > 0.0f ? state + np : NULL;
        float *mean_grad = c->centered ? state + np * (momentum_buf ? 2 : 1) : NULL;
        return be->rmsprop_update(be, tr->params, tr->grads, state, momentum_buf, mean_grad, np,
                                  &hp);
    }
    case GT_OPT_COUNT:
        break;
    }
    return gt_fail(GT_ERR_INTERNAL, "unknown optimizer kind %d", (int)c->optimizer);
}
