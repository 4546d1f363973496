/* The callbacks inside gt_trainer_fit (their decisions against Keras are
 * test_callbacks_keras.c's): EarlyStopping ends the fit after the epoch it
 * fires on and, with restore_best_weights, leaves the best epoch's weights;
 * ReduceLROnPlateau's rate is the one the next updates use; ModelCheckpoint
 * and TensorBoard write their files (their content is read back by the
 * Python tests, with TensorBoard's own reader); a run checkpointed
 * mid-way and resumed gives the uninterrupted run's weights, learning rate
 * and stopping epoch bit for bit, the callbacks' state coming from the
 * checkpoint. */
#include <dirent.h>
#include <stdint.h>
#include <unistd.h>

#include "gtrain/status.h"
#include "tensorboard.h"
#include "test_util.h"
#include "test_util_data.h"

#define EPOCHS 8

/* Every epoch's weights and what the logs said. */
typedef struct recorder {
    size_t n;
    float *weights[EPOCHS + 1]; /* by epoch */
    double lr[EPOCHS + 1];      /* logs->learning_rate */
    double reduced[EPOCHS + 1]; /* logs->lr_reduced_to */
    int early[EPOCHS + 1];
    int last_epoch;
} recorder;

static gt_status record(void *user, gt_trainer *tr, const gt_epoch_logs *logs)
{
    recorder *r = user;
    if (logs->epoch < 1 || logs->epoch > EPOCHS) return GT_ERR_INTERNAL;
    if (!r->weights[logs->epoch]) r->weights[logs->epoch] = malloc(r->n * sizeof(float));
    GT_TRY(gt_trainer_get_params(tr, r->weights[logs->epoch], r->n));
    r->lr[logs->epoch] = logs->learning_rate;
    r->reduced[logs->epoch] = logs->lr_reduced_to;
    r->early[logs->epoch] = logs->early_stopped;
    r->last_epoch = logs->epoch;
    return GT_OK;
}

static void recorder_free(recorder *r)
{
    for (int e = 0; e <= EPOCHS; ++e)
        free(r->weights[e]);
}

/* A high learning rate makes the validation loss wander, so the callbacks
 * have something to decide. */
static const char *const options =
    "{\"batch_size\": 16, \"seed\": 3, \"optimizer\": {\"class_name\": \"SGD\", \"config\": "
    "{\"learning_rate\": 0.5, \"momentum\": 0.9}}}";

static const char *const callbacks =
    "[{\"class_name\": \"ReduceLROnPlateau\", \"config\": {\"monitor\": \"val_loss\", \"factor\": "
    "0.5, \"patience\": 1, \"min_delta\": 0}},"
    " {\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_accuracy\", "
    "\"patience\": 2, \"restore_best_weights\": true}}]";

static gt_trainer *make(gt_model *m, gt_backend *be)
{
    gt_trainer *tr = NULL;
    CHECK_OK(gt_trainer_create_json(m, be, options, &tr));
    if (tr) CHECK_OK(gt_trainer_set_callbacks(tr, callbacks));
    return tr;
}

static int count_event_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, "events.out.tfevents.", 20) == 0;
    closedir(d);
    return n;
}

