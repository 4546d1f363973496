/* Resuming from a snapshot of (parameters, optimizer moments, run state)
 * continues the run bit for bit: 2 epochs straight equal 1 epoch + resume,
 * and equal a run interrupted in the middle of epoch 2 and resumed. */
#include <stdint.h>

#include "test_util.h"
#include "gtrain/status.h"
#include "test_util_data.h"

typedef struct snapshot {
    float *params, *moments;
    size_t n_params, n_moments;
    gt_train_state state;
    int stop_epoch, stop_step; /* interrupt after this step (0: never) */
    int taken;
} snapshot;

static gt_status take(gt_trainer *tr, snapshot *s)
{
    s->n_params = gt_model_param_count(gt_trainer_model(tr));
    s->n_moments = gt_trainer_optimizer_state_count(tr);
    s->params = malloc(s->n_params * sizeof(float));
    s->moments = malloc((s->n_moments + 1) * sizeof(float));
    GT_TRY(gt_trainer_get_params(tr, s->params, s->n_params));
    GT_TRY(gt_trainer_get_optimizer_state(tr, s->moments, s->n_moments));
    GT_TRY(gt_trainer_get_state(tr, &s->state));
    s->taken = 1;
    return GT_OK;
}

static gt_status restore(gt_trainer *tr, const snapshot *s)
{
    GT_TRY(gt_trainer_set_params(tr, s->params, s->n_params));
    GT_TRY(gt_trainer_set_optimizer_state(tr, s->moments, s->n_moments));
    return gt_trainer_set_state(tr, &s->state);
}

static gt_status interrupt_at(void *user, gt_trainer *tr, int epoch, int step)
{
    snapshot *s = user;
    if (epoch != s->stop_epoch || step != s->stop_step) return GT_OK;
    GT_TRY(take(tr, s));
    return GT_ERR_UNSUPPORTED; /* stands for the process being killed here */
}

/* A stop request after step `stop_step` of epoch `stop_epoch`, from on_step
 * (by_poll 0) or from stop_requested (by_poll 1). */
typedef struct stopper {
    int stop_epoch, stop_step, by_poll;
    int epoch, step;    /* the last step reported */
    int epoch_ends;     /* on_epoch_end calls */
    int last_epoch_end; /* the epoch of the last one */
} stopper;

static int stop_on_step(void *user, int epoch, int step, int steps, double loss, double acc)
{
    (void)steps;
    (void)loss;
    (void)acc;
    stopper *s = user;
    s->epoch = epoch;
    s->step = step;
    return !s->by_poll && epoch == s->stop_epoch && step == s->stop_step;
}

static int stop_poll(void *user)
{
    const stopper *s = user;
    return s->by_poll && s->epoch == s->stop_epoch && s->step == s->stop_step;
}

static gt_status count_epoch_end(void *user, gt_trainer *tr, const gt_epoch_logs *logs)
{
    (void)tr;
    stopper *s = user;
    s->epoch_ends += 1;
    s->last_epoch_end = logs->epoch;
    return GT_OK;
}

static gt_status new_trainer(const gt_model *m, gt_backend *be, gt_optimizer_kind opt,
                             gt_trainer **out)
{
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = 16;
    cfg.seed = 9;
    cfg.optimizer = opt;
    if (opt == GT_OPT_SGD) {
        cfg.learning_rate = 0.05f;
        cfg.momentum = 0.9f;
    }
    return gt_trainer_create(m, be, &cfg, out);
}

/* A fresh trainer restored from `snap` and fit to `epochs`: 1 when it ends
 * with exactly the weights `want`. */
static int resumes_to(const gt_model *m, gt_backend *be, gt_optimizer_kind kind,
                      const snapshot *snap, const gt_dataset *data, int epochs, const float *want)
{
    size_t np = gt_model_param_count(m);
    gt_trainer *tr = NULL;
    float *w = malloc(np * sizeof(float));
    int same = 0;
    CHECK_OK(new_trainer(m, be, kind, &tr));
    if (tr && w && restore(tr, snap) == GT_OK &&
        gt_trainer_fit(tr, data, NULL, epochs, NULL) == GT_OK &&
        gt_trainer_get_params(tr, w, np) == GT_OK)
        same = memcmp(want, w, np * sizeof(float)) == 0;
    free(w);
    gt_trainer_destroy(tr);
    return same;
}

