/* Concatenate (Keras merging layer) along the last axis (axis -1, Keras'
 * default: the channels of images, the features of flat tensors): each
 * input's channels in turn; the backward pass hands each input its slice of
 * the gradient. Other axes are not supported. */
#include "gtrain/status.h"
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->axis = -1;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    return gt_json_int(w, cfg, "axis", 0, -1, &l->axis);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    (void)l;
    gt_jw_put(wr, cfg, "axis", cJSON_CreateNumber(-1));
}

static int is_flat(gt_shape3 s)
{
    return s.h == 1 && s.w == 1;
}

static gt_status infer(gt_layer *l)
{
    gt_shape3 first = l->ins[0];
    /* the last axis: -1, 3 of an image (None, h, w, c), 1 of a flat (None, n) */
    int last = l->axis == -1 || l->axis == 3 || (l->axis == 1 && is_flat(first));
    if (!last)
        return gt_layer_fail(GT_ERR_UNSUPPORTED,
                             "axis %d is not supported (expected -1: the last axis)", l->axis);
    long channels = 0;
    for (int k = 0; k < l->n_inputs; ++k) {
        gt_shape3 s = l->ins[k];
        if (s.h != first.h || s.w != first.w)
            return gt_layer_fail(GT_ERR_SHAPE,
                                 "input %d is %dx%dx%d but input 0 is %dx%dx%d: only the last "
                                 "axis may differ",
                                 k, s.h, s.w, s.c, first.h, first.w, first.c);
        channels += s.c;
    }
    if (channels > 1L << 30)
        return gt_layer_fail(GT_ERR_SHAPE, "%ld channels together are too many", channels);
    l->out = first;
    l->out.c = (int)channels;
    return GT_OK;
}

static int ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_channel_copy;
    return 1;
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    size_t rows = (size_t)io->n * l->out.h * l->out.w;
    io->out = io->y;
    int offset = 0;
    for (int k = 0; k < io->n_inputs; ++k) {
        int c = l->ins[k].c;
        GT_TRY(be->channel_copy(be, io->y, l->out.c, offset, io->xs[k], c, 0, rows, c));
        offset += c;
    }
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    size_t rows = (size_t)io->n * l->out.h * l->out.w;
    int offset = 0;
    for (int k = 0; k < io->n_inputs; ++k) {
        int c = l->ins[k].c;
        if (io->dxs[k])
            GT_TRY(be->channel_copy(be, io->dxs[k], c, 0, io->dy, l->out.c, offset, rows, c));
        offset += c;
    }
    return GT_OK;
}

const gt_layer_class gt_concatenate_class = {
    .keras_name = "Concatenate",
    GT_MERGE_FIELDS,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .ops = ops,
    .forward = forward,
    .backward = backward,
};
