/* The callbacks against Keras 3's own: the expected decisions below were
 * produced once by Keras 3.15.1 (TensorFlow 2.21) feeding the same epoch
 * logs to keras.callbacks.EarlyStopping, ReduceLROnPlateau and
 * ModelCheckpoint (their on_train_begin, on_epoch_begin/end for each epoch
 * until model.stop_training, on_train_end) on a compiled model whose
 * optimizer starts at learning rate 0.001 and whose Dense bias is set to
 * the epoch number before each epoch, so the weights in the end tell which
 * epoch's weights they are. Written here so that the test needs no Keras.
 *
 * gtrain runs the same sequence through gt_callbacks_epoch_end and
 * gt_callbacks_train_end, the hooks gt_trainer_fit calls; the stopping
 * epoch, the learning rate after each epoch, the final weights' epoch and
 * the epochs ModelCheckpoint saved must all agree. The callbacks' config is
 * what Keras holds for the case, in gtrain's JSON. Then the state survives a
 * round trip through gt_trainer_callbacks_json mid-sequence. */
#include <unistd.h>

#include "callbacks.h"
#include "test_util.h"
#include "trainer_internal.h"

typedef struct epoch_logs {
    double val_loss, val_accuracy, loss, accuracy;
} epoch_logs;

/* the sequence every case sees */
static const epoch_logs sequence[12] = {
    {1.0, 0.6, 1.2, 0.55},    {0.9, 0.65, 1.0, 0.6},    {0.95, 0.64, 0.9, 0.65},
    {0.85, 0.7, 0.8, 0.7},    {0.86, 0.7, 0.7, 0.72},   {0.87, 0.71, 0.65, 0.74},
    {0.88, 0.69, 0.6, 0.76},  {0.7, 0.75, 0.55, 0.78},  {0.71, 0.74, 0.5, 0.8},
    {0.72, 0.76, 0.45, 0.82}, {0.73, 0.75, 0.44, 0.83}, {0.74, 0.74, 0.43, 0.84},
};

typedef struct keras_case {
    const char *name;
    const char *callbacks; /* a one-item list */
    int stopped_epoch;     /* 0: ran all 12 */
    int final_weights;     /* the epoch whose weights the model holds at the end */
    int n_lrs;
    double lrs[12]; /* the learning rate after each epoch run (float32, as %.9g prints it) */
    int saved[13];  /* ModelCheckpoint's epochs, 0-terminated */
} keras_case;

