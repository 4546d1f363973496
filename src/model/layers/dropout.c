/* Dropout (Keras): in training, each element kept with probability 1 - rate
 * and scaled by 1 / (1 - rate). The masks come from Philox at a counter that
 * advances by every dropout element of the run, so a resumed run draws the
 * same masks, and element e of example i of a batch draws at counter + i x
 * size + e whichever rank computes it; the backward pass applies the same
 * mask to dy. */
#include "layer.h"

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_float(w, cfg, "rate", 1, 0.0f, &l->rate));
    return gt_json_expect_null(w, cfg, "noise_shape");
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "rate", gt_jw_float(l->rate));
    gt_jw_put(wr, cfg, "noise_shape", cJSON_CreateNull());
    gt_jw_put(wr, cfg, "seed", cJSON_CreateNull());
}

static gt_status infer(gt_layer *l)
{
    if (!(l->rate >= 0.0f && l->rate < 1.0f))
        return gt_layer_fail(GT_ERR_INVALID_ARGUMENT, "rate %g must be in [0, 1)", (double)l->rate);
    return GT_OK;
}

static int ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_dropout_forward;
    return 1;
}

uint64_t gt_layer_dropout_draws(const gt_layer *l)
{
    if (l->kind != GT_LAYER_DROPOUT || l->rate <= 0.0f) return 0;
    return gt_shape3_size(l->out);
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    io->out = io->x;
    uint64_t per = gt_layer_dropout_draws(l);
    if (!io->training || per == 0) return GT_OK;
    size_t count = (size_t)io->n * per;
    /* the whole batch's masks advance the counter; this share reads its own */
    *io->dropout_offset = *io->dropout_counter + (uint64_t)io->batch_first * per;
    *io->dropout_counter += (uint64_t)io->batch_total * per;
    GT_TRY(io->be->dropout_forward(io->be, io->y, io->x, count, l->rate, io->dropout_seed,
                                   *io->dropout_offset));
    io->out = io->y;
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    io->dx_out = io->dy;
    if (!io->need_dx || io->y_seen == io->x) return GT_OK;
    /* dx = dy * the forward's mask: the forward op on dy */
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    GT_TRY(io->be->dropout_forward(io->be, io->dx, io->dy, count, l->rate, io->dropout_seed,
                                   *io->dropout_offset));
    io->dx_out = io->dx;
    return GT_OK;
}

const gt_layer_class gt_dropout_class = {
    .keras_name = "Dropout",
    .category = GT_CATEGORY_DROPOUT,
    .output_rank = GT_RANK_AS_INPUT,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .writes_output = gt_layer_always_writes,
    .ops = ops,
    .forward = forward,
    .backward = backward,
};
