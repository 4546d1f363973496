/* Average (Keras merging layer): the inputs summed in order, then divided
 * by their number (as Keras computes it, times the reciprocal here); each
 * input's gradient is the output's over that number. */
#include "layer.h"

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    io->out = io->y;
    return gt_merge_sum_forward(io, NULL, 1.0f / (float)io->n_inputs,
                                (size_t)io->n * gt_shape3_size(l->out));
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    return gt_merge_sum_backward(io, NULL, 1.0f / (float)io->n_inputs,
                                 (size_t)io->n * gt_shape3_size(l->out));
}

const gt_layer_class gt_average_class = {
    .keras_name = "Average",
    GT_MERGE_FIELDS,
    .read_config = gt_merge_read_config,
    .write_config = gt_merge_write_config,
    .infer = gt_merge_infer_same,
    .ops = gt_merge_sum_ops,
    .forward = forward,
    .backward = backward,
};
