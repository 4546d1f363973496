/* Writing checkpoints: Keras 2's model.save() HDF5 layout (see checkpoint.h)
 * plus /gtrain_state, built in memory, sealed (checkpoint_seal.h), written to
 * "<path>.tmp" in the same directory, fsync'd and renamed over <path>, then
 * the directory fsync'd: at every moment <path> is either the previous
 * complete checkpoint or the new one, and a failed write removes the .tmp. */
#ifdef GTRAIN_HAVE_HDF5

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "checkpoint_extras.h"
#include "h5_io.h"
#include "checkpoint_seal.h"
#include "checkpoint_state_fields.h"
#include "gtrain/status.h"
#include "h5_lock.h"

/* Host copies of everything a checkpoint holds. */
typedef struct snapshot {
    const gt_model *model;
    const gt_train_config *cfg;
    float *params, *moments;
    size_t n_params, n_moments;
    gt_train_state state;
    char *model_json;
    gt_ckpt_extras extras;
} snapshot;

static void snapshot_free(snapshot *s)
{
    free(s->params);
    free(s->moments);
    free(s->model_json);
    gt_ckpt_extras_free(&s->extras);
    s->params = s->moments = NULL;
    s->model_json = NULL;
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
    GT_TRY(gt_ckpt_extras_take(tr, &s->extras));
    return gt_model_to_json(s->model, &s->model_json);
}

/* model_weights/<layer> for one layer: its weights under Keras' names and
 * shapes; `scratch` holds the largest weight. */
