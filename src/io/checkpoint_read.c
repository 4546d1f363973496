/* Reading checkpoints and Keras 2 .h5 files (layout in checkpoint.h): the
 * architecture from model_config, the weights from model_weights (model.save)
 * or the root (save_weights), matched to the model's weighted layers in
 * order as Keras' load_weights_from_hdf5_group does, and gtrain's run state. */
#ifdef GTRAIN_HAVE_HDF5

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "callbacks.h"
#include "checkpoint.h"
#include "checkpoint_extras.h"
#include "h5_io.h"
#include "checkpoint_state_fields.h"
#include "gtrain/status.h"
#include "h5_guard.h"

typedef struct load_model_job {
    const char *path;
    gt_model **out;
} load_model_job;

static gt_status load_model(void *arg)
{
    const load_model_job *job = arg;
    const char *path = job->path;
    gt_model **out = job->out;
    *out = NULL;
    hid_t f;
    GT_TRY(gt_h5_open_read(path, &f));
    gt_status st = GT_OK;
    char *json = NULL;
    if (H5Aexists(f, "model_config") <= 0)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s has no model_config attribute: it holds weights only (Keras "
                     "save_weights); give the architecture with --model NAME|FILE.json",
                     path);
    else
        st = gt_h5_read_string_attr(f, "model_config", path, &json);
    H5Fclose(f);
    if (st != GT_OK) return st;
    char origin[4096];
    snprintf(origin, sizeof origin, "%s: model_config", path);
    st = gt_model_from_json_text(json, origin, out);
    free(json);
    return st;
}

