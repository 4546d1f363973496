/* ZeroPadding2D (Keras): rows and columns of zeros around the image; its
 * backward pass crops dy. padding is an integer (all four sides), a pair
 * (rows, columns) or ((top, bottom), (left, right)). */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = 1;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_data_format(w, cfg));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(cfg, "padding");
    if (p == NULL || cJSON_IsNull(p)) return GT_OK;
    if (gt_json_is_integer(p)) {
        l->pad[0] = l->pad[1] = l->pad[2] = l->pad[3] = (int)p->valuedouble;
    } else if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 2) {
        for (int axis = 0; axis < 2; ++axis) {
            const cJSON *e = cJSON_GetArrayItem(p, axis);
            if (gt_json_is_integer(e)) {
                l->pad[2 * axis] = l->pad[2 * axis + 1] = (int)e->valuedouble;
            } else if (cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 &&
                       gt_json_is_integer(cJSON_GetArrayItem(e, 0)) &&
                       gt_json_is_integer(cJSON_GetArrayItem(e, 1))) {
                l->pad[2 * axis] = (int)cJSON_GetArrayItem(e, 0)->valuedouble;
                l->pad[2 * axis + 1] = (int)cJSON_GetArrayItem(e, 1)->valuedouble;
            } else {
                p = NULL;
                break;
            }
        }
    } else {
        p = NULL;
    }
    if (p == NULL || l->pad[0] < 0 || l->pad[1] < 0 || l->pad[2] < 0 || l->pad[3] < 0) {
        char found[96];
        gt_json_found_text(cJSON_GetObjectItemCaseSensitive(cfg, "padding"), found, sizeof found);
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                            "padding %s is not supported (expected n, [rows, columns] or "
                            "[[top, bottom], [left, right]] of non-negative integers)",
                            found);
    }
    return GT_OK;
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    cJSON *p = cJSON_CreateArray();
    if (p) {
        if (!cJSON_AddItemToArray(p, gt_jw_pair(l->pad[0], l->pad[1])) ||
            !cJSON_AddItemToArray(p, gt_jw_pair(l->pad[2], l->pad[3])))
            wr->failed = 1;
    }
    gt_jw_put(wr, cfg, "padding", p);
    gt_jw_put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
}

static gt_status infer(gt_layer *l)
{
    long h = (long)l->in.h + l->pad[0] + l->pad[1], w = (long)l->in.w + l->pad[2] + l->pad[3];
    if (h > (1L << 20) || w > (1L << 20))
        return gt_layer_fail(GT_ERR_SHAPE, "padding makes an image of %ldx%ld", h, w);
    l->out.h = (int)h;
    l->out.w = (int)w;
    return GT_OK;
}

static gt_pad_geom geom(const gt_layer *l, int n)
{
    return (gt_pad_geom){n, l->in.h, l->in.w, l->in.c, l->pad[0], l->pad[1], l->pad[2], l->pad[3]};
}

static int ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_pad2d_forward;
    out[1] = GT_OP_pad2d_backward;
    return 2;
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    gt_pad_geom g = geom(l, io->n);
    GT_TRY(io->be->pad2d_forward(io->be, &g, io->y, io->x));
    io->out = io->y;
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    io->dx_out = io->dy;
    if (!io->need_dx) return GT_OK;
    gt_pad_geom g = geom(l, io->n);
    GT_TRY(io->be->pad2d_backward(io->be, &g, io->dx, io->dy));
    io->dx_out = io->dx;
    return GT_OK;
}

const gt_layer_class gt_zeropad2d_class = {
    .keras_name = "ZeroPadding2D",
    .category = GT_CATEGORY_SHAPE,
    .output_rank = GT_RANK_IMAGE,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .writes_output = gt_layer_always_writes,
    .ops = ops,
    .forward = forward,
    .backward = backward,
};
