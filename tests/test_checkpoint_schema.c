/* /gtrain_state is the table GT_CHECKPOINT_STATE_FIELDS: a saved checkpoint
 * holds every field of the table and a field of the table is required.
 * Each field removed in turn (the file re-sealed, as an editor would) makes
 * gt_checkpoint_read_info fail naming it; files of older formats without
 * the newer fields read with the table's `before` values. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"
#include "checkpoint_seal.h"
#include "checkpoint_state_fields.h"
#include "gtrain/train.h"
#include "test_util_data.h"
#include "test_util_files.h"

#ifdef GTRAIN_HAVE_HDF5
#include <hdf5.h>

typedef struct field_row {
    const char *name;
    int since;
} field_row;

#define FIELD_ROW(attr, kind, since, field, lo, hi, before) {#attr, since},
static const field_row fields[] = {GT_CHECKPOINT_STATE_FIELDS(FIELD_ROW)};
#undef FIELD_ROW
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

/* Recomputes the seal of the file at `path` over what follows the header. */
static int reseal(const char *path)
{
    FILE *f = fopen(path, "r+b");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint8_t *bytes = size > GT_SEAL_BYTES ? malloc((size_t)size) : NULL;
    int ok =
        bytes && fseek(f, 0, SEEK_SET) == 0 && fread(bytes, 1, (size_t)size, f) == (size_t)size;
    if (ok) {
        gt_seal_make(bytes, bytes + GT_SEAL_BYTES, (size_t)size - GT_SEAL_BYTES);
        ok = fseek(f, 0, SEEK_SET) == 0 && fwrite(bytes, 1, GT_SEAL_BYTES, f) == GT_SEAL_BYTES;
    }
    free(bytes);
    return fclose(f) == 0 && ok;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int ok = in && out;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok;
}

/* A copy of `from` at `to` with /gtrain_state's attributes of format
 * `newer_than` + 1 on removed (and `only`, when not NULL, removed whatever
 * its format) and format_version set to `version` (0: kept), re-sealed. */
static int edited_copy(const char *from, const char *to, const char *only, int newer_than,
                       int version)
{
    if (!copy_file(from, to)) return 0;
    hid_t f = H5Fopen(to, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 0;
    hid_t g = H5Gopen2(f, "gtrain_state", H5P_DEFAULT);
    int ok = g >= 0;
    for (int i = 0; ok && i < N_FIELDS; ++i) {
        int drop = (only && strcmp(fields[i].name, only) == 0) ||
                   (newer_than > 0 && fields[i].since > newer_than);
        if (drop) ok = H5Adelete(g, fields[i].name) >= 0;
    }
    if (ok && version > 0) {
        long long v = version;
        hid_t a = H5Aopen(g, "format_version", H5P_DEFAULT);
        ok = a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0;
        if (a >= 0) H5Aclose(a);
    }
    if (g >= 0) H5Gclose(g);
    if (H5Fclose(f) < 0) ok = 0;
    return ok && reseal(to);
}

/* The trainer after an interrupted epoch: a partial epoch's sums and a cursor. */
static gt_status stop_mid_epoch(void *user, gt_trainer *tr, int epoch, int step)
{
    (void)tr;
    (void)user;
    return epoch == 2 && step == 2 ? GT_ERR_UNSUPPORTED : GT_OK;
}

int main(void)
{
    gt_model *model = NULL;
    gt_dataset *data = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    char dir[256], saved[320], edited[320];
    CHECK(gt_test_tmpdir(dir, sizeof dir));
    snprintf(saved, sizeof saved, "%s/a.h5", dir);
    snprintf(edited, sizeof edited, "%s/e.h5", dir);
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){12, 12, 1}, 40, 5, 4, &data));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    if (!model || !data || !be) TEST_EXIT();
    gt_train_config cfg = gt_train_config_for(model);
    cfg.batch_size = 8;
    CHECK_OK(gt_trainer_create(model, be, &cfg, &tr));
    gt_fit_callbacks cb = {0};
    cb.on_step_end = stop_mid_epoch;
    CHECK(tr && gt_trainer_fit(tr, data, NULL, 3, &cb) == GT_ERR_UNSUPPORTED);
    CHECK_OK(gt_checkpoint_save(tr, saved, NULL));

    gt_checkpoint_info base;
    CHECK_OK(gt_checkpoint_read_info(saved, &base));
    CHECK(base.format_version == 3 && base.state.steps_done == 2 && base.state.epochs_done == 1);
    CHECK(base.state.data_cursor == 16 && base.state.learning_rate > 0.0);

    /* every field of the table is written */
    hid_t f = H5Fopen(saved, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = f >= 0 ? H5Gopen2(f, "gtrain_state", H5P_DEFAULT) : -1;
    for (int i = 0; g >= 0 && i < N_FIELDS; ++i)
        CHECK_MSG(H5Aexists(g, fields[i].name) > 0, "%s is not in the checkpoint", fields[i].name);
    if (g >= 0) H5Gclose(g);
    if (f >= 0) H5Fclose(f);

    /* and required: each one missing is refused by its name */
    for (int i = 0; i < N_FIELDS; ++i) {
        CHECK(edited_copy(saved, edited, fields[i].name, 0, 0));
        gt_checkpoint_info info;
        gt_status st = gt_checkpoint_read_info(edited, &info);
        CHECK_MSG(st != GT_OK && strstr(gt_last_error(), fields[i].name),
                  "without %s: status %d, \"%s\"", fields[i].name, (int)st, gt_last_error());
        if (st == GT_OK) {
            free(info.run_info);
            free(info.callbacks);
        }
    }

    /* an older format has none of the newer fields: they take `before` */
    for (int version = 1; version <= 2; ++version) {
        CHECK(edited_copy(saved, edited, NULL, version, version));
        gt_checkpoint_info old;
        CHECK_OK(gt_checkpoint_read_info(edited, &old));
        CHECK(old.format_version == version);
        CHECK(old.config.shuffle_buffer == 0 && old.config.shuffle_block == 0);
        CHECK(old.state.data_cursor == (int64_t)old.state.steps_done * old.config.batch_size);
        CHECK(old.state.learning_rate == 0.0); /* the config's */
        CHECK(old.config.batch_size == base.config.batch_size &&
              old.config.seed == base.config.seed);
        CHECK(old.state.epoch_loss_sum == base.state.epoch_loss_sum);
        if (version == 1)
            CHECK(old.config.order == GT_ORDER_SHUFFLED && old.config.loss_log_epsilon == 0.0f);
        free(old.run_info);
        free(old.callbacks);
    }
    free(base.run_info);
    free(base.callbacks);
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_dataset_free(data);
    gt_model_free(model);
    gt_test_rmdir(dir);
    TEST_EXIT();
}

#else
int main(void)
{
    TEST_SKIP("built without HDF5: no checkpoints");
}
#endif