gt_status gt_checkpoint_load_model(const char *path, gt_model **out)
{
    if (!out || !path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_load_model: NULL");
    load_model_job job = {path, out};
    return gt_guarded_read(path, load_model, &job);
}

/* The group holding layer_names: the root (save_weights) or model_weights. */
static gt_status open_weights_group(hid_t f, const char *path, hid_t *g, const char **prefix)
{
    if (H5Aexists(f, "layer_names") > 0) {
        *g = H5Gopen2(f, "/", H5P_DEFAULT);
        *prefix = "";
    } else if (gt_h5_exists(f, "model_weights")) {
        *g = H5Gopen2(f, "model_weights", H5P_DEFAULT);
        *prefix = "model_weights/";
    } else {
        return gt_fail(GT_ERR_FORMAT,
                       "%s holds no Keras weights: expected the attribute layer_names at the root "
                       "(model.save_weights) or a group model_weights (model.save)",
                       path);
    }
    if (*g < 0)
        return gt_fail(GT_ERR_FORMAT, "%s: cannot open the weights group (HDF5: %s)", path,
                       gt_h5_reason());
    return GT_OK;
}

typedef struct saved_layer {
    char *name;
    char **weights;
    size_t n_weights;
} saved_layer;

/* The saved layers that have weights, in file order. */
static gt_status read_saved_layers(hid_t g, const char *path, const char *prefix, saved_layer **out,
                                   size_t *count)
{
    char **names = NULL;
    size_t n = 0;
    char where[4200];
    snprintf(where, sizeof where, "%s: %s", path, *prefix ? "model_weights" : "/");
    GT_TRY(gt_h5_read_string_list_attr(g, "layer_names", where, &names, &n));
    saved_layer *layers = calloc(n ? n : 1, sizeof *layers);
    gt_status st = layers ? GT_OK : gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    size_t kept = 0;
    for (size_t i = 0; st == GT_OK && i < n; ++i) {
        snprintf(where, sizeof where, "%s: %s%s", path, prefix, names[i]);
        if (!gt_h5_exists(g, names[i])) {
            st = gt_fail(GT_ERR_FORMAT, "%s: group is missing (listed in layer_names)", where);
            break;
        }
        hid_t lg = H5Gopen2(g, names[i], H5P_DEFAULT);
        char **w = NULL;
        size_t nw = 0;
        st = lg < 0 ? gt_fail(GT_ERR_FORMAT, "%s: not a group", where)
                    : gt_h5_read_string_list_attr(lg, "weight_names", where, &w, &nw);
        if (lg >= 0) H5Gclose(lg);
        if (st == GT_OK && nw > 0) {
            layers[kept].name = names[i];
            layers[kept].weights = w;
            layers[kept].n_weights = nw;
            names[i] = NULL;
            ++kept;
        } else {
            gt_h5_free_strings(w, nw);
        }
    }
    gt_h5_free_strings(names, n);
    *out = layers;
    *count = kept;
    return st;
}

static void free_saved_layers(saved_layer *layers, size_t count)
{
    for (size_t i = 0; layers && i < count; ++i) {
        free(layers[i].name);
        gt_h5_free_strings(layers[i].weights, layers[i].n_weights);
    }
    free(layers);
}

/* Reads one layer's weights, in Keras' order, into the model-order parameters. */
static gt_status read_layer(hid_t g, const char *path, const char *prefix, const saved_layer *s,
                            const gt_layer *l, float *params, float *scratch)
{
    char where[4400];
    gt_weight_spec specs[GT_LAYER_MAX_WEIGHTS];
    int n = gt_layer_weight_specs(l, specs);
    if (s->n_weights != (size_t)n) {
        char expected[160] = "";
        for (int k = 0; k < n; ++k) {
            size_t used = strlen(expected);
            snprintf(expected + used, sizeof expected - used, "%s%s", k ? ", " : "", specs[k].name);
        }
        return gt_fail(GT_ERR_FORMAT,
                       "%s: %s%s has %zu weights, but layer '%s' (%s) of the model expects %d (%s)",
                       path, prefix, s->name, s->n_weights, l->name,
                       gt_layer_kind_keras_name(l->kind), n, expected);
    }
    hid_t lg = H5Gopen2(g, s->name, H5P_DEFAULT);
    gt_status st = GT_OK;
    for (int k = 0; st == GT_OK && k < n; ++k) {
        snprintf(where, sizeof where, "%s: %s%s/%s (%s of layer '%s')", path, prefix, s->name,
                 s->weights[k], specs[k].name, l->name);
        if (!gt_weight_name_matches(s->weights[k], specs[k].name)) {
            st = gt_fail(GT_ERR_FORMAT, "%s: expected the weight %s here", where, specs[k].name);
            break;
        }
        st = gt_h5_read_floats(lg, s->weights[k], specs[k].rank, specs[k].dims, scratch, where);
        if (st == GT_OK)
            gt_weight_from_keras(&specs[k], scratch, params + l->weights[k].model_offset,
                                 l->weights[k].count);
    }
    H5Gclose(lg);
    return st;
}

static gt_status read_weights(hid_t f, const char *path, const gt_model *m, float *params)
{
    hid_t g = H5I_INVALID_HID;
    const char *prefix = "";
    GT_TRY(open_weights_group(f, path, &g, &prefix));
    saved_layer *saved = NULL;
    size_t n_saved = 0;
    gt_status st = read_saved_layers(g, path, prefix, &saved, &n_saved);
    size_t n_weighted = 0, largest = 1;
    for (int i = 0; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        if (l->n_weights) ++n_weighted;
        for (int k = 0; k < l->n_weights; ++k)
            if (l->weights[k].count > largest) largest = l->weights[k].count;
    }
    if (st == GT_OK && n_saved != n_weighted)
        st = gt_fail(GT_ERR_SHAPE,
                     "%s holds weights for %zu layers%s%s, but model '%s' has %zu layers with "
                     "weights",
                     path, n_saved, n_saved ? ", first " : "", n_saved ? saved[0].name : "",
                     m->name, n_weighted);
    float *scratch = st == GT_OK ? malloc(largest * sizeof(float)) : NULL;
    if (st == GT_OK && !scratch) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    size_t k = 0;
    for (int i = 0; st == GT_OK && i < m->n_layers; ++i) {
        if (!m->layers[i].n_weights) continue;
        st = read_layer(g, path, prefix, &saved[k++], &m->layers[i], params, scratch);
    }
    free(scratch);
    free_saved_layers(saved, n_saved);
    H5Gclose(g);
    return st;
}

static gt_status read_choice(hid_t g, const char *attr, const char *where, const char *a,
                             const char *b, int *is_b)
{
    char *text = NULL;
    GT_TRY(gt_h5_read_string_attr(g, attr, where, &text));
    gt_status st = GT_OK;
    if (strcmp(text, a) == 0)
        *is_b = 0;
    else if (strcmp(text, b) == 0)
        *is_b = 1;
    else
        st = gt_fail(GT_ERR_FORMAT, "%s: %s is \"%s\", expected \"%s\" or \"%s\"", where, attr,
                     text, a, b);
    free(text);
    return st;
}

/* Every field of /gtrain_state is checked against what a run can mean
 * before it is used: the int64 and float64 values of a file do not fit the
 * trainer's int and float fields otherwise, and a wrong counter would train
 * on garbage. Messages name the file, the field and the value. There is
 * one reader per kind of GT_CHECKPOINT_STATE_FIELDS (read_<kind>): the
 * attribute, checked, into a value of the kind's type (kind_<kind>). */
typedef long long kind_int64;
typedef unsigned long long kind_uint64;
typedef double kind_real, kind_real_gt, kind_fraction;
typedef gt_optimizer_kind kind_optimizer;
typedef gt_loss_reduction kind_reduction;
typedef gt_data_order kind_order;

static gt_status read_int64(hid_t g, const char *where, const char *name, long long lo,
                            long long hi, long long *out)
{
    GT_TRY(gt_h5_read_int64_attr(g, name, where, out));
    if (*out < lo || *out > hi)
        return gt_fail(GT_ERR_FORMAT, "%s: %s is %lld, expected %lld..%lld", where, name, *out, lo,
                       hi);
    return GT_OK;
}

/* A finite number in [lo, hi], or (lo, hi] when lo_open. */
static gt_status get_real(hid_t g, const char *where, const char *name, double lo, int lo_open,
                          double hi, double *out)
{
    GT_TRY(gt_h5_read_double_attr(g, name, where, out));
    double v = *out;
    if (!isfinite(v) || v < lo || (lo_open && v == lo) || v > hi)
        return gt_fail(GT_ERR_FORMAT, "%s: %s is %g, expected a number in %c%g, %g]", where, name,
                       v, lo_open ? '(' : '[', lo, hi);
    return GT_OK;
}

static gt_status read_uint64(hid_t g, const char *where, const char *name, int lo, int hi,
                             unsigned long long *out)
{
    (void)lo, (void)hi;
    return gt_h5_read_uint64_attr(g, name, where, out);
}
static gt_status read_real(hid_t g, const char *where, const char *name, double lo, double hi,
                           double *out)
{
    return get_real(g, where, name, lo, 0, hi, out);
}
static gt_status read_real_gt(hid_t g, const char *where, const char *name, double lo, double hi,
                              double *out)
{
    return get_real(g, where, name, lo, 1, hi, out);
}
static gt_status read_fraction(hid_t g, const char *where, const char *name, int lo, int hi,
                               double *out)
{
    (void)lo, (void)hi;
    GT_TRY(gt_h5_read_double_attr(g, name, where, out));
    if (!(*out >= 0.0 && *out < 1.0))
        return gt_fail(GT_ERR_FORMAT, "%s: %s is %g, expected a number in [0, 1)", where, name,
                       *out);
    return GT_OK;
}
static gt_status read_optimizer(hid_t g, const char *where, const char *name, int lo, int hi,
                                gt_optimizer_kind *out)
{
    (void)lo, (void)hi;
    char *text = NULL;
    GT_TRY(gt_h5_read_string_attr(g, name, where, &text));
    gt_status named = gt_optimizer_from_name(text, out);
    free(text);
    if (named != GT_OK)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: %s is not one of \"adam\", \"sgd\", \"rmsprop\", \"adamw\"", where,
                       name);
    return GT_OK;
}
static gt_status read_reduction(hid_t g, const char *where, const char *name, int lo, int hi,
                                gt_loss_reduction *out)
{
    (void)lo, (void)hi;
    int is_sum = 0;
    GT_TRY(read_choice(g, name, where, "mean", "sum", &is_sum));
    *out = is_sum ? GT_REDUCE_SUM : GT_REDUCE_MEAN;
    return GT_OK;
}
static gt_status read_order(hid_t g, const char *where, const char *name, int lo, int hi,
                            gt_data_order *out)
{
    (void)lo, (void)hi;
    int is_file = 0;
    GT_TRY(read_choice(g, name, where, gt_data_order_name(GT_ORDER_SHUFFLED),
                       gt_data_order_name(GT_ORDER_FILE), &is_file));
    *out = is_file ? GT_ORDER_FILE : GT_ORDER_SHUFFLED;
    return GT_OK;
}

