/* Writing checkpoints: Keras 2's model.save() HDF5 layout (see checkpoint.h)
 * plus /gtrain_state, written to "<path>.tmp" in the same directory, closed,
 * fsync'd and renamed over <path>, then the directory fsync'd: at every
 * moment <path> is either the previous complete checkpoint or the new one. */
#ifdef GTRAIN_HAVE_HDF5

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "checkpoint_hdf5.h"
#include "error.h"

/* Host copies of everything a checkpoint holds. */
typedef struct snapshot {
    const gt_model *model;
    const gt_train_config *cfg;
    float *params, *moments;
    size_t n_params, n_moments;
    gt_train_state state;
    char *model_json;
} snapshot;

static void snapshot_free(snapshot *s)
{
    free(s->params);
    free(s->moments);
    free(s->model_json);
}

static gt_status snapshot_take(gt_trainer *tr, const char *path, snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->model = gt_trainer_model(tr);
    s->cfg = gt_trainer_config(tr);
    s->n_params = gt_model_param_count(s->model);
    s->n_moments = gt_trainer_optimizer_state_count(tr);
    s->params = malloc((s->n_params ? s->n_params : 1) * sizeof(float));
    s->moments = malloc((s->n_moments ? s->n_moments : 1) * sizeof(float));
    if (!s->params || !s->moments)
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "%s: out of host memory for the checkpoint (%zu "
                       "parameters)",
                       path, s->n_params);
    GT_TRY(gt_trainer_get_params(tr, s->params, s->n_params));
    GT_TRY(gt_trainer_get_optimizer_state(tr, s->moments, s->n_moments));
    GT_TRY(gt_trainer_get_state(tr, &s->state));
    return gt_model_to_json(s->model, &s->model_json);
}

