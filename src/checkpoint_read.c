/* Reading checkpoints and Keras 2 .h5 files (layout in checkpoint.h): the
 * architecture from model_config, the weights from model_weights (model.save)
 * or the root (save_weights), matched to the model's weighted layers in
 * order as Keras' load_weights_from_hdf5_group does, and gtrain's run state. */
#ifdef GTRAIN_HAVE_HDF5

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "checkpoint_hdf5.h"
#include "error.h"

gt_status gt_checkpoint_load_model(const char *path, gt_model **out)
{
    if (!out || !path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_load_model: NULL");
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

/* Reads one weighted layer's kernel (and bias) into the flat parameters. */
static gt_status read_layer(hid_t g, const char *path, const char *prefix, const saved_layer *s,
                            const gt_layer *l, float *params, float *scratch)
{
    char where[4400];
    size_t want = l->bias_count ? 2 : 1;
    if (s->n_weights != want)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: %s%s has %zu weights, but layer '%s' (%s) of the model expects %zu "
                       "(%s)",
                       path, prefix, s->name, s->n_weights, l->name,
                       gt_layer_kind_keras_name(l->kind), want,
                       want == 2 ? "kernel and bias" : "kernel only");
    hid_t lg = H5Gopen2(g, s->name, H5P_DEFAULT);
    unsigned long long dims[4];
    int rank = gt_layer_keras_kernel_shape(l, dims);
    snprintf(where, sizeof where, "%s: %s%s/%s (kernel of layer '%s')", path, prefix, s->name,
             s->weights[0], l->name);
    int conv = l->kind == GT_LAYER_CONV2D;
    gt_status st = gt_h5_read_floats(lg, s->weights[0], rank, dims,
                                     conv ? scratch : params + l->kernel_offset, where);
    if (st == GT_OK && conv) gt_kernel_hwio_to_ohwi(l, scratch, params + l->kernel_offset);
    if (st == GT_OK && l->bias_count) {
        unsigned long long bdims[1] = {l->bias_count};
        snprintf(where, sizeof where, "%s: %s%s/%s (bias of layer '%s')", path, prefix, s->name,
                 s->weights[1], l->name);
        st = gt_h5_read_floats(lg, s->weights[1], 1, bdims, params + l->bias_offset, where);
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
        if (m->layers[i].kernel_count) ++n_weighted;
        if (m->layers[i].kernel_count > largest) largest = m->layers[i].kernel_count;
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
        if (!m->layers[i].kernel_count) continue;
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

static gt_status read_state_group(hid_t g, const char *where, gt_checkpoint_info *info)
{
    long long v = 0;
    unsigned long long u = 0;
    double d = 0;
    gt_train_config *c = &info->config;
    gt_train_state *t = &info->state;
    GT_TRY(gt_h5_read_int64_attr(g, "format_version", where, &v));
    if (v < 1 || v > GT_CHECKPOINT_FORMAT_VERSION)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "%s: format_version %lld is not supported (this "
                       "gtrain reads 1..%d); use a newer gtrain",
                       where, v, GT_CHECKPOINT_FORMAT_VERSION);
    info->format_version = (int)v;
    int flag = 0;
    GT_TRY(read_choice(g, "optimizer", where, "adam", "sgd", &flag));
    c->optimizer = flag ? GT_OPT_SGD : GT_OPT_ADAM;
    GT_TRY(read_choice(g, "reduction", where, "mean", "sum", &flag));
    c->reduction = flag ? GT_REDUCE_SUM : GT_REDUCE_MEAN;
#define GET_F(name, dst)                                                                           \
    do {                                                                                           \
        GT_TRY(gt_h5_read_double_attr(g, name, where, &d));                                        \
        dst = d;                                                                                   \
    } while (0)
#define GET_I(name, dst)                                                                           \
    do {                                                                                           \
        GT_TRY(gt_h5_read_int64_attr(g, name, where, &v));                                         \
        dst = v;                                                                                   \
    } while (0)
#define GET_U(name, dst)                                                                           \
    do {                                                                                           \
        GT_TRY(gt_h5_read_uint64_attr(g, name, where, &u));                                        \
        dst = u;                                                                                   \
    } while (0)
    /* floats were stored as doubles of the float values: the round trip is exact */
    GET_F("learning_rate", c->learning_rate);
    GET_F("beta1", c->beta1);
    GET_F("beta2", c->beta2);
    GET_F("epsilon", c->epsilon);
    GET_F("momentum", c->momentum);
    GET_I("nesterov", c->nesterov);
    GET_I("batch_size", c->batch_size);
    GET_I("steps_per_epoch", c->steps_per_epoch);
    /* format 1 predates --no-shuffle and the loss epsilon: its runs were
     * shuffled and used the exact cross-entropy */
    c->order = GT_ORDER_SHUFFLED;
    c->loss_log_epsilon = 0.0f;
    if (info->format_version >= 2) {
        GT_TRY(read_choice(g, "data_order", where, gt_data_order_name(GT_ORDER_SHUFFLED),
                           gt_data_order_name(GT_ORDER_FILE), &flag));
        c->order = flag ? GT_ORDER_FILE : GT_ORDER_SHUFFLED;
        GET_F("loss_log_epsilon", c->loss_log_epsilon);
    }
    GET_U("seed", c->seed);
    t->seed = c->seed;
    GET_I("optimizer_step", t->optimizer_step);
    GET_I("epochs_done", t->epochs_done);
    GET_I("steps_done", t->steps_done);
    GET_U("dropout_counter", t->dropout_counter);
    GET_F("epoch_loss_sum", t->epoch_loss_sum);
    GET_F("epoch_correct", t->epoch_correct);
    GET_F("epoch_examples", t->epoch_examples);
    GET_F("epoch_seconds", t->epoch_seconds);
#undef GET_F
#undef GET_I
#undef GET_U
    if (c->batch_size < 1 || t->epochs_done < 0 || t->steps_done < 0 || t->optimizer_step < 0)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: batch_size %d, epochs_done %d, steps_done %d, "
                       "optimizer_step %lld: expected a positive batch and no negative counter",
                       where, c->batch_size, t->epochs_done, t->steps_done,
                       (long long)t->optimizer_step);
    if (H5Aexists(g, "run_info") > 0)
        GT_TRY(gt_h5_read_string_attr(g, "run_info", where, &info->run_info));
    return GT_OK;
}

gt_status gt_checkpoint_read_info(const char *path, gt_checkpoint_info *info)
{
    if (!info || !path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_read_info: NULL");
    memset(info, 0, sizeof *info);
    info->config = gt_train_config_for(NULL);
    hid_t f;
    GT_TRY(gt_h5_open_read(path, &f));
    gt_status st = GT_OK;
    if (gt_h5_exists(f, GT_CHECKPOINT_STATE_GROUP)) {
        char where[4200];
        snprintf(where, sizeof where, "%s: %s", path, GT_CHECKPOINT_STATE_GROUP);
        hid_t g = H5Gopen2(f, GT_CHECKPOINT_STATE_GROUP, H5P_DEFAULT);
        st = g < 0 ? gt_fail(GT_ERR_FORMAT, "%s: not a group", where)
                   : read_state_group(g, where, info);
        if (g >= 0) H5Gclose(g);
        info->has_state = st == GT_OK;
        if (st != GT_OK) {
            free(info->run_info);
            info->run_info = NULL;
        }
    }
    H5Fclose(f);
    return st;
}

static gt_status restore_state(gt_trainer *tr, hid_t f, const char *path)
{
    gt_checkpoint_info info;
    GT_TRY(gt_checkpoint_read_info(path, &info));
    free(info.run_info);
    if (!info.has_state)
        return gt_fail(GT_ERR_FORMAT,
                       "%s has no %s group: it holds weights but no training "
                       "state to resume (a Keras file?)",
                       path, GT_CHECKPOINT_STATE_GROUP);
    const gt_train_config *c = gt_trainer_config(tr);
    if (c->optimizer != info.config.optimizer)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s was saved by a run with optimizer %s; this "
                       "trainer uses %s",
                       path, info.config.optimizer == GT_OPT_SGD ? "sgd" : "adam",
                       c->optimizer == GT_OPT_SGD ? "sgd" : "adam");
    size_t n = gt_trainer_optimizer_state_count(tr);
    if (n) {
        float *moments = malloc(n * sizeof(float));
        if (!moments) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
        unsigned long long dims[1] = {n};
        char where[4200];
        snprintf(where, sizeof where, "%s: %s/optimizer_state", path, GT_CHECKPOINT_STATE_GROUP);
        hid_t g = H5Gopen2(f, GT_CHECKPOINT_STATE_GROUP, H5P_DEFAULT);
        gt_status st = gt_h5_read_floats(g, "optimizer_state", 1, dims, moments, where);
        H5Gclose(g);
        if (st == GT_OK) st = gt_trainer_set_optimizer_state(tr, moments, n);
        free(moments);
        GT_TRY(st);
    }
    return gt_trainer_set_state(tr, &info.state);
}

gt_status gt_checkpoint_restore(gt_trainer *tr, const char *path, int with_state)
{
    if (!tr || !path) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_checkpoint_restore: NULL");
    const gt_model *m = gt_trainer_model(tr);
    size_t np = gt_model_param_count(m);
    float *params = malloc((np ? np : 1) * sizeof(float));
    if (!params) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    hid_t f;
    gt_status st = gt_h5_open_read(path, &f);
    if (st == GT_OK) {
        st = read_weights(f, path, m, params);
        if (st == GT_OK) st = gt_trainer_set_params(tr, params, np);
        if (st == GT_OK && with_state) st = restore_state(tr, f, path);
        H5Fclose(f);
    }
    free(params);
    return st;
}

#endif /* GTRAIN_HAVE_HDF5 */