static const keras_case cases[] = {
    {"es_patience2",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_loss\", \"min_delta\": "
     "0, \"patience\": 2, \"mode\": \"auto\", \"baseline\": null, \"restore_best_weights\": false, "
     "\"start_from_epoch\": 0}}]",
     6,
     6,
     6,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"es_patience0",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_loss\", \"min_delta\": "
     "0, \"patience\": 0, \"mode\": \"auto\", \"baseline\": null, \"restore_best_weights\": false, "
     "\"start_from_epoch\": 0}}]",
     3,
     3,
     3,
     {0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"es_min_delta_restore",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_loss\", \"min_delta\": "
     "0.06, \"patience\": 1, \"mode\": \"auto\", \"baseline\": null, \"restore_best_weights\": "
     "true, \"start_from_epoch\": 0}}]",
     3,
     2,
     3,
     {0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"es_acc_start",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_accuracy\", "
     "\"min_delta\": 0, \"patience\": 2, \"mode\": \"auto\", \"baseline\": null, "
     "\"restore_best_weights\": true, \"start_from_epoch\": 2}}]",
     12,
     10,
     12,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
      0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"es_baseline",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_loss\", \"min_delta\": "
     "0, \"patience\": 3, \"mode\": \"auto\", \"baseline\": 0.8, \"restore_best_weights\": false, "
     "\"start_from_epoch\": 0}}]",
     3,
     3,
     3,
     {0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"es_restore_no_stop",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"loss\", \"min_delta\": 0, "
     "\"patience\": 5, \"mode\": \"auto\", \"baseline\": null, \"restore_best_weights\": true, "
     "\"start_from_epoch\": 0}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
      0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"es_max_mode_loss",
     "[{\"class_name\": \"EarlyStopping\", \"config\": {\"monitor\": \"val_loss\", \"min_delta\": "
     "0, \"patience\": 2, \"mode\": \"max\", \"baseline\": null, \"restore_best_weights\": false, "
     "\"start_from_epoch\": 0}}]",
     3,
     3,
     3,
     {0.00100000005, 0.00100000005, 0.00100000005},
     {0}},
    {"rlr_half",
     "[{\"class_name\": \"ReduceLROnPlateau\", \"config\": {\"monitor\": \"val_loss\", \"factor\": "
     "0.5, \"patience\": 1, \"mode\": \"auto\", \"min_delta\": 0.0001, \"cooldown\": 0, "
     "\"min_lr\": 0.0002}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.000500000024, 0.000500000024, 0.000250000012, 0.000199999995,
      0.000199999995, 0.000199999995, 0.000199999995, 0.000199999995, 0.000199999995,
      0.000199999995},
     {0}},
    {"rlr_cooldown",
     "[{\"class_name\": \"ReduceLROnPlateau\", \"config\": {\"monitor\": \"val_loss\", \"factor\": "
     "0.1, \"patience\": 2, \"mode\": \"auto\", \"min_delta\": 0.01, \"cooldown\": 2, \"min_lr\": "
     "0.0}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.000100000005,
      0.000100000005, 0.000100000005, 0.000100000005, 1.00000007e-05, 1.00000007e-05,
      1.00000007e-05},
     {0}},
    {"rlr_acc",
     "[{\"class_name\": \"ReduceLROnPlateau\", \"config\": {\"monitor\": \"val_accuracy\", "
     "\"factor\": 0.2, \"patience\": 1, \"mode\": \"auto\", \"min_delta\": 0.0001, \"cooldown\": "
     "0, \"min_lr\": 0.0}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.000200000009, 0.000200000009, 4.00000026e-05, 4.00000026e-05,
      8.00000089e-06, 8.00000089e-06, 1.60000013e-06, 1.60000013e-06, 3.20000026e-07,
      6.40000053e-08},
     {0}},
    {"mc_best",
     "[{\"class_name\": \"ModelCheckpoint\", \"config\": {\"save_best_only\": true, \"filepath\": "
     "\"ck_{epoch:02d}.h5\"}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
      0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005},
     {1, 2, 4, 8, 0}},
    {"mc_acc_threshold",
     "[{\"class_name\": \"ModelCheckpoint\", \"config\": {\"monitor\": \"val_accuracy\", "
     "\"initial_value_threshold\": 0.7, \"save_best_only\": true, \"filepath\": "
     "\"ck_{epoch:02d}.h5\"}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
      0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005},
     {6, 8, 10, 0}},
    {"mc_all",
     "[{\"class_name\": \"ModelCheckpoint\", \"config\": {\"save_best_only\": false, \"filepath\": "
     "\"ck_{epoch:02d}.h5\"}}]",
     0,
     12,
     12,
     {0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005,
      0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005, 0.00100000005},
     {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0}},
};
static const char *const model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"tiny\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 2, 2, 1], "
    "\"name\": \"input\"}},"
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 3, "
    "\"activation\": \"softmax\"}}]}}";

#define N_PARAMS 15
#define MARKER 12 /* the bias' first element holds the epoch */

static gt_trainer *new_trainer(gt_model *model, gt_backend *be)
{
    gt_trainer *tr = NULL;
    CHECK_OK(gt_trainer_create_json(
        model, be,
        "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": 0.001}}}", &tr));
    return tr;
}

/* Epochs first..last of the sequence; returns the epoch that stopped (0: none). */
static int run_epochs(gt_trainer *tr, int first, int last, double *lrs)
{
    for (int e = first; e <= last; ++e) {
        float w[N_PARAMS] = {0};
        w[MARKER] = (float)e;
        CHECK_OK(gt_trainer_set_params(tr, w, N_PARAMS));
        gt_epoch_logs logs;
        memset(&logs, 0, sizeof logs);
        logs.epoch = e;
        logs.val_loss = sequence[e - 1].val_loss;
        logs.val_accuracy = sequence[e - 1].val_accuracy;
        logs.loss = sequence[e - 1].loss;
        logs.accuracy = sequence[e - 1].accuracy;
        logs.learning_rate = gt_trainer_learning_rate(tr);
        int stop = 0;
        CHECK_OK(gt_callbacks_epoch_end(tr, &logs, &stop));
        lrs[e - 1] = gt_trainer_learning_rate(tr);
        if (stop) return e;
    }
    return 0;
}

static void check_outcome(const keras_case *c, gt_trainer *tr, int stopped, const double *lrs,
                          const char *how)
{
    CHECK_OK(gt_callbacks_train_end(tr));
    CHECK_MSG(stopped == c->stopped_epoch, "%s (%s): stopped after epoch %d, Keras %d", c->name,
              how, stopped, c->stopped_epoch);
    int ran = stopped ? stopped : 12;
    CHECK_MSG(ran == c->n_lrs, "%s (%s): %d epochs, Keras %d", c->name, how, ran, c->n_lrs);
    for (int e = 0; e < ran && e < c->n_lrs; ++e)
        CHECK_MSG((float)lrs[e] == (float)c->lrs[e],
                  "%s (%s): learning rate after epoch %d is %.9g, Keras %.9g", c->name, how, e + 1,
                  lrs[e], c->lrs[e]);
    float w[N_PARAMS];
    CHECK_OK(gt_trainer_get_params(tr, w, N_PARAMS));
    CHECK_MSG(w[MARKER] == (float)c->final_weights,
              "%s (%s): ends with epoch %g's weights, Keras "
              "epoch %d's",
              c->name, how, (double)w[MARKER], c->final_weights);
    gt_callbacks_report report;
    gt_trainer_callbacks_report(tr, &report);
    CHECK(report.stopped_epoch == c->stopped_epoch);
}

