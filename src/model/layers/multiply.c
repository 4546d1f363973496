/* Multiply (Keras merging layer): the elementwise product of its inputs,
 * multiplied in input order as Keras does; input k's gradient is the
 * output's times every other input (in input order), recomputed from the
 * inputs the forward read rather than kept. */
#include "gtrain/status.h"
#include "layer.h"

static int ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_mul;
    return 1;
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    io->out = io->y;
    GT_TRY(be->mul(be, io->y, io->xs[0], io->xs[1], count));
    for (int k = 2; k < io->n_inputs; ++k)
        GT_TRY(be->mul(be, io->y, io->y, io->xs[k], count));
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    for (int k = 0; k < io->n_inputs; ++k) {
        float *dx = io->dxs[k];
        if (!dx) continue;
        int first = 1;
        for (int j = 0; j < io->n_inputs; ++j) {
            if (j == k) continue;
            GT_TRY(be->mul(be, dx, first ? io->dy : dx, io->xs[j], count));
            first = 0;
        }
    }
    return GT_OK;
}

const gt_layer_class gt_multiply_class = {
    .keras_name = "Multiply",
    GT_MERGE_FIELDS,
    .read_config = gt_merge_read_config,
    .write_config = gt_merge_write_config,
    .infer = gt_merge_infer_same,
    .ops = ops,
    .forward = forward,
    .backward = backward,
};
