/* Add (Keras merging layer): the elementwise sum of its inputs, all of one
 * shape (a residual connection); each input's gradient is the output's. */
#include "layer.h"

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    io->out = io->y;
    return gt_merge_sum_forward(io, NULL, 1.0f, (size_t)io->n * gt_shape3_size(l->out));
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    return gt_merge_sum_backward(io, NULL, 1.0f, (size_t)io->n * gt_shape3_size(l->out));
}

const gt_layer_class gt_add_class = {
    .keras_name = "Add",
    GT_MERGE_FIELDS,
    .read_config = gt_merge_read_config,
    .write_config = gt_merge_write_config,
    .infer = gt_merge_infer_same,
    .ops = gt_merge_sum_ops,
    .forward = forward,
    .backward = backward,
};
