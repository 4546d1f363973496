/* Trainer creation: plans every buffer once from the model and batch size,
 * and initializes the weights on the host from the seed (so every backend
 * starts from identical bytes). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "gtrain/status.h"
#include "init.h"
#include "layer.h"
#include "optimizer.h"
#include "trainer_internal.h"

#define GT_ARENA_ALIGN 256

static size_t align_up(size_t x)
{
    return (x + GT_ARENA_ALIGN - 1) / GT_ARENA_ALIGN * GT_ARENA_ALIGN;
}

gt_train_config gt_train_config_for(const gt_model *model)
{
    gt_train_config c;
    memset(&c, 0, sizeof c);
    c.batch_size = 32;
    c.optimizer = GT_OPT_ADAM;
    c.learning_rate = 1e-3f;
    c.beta1 = 0.9f;
    c.beta2 = 0.999f;
    c.epsilon = 1e-7f;
    c.momentum = 0.0f;
    c.nesterov = 0;
    c.reduction = GT_REDUCE_MEAN;
    c.order = GT_ORDER_SHUFFLED;
    c.seed = 1;
    c.rho = 0.9f;            /* Keras RMSprop */
    c.weight_decay = 0.004f; /* Keras AdamW */
    if (model) {
        const gt_recipe *r = gt_model_recipe(model);
        if (r->batch_size > 0) c.batch_size = r->batch_size;
        c.optimizer = r->optimizer;
        if (r->learning_rate > 0) c.learning_rate = r->learning_rate;
        c.momentum = r->momentum;
        c.reduction = r->reduction;
        c.order = r->order;
        c.loss_log_epsilon = r->loss_log_epsilon;
    }
    return c;
}

static int layer_writes_output(const gt_layer *l)
{
    return gt_layer_class_of(l->kind)->writes_output(l);
}

static size_t layer_saved_floats(const gt_layer *l, int n)
{
    const gt_layer_class *c = gt_layer_class_of(l->kind);
    return c->saved_floats ? c->saved_floats(l, n) : 0;
}

/* Every backend op a layer's passes call must exist on the backend: say
 * which layer cannot run where, before anything is allocated. */
static gt_status check_ops(const gt_model *m, const gt_backend *be)
{
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        const gt_layer_class *c = gt_layer_class_of(l->kind);
        gt_op ops[8];
        int n = c->ops ? c->ops(l, ops) : 0;
        for (int k = 0; k < n; ++k)
            if (!gt_backend_supports_op(be, ops[k]))
                return gt_fail(GT_ERR_UNSUPPORTED,
                               "model '%s': layer '%s' (%s) needs the op %s, which the %s backend "
                               "does not have; run it on another device",
                               m->name, l->name, c->keras_name, gt_op_name(ops[k]), be->name);
    }
    return GT_OK;
}

static gt_status validate_config(const gt_train_config *c)
{
    if (c->batch_size < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "batch size must be at least 1, found %d",
                       c->batch_size);
    /* a warmup may start from 0 (Keras' CosineDecay(0, ..., warmup_target=...)) */
    int warmup_from_zero = c->schedule.kind == GT_LR_COSINE && c->schedule.warmup_steps > 0.0 &&
                           c->learning_rate == 0.0f;
    if (!(c->learning_rate > 0.0f || warmup_from_zero) || !isfinite(c->learning_rate))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "learning rate must be a positive number, found %g",
                       (double)c->learning_rate);
    GT_TRY(gt_optimizer_check_config(c));
    if (c->steps_per_epoch < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "steps per epoch must be >= 0, found %d",
                       c->steps_per_epoch);
    if (!(c->loss_log_epsilon >= 0.0f && c->loss_log_epsilon < 1.0f))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "loss log epsilon must be in [0, 1), found %g",
                       (double)c->loss_log_epsilon);
    if (c->order != GT_ORDER_SHUFFLED && c->order != GT_ORDER_FILE)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "data order must be GT_ORDER_SHUFFLED (%d) or GT_ORDER_FILE (%d), found %d",
                       GT_ORDER_SHUFFLED, GT_ORDER_FILE, (int)c->order);
    return GT_OK;
}

