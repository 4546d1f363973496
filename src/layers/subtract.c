/* Subtract (Keras merging layer): input 0 minus input 1, of one shape;
 * exactly two inputs, as Keras requires. */
#include "layer.h"

static const float coef[2] = {1.0f, -1.0f};

static gt_status infer(gt_layer *l)
{
    if (l->n_inputs != 2)
        return gt_layer_fail(GT_ERR_SHAPE, "takes exactly 2 inputs, found %d", l->n_inputs);
    return gt_merge_infer_same(l);
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    io->out = io->y;
    return gt_merge_sum_forward(io, coef, 1.0f, (size_t)io->n * gt_shape3_size(l->out));
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    return gt_merge_sum_backward(io, coef, 1.0f, (size_t)io->n * gt_shape3_size(l->out));
}

const gt_layer_class gt_subtract_class = {
    .keras_name = "Subtract",
    GT_MERGE_FIELDS,
    .read_config = gt_merge_read_config,
    .write_config = gt_merge_write_config,
    .infer = infer,
    .ops = gt_merge_sum_ops,
    .forward = forward,
    .backward = backward,
};