/* ModelCheckpoint's files in the current directory, then removed. */
static void check_saved(const keras_case *c, const char *how)
{
    int k = 0;
    for (int e = 1; e <= 12; ++e) {
        char path[32];
        snprintf(path, sizeof path, "ck_%02d.h5", e);
        int want = c->saved[k] == e;
        if (want) ++k;
        int have = access(path, F_OK) == 0;
        CHECK_MSG(have == want, "%s (%s): epoch %d %s saved, Keras %s", c->name, how, e,
                  have ? "was" : "was not", want ? "did" : "did not");
        unlink(path);
    }
}

static void run_case(const keras_case *c, gt_model *model, gt_backend *be, int hdf5)
{
    int checkpoints = strstr(c->callbacks, "ModelCheckpoint") != NULL;
    if (checkpoints && !hdf5) return;
    double lrs[12] = {0};
    gt_trainer *tr = new_trainer(model, be);
    if (!tr) return;
    CHECK_OK(gt_trainer_set_callbacks(tr, c->callbacks));
    int stopped = run_epochs(tr, 1, 12, lrs);
    check_outcome(c, tr, stopped, lrs, "straight");
    if (checkpoints) check_saved(c, "straight");
    gt_trainer_destroy(tr);

    /* interrupted after epoch 2 (none of the cases stops before): the state
     * goes through JSON into a new trainer, as a checkpoint carries it */
    memset(lrs, 0, sizeof lrs);
    tr = new_trainer(model, be);
    gt_trainer *again = new_trainer(model, be);
    if (!tr || !again) return;
    CHECK_OK(gt_trainer_set_callbacks(tr, c->callbacks));
    CHECK(run_epochs(tr, 1, 2, lrs) == 0);
    char *json = NULL;
    CHECK_OK(gt_trainer_callbacks_json(tr, 1, &json));
    CHECK_OK(gt_trainer_set_callbacks(again, json));
    free(json);
    size_t n = 0;
    const float *best = gt_callbacks_best_weights(tr, &n);
    if (best) CHECK_OK(gt_callbacks_set_best_weights(again, best, n));
    CHECK_OK(gt_trainer_set_learning_rate(again, gt_trainer_learning_rate(tr)));
    gt_trainer_destroy(tr);
    stopped = run_epochs(again, 3, 12, lrs);
    check_outcome(c, again, stopped, lrs, "resumed after epoch 2");
    if (checkpoints) check_saved(c, "resumed after epoch 2");
    gt_trainer_destroy(again);
}