int main(void)
{
    /* TFRecord frames' CRC-32C: the standard check value of "123456789" */
    CHECK(gt_crc32c("123456789", 9) == 0xe3069283u);
    gt_model *model = NULL;
    gt_backend *be = NULL;
    gt_dataset *train = NULL, *val = NULL;
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    CHECK_OK(gt_test_synthetic_dataset(shape, 96, 5, 11, &train));
    CHECK_OK(gt_test_synthetic_dataset(shape, 40, 5, 12, &val));
    if (!model || !be || !train || !val) TEST_EXIT();
    size_t np = gt_model_param_count(model);

    /* straight */
    recorder a = {np, {NULL}, {0}, {0}, {0}, 0};
    gt_fit_callbacks cb = {&a, NULL, NULL, NULL, record, 0, NULL};
    gt_trainer *tr = make(model, be);
    if (!tr) TEST_EXIT();
    CHECK_OK(gt_trainer_fit(tr, train, val, EPOCHS, &cb));
    gt_callbacks_report rep;
    gt_trainer_callbacks_report(tr, &rep);
    gt_train_state st;
    CHECK_OK(gt_trainer_get_state(tr, &st));
    printf("straight: %d epochs, stopped after %d, best epoch %d, learning rates", a.last_epoch,
           rep.stopped_epoch, rep.best_epoch);
    for (int e = 1; e <= a.last_epoch; ++e)
        printf(" %g", a.lr[e]);
    printf("\n");
    /* the recipe makes EarlyStopping fire (seed 3): otherwise nothing here is tested */
    CHECK(rep.stopped_epoch > 0 && rep.stopped_epoch < EPOCHS);
    CHECK(st.epochs_done == rep.stopped_epoch && a.last_epoch == rep.stopped_epoch);
    CHECK(a.early[rep.stopped_epoch] == 1);
    CHECK(rep.weights_restored && rep.best_epoch >= 1 && rep.best_epoch < rep.stopped_epoch);
    float *final = malloc(np * sizeof(float));
    CHECK_OK(gt_trainer_get_params(tr, final, np));
    if (rep.best_epoch >= 1 && a.weights[rep.best_epoch])
        CHECK(memcmp(final, a.weights[rep.best_epoch], np * sizeof(float)) == 0);
    /* a reduction shows in the next epoch's rate, and only then */
    int reductions = 0;
    for (int e = 1; e < a.last_epoch; ++e) {
        if (a.reduced[e] > 0) {
            ++reductions;
            CHECK_MSG(a.lr[e + 1] == a.reduced[e], "epoch %d reduced to %g, epoch %d ran at %g", e,
                      a.reduced[e], e + 1, a.lr[e + 1]);
        } else {
            CHECK(a.lr[e + 1] == a.lr[e]);
        }
    }
    CHECK(reductions > 0);
    /* fitting again continues the stopped run: nothing to do */
    CHECK_OK(gt_trainer_fit(tr, train, val, EPOCHS, &cb));
    CHECK_OK(gt_trainer_get_state(tr, &st));
    CHECK(st.epochs_done == rep.stopped_epoch);
    /* monitoring val_* needs validation data */
    CHECK_FAILS_WITH(gt_trainer_fit(tr, train, NULL, EPOCHS, &cb), GT_ERR_INVALID_ARGUMENT,
                     "no validation data");
    gt_trainer_destroy(tr);

    char dir[] = "/tmp/gtrain_fit_callbacks_XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        fprintf(stderr, "cannot make a temporary directory\n");
        return 1;
    }
    int hdf5 = gt_checkpoint_check_target("probe.h5") == GT_OK;
    if (!hdf5) printf("note: built without HDF5: the checkpoint parts are skipped\n");
    if (hdf5 && rep.stopped_epoch > 2) {
        /* 2 epochs, checkpoint, a new trainer from the file, the rest */
        recorder b = {np, {NULL}, {0}, {0}, {0}, 0};
        cb.user = &b;
        tr = make(model, be);
        CHECK_OK(gt_trainer_fit(tr, train, val, 2, &cb));
        CHECK_OK(gt_checkpoint_save(tr, "mid.h5", NULL));
        gt_trainer_destroy(tr);
        tr = NULL;
        gt_checkpoint_info info;
        CHECK_OK(gt_checkpoint_read_info("mid.h5", &info));
        CHECK(info.format_version == 3 && info.callbacks != NULL);
        CHECK(info.config.optimizer == GT_OPT_SGD && info.config.momentum == 0.9f);
        CHECK_OK(gt_trainer_create(model, be, &info.config, &tr));
        free(info.run_info);
        free(info.callbacks);
        if (tr) {
            CHECK_OK(gt_checkpoint_restore(tr, "mid.h5", 1));
            CHECK_OK(gt_trainer_fit(tr, train, val, EPOCHS, &cb));
            gt_callbacks_report rep2;
            gt_trainer_callbacks_report(tr, &rep2);
            CHECK(rep2.stopped_epoch == rep.stopped_epoch && rep2.best_epoch == rep.best_epoch);
            CHECK(rep2.weights_restored);
            float *resumed = malloc(np * sizeof(float));
            CHECK_OK(gt_trainer_get_params(tr, resumed, np));
            CHECK_MSG(memcmp(resumed, final, np * sizeof(float)) == 0,
                      "resumed run's final weights differ from the straight run's");
            for (int e = 3; e <= rep.stopped_epoch; ++e)
                CHECK_MSG(b.lr[e] == a.lr[e], "epoch %d: learning rate %g resumed, %g straight", e,
                          b.lr[e], a.lr[e]);
            free(resumed);
            gt_trainer_destroy(tr);
        }
        recorder_free(&b);

        /* ModelCheckpoint(save_best_only) and TensorBoard in a real fit */
        tr = NULL;
        CHECK_OK(gt_trainer_create_json(model, be, options, &tr));
        CHECK_OK(gt_trainer_set_callbacks(
            tr, "[{\"class_name\": \"ModelCheckpoint\", \"config\": {\"filepath\": "
                "\"best_{epoch:02d}.h5\", \"monitor\": \"val_loss\", \"save_best_only\": true}},"
                " {\"class_name\": \"TensorBoard\", \"config\": {\"log_dir\": \"tb\", "
                "\"update_freq\": 2}}]"));
        recorder c = {np, {NULL}, {0}, {0}, {0}, 0};
        cb.user = &c;
        CHECK_OK(gt_trainer_fit(tr, train, val, 3, &cb));
        CHECK(access("best_01.h5", F_OK) == 0); /* the first epoch always improves */
        CHECK(count_event_files("tb/train") == 1 && count_event_files("tb/validation") == 1);
        gt_trainer_destroy(tr);
        recorder_free(&c);
        tr = NULL;
        CHECK_OK(gt_trainer_create_json(model, be, options, &tr));
        if (tr) {
            CHECK_FAILS_WITH(
                gt_trainer_set_callbacks(tr, "[{\"class_name\": \"ModelCheckpoint\", \"config\": "
                                             "{\"filepath\": \"no/such/dir/m.h5\"}}]"),
                GT_ERR_IO, "no/such/dir");
            gt_trainer_destroy(tr);
        }
    }
    if (chdir("/") != 0) return 1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(final);
    recorder_free(&a);
    gt_dataset_free(train);
    gt_dataset_free(val);
    gt_backend_destroy(be);
    gt_model_free(model);
    TEST_EXIT();
}