/* The model's own buffers (parameters, gradients, optimizer state) do not
 * depend on the batch size: when they do not fit, the advice is about the
 * model. */
static gt_status alloc_floats(gt_backend *be, size_t count, const char *what, float **out)
{
    void *p = NULL;
    gt_status st = be->alloc(be, count * sizeof(float) > 0 ? count * sizeof(float) : 1, &p);
    if (st == GT_ERR_OUT_OF_MEMORY)
        return gt_fail_context(st,
                               "allocating %s (%zu floats, %.1f MiB; this does not depend on "
                               "the batch size: the model is too large for this memory)",
                               what, count, (double)count * sizeof(float) / 1048576.0);
    if (st != GT_OK) return gt_fail_context(st, "allocating %s", what);
    *out = p;
    return GT_OK;
}

/* *bytes = align_up(*bytes + count * elem); 0 when that does not fit in size_t. */
static int reserve(size_t *bytes, size_t count, size_t elem)
{
    size_t size, end;
    if (__builtin_mul_overflow(count, elem, &size) || __builtin_add_overflow(*bytes, size, &end) ||
        end > SIZE_MAX - GT_ARENA_ALIGN)
        return 0;
    *bytes = align_up(end);
    return 1;
}

static gt_status too_large(const gt_trainer *tr, const char *what)
{
    return gt_fail(GT_ERR_OUT_OF_MEMORY,
                   "model '%s' at batch %d: %s need more bytes than this machine can address; "
                   "use a smaller batch size (--batch-size) or a smaller model",
                   tr->model->name, tr->batch, what);
}

/* Sizes the arena, then carves the views out of it. All sizes are checked:
 * the model caps one example's tensors (GT_MODEL_MAX_ELEMENTS), but times
 * the batch they can still pass what size_t holds. */
static gt_status plan_arena(gt_trainer *tr)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    const size_t n = (size_t)tr->batch;
    const gt_layer *first = &m->layers[m->first_compute];
    size_t input_floats = 0;
    if (__builtin_mul_overflow(n, gt_shape3_size(first->in), &input_floats))
        return too_large(tr, "the input batch");
    size_t max_act = input_floats;
    size_t offsets[4096];
    if (m->n_layers > 4096) return gt_fail(GT_ERR_UNSUPPORTED, "models are limited to 4096 layers");

    size_t bytes = 0;
    size_t off_input = bytes;
    int ok = reserve(&bytes, input_floats, sizeof(float));
    size_t off_labels = bytes;
    ok = ok && reserve(&bytes, n, sizeof(int32_t));
    size_t off_step_index = bytes;
    ok = ok && reserve(&bytes, n, sizeof(int32_t));
    if (!ok) return too_large(tr, "the input batch");
    size_t saved_offsets[4096];
    size_t off_graph = bytes;
    if (!m->chain) { /* a graph: its buffers by liveness, in one region */
        size_t region = 0;
        GT_TRY(gt_graph_plan_create(tr, &region, &tr->graph));
        if (!reserve(&bytes, region, 1)) return too_large(tr, "the activations");
    }
    for (int i = m->first_compute; !tr->graph && i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        size_t out_floats = 0;
        offsets[i] = bytes;
        int ok_out = !__builtin_mul_overflow(n, gt_shape3_size(l->out), &out_floats) &&
                     (!layer_writes_output(l) || reserve(&bytes, out_floats, sizeof(float)));
        saved_offsets[i] = bytes;
        if (!ok_out || !reserve(&bytes, layer_saved_floats(l, tr->batch), sizeof(float))) {
            char what[160];
            snprintf(what, sizeof what, "the activations up to layer '%s'", l->name);
            return too_large(tr, what);
        }
        if (out_floats > max_act) max_act = out_floats;
    }
    size_t off_grad_a = bytes, off_grad_b = bytes;
    ok = 1;
    if (!tr->graph) {
        ok = reserve(&bytes, max_act, sizeof(float));
        off_grad_b = bytes;
        ok = ok && reserve(&bytes, max_act, sizeof(float));
    }
    size_t off_stats = bytes;
    ok = ok && reserve(&bytes, 2 * GT_BACKEND_FENCES, sizeof(float));
    if (!ok) return too_large(tr, "the activation gradients");

    void *arena = NULL;
    gt_status st = be->alloc(be, bytes, &arena);
    if (st != GT_OK)
        return gt_fail_context(st,
                               "allocating activations for batch %d (%.1f MiB); try a smaller "
                               "batch size (--batch-size)",
                               tr->batch, (double)bytes / 1048576.0);
    tr->arena = arena;
    tr->arena_bytes = bytes;
    char *base = arena;
    tr->input = (float *)(base + off_input);
    tr->labels = (int32_t *)(base + off_labels);
    tr->step_index = (int32_t *)(base + off_step_index);
    for (int i = m->first_compute; !tr->graph && i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        tr->outputs[i] = layer_writes_output(l) ? (float *)(base + offsets[i]) : NULL;
        tr->saved[i] = layer_saved_floats(l, tr->batch) ? (float *)(base + saved_offsets[i]) : NULL;
    }
    tr->grad_a = (float *)(base + off_grad_a);
    tr->grad_b = (float *)(base + off_grad_b);
    if (tr->graph) gt_graph_plan_bind(tr, base + off_graph);
    tr->stats = (float *)(base + off_stats);
    return GT_OK;
}