/* What is refused, and the defaults of an item given with no config. */
static void check_config(gt_model *model, gt_backend *be)
{
    gt_trainer *tr = new_trainer(model, be);
    if (!tr) return;
    CHECK_FAILS_WITH(gt_trainer_set_callbacks(tr, "[{\"class_name\": \"CSVLogger\"}]"),
                     GT_ERR_UNSUPPORTED, "CSVLogger");
    CHECK_FAILS_WITH(
        gt_trainer_set_callbacks(tr, "[{\"class_name\": \"ReduceLROnPlateau\", \"config\": "
                                     "{\"factor\": 1.5}}]"),
        GT_ERR_INVALID_ARGUMENT, "factor");
    CHECK_FAILS_WITH(gt_trainer_set_callbacks(tr,
                                              "[{\"class_name\": \"EarlyStopping\", \"config\": "
                                              "{\"monitor\": \"val_mae\"}}]"),
                     GT_ERR_INVALID_ARGUMENT, "val_mae");
    CHECK_FAILS_WITH(gt_trainer_set_callbacks(tr,
                                              "[{\"class_name\": \"EarlyStopping\", \"config\": "
                                              "{\"patience\": 2, \"paitence\": 3}}]"),
                     GT_ERR_INVALID_ARGUMENT, "unknown key 'paitence'");
    CHECK_FAILS_WITH(gt_trainer_set_callbacks(tr,
                                              "[{\"class_name\": \"ModelCheckpoint\", \"config\": "
                                              "{\"filepath\": \"m.keras\"}}]"),
                     GT_ERR_INVALID_ARGUMENT, ".h5");
    CHECK_FAILS_WITH(gt_trainer_set_callbacks(tr, "{\"class_name\": \"EarlyStopping\"}"),
                     GT_ERR_INVALID_ARGUMENT, "list");
    CHECK_OK(gt_trainer_set_callbacks(
        tr, "[{\"class_name\": \"EarlyStopping\"}, {\"class_name\": \"ReduceLROnPlateau\"}, "
            "{\"class_name\": \"TensorBoard\", \"config\": {\"update_freq\": \"batch\"}}]"));
    char *json = NULL;
    CHECK_OK(gt_trainer_callbacks_json(tr, 0, &json));
    /* Keras 3's defaults */
    CHECK(json && strstr(json, "{\"class_name\":\"EarlyStopping\",\"config\":{\"monitor\":"
                               "\"val_loss\",\"mode\":\"auto\",\"min_delta\":0,\"patience\":0,"
                               "\"baseline\":null,\"restore_best_weights\":false,"
                               "\"start_from_epoch\":0,\"verbose\":0}}"));
    CHECK(json && strstr(json, "\"factor\":0.1,\"patience\":10,\"min_delta\":0.0001,"
                               "\"cooldown\":0,\"min_lr\":0"));
    CHECK(json && strstr(json, "\"log_dir\":\"logs\",\"update_freq\":1"));
    free(json);
    /* a fit without validation cannot monitor val_loss */
    int finished = 0;
    CHECK_FAILS_WITH(gt_callbacks_fit_begin(tr, 0, &finished), GT_ERR_INVALID_ARGUMENT,
                     "no validation data");
    CHECK_OK(gt_callbacks_fit_begin(tr, 1, &finished));
    CHECK(!finished);
    CHECK_OK(gt_trainer_set_callbacks(tr, NULL));
    CHECK_OK(gt_trainer_callbacks_json(tr, 0, &json));
    CHECK(json && strcmp(json, "[]") == 0);
    free(json);
    gt_trainer_destroy(tr);

    /* a schedule owns the learning rate */
    tr = NULL;
    CHECK_OK(gt_trainer_create_json(
        model, be,
        "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": "
        "{\"class_name\": "
        "\"ExponentialDecay\", \"config\": {\"initial_learning_rate\": 0.1, \"decay_steps\": 3, "
        "\"decay_rate\": 0.5}}}}}",
        &tr));
    if (!tr) return;
    CHECK_OK(gt_trainer_set_callbacks(
        tr, "[{\"class_name\": \"ReduceLROnPlateau\", \"config\": {\"monitor\": \"loss\"}}]"));
    CHECK_FAILS_WITH(gt_callbacks_fit_begin(tr, 1, &finished), GT_ERR_INVALID_ARGUMENT, "schedule");
    gt_trainer_destroy(tr);
}

/* "k=v" specs as the CLI passes them. */
static void check_spec(void)
{
    char *json = NULL;
    CHECK_OK(gt_spec_to_json("patience=3,monitor=val_accuracy,restore_best_weights=true,"
                             "boundaries=[10,20],baseline=null,min_delta=1e-3",
                             &json));
    CHECK(json && strcmp(json, "{\"patience\":3,\"monitor\":\"val_accuracy\","
                               "\"restore_best_weights\":true,\"boundaries\":[10,20],"
                               "\"baseline\":null,\"min_delta\":0.001}") == 0);
    free(json);
    CHECK_OK(gt_spec_to_json("", &json));
    CHECK(json && strcmp(json, "{}") == 0);
    free(json);
    CHECK_FAILS_WITH(gt_spec_to_json("patience", &json), GT_ERR_INVALID_ARGUMENT, "key=value");
    CHECK_FAILS_WITH(gt_spec_to_json("a=1,a=2", &json), GT_ERR_INVALID_ARGUMENT, "twice");
}

int main(void)
{
    gt_model *model = NULL;
    gt_backend *be = NULL;
    CHECK_OK(gt_model_from_json_text(model_json, "<tiny>", &model));
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &be));
    if (!model || !be) TEST_EXIT();
    /* ModelCheckpoint writes into a fresh directory */
    char dir[] = "/tmp/gtrain_callbacks_XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        fprintf(stderr, "cannot make a temporary directory\n");
        return 1;
    }
    gt_trainer *probe = new_trainer(model, be);
    int hdf5 = probe && gt_checkpoint_check_target("probe.h5") == GT_OK;
    gt_trainer_destroy(probe);
    if (!hdf5) printf("note: built without HDF5: the ModelCheckpoint cases are skipped\n");
    for (size_t k = 0; k < sizeof cases / sizeof *cases; ++k)
        run_case(&cases[k], model, be, hdf5);
    check_config(model, be);
    check_spec();
    if (chdir("/") == 0) rmdir(dir);
    gt_backend_destroy(be);
    gt_model_free(model);
    TEST_EXIT();
}