/* model_weights/<layer> for one layer; `scratch` holds the largest kernel. */
static gt_status write_layer(hid_t mw, const gt_layer *l, const float *params, float *scratch,
                             const char *where)
{
    hid_t g = H5Gcreate2(mw, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return gt_fail(GT_ERR_IO, "%s: cannot create group model_weights/%s (HDF5: %s)", where,
                       l->name, gt_h5_reason());
    gt_status st = GT_OK;
    char kernel[160], bias[160];
    snprintf(kernel, sizeof kernel, "%s/kernel:0", l->name);
    snprintf(bias, sizeof bias, "%s/bias:0", l->name);
    const char *names[2] = {kernel, bias};
    size_t n_names = l->kernel_count ? (l->bias_count ? 2 : 1) : 0;
    st = gt_h5_write_string_list_attr(g, "weight_names", names, n_names, where);
    if (st == GT_OK && l->kernel_count) {
        unsigned long long dims[4];
        int rank = gt_layer_keras_kernel_shape(l, dims);
        const float *k = params + l->kernel_offset;
        if (l->kind == GT_LAYER_CONV2D) {
            gt_kernel_ohwi_to_hwio(l, k, scratch);
            k = scratch;
        }
        st = gt_h5_write_floats(g, kernel, rank, dims, k, where);
    }
    if (st == GT_OK && l->bias_count) {
        unsigned long long dims[1] = {l->bias_count};
        st = gt_h5_write_floats(g, bias, 1, dims, params + l->bias_offset, where);
    }
    H5Gclose(g);
    return st;
}

static gt_status write_weights(hid_t file, const snapshot *s, const char *where)
{
    const gt_model *m = s->model;
    hid_t mw = H5Gcreate2(file, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (mw < 0)
        return gt_fail(GT_ERR_IO, "%s: cannot create group model_weights (HDF5: %s)", where,
                       gt_h5_reason());
    const char **names = malloc((size_t)(m->n_layers ? m->n_layers : 1) * sizeof *names);
    size_t largest = 1;
    for (int i = 0; i < m->n_layers; ++i)
        if (m->layers[i].kernel_count > largest) largest = m->layers[i].kernel_count;
    float *scratch = malloc(largest * sizeof(float));
    gt_status st = GT_OK;
    if (!names || !scratch) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", where);
    for (int i = 0; st == GT_OK && i < m->n_layers; ++i)
        names[i] = m->layers[i].name;
    if (st == GT_OK)
        st = gt_h5_write_string_list_attr(mw, "layer_names", names, (size_t)m->n_layers, where);
    if (st == GT_OK) st = gt_h5_write_string_attr(mw, "backend", GT_KERAS_BACKEND, 0, where);
    if (st == GT_OK)
        st = gt_h5_write_string_attr(mw, "keras_version", GT_KERAS_FILE_VERSION, 0, where);
    for (int i = 0; st == GT_OK && i < m->n_layers; ++i)
        st = write_layer(mw, &m->layers[i], s->params, scratch, where);
    free(names);
    free(scratch);
    H5Gclose(mw);
    return st;
}

static gt_status write_state(hid_t file, const snapshot *s, const char *run_info, const char *where)
{
    hid_t g = H5Gcreate2(file, GT_CHECKPOINT_STATE_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return gt_fail(GT_ERR_IO, "%s: cannot create group %s (HDF5: %s)", where,
                       GT_CHECKPOINT_STATE_GROUP, gt_h5_reason());
    const gt_train_config *c = s->cfg;
    const gt_train_state *t = &s->state;
    gt_status st = gt_h5_write_int64_attr(g, "format_version", GT_CHECKPOINT_FORMAT_VERSION, where);
#define PUT(call)                                                                                  \
    do {                                                                                           \
        if (st == GT_OK) st = (call);                                                              \
    } while (0)
    PUT(gt_h5_write_string_attr(g, "optimizer", c->optimizer == GT_OPT_SGD ? "sgd" : "adam", 1,
                                where));
    PUT(gt_h5_write_double_attr(g, "learning_rate", c->learning_rate, where));
    PUT(gt_h5_write_double_attr(g, "beta1", c->beta1, where));
    PUT(gt_h5_write_double_attr(g, "beta2", c->beta2, where));
    PUT(gt_h5_write_double_attr(g, "epsilon", c->epsilon, where));
    PUT(gt_h5_write_double_attr(g, "momentum", c->momentum, where));
    PUT(gt_h5_write_int64_attr(g, "nesterov", c->nesterov, where));
    PUT(gt_h5_write_int64_attr(g, "batch_size", c->batch_size, where));
    PUT(gt_h5_write_int64_attr(g, "steps_per_epoch", c->steps_per_epoch, where));
    PUT(gt_h5_write_string_attr(g, "reduction", c->reduction == GT_REDUCE_SUM ? "sum" : "mean", 1,
                                where));
    PUT(gt_h5_write_double_attr(g, "loss_log_epsilon", c->loss_log_epsilon, where));
    PUT(gt_h5_write_string_attr(g, "data_order", gt_data_order_name(c->order), 1, where));
    PUT(gt_h5_write_uint64_attr(g, "seed", c->seed, where));
    PUT(gt_h5_write_int64_attr(g, "optimizer_step", t->optimizer_step, where));
    PUT(gt_h5_write_int64_attr(g, "epochs_done", t->epochs_done, where));
    PUT(gt_h5_write_int64_attr(g, "steps_done", t->steps_done, where));
    PUT(gt_h5_write_uint64_attr(g, "dropout_counter", t->dropout_counter, where));
    PUT(gt_h5_write_double_attr(g, "epoch_loss_sum", t->epoch_loss_sum, where));
    PUT(gt_h5_write_double_attr(g, "epoch_correct", t->epoch_correct, where));
    PUT(gt_h5_write_double_attr(g, "epoch_examples", t->epoch_examples, where));
    PUT(gt_h5_write_double_attr(g, "epoch_seconds", t->epoch_seconds, where));
    if (run_info) PUT(gt_h5_write_string_attr(g, "run_info", run_info, 1, where));
    if (s->n_moments) {
        unsigned long long dims[1] = {s->n_moments};
        PUT(gt_h5_write_floats(g, "optimizer_state", 1, dims, s->moments, where));
    }
#undef PUT
    H5Gclose(g);
    return st;
}

/* The crash test's hook (see GT_CHECKPOINT_KILL_ENV): dies like kill -9. */
static void maybe_die_mid_save(hid_t file)
{
    static int saves = 0;
    const char *env = getenv(GT_CHECKPOINT_KILL_ENV);
    ++saves;
    if (!env || atoi(env) != saves) return;
    H5Fflush(file, H5F_SCOPE_GLOBAL); /* a half-written file really is on disk */
    raise(SIGKILL);
}

static gt_status fsync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return gt_fail(GT_ERR_IO, "cannot open %s to sync it: %s", path, strerror(errno));
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    if (rc != 0) return gt_fail(GT_ERR_IO, "cannot sync %s to disk: %s", path, strerror(err));
    return GT_OK;
}

static void directory_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, size, ".");
    else if (slash == path)
        snprintf(dir, size, "/");
    else
        snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

gt_status gt_checkpoint_save(gt_trainer *tr, const char *path, const char *run_info)
{
    if (!tr || !path || !*path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_save: trainer or path missing");
    gt_h5_quiet();
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    snprintf(tmp, n + 5, "%s.tmp", path);
    snapshot s;
    gt_status st = snapshot_take(tr, path, &s);
    hid_t file = H5I_INVALID_HID;
    if (st == GT_OK) {
        file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (file < 0)
            st = gt_fail(GT_ERR_IO, "cannot create checkpoint %s (HDF5: %s)", tmp, gt_h5_reason());
    }
    if (st == GT_OK)
        st = gt_h5_write_string_attr(file, "keras_version", GT_KERAS_FILE_VERSION, 1, tmp);
    if (st == GT_OK) st = gt_h5_write_string_attr(file, "backend", GT_KERAS_BACKEND, 1, tmp);
    if (st == GT_OK) st = gt_h5_write_string_attr(file, "model_config", s.model_json, 0, tmp);
    if (st == GT_OK) st = write_weights(file, &s, tmp);
    if (st == GT_OK) maybe_die_mid_save(file);
    if (st == GT_OK) st = write_state(file, &s, run_info, tmp);
    if (file >= 0 && H5Fclose(file) < 0 && st == GT_OK)
        st = gt_fail(GT_ERR_IO, "cannot finish writing %s (HDF5: %s)", tmp, gt_h5_reason());
    if (st == GT_OK) st = fsync_path(tmp, 0);
    if (st == GT_OK && rename(tmp, path) != 0)
        st = gt_fail(GT_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    if (st == GT_OK) {
        char dir[4096];
        directory_of(path, dir, sizeof dir);
        st = fsync_path(dir, 1);
    } else if (file >= 0) {
        remove(tmp); /* the previous checkpoint stays; the broken new one goes */
    }
    snapshot_free(&s);
    free(tmp);
    return st;
}

#endif /* GTRAIN_HAVE_HDF5 */