static gt_status read_state_group(hid_t g, const char *where, gt_checkpoint_info *info)
{
    long long v = 0;
    gt_train_config *c = &info->config;
    gt_train_state *t = &info->state;
    GT_TRY(gt_h5_read_int64_attr(g, "format_version", where, &v));
    if (v < 1 || v > GT_CHECKPOINT_FORMAT_VERSION)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "%s: format_version %lld is not supported (this "
                       "gtrain reads 1..%d); use a newer gtrain",
                       where, v, GT_CHECKPOINT_FORMAT_VERSION);
    info->format_version = (int)v;
#define READ_FIELD(attr, kind, since, field, lo, hi, before)                                       \
    if (info->format_version >= (since)) {                                                         \
        kind_##kind value;                                                                         \
        GT_TRY(read_##kind(g, where, #attr, lo, hi, &value));                                      \
        field = value;                                                                             \
    } else {                                                                                       \
        field = before;                                                                            \
    }
    GT_CHECKPOINT_STATE_FIELDS(READ_FIELD)
#undef READ_FIELD
    t->seed = c->seed;
    /* what the fields mean together */
    if (info->format_version < 3 && c->optimizer != GT_OPT_ADAM && c->optimizer != GT_OPT_SGD)
        return gt_fail(GT_ERR_FORMAT, "%s: optimizer is not one of \"adam\", \"sgd\"", where);
    if (c->shuffle_buffer > 0 && (c->shuffle_block == 0 || c->order == GT_ORDER_FILE))
        return gt_fail(GT_ERR_FORMAT,
                       "%s: shuffle_buffer is %d with shuffle_block %d and data_order \"%s\": "
                       "a buffered shuffle needs a block size and a shuffled order",
                       where, c->shuffle_buffer, c->shuffle_block, gt_data_order_name(c->order));
    /* the running sums of a partial epoch: whole examples, a non-negative
     * loss (cross-entropy), at most as many correct as examples */
    if (t->epoch_examples != floor(t->epoch_examples))
        return gt_fail(GT_ERR_FORMAT, "%s: epoch_examples is %g, expected a whole number", where,
                       t->epoch_examples);
    if ((t->steps_done > 0) != (t->epoch_examples > 0))
        return gt_fail(GT_ERR_FORMAT,
                       "%s: steps_done is %d but epoch_examples is %g: a partial epoch has both "
                       "or neither",
                       where, t->steps_done, t->epoch_examples);
    if (t->optimizer_step < (long long)t->steps_done)
        return gt_fail(GT_ERR_FORMAT, "%s: optimizer_step %lld is less than steps_done %d", where,
                       (long long)t->optimizer_step, t->steps_done);
    if (t->data_cursor != (int64_t)t->steps_done * c->batch_size)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: data_cursor is %lld, but %d steps of batch %d consumed %lld "
                       "examples",
                       where, (long long)t->data_cursor, t->steps_done, c->batch_size,
                       (long long)t->steps_done * c->batch_size);
    if (H5Aexists(g, "run_info") > 0)
        GT_TRY(gt_h5_read_string_attr(g, "run_info", where, &info->run_info));
    if (info->format_version >= 3) GT_TRY(gt_ckpt_extras_read(g, where, info));
    return GT_OK;
}

