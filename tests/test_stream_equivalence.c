/* The streaming path trains to the same bits as the resident path on the
 * CPU: with Keras' full shuffle, with the buffered shuffle and in file
 * order (with steps_per_epoch), validating on a slice of the training file;
 * evaluate and predict agree bit for bit; a streamed run stopped mid-epoch,
 * saved (checkpoint format 3: the data cursor) and resumed streams on from
 * the cursor and ends where the uninterrupted resident run ends. */
#include "test_util.h"
#include "test_util_data.h"
#include "test_util_files.h"

#define COUNT 203
#define BATCH 16

typedef struct run_logs {
    int epochs;
    double loss[8], acc[8], val_loss[8], val_acc[8];
} run_logs;

typedef struct fit_ctx {
    run_logs *logs;
    int stop_after; /* polls before a stop request; 0: never */
    int polls;
} fit_ctx;

static gt_status on_epoch_end(void *user, gt_trainer *tr, const gt_epoch_logs *l)
{
    (void)tr;
    fit_ctx *c = user;
    int e = l->epoch - 1;
    if (c->logs && e >= 0 && e < 8) {
        c->logs->loss[e] = l->loss;
        c->logs->acc[e] = l->accuracy;
        c->logs->val_loss[e] = l->val_loss;
        c->logs->val_acc[e] = l->val_accuracy;
        c->logs->epochs = l->epoch;
    }
    return GT_OK;
}

static int stop_requested(void *user)
{
    fit_ctx *c = user;
    return c->stop_after > 0 && ++c->polls > c->stop_after;
}

static gt_train_config config_for(const gt_model *m, int order_kind)
{
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = BATCH;
    cfg.seed = 9;
    if (order_kind == 1) {
        cfg.shuffle_buffer = 50;
        cfg.shuffle_block = 8;
    }
    if (order_kind == 2) {
        cfg.order = GT_ORDER_FILE;
        cfg.steps_per_epoch = 5;
    }
    return cfg;
}

/* Trains `epochs` on the first COUNT-40 examples of `data`, validating on
 * the last 40 (a slice: a copy when resident, a view when streamed). */