gt_status gt_trainer_reserve_workspace(gt_trainer *tr, int n)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    size_t need = 0;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        const gt_layer_class *c = gt_layer_class_of(l->kind);
        size_t bytes = c->workspace_bytes ? c->workspace_bytes(l, be, n) : 0;
        if (bytes > need) need = bytes;
    }
    if (need <= tr->workspace_bytes) return GT_OK;
    if (tr->workspace) be->free(be, tr->workspace);
    tr->workspace = NULL;
    tr->workspace_bytes = 0;
    void *ws = NULL;
    gt_status st = be->alloc(be, need, &ws);
    if (st != GT_OK)
        return gt_fail_context(st,
                               "allocating %zu bytes of workspace for "
                               "batch %d; try a smaller batch size (--batch-size)",
                               need, n);
    tr->workspace = ws;
    tr->workspace_bytes = need;
    return GT_OK;
}

gt_status gt_trainer_create(const gt_model *model, gt_backend *be, const gt_train_config *cfg,
                            gt_trainer **out)
{
    if (!model || !be || !cfg || !out)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_create: NULL argument");
    *out = NULL;
    if (!model->built)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_create: model not built");
    GT_TRY(validate_config(cfg));
    if (cfg->loss_log_epsilon > 0.0f && !model->logits_output)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "model '%s': a loss log epsilon (%g) needs a softmax output layer; Keras' "
                       "cross-entropy on other outputs clips instead",
                       model->name, (double)cfg->loss_log_epsilon);
    if (cfg->cuda_graph && !(be->capture_begin && be->capture_end))
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "CUDA graphs need the cuda backend; '%s' runs ops one "
                       "by one",
                       be->name);
    if (model->first_compute >= model->n_layers)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s' has no trainable or compute layers",
                       model->name);
    GT_TRY(check_ops(model, be));

    gt_trainer *tr = calloc(1, sizeof *tr);
    if (!tr) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory creating the trainer");
    tr->model = model;
    tr->be = be;
    tr->cfg = *cfg;
    tr->batch = cfg->batch_size;
    tr->outputs = calloc((size_t)model->n_layers, sizeof *tr->outputs);
    tr->cur = calloc((size_t)model->n_layers, sizeof *tr->cur);
    tr->dropout_offsets = calloc((size_t)model->n_layers, sizeof *tr->dropout_offsets);
    tr->saved = calloc((size_t)model->n_layers, sizeof *tr->saved);
    tr->host_step_index = calloc((size_t)cfg->batch_size, sizeof *tr->host_step_index);
    gt_status st = GT_OK;
    float *host_params = NULL;
    if (!tr->outputs || !tr->cur || !tr->dropout_offsets || !tr->saved || !tr->host_step_index) {
        st = gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory creating the trainer");
        goto fail;
    }

    size_t np = model->n_trainable, total = gt_model_param_count(model);
    if ((st = alloc_floats(be, np, "parameters", &tr->params)) != GT_OK) goto fail;
    if ((st = alloc_floats(be, model->n_state, "non-trainable state", &tr->state)) != GT_OK)
        goto fail;
    if ((st = alloc_floats(be, np, "gradients", &tr->grads)) != GT_OK) goto fail;
    tr->opt_state_floats = gt_optimizer_state_floats(cfg, np);
    tr->learning_rate = cfg->learning_rate;
    if (tr->opt_state_floats) {
        if ((st = alloc_floats(be, tr->opt_state_floats, "optimizer state", &tr->opt_state)) !=
            GT_OK)
            goto fail;
        if ((st = be->zero(be, tr->opt_state, tr->opt_state_floats * sizeof(float))) != GT_OK)
            goto fail;
    }
    if ((st = plan_arena(tr)) != GT_OK) goto fail;
    if ((st = gt_trainer_reserve_workspace(tr, tr->batch)) != GT_OK) goto fail;
    void *host_stats = NULL;
    if ((st = be->host_alloc(be, 2 * GT_BACKEND_FENCES * sizeof(float), &host_stats)) != GT_OK)
        goto fail;
    tr->host_stats = host_stats;

    host_params = malloc(total ? total * sizeof(float) : 1);
    if (!host_params) {
        st = gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for %zu parameters", total);
        goto fail;
    }
    if ((st = gt_model_init_params(model, cfg->seed, host_params)) != GT_OK) goto fail;
    if ((st = gt_trainer_set_params(tr, host_params, total)) != GT_OK) goto fail;
    /* the model's augmentation layers, folded into its gather (model_build.c) */
    if ((st = gt_trainer_set_augment(tr, &model->augment)) != GT_OK) goto fail;
    free(host_params);
    *out = tr;
    return GT_OK;

