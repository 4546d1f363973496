/* One training step's math over the compute layers: forward, loss, backward
 * and the optimizer update, all through the backend table. */
#include <string.h>

#include "gtrain/status.h"
#include "trainer_internal.h"

/* Seed of the dropout masks, kept apart from the weight and shuffle streams. */
#define GT_DROPOUT_STREAM 0x64726f706f7574ULL /* "dropout" */

/* What the graph gives layer i as input k: the batch (after the
 * preprocessing layers) or what a compute layer produced. */
static const float *layer_input(const gt_trainer *tr, const gt_layer *l, int k)
{
    int src = l->inputs[k];
    return src < tr->model->first_compute ? tr->input : tr->cur[src];
}

gt_layer_io gt_trainer_layer_io(gt_trainer *tr, int i, int n, int training)
{
    const gt_layer *l = &tr->model->layers[i];
    gt_layer_io io;
    memset(&io, 0, sizeof io);
    io.be = tr->be;
    io.n = n;
    io.training = training;
    io.n_inputs = l->n_inputs;
    for (int k = 0; k < l->n_inputs; ++k)
        io.xs[k] = layer_input(tr, l, k);
    io.x = io.xs[0];
    io.y = tr->outputs[i];
    io.saved = tr->saved[i];
    for (int k = 0; k < l->n_weights; ++k) {
        const gt_layer_weight *w = &l->weights[k];
        io.w[k] = (w->trainable ? tr->params : tr->state) + w->offset;
        io.dw[k] = w->trainable ? tr->grads + w->offset : NULL;
    }
    io.workspace = tr->workspace;
    io.dropout_seed = tr->cfg.seed ^ GT_DROPOUT_STREAM;
    io.dropout_offset = &tr->dropout_offsets[i];
    io.dropout_counter = &tr->dropout_counter;
    io.batch_first = tr->share_total > 0 ? tr->share_first : 0;
    io.batch_total = tr->share_total > 0 ? tr->share_total : n;
    if (tr->dist && training) {
        io.sum_over_ranks = gt_trainer_sum_over_ranks;
        io.sum_ctx = tr;
    }
    return io;
}

gt_status gt_trainer_forward(gt_trainer *tr, int n, int training)
{
    const gt_model *m = tr->model;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        gt_layer_io io = gt_trainer_layer_io(tr, i, n, training);
        gt_status st = gt_layer_class_of(l->kind)->forward(l, &io);
        if (st != GT_OK) return gt_fail_context(st, "layer '%s' forward", l->name);
        tr->cur[i] = io.out;
    }
    return GT_OK;
}

gt_status gt_trainer_loss(gt_trainer *tr, int n, float *stats_slot, int want_gradient)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    const float *out = tr->cur[m->n_layers - 1];
    /* the mean over the whole batch, when this rank holds a share of it */
    int total = tr->share_total > 0 ? tr->share_total : n;
    float scale = tr->cfg.reduction == GT_REDUCE_MEAN ? 1.0f / (float)total : 1.0f;
    float *grad = want_gradient ? tr->grad_a : NULL;
    if (m->logits_output)
        return be->softmax_xent(be, grad, stats_slot, out, tr->labels, n, m->num_classes, scale,
                                tr->cfg.loss_log_epsilon);
    return be->prob_xent(be, grad, stats_slot, out, tr->labels, n, m->num_classes, scale);
}

gt_status gt_trainer_backward(gt_trainer *tr, int n)
{
    if (tr->graph) return gt_trainer_backward_graph(tr, n);
    const gt_model *m = tr->model;
    float *dy = tr->grad_a;    /* gradient w.r.t. the current layer's output */
    float *spare = tr->grad_b; /* receives the gradient w.r.t. its input */
    for (int i = m->n_layers - 1; i >= m->first_compute; --i) {
        const gt_layer *l = &m->layers[i];
        gt_layer_io io = gt_trainer_layer_io(tr, i, n, 1);
        io.y_seen = tr->cur[i];
        io.dy = dy;
        io.dx = spare;
        io.need_dx = i > m->first_compute;
        gt_status st = gt_layer_class_of(l->kind)->backward(l, &io);
        if (st != GT_OK) return gt_fail_context(st, "layer '%s' backward", l->name);
        GT_TRY(gt_trainer_grads_ready(tr, i));
        if (io.dx_out == spare) { /* the next layer down reads it; dy becomes the spare */
            spare = dy;
            dy = io.dx_out;
        }
    }
    return GT_OK;
}
