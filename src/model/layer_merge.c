/* What the merge layers share (Add, Subtract, Average, Multiply and
 * Concatenate in src/layers/): no config of their own but the base fields,
 * equal input shapes for the elementwise kinds, and the linear merges'
 * passes (a weighted sum of the inputs) in axpby ops. */
#include "gtrain/status.h"
#include "layer.h"

gt_status gt_merge_read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    (void)l;
    (void)cfg;
    (void)w;
    return GT_OK;
}

void gt_merge_write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    (void)l;
    (void)cfg;
    (void)wr;
}

gt_status gt_merge_infer_same(gt_layer *l)
{
    for (int k = 1; k < l->n_inputs; ++k) {
        gt_shape3 a = l->ins[0], b = l->ins[k];
        if (a.h != b.h || a.w != b.w || a.c != b.c)
            return gt_layer_fail(GT_ERR_SHAPE,
                                 "input %d is %dx%dx%d but input 0 is %dx%dx%d; gtrain merges "
                                 "inputs of one shape (no broadcasting)",
                                 k, b.h, b.w, b.c, a.h, a.w, a.c);
    }
    l->out = l->ins[0];
    return GT_OK;
}

/* Input k's coefficient in the sum, and the scale of the whole. */
static float coefficient(const gt_layer *l, int k)
{
    return l->negate_second && k == 1 ? -1.0f : 1.0f;
}

static float scale_of(const gt_layer *l)
{
    return l->mean ? 1.0f / (float)l->n_inputs : 1.0f;
}

gt_status gt_merge_sum_forward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    float scale = scale_of(l);
    io->out = io->y;
    for (int k = 0; k < io->n_inputs; ++k)
        GT_TRY(be->axpby(be, io->y, io->xs[k], count, coefficient(l, k), k ? 1.0f : 0.0f));
    if (scale != 1.0f) GT_TRY(be->axpby(be, io->y, io->y, count, scale, 0.0f));
    return GT_OK;
}

gt_status gt_merge_sum_backward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    for (int k = 0; k < io->n_inputs; ++k)
        if (io->dxs[k])
            GT_TRY(be->axpby(be, io->dxs[k], io->dy, count, scale_of(l) * coefficient(l, k), 0.0f));
    return GT_OK;
}

int gt_merge_sum_ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_axpby;
    return 1;
}
