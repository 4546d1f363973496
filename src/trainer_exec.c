/* One training step's math over the compute layers: forward, loss, backward
 * and the optimizer update, all through the backend table. */
#include "error.h"
#include "trainer_internal.h"

/* Seed of the dropout masks, kept apart from the weight and shuffle streams. */
#define GT_DROPOUT_STREAM 0x64726f706f7574ULL /* "dropout" */

/* The activation the op applies itself; softmax is left to the loss. */
static gt_activation fused_activation(gt_activation act)
{
    return act == GT_ACT_RELU ? GT_ACT_RELU : GT_ACT_LINEAR;
}

static const float *layer_input(const gt_trainer *tr, int i)
{
    return i == tr->model->first_compute ? tr->input : tr->cur[i - 1];
}

gt_status gt_trainer_forward(gt_trainer *tr, int n, int training)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    const float *params = tr->params;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        const float *x = layer_input(tr, i);
        float *y = tr->outputs[i];
        size_t out_count = (size_t)n * gt_shape3_size(l->out);
        switch (l->kind) {
        case GT_LAYER_CONV2D: {
            gt_conv_geom g = gt_layer_conv_geom(l, n);
            GT_TRY(be->conv2d_forward(be, &g, y, x, params + l->kernel_offset,
                                      l->bias_count ? params + l->bias_offset : NULL,
                                      fused_activation(l->activation), tr->workspace));
            tr->cur[i] = y;
            break;
        }
        case GT_LAYER_DENSE: {
            int in = (int)gt_shape3_size(l->in);
            GT_TRY(be->gemm(be, 0, 0, n, l->units, in, 1.0f, x, in, params + l->kernel_offset,
                            l->units, 0.0f, y, l->units));
            GT_TRY(be->bias_act_forward(be, y, l->bias_count ? params + l->bias_offset : NULL, n,
                                        l->units, fused_activation(l->activation)));
            tr->cur[i] = y;
            break;
        }
        case GT_LAYER_MAXPOOL2D: {
            gt_pool_geom g = gt_layer_pool_geom(l, n);
            GT_TRY(be->maxpool_forward(be, &g, y, x));
            tr->cur[i] = y;
            break;
        }
        case GT_LAYER_FLATTEN:
            tr->cur[i] = x; /* NHWC flatten is the same memory */
            break;
        case GT_LAYER_DROPOUT:
            if (training && l->rate > 0.0f) {
                tr->dropout_offsets[i] = tr->dropout_counter;
                tr->dropout_counter += out_count;
                GT_TRY(be->dropout_forward(be, y, x, out_count, l->rate,
                                           tr->cfg.seed ^ GT_DROPOUT_STREAM,
                                           tr->dropout_offsets[i]));
                tr->cur[i] = y;
            } else {
                tr->cur[i] = x;
            }
            break;
        case GT_LAYER_ACTIVATION:
            if (l->activation == GT_ACT_RELU) {
                GT_TRY(be->copy(be, y, x, out_count * sizeof(float)));
                GT_TRY(
                    be->bias_act_forward(be, y, NULL, n, (int)gt_shape3_size(l->out), GT_ACT_RELU));
                tr->cur[i] = y;
            } else {
                tr->cur[i] = x; /* linear, or softmax fused into the loss */
            }
            break;
        default:
            return gt_fail(GT_ERR_INTERNAL, "layer '%s': preprocessing layer after compute layers",
                           l->name);
        }
    }
    return GT_OK;
}

gt_status gt_trainer_loss(gt_trainer *tr, int n, float *stats_slot, int want_gradient)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    const float *out = tr->cur[m->n_layers - 1];
    float scale = tr->cfg.reduction == GT_REDUCE_MEAN ? 1.0f / (float)n : 1.0f;
    float *grad = want_gradient ? tr->grad_a : NULL;
    if (m->logits_output)
        return be->softmax_xent(be, grad, stats_slot, out, tr->labels, n, m->num_classes, scale,
                                tr->cfg.loss_log_epsilon);
    return be->prob_xent(be, grad, stats_slot, out, tr->labels, n, m->num_classes, scale);
}

gt_status gt_trainer_backward(gt_trainer *tr, int n)
{
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    const float *params = tr->params;
    float *grads = tr->grads;
    float *dy = tr->grad_a;    /* gradient w.r.t. the current layer's output */
    float *spare = tr->grad_b; /* receives the gradient w.r.t. its input */
    for (int i = m->n_layers - 1; i >= m->first_compute; --i) {
        const gt_layer *l = &m->layers[i];
        const float *x = layer_input(tr, i);
        const float *y = tr->cur[i];
        int need_dx = i > m->first_compute;
        size_t out_count = (size_t)n * gt_shape3_size(l->out);
        switch (l->kind) {
        case GT_LAYER_CONV2D: {
            if (l->activation == GT_ACT_RELU) GT_TRY(be->relu_backward(be, dy, dy, y, out_count));
            gt_conv_geom g = gt_layer_conv_geom(l, n);
            GT_TRY(be->conv2d_backward_filter(be, &g, grads + l->kernel_offset,
                                              l->bias_count ? grads + l->bias_offset : NULL, dy, x,
                                              tr->workspace));
            if (need_dx) {
                GT_TRY(be->conv2d_backward_data(be, &g, spare, dy, params + l->kernel_offset,
                                                tr->workspace));
                float *t = dy;
                dy = spare;
                spare = t;
            }
            break;
        }
        case GT_LAYER_DENSE: {
            int in = (int)gt_shape3_size(l->in);
            if (l->activation == GT_ACT_RELU) GT_TRY(be->relu_backward(be, dy, dy, y, out_count));
            /* dW(in, units) = x^T dy; db = column sums of dy; dx(n, in) = dy W^T */
            GT_TRY(be->gemm(be, 1, 0, in, l->units, n, 1.0f, x, in, dy, l->units, 0.0f,
                            grads + l->kernel_offset, l->units));
            if (l->bias_count)
                GT_TRY(be->bias_backward(be, grads + l->bias_offset, dy, n, l->units));
            if (need_dx) {
                GT_TRY(be->gemm(be, 0, 1, n, in, l->units, 1.0f, dy, l->units,
                                params + l->kernel_offset, l->units, 0.0f, spare, in));
                float *t = dy;
                dy = spare;
                spare = t;
            }
            break;
        }
        case GT_LAYER_MAXPOOL2D:
            if (need_dx) {
                gt_pool_geom g = gt_layer_pool_geom(l, n);
                GT_TRY(be->maxpool_backward(be, &g, spare, dy, x));
                float *t = dy;
                dy = spare;
                spare = t;
            }
            break;
        case GT_LAYER_FLATTEN:
            break;
        case GT_LAYER_DROPOUT:
            if (need_dx && y != x) {
                /* dx = dy * the forward's mask: the forward op on dy */
                GT_TRY(be->dropout_forward(be, spare, dy, out_count, l->rate,
                                           tr->cfg.seed ^ GT_DROPOUT_STREAM,
                                           tr->dropout_offsets[i]));
                float *t = dy;
                dy = spare;
                spare = t;
            }
            break;
        case GT_LAYER_ACTIVATION:
            if (l->activation == GT_ACT_RELU && need_dx)
                GT_TRY(be->relu_backward(be, dy, dy, y, out_count));
            break;
        default:
            return gt_fail(GT_ERR_INTERNAL, "layer '%s': no backward", l->name);
        }
    }
    return GT_OK;
}