static gt_status write_layer(hid_t mw, const gt_layer *l, const float *params, float *scratch,
                             const char *where)
{
    hid_t g = H5Gcreate2(mw, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return gt_fail(GT_ERR_IO, "%s: cannot create group model_weights/%s (HDF5: %s)", where,
                       l->name, gt_h5_reason());
    gt_weight_spec specs[GT_LAYER_MAX_WEIGHTS];
    int n = gt_layer_weight_specs(l, specs);
    char names[GT_LAYER_MAX_WEIGHTS][160];
    const char *list[GT_LAYER_MAX_WEIGHTS];
    for (int k = 0; k < n; ++k) {
        snprintf(names[k], sizeof names[k], "%s/%s:0", l->name, specs[k].name);
        list[k] = names[k];
    }
    gt_status st = gt_h5_write_string_list_attr(g, "weight_names", list, (size_t)n, where);
    for (int k = 0; st == GT_OK && k < n; ++k) {
        const gt_layer_weight *w = &l->weights[k];
        gt_weight_to_keras(&specs[k], params + w->model_offset, scratch, w->count);
        st = gt_h5_write_floats(g, names[k], specs[k].rank, specs[k].dims, scratch, where);
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
        for (int k = 0; k < m->layers[i].n_weights; ++k)
            if (m->layers[i].weights[k].count > largest) largest = m->layers[i].weights[k].count;
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

/* One writer per kind of GT_CHECKPOINT_STATE_FIELDS. */
static gt_status write_int64(hid_t g, const char *name, long long v, const char *where)
{
    return gt_h5_write_int64_attr(g, name, v, where);
}
static gt_status write_uint64(hid_t g, const char *name, unsigned long long v, const char *where)
{
    return gt_h5_write_uint64_attr(g, name, v, where);
}
static gt_status write_real(hid_t g, const char *name, double v, const char *where)
{
    return gt_h5_write_double_attr(g, name, v, where);
}
#define write_real_gt write_real
#define write_fraction write_real
static gt_status write_optimizer(hid_t g, const char *name, gt_optimizer_kind v, const char *where)
{
    return gt_h5_write_string_attr(g, name, gt_optimizer_name(v), 1, where);
}
static gt_status write_reduction(hid_t g, const char *name, gt_loss_reduction v, const char *where)
{
    return gt_h5_write_string_attr(g, name, v == GT_REDUCE_SUM ? "sum" : "mean", 1, where);
}
static gt_status write_order(hid_t g, const char *name, gt_data_order v, const char *where)
{
    return gt_h5_write_string_attr(g, name, gt_data_order_name(v), 1, where);
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
#define WRITE_FIELD(attr, kind, since, field, lo, hi, before)                                      \
    PUT(write_##kind(g, #attr, field, where));
    GT_CHECKPOINT_STATE_FIELDS(WRITE_FIELD)
#undef WRITE_FIELD
    if (run_info) PUT(gt_h5_write_string_attr(g, "run_info", run_info, 1, where));
    if (s->n_moments) {
        unsigned long long dims[1] = {s->n_moments};
        PUT(gt_h5_write_floats(g, "optimizer_state", 1, dims, s->moments, where));
    }
    PUT(gt_ckpt_extras_write(g, &s->extras, where));
#undef PUT
    H5Gclose(g);
    return st;
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

/* The whole checkpoint, built by libhdf5 in memory (the core driver, no
 * backing store): libhdf5 never writes to disk itself, so a full disk or an
 * I/O error can neither leave a half-closed HDF5 file behind (which crashed
 * libhdf5's exit-time cleanup) nor lose errno; gtrain writes the bytes with
 * write(2) and reports exactly why a write failed. image[0..GT_SEAL_BYTES)
 * is the user block that receives the seal. */
static gt_status build_image(snapshot *s, const char *run_info, const char *where, uint8_t **image,
                             size_t *size)
{
    *image = NULL;
    *size = 0;
    size_t estimate = (s->n_params + s->n_moments) * sizeof(float) + ((size_t)1 << 20);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_fapl_core(fapl, estimate, 0);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    H5Pset_userblock(fcpl, GT_SEAL_BYTES);
    hid_t file = H5Fcreate(where, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fapl);
    H5Pclose(fcpl);
    if (file < 0)
        return gt_fail(GT_ERR_INTERNAL, "%s: cannot create the checkpoint in memory (HDF5: %s)",
                       where, gt_h5_reason());
    gt_status st = gt_h5_write_string_attr(file, "keras_version", GT_KERAS_FILE_VERSION, 1, where);
    if (st == GT_OK) st = gt_h5_write_string_attr(file, "backend", GT_KERAS_BACKEND, 1, where);
    if (st == GT_OK) st = gt_h5_write_string_attr(file, "model_config", s->model_json, 0, where);
    if (st == GT_OK) st = write_weights(file, s, where);
    if (st == GT_OK) st = write_state(file, s, run_info, where);
    snapshot_free(s); /* the image is about to take as much memory again */
    ssize_t n = -1;
    if (st == GT_OK && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0) n = H5Fget_file_image(file, NULL, 0);
    if (st == GT_OK && n <= 0)
        st = gt_fail(GT_ERR_INTERNAL, "%s: cannot take the checkpoint's image (HDF5: %s)", where,
                     gt_h5_reason());
    uint8_t *buf = st == GT_OK ? malloc((size_t)n + GT_SEAL_BYTES) : NULL;
    if (st == GT_OK && !buf)
        st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for the %zd-byte checkpoint",
                     where, n);
    if (st == GT_OK && H5Fget_file_image(file, buf + GT_SEAL_BYTES, (size_t)n) != n)
        st = gt_fail(GT_ERR_INTERNAL, "%s: cannot copy the checkpoint's image (HDF5: %s)", where,
                     gt_h5_reason());
    H5Fclose(file);
    if (st != GT_OK) {
        free(buf);
        return st;
    }
    gt_seal_make(buf, buf + GT_SEAL_BYTES, (size_t)n);
    *image = buf;
    *size = (size_t)n + GT_SEAL_BYTES;
    return GT_OK;
}

/* Writes the image to `tmp` and syncs it; on failure `tmp` is removed. */
static gt_status write_file(const char *tmp, const char *path, const uint8_t *data, size_t size)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return gt_fail(GT_ERR_IO, "cannot create checkpoint %s: %s", tmp, strerror(errno));
    size_t done = 0;
    int err = 0;
    while (done < size && !err) {
        ssize_t n = write(fd, data + done, size - done);
        if (n > 0)
            done += (size_t)n;
        else if (n < 0 && errno != EINTR)
            err = errno;
        else if (n == 0)
            err = EIO;
    }
    if (!err && fsync(fd) != 0) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    if (!err) return GT_OK;
    unlink(tmp);
    struct stat previous;
    int kept = stat(path, &previous) == 0;
    return gt_fail(GT_ERR_IO,
                   "cannot write checkpoint %s: %s (%zu of %zu bytes written); removed it%s%s%s",
                   tmp, strerror(err), done, size, kept ? ", the previous " : "", kept ? path : "",
                   kept ? " is kept" : "");
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

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a named pipe";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

/* The rename target must be a regular file or absent: rename(2) would
 * replace a device node, a link or a pipe just as well. */
static gt_status check_replaceable(const char *what, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) return GT_OK;
        return gt_fail(GT_ERR_IO, "cannot save to %s: %s", path, strerror(errno));
    }
    if (S_ISREG(st.st_mode)) return GT_OK;
    return gt_fail(GT_ERR_IO,
                   "cannot save %s to %s: it is %s; checkpoints replace their file atomically, "
                   "so the path must be a regular file or not exist yet",
                   what, path, file_kind(st.st_mode));
}

static gt_status tmp_name(const char *path, char **out)
{
    size_t n = strlen(path);
    *out = malloc(n + 5);
    if (!*out) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    snprintf(*out, n + 5, "%s.tmp", path);
    return GT_OK;
}

gt_status gt_checkpoint_check_target(const char *path)
{
    if (!path || !*path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_check_target: no path given");
    GT_TRY(check_replaceable("the checkpoint", path));
    char dir[4096];
    directory_of(path, dir, sizeof dir);
    struct stat st;
    if (stat(dir, &st) != 0)
        return gt_fail(GT_ERR_IO, "cannot save to %s: directory %s: %s", path, dir,
                       errno == ENOENT ? "does not exist" : strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return gt_fail(GT_ERR_IO, "cannot save to %s: %s is not a directory", path, dir);
    char *tmp = NULL;
    GT_TRY(tmp_name(path, &tmp));
    gt_status result = check_replaceable("the temporary file", tmp);
    /* create the temporary file for real: permissions, a read-only
     * filesystem and quotas show only then (a stale one from a killed save
     * is replaced) */
    int fd = result == GT_OK ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : -1;
    if (result == GT_OK && fd < 0)
        result = gt_fail(GT_ERR_IO, "cannot save to %s: cannot create %s: %s", path, tmp,
                         strerror(errno));
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    return result;
}

static gt_status save(gt_trainer *tr, const char *path, const char *run_info);

gt_status gt_checkpoint_save(gt_trainer *tr, const char *path, const char *run_info)
{
    if (!tr || !path || !*path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_save: trainer or path missing");
    /* the host's HDF5 error printing as it was before this save */
    gt_h5_handler saved = gt_h5_save_handler();
    gt_status st = save(tr, path, run_info);
    gt_h5_restore_handler(saved);
    return st;
}

static gt_status save(gt_trainer *tr, const char *path, const char *run_info)
{
    gt_h5_quiet();
    GT_TRY(check_replaceable("the checkpoint", path));
    char *tmp = NULL;
    GT_TRY(tmp_name(path, &tmp));
    snapshot s;
    memset(&s, 0, sizeof s);
    gt_status st = check_replaceable("the temporary file", tmp);
    if (st == GT_OK) st = snapshot_take(tr, path, &s);
    uint8_t *image = NULL;
    size_t size = 0;
    if (st == GT_OK) {
        gt_h5_lock(); /* a streamed HDF5 dataset may be read meanwhile (h5_lock.h) */
        st = build_image(&s, run_info, tmp, &image, &size);
        gt_h5_unlock();
    }
    snapshot_free(&s);
    if (st == GT_OK) st = write_file(tmp, path, image, size);
    free(image);
    if (st == GT_OK && rename(tmp, path) != 0) {
        st = gt_fail(GT_ERR_IO, "cannot rename %s to %s: %s (the previous %s is kept)", tmp, path,
                     strerror(errno), path);
        unlink(tmp);
    }
    if (st == GT_OK) {
        char dir[4096];
        directory_of(path, dir, sizeof dir);
        st = fsync_path(dir, 1);
    }
    free(tmp);
    return st;
}

#endif /* GTRAIN_HAVE_HDF5 */