static float *train(const gt_model *m, gt_backend *be, const gt_dataset *data, int order_kind,
                    int epochs, run_logs *logs)
{
    gt_train_config cfg = config_for(m, order_kind);
    gt_trainer *tr = NULL;
    gt_dataset *tra = NULL, *val = NULL;
    CHECK_OK(gt_dataset_slice(data, 0, COUNT - 40, &tra));
    CHECK_OK(gt_dataset_slice(data, COUNT - 40, 40, &val));
    CHECK_OK(gt_trainer_create(m, be, &cfg, &tr));
    size_t np = gt_model_param_count(m);
    float *params = calloc(np, sizeof *params);
    fit_ctx ctx = {logs, 0, 0};
    gt_fit_callbacks cb = {&ctx, NULL, NULL, NULL, on_epoch_end, 0, NULL};
    if (tr && tra && val) {
        CHECK_OK(gt_trainer_fit(tr, tra, val, epochs, &cb));
        CHECK_OK(gt_trainer_get_params(tr, params, np));
    }
    gt_trainer_destroy(tr);
    gt_dataset_free(tra);
    gt_dataset_free(val);
    return params;
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

static void compare_runs(const gt_model *m, gt_backend *be, const gt_dataset *resident,
                         const gt_dataset *streamed, int order_kind, const char *what)
{
    run_logs la, lb;
    memset(&la, 0, sizeof la);
    memset(&lb, 0, sizeof lb);
    size_t np = gt_model_param_count(m);
    float *a = train(m, be, resident, order_kind, 3, &la);
    float *b = train(m, be, streamed, order_kind, 3, &lb);
    CHECK_MSG(same_floats(a, b, np), "%s: streamed weights differ from resident", what);
    CHECK(la.epochs == 3 && lb.epochs == 3);
    for (int e = 0; e < 3; ++e)
        CHECK_MSG(la.loss[e] == lb.loss[e] && la.acc[e] == lb.acc[e] &&
                      la.val_loss[e] == lb.val_loss[e] && la.val_acc[e] == lb.val_acc[e],
                  "%s: epoch %d logs differ (loss %.9g vs %.9g)", what, e + 1, la.loss[e],
                  lb.loss[e]);
    free(a);
    free(b);
}

static void compare_inference(const gt_model *m, gt_backend *be, const gt_dataset *resident,
                              const gt_dataset *streamed)
{
    gt_train_config cfg = config_for(m, 0);
    cfg.batch_size = 24; /* a partial last batch: 203 = 8 x 24 + 11 */
    gt_trainer *tr = NULL;
    CHECK_OK(gt_trainer_create(m, be, &cfg, &tr));
    if (!tr) return;
    double la = 0, aa = 0, lb = 1, ab = 1;
    CHECK_OK(gt_trainer_evaluate(tr, resident, &la, &aa));
    CHECK_OK(gt_trainer_evaluate(tr, streamed, &lb, &ab));
    CHECK_MSG(la == lb && aa == ab, "evaluate: %.9g %.9g vs %.9g %.9g", la, aa, lb, ab);
    size_t classes = 5, first = 17, count = 150;
    float *pa = calloc(count * classes, sizeof(float)),
          *pb = calloc(count * classes, sizeof(float));
    CHECK_OK(gt_trainer_predict(tr, resident, first, count, pa));
    CHECK_OK(gt_trainer_predict(tr, streamed, first, count, pb));
    CHECK_MSG(same_floats(pa, pb, count * classes), "predict: streamed differs");
    /* the index-list step needs the data in memory, and says so */
    int32_t idx[2] = {0, 1};
    CHECK_FAILS_WITH(gt_trainer_step(tr, streamed, idx, 2, NULL, NULL), GT_ERR_UNSUPPORTED,
                     "is streamed from its file");
    free(pa);
    free(pb);
    gt_trainer_destroy(tr);
}

#ifdef GTRAIN_HAVE_HDF5
/* Stopped mid-epoch 2 and saved, then resumed from the file on the stream. */
static void compare_resume(const gt_model *m, gt_backend *be, const gt_dataset *resident,
                           const gt_dataset *streamed, const char *dir, int order_kind)
{
    size_t np = gt_model_param_count(m);
    float *straight = train(m, be, resident, order_kind, 3, NULL);
    gt_dataset *tra = NULL, *val = NULL;
    CHECK_OK(gt_dataset_slice(streamed, 0, COUNT - 40, &tra));
    CHECK_OK(gt_dataset_slice(streamed, COUNT - 40, 40, &val));
    gt_train_config cfg = config_for(m, order_kind);
    gt_trainer *a = NULL, *b = NULL;
    CHECK_OK(gt_trainer_create(m, be, &cfg, &a));
    char path[4200];
    snprintf(path, sizeof path, "%s/ckpt%d.h5", dir, order_kind);
    /* 11 steps an epoch, polled before each and between epochs: the 17th
     * poll stops epoch 2 after 3 of its steps */
    fit_ctx ctx = {NULL, 16, 0};
    gt_fit_callbacks cb = {&ctx, NULL, NULL, NULL, on_epoch_end, 0, stop_requested};
    float *resumed = calloc(np, sizeof(float));
    if (a && tra && val) {
        CHECK_OK(gt_trainer_fit(a, tra, val, 3, &cb));
        gt_train_state st;
        CHECK_OK(gt_trainer_get_state(a, &st));
        CHECK_MSG(st.epochs_done == 1 && st.steps_done == 3 && st.data_cursor == 3 * BATCH,
                  "stopped at epoch %d + %d steps, cursor %lld", st.epochs_done, st.steps_done,
                  (long long)st.data_cursor);
        CHECK_OK(gt_checkpoint_save(a, path, NULL));
        gt_checkpoint_info info;
        CHECK_OK(gt_checkpoint_read_info(path, &info));
        CHECK(info.format_version == 3 && info.state.data_cursor == 3 * BATCH);
        CHECK(info.config.shuffle_buffer == cfg.shuffle_buffer &&
              info.config.shuffle_block == cfg.shuffle_block);
        free(info.run_info);
        gt_train_config saved = info.config;
        CHECK_OK(gt_trainer_create(m, be, &saved, &b));
        if (b) {
            CHECK_OK(gt_checkpoint_restore(b, path, 1));
            CHECK_OK(gt_trainer_fit(b, tra, val, 3, NULL));
            CHECK_OK(gt_trainer_get_params(b, resumed, np));
        }
    }
    CHECK_MSG(same_floats(straight, resumed, np),
              "order %d: streamed stop + save + resume differs from the straight resident run",
              order_kind);
    gt_trainer_destroy(a);
    gt_trainer_destroy(b);
    gt_dataset_free(tra);
    gt_dataset_free(val);
    free(straight);
    free(resumed);
}
#endif

int main(void)
{
    char dir[4096];
    if (!gt_test_tmpdir(dir, sizeof dir)) TEST_SKIP("no temporary directory");
    gt_model *m = NULL;
    gt_dataset *ref = NULL;
    gt_backend *be = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &m));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, COUNT, 5, 4, &ref));
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be));
    char img[4200], lab[4200];
    snprintf(img, sizeof img, "%s/img.gz", dir);
    snprintf(lab, sizeof lab, "%s/lab", dir);
    gt_dataset *idx = NULL;
    if (m && ref && be && gt_test_write_idx(ref, img, lab, 1))
        CHECK_OK(gt_dataset_open_idx(img, lab, 5, &idx));
    if (idx) {
        compare_runs(m, be, ref, idx, 0, "IDX, full shuffle");
        compare_runs(m, be, ref, idx, 2, "IDX, file order, 5 steps an epoch");
        compare_inference(m, be, ref, idx);
    }
#ifdef GTRAIN_HAVE_HDF5
    char h5[4200];
    snprintf(h5, sizeof h5, "%s/d.h5", dir);
    gt_dataset *hd = NULL;
    if (m && ref && be && gt_test_write_hdf5(ref, h5, 16, 1, 0))
        CHECK_OK(gt_dataset_open_hdf5(h5, NULL, NULL, &hd));
    if (hd) {
        compare_runs(m, be, ref, hd, 0, "HDF5 chunked, full shuffle");
        compare_runs(m, be, ref, hd, 1, "HDF5 chunked, buffered shuffle");
        compare_inference(m, be, ref, hd);
        compare_resume(m, be, ref, hd, dir, 0);
        compare_resume(m, be, ref, hd, dir, 1);
    }
    gt_dataset_free(hd);
#endif
    gt_dataset_free(idx);
    gt_backend_destroy(be);
    gt_dataset_free(ref);
    gt_model_free(m);
    gt_test_rmdir(dir);
    TEST_EXIT();
}