fail:
    free(host_params);
    gt_trainer_destroy(tr);
    return st;
}

void gt_trainer_destroy(gt_trainer *tr)
{
    if (!tr) return;
    gt_backend *be = tr->be;
    for (int s = 0; s < GT_RESIDENT_SLOTS; ++s) {
        if (tr->resident[s].images) be->free(be, tr->resident[s].images);
        if (tr->resident[s].labels) be->free(be, tr->resident[s].labels);
        if (tr->resident[s].order) be->free(be, tr->resident[s].order);
    }
    if (tr->host_stats) be->host_free(be, tr->host_stats);
    if (tr->workspace) be->free(be, tr->workspace);
    if (tr->arena) be->free(be, tr->arena);
    if (tr->opt_state) be->free(be, tr->opt_state);
    if (tr->grads) be->free(be, tr->grads);
    if (tr->chunk_rows) be->free(be, tr->chunk_rows);
    if (tr->params) be->free(be, tr->params);
    if (tr->state) be->free(be, tr->state);
    free(tr->outputs);
    free(tr->saved);
    free(tr->cur);
    free(tr->dropout_offsets);
    free(tr->bucket_launch);
    free(tr->host_step_index);
    gt_callbacks_free(tr->callbacks);
    gt_graph_plan_free(tr->graph);
    free(tr->run_info);
    free(tr);
}