int main(void)
{
    gt_model *model = NULL;
    gt_dataset *data = NULL;
    gt_backend *be = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, 90, 5, 4, &data));
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be));
    if (!model || !data || !be) TEST_EXIT();
    size_t np = gt_model_param_count(model);

    for (int opt = 0; opt < 2; ++opt) {
        gt_optimizer_kind kind = opt ? GT_OPT_SGD : GT_OPT_ADAM;
        /* A: two epochs straight */
        gt_trainer *a = NULL;
        CHECK_OK(new_trainer(model, be, kind, &a));
        CHECK_OK(gt_trainer_fit(a, data, NULL, 2, NULL));
        float *wa = malloc(np * sizeof(float));
        CHECK_OK(gt_trainer_get_params(a, wa, np));
        gt_train_state sa;
        CHECK_OK(gt_trainer_get_state(a, &sa));
        CHECK(sa.epochs_done == 2 && sa.steps_done == 0 && sa.optimizer_step == 12);

        /* B: one epoch, snapshot, a fresh trainer resumes to two */
        gt_trainer *b1 = NULL;
        snapshot sb = {0};
        CHECK_OK(new_trainer(model, be, kind, &b1));
        CHECK_OK(gt_trainer_fit(b1, data, NULL, 1, NULL));
        CHECK_OK(take(b1, &sb));
        gt_trainer_destroy(b1);
        CHECK_MSG(resumes_to(model, be, kind, &sb, data, 2, wa),
                  "optimizer %d: 1 epoch + resume differs from 2 epochs", opt);

        /* C: interrupted after step 3 of epoch 2, resumed mid-epoch */
        gt_trainer *c1 = NULL, *c2 = NULL;
        snapshot sc = {0};
        sc.stop_epoch = 2;
        sc.stop_step = 3;
        gt_fit_callbacks cb = {&sc, NULL, NULL, interrupt_at, NULL, 0, NULL};
        CHECK_OK(new_trainer(model, be, kind, &c1));
        CHECK(gt_trainer_fit(c1, data, NULL, 2, &cb) == GT_ERR_UNSUPPORTED);
        CHECK(sc.taken && sc.state.epochs_done == 1 && sc.state.steps_done == 3);
        gt_trainer_destroy(c1);
        CHECK_OK(new_trainer(model, be, kind, &c2));
        CHECK_OK(restore(c2, &sc));
        CHECK_OK(gt_trainer_fit(c2, data, NULL, 2, NULL));
        float *wc = malloc(np * sizeof(float));
        CHECK_OK(gt_trainer_get_params(c2, wc, np));
        CHECK_MSG(memcmp(wa, wc, np * sizeof(float)) == 0,
                  "optimizer %d: resume in the middle of epoch 2 differs", opt);

        /* D: a stop request after step 3 of epoch 2 (on_step's return value, then
         * the stop_requested poll) leaves the partial epoch unfinished: no
         * on_epoch_end for it, the state mid-epoch, and resuming it gives A */
        for (int by_poll = 0; by_poll < 2; ++by_poll) {
            gt_trainer *d1 = NULL;
            stopper stop = {2, 3, by_poll, 0, 0, 0, 0};
            gt_fit_callbacks scb = {&stop, NULL, stop_on_step, NULL, count_epoch_end, 0, stop_poll};
            CHECK_OK(new_trainer(model, be, kind, &d1));
            CHECK_OK(gt_trainer_fit(d1, data, NULL, 2, &scb));
            gt_train_state sd;
            CHECK_OK(gt_trainer_get_state(d1, &sd));
            CHECK_MSG(sd.epochs_done == 1 && sd.steps_done == 3 && sd.optimizer_step == 9,
                      "stop (poll %d): state epoch %d step %d optimizer step %lld", by_poll,
                      sd.epochs_done, sd.steps_done, (long long)sd.optimizer_step);
            CHECK_MSG(stop.epoch_ends == 1 && stop.last_epoch_end == 1,
                      "stop (poll %d): on_epoch_end ran %d times, last for epoch %d", by_poll,
                      stop.epoch_ends, stop.last_epoch_end);
            CHECK(sd.epoch_examples == 3 * 16 && sd.epoch_loss_sum > 0);
            snapshot sn = {0};
            CHECK_OK(take(d1, &sn));
            gt_trainer_destroy(d1);
            CHECK_MSG(resumes_to(model, be, kind, &sn, data, 2, wa),
                      "optimizer %d: stop (poll %d) + resume differs from 2 epochs", opt, by_poll);
            free(sn.params);
            free(sn.moments);
        }

        /* a state past the end of an epoch of this data is refused */
        gt_trainer *e = NULL;
        CHECK_OK(new_trainer(model, be, kind, &e));
        gt_train_state past = sc.state;
        past.steps_done = 7; /* 90 examples in batches of 16: 6 steps */
        past.data_cursor = 7 * 16;
        CHECK_OK(gt_trainer_set_state(e, &past));
        CHECK_FAILS_WITH(gt_trainer_fit(e, data, NULL, 2, NULL), GT_ERR_INVALID_ARGUMENT,
                         "the run state is at step 7 of epoch 2, but an epoch of");
        gt_trainer_destroy(e);

        /* a state from another seed is refused */
        gt_train_state other = sa;
        other.seed += 1;
        CHECK_FAILS_WITH(gt_trainer_set_state(c2, &other), GT_ERR_INVALID_ARGUMENT, "seed");

        free(wa);
        free(wc);
        free(sb.params);
        free(sb.moments);
        free(sc.params);
        free(sc.moments);
        gt_trainer_destroy(a);
        gt_trainer_destroy(c2);
    }
    gt_backend_destroy(be);
    gt_dataset_free(data);
    gt_model_free(model);
    TEST_EXIT();
}
