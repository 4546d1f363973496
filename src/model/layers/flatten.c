/* Flatten (Keras, channels_last): the same memory read as (None, h*w*c), in
 * NHWC order, so its output is its input and its gradient passes through. */
#include <limits.h>

#include "layer.h"

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    (void)l;
    return gt_json_data_format(w, cfg);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    (void)l;
    gt_jw_put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
}

static gt_status infer(gt_layer *l)
{
    size_t n = gt_shape3_size(l->in);
    if (n > (size_t)INT_MAX)
        return gt_layer_fail(GT_ERR_SHAPE, "input %dx%dx%d has too many features to flatten",
                             l->in.h, l->in.w, l->in.c);
    l->out.h = l->out.w = 1;
    l->out.c = (int)n;
    return GT_OK;
}

static int writes_output(const gt_layer *l)
{
    (void)l;
    return 0;
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    (void)l;
    io->out = io->x;
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    (void)l;
    io->dx_out = io->dy;
    return GT_OK;
}

const gt_layer_class gt_flatten_class = {
    .keras_name = "Flatten",
    .category = GT_CATEGORY_SHAPE,
    .output_rank = GT_RANK_FLAT,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .writes_output = writes_output,
    .forward = forward,
    .backward = backward,
};