/* Reads /gtrain_state of an open file into info. */
static gt_status read_info_from(hid_t f, const char *path, gt_checkpoint_info *info)
{
    memset(info, 0, sizeof *info);
    info->config = gt_train_config_for(NULL);
    if (!gt_h5_exists(f, GT_CHECKPOINT_STATE_GROUP)) return GT_OK;
    char where[4200];
    snprintf(where, sizeof where, "%s: %s", path, GT_CHECKPOINT_STATE_GROUP);
    hid_t g = H5Gopen2(f, GT_CHECKPOINT_STATE_GROUP, H5P_DEFAULT);
    gt_status st =
        g < 0 ? gt_fail(GT_ERR_FORMAT, "%s: not a group", where) : read_state_group(g, where, info);
    if (g >= 0) H5Gclose(g);
    info->has_state = st == GT_OK;
    if (st != GT_OK) {
        free(info->run_info);
        free(info->callbacks);
        info->run_info = NULL;
        info->callbacks = NULL;
    }
    return st;
}

typedef struct read_info_job {
    const char *path;
    gt_checkpoint_info *info;
} read_info_job;

static gt_status read_info(void *arg)
{
    const read_info_job *job = arg;
    hid_t f;
    GT_TRY(gt_h5_open_read(job->path, &f));
    gt_status st = read_info_from(f, job->path, job->info);
    H5Fclose(f);
    return st;
}