gt_status gt_trainer_check_data(const gt_trainer *tr, const gt_dataset *ds)
{
    const gt_model *m = tr->model;
    gt_shape3 want = m->input, got = gt_dataset_shape(ds);
    /* Data with the input's element count is fed in the input's shape, as
     * numpy's reshape (28x28x1 images into a (None, 784) input): examples
     * are contiguous in both. */
    if (gt_shape3_size(want) != gt_shape3_size(got))
        return gt_fail(GT_ERR_SHAPE,
                       "model '%s' expects input shape (None, %d, %d, %d), found shape (%zu, %d, "
                       "%d, %d) in %s",
                       m->name, want.h, want.w, want.c, gt_dataset_count(ds), got.h, got.w, got.c,
                       gt_dataset_origin(ds));
    if (gt_dataset_num_classes(ds) > m->num_classes)
        return gt_fail(GT_ERR_SHAPE,
                       "model '%s' has %d output classes but %s has labels for %d classes", m->name,
                       m->num_classes, gt_dataset_origin(ds), gt_dataset_num_classes(ds));
    const int32_t *labels = gt_dataset_labels(ds);
    for (size_t i = 0; i < gt_dataset_count(ds); ++i)
        if (labels[i] < 0 || labels[i] >= m->num_classes)
            return gt_fail(GT_ERR_FORMAT, "%s: label %zu is %d, expected 0..%d for model '%s'",
                           gt_dataset_origin(ds), i, (int)labels[i], m->num_classes - 1, m->name);
    return GT_OK;
}

/* The model-order view (every layer's weights in Keras' order) over the
 * trainable buffer and the state buffer: one copy per weight tensor. */
static gt_status copy_params(gt_trainer *tr, float *host_out, const float *host_in, size_t count)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    size_t total = gt_model_param_count(m);
    if (count != total)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "parameter count is %zu, caller passed %zu", total,
                       count);
    /* the step's NCCL sums done (a bounded wait) before copies that may block */
    GT_TRY(gt_trainer_synchronize(tr));
    for (int i = 0; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        for (int k = 0; k < l->n_weights; ++k) {
            const gt_layer_weight *w = &l->weights[k];
            float *dev = (w->trainable ? tr->params : tr->state) + w->offset;
            size_t bytes = w->count * sizeof(float);
            if (host_out)
                GT_TRY(be->download(be, host_out + w->model_offset, dev, bytes));
            else
                GT_TRY(be->upload(be, dev, host_in + w->model_offset, bytes));
        }
    }
    return be->synchronize(be);
}

gt_status gt_trainer_get_params(gt_trainer *tr, float *host, size_t count)
{
    return copy_params(tr, host, NULL, count);
}

gt_status gt_trainer_set_params(gt_trainer *tr, const float *host, size_t count)
{
    return copy_params(tr, NULL, host, count);
}

size_t gt_trainer_planned_bytes(const gt_trainer *tr)
{
    size_t np = tr->model->n_trainable;
    return (2 * np + tr->model->n_state + tr->opt_state_floats) * sizeof(float) + tr->arena_bytes +
           tr->workspace_bytes;
}

size_t gt_trainer_optimizer_state_count(const gt_trainer *tr)
{
    return tr->opt_state_floats;
}

gt_status gt_trainer_get_optimizer_state(gt_trainer *tr, float *host, size_t count)
{
    if (count != tr->opt_state_floats)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "optimizer state has %zu values, caller passed %zu",
                       tr->opt_state_floats, count);
    if (count == 0) return GT_OK;
    GT_TRY(tr->be->download(tr->be, host, tr->opt_state, count * sizeof(float)));
    return tr->be->synchronize(tr->be);
}

gt_status gt_trainer_set_optimizer_state(gt_trainer *tr, const float *host, size_t count)
{
    if (count != tr->opt_state_floats)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "optimizer state has %zu values, caller passed %zu",
                       tr->opt_state_floats, count);
    if (count == 0) return GT_OK;
    GT_TRY(tr->be->upload(tr->be, tr->opt_state, host, count * sizeof(float)));
    return tr->be->synchronize(tr->be);
}

const gt_model *gt_trainer_model(const gt_trainer *tr)
{
    return tr->model;
}

const gt_train_config *gt_trainer_config(const gt_trainer *tr)
{
    return &tr->cfg;
}