gt_status gt_checkpoint_read_info(const char *path, gt_checkpoint_info *info)
{
    if (!info || !path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_read_info: NULL");
    memset(info, 0, sizeof *info);
    info->config = gt_train_config_for(NULL);
    read_info_job job = {path, info};
    return gt_guarded_read(path, read_info, &job);
}

/* Everything a restore reads, read into host memory (in the guard's child
 * first, then here). */
typedef struct restore_job {
    const char *path;
    const gt_model *model;
    int with_state;
    float *params;
    float *moments; /* n_moments floats, when with_state */
    size_t n_moments;
    float *best_weights; /* n_params floats, when with_state */
    int has_best_weights;
    gt_checkpoint_info info;
} restore_job;

static gt_status read_moments(hid_t f, restore_job *job)
{
    if (!job->info.has_state)
        return gt_fail(GT_ERR_FORMAT,
                       "%s has no %s group: it holds weights but no training "
                       "state to resume (a Keras file?)",
                       job->path, GT_CHECKPOINT_STATE_GROUP);
    unsigned long long dims[1] = {job->n_moments};
    char where[4200];
    snprintf(where, sizeof where, "%s: %s/optimizer_state", job->path, GT_CHECKPOINT_STATE_GROUP);
    hid_t g = H5Gopen2(f, GT_CHECKPOINT_STATE_GROUP, H5P_DEFAULT);
    if (g < 0) return gt_fail(GT_ERR_FORMAT, "%s: cannot open the group", where);
    gt_status st = GT_OK;
    if (job->n_moments) st = gt_h5_read_floats(g, "optimizer_state", 1, dims, job->moments, where);
    snprintf(where, sizeof where, "%s: %s", job->path, GT_CHECKPOINT_STATE_GROUP);
    if (st == GT_OK)
        st = gt_ckpt_extras_read_best(g, where, job->best_weights, gt_model_param_count(job->model),
                                      &job->has_best_weights);
    H5Gclose(g);
    return st;
}

static gt_status read_for_restore(void *arg)
{
    restore_job *job = arg;
    free(job->info.run_info);
    free(job->info.callbacks);
    memset(&job->info, 0, sizeof job->info);
    hid_t f;
    GT_TRY(gt_h5_open_read(job->path, &f));
    gt_status st = read_weights(f, job->path, job->model, job->params);
    if (st == GT_OK && job->with_state) st = read_info_from(f, job->path, &job->info);
    if (st == GT_OK && job->with_state) st = read_moments(f, job);
    H5Fclose(f);
    return st;
}

static gt_status apply_state(gt_trainer *tr, const restore_job *job)
{
    const gt_train_config *c = gt_trainer_config(tr);
    const gt_checkpoint_info *info = &job->info;
    if (c->optimizer != info->config.optimizer)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s was saved by a run with optimizer %s; this "
                       "trainer uses %s",
                       job->path, gt_optimizer_name(info->config.optimizer),
                       gt_optimizer_name(c->optimizer));
    if (job->n_moments) GT_TRY(gt_trainer_set_optimizer_state(tr, job->moments, job->n_moments));
    GT_TRY(gt_trainer_set_state(tr, &info->state));
    /* the callbacks go on where they were, their kept weights with them */
    if (info->callbacks) {
        GT_TRY(gt_trainer_set_callbacks(tr, info->callbacks));
        if (job->has_best_weights)
            GT_TRY(gt_callbacks_set_best_weights(tr, job->best_weights,
                                                 gt_model_param_count(job->model)));
    }
    return GT_OK;
}

gt_status gt_checkpoint_restore(gt_trainer *tr, const char *path, int with_state)
{
    if (!tr || !path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_restore: NULL");
    restore_job job;
    memset(&job, 0, sizeof job);
    job.path = path;
    job.model = gt_trainer_model(tr);
    job.with_state = with_state;
    size_t np = gt_model_param_count(job.model);
    job.n_moments = with_state ? gt_trainer_optimizer_state_count(tr) : 0;
    job.params = malloc((np ? np : 1) * sizeof(float));
    job.moments = malloc((job.n_moments ? job.n_moments : 1) * sizeof(float));
    job.best_weights = malloc((with_state && np ? np : 1) * sizeof(float));
    gt_status st = GT_OK;
    if (!job.params || !job.moments || !job.best_weights)
        st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    if (st == GT_OK) st = gt_guarded_read(path, read_for_restore, &job);
    if (st == GT_OK) st = gt_trainer_set_params(tr, job.params, np);
    if (st == GT_OK && with_state) st = apply_state(tr, &job);
    free(job.info.run_info);
    free(job.info.callbacks);
    free(job.params);
    free(job.moments);
    free(job.best_weights);
    return st;
}

#endif /* GTRAIN_HAVE_HDF5 */
