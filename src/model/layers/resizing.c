/* Resizing (Keras preprocessing): tf.image.resize to height x width,
 * bilinear with half-pixel centres and no antialias, folded into the data
 * pipeline's gather (one resize per model). */
#include <stdio.h>

#include "layer.h"

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    static const char *const methods[] = {"bilinear", NULL};
    int which;
    GT_TRY(gt_json_int(w, cfg, "height", 1, 0, &l->height));
    GT_TRY(gt_json_int(w, cfg, "width", 1, 0, &l->width));
    GT_TRY(gt_json_choice(w, cfg, "interpolation", methods, &which));
    GT_TRY(gt_json_expect_false(w, cfg, "crop_to_aspect_ratio"));
    GT_TRY(gt_json_expect_false(w, cfg, "pad_to_aspect_ratio"));
    GT_TRY(gt_json_expect_false(w, cfg, "antialias"));
    return gt_json_data_format(w, cfg);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "height", cJSON_CreateNumber(l->height));
    gt_jw_put(wr, cfg, "width", cJSON_CreateNumber(l->width));
    gt_jw_put(wr, cfg, "interpolation", cJSON_CreateString("bilinear"));
    gt_jw_put(wr, cfg, "crop_to_aspect_ratio", cJSON_CreateFalse());
}

static gt_status infer(gt_layer *l)
{
    if (l->height <= 0 || l->width <= 0)
        return gt_layer_fail(GT_ERR_SHAPE, "target size %dx%d must be positive", l->height,
                             l->width);
    l->out.h = l->height;
    l->out.w = l->width;
    return GT_OK;
}

static gt_status fold(const gt_layer *l, gt_fold *f)
{
    /* Resizing to the size the image already has is the identity. */
    if (l->height == l->in.h && l->width == l->in.w) return GT_OK;
    if (f->augment->n_stages > 0)
        return gt_layer_fail(GT_ERR_UNSUPPORTED,
                             "a resize (to %dx%d) after an augmentation layer cannot be folded "
                             "into the data pipeline, which resizes before it augments; move "
                             "Resizing before the first Random* layer",
                             l->height, l->width);
    if (f->resized)
        return gt_layer_fail(GT_ERR_UNSUPPORTED,
                             "a second resize (to %dx%d) cannot be folded into the data "
                             "pipeline; resize once",
                             l->height, l->width);
    f->resized = 1;
    return GT_OK;
}

static void describe(const gt_layer *l, char *out, size_t cap)
{
    snprintf(out, cap, "resize to %dx%d (bilinear)", l->height, l->width);
}

const gt_layer_class gt_resizing_class = {
    .keras_name = "Resizing",
    .category = GT_CATEGORY_PREPROCESS,
    .output_rank = GT_RANK_IMAGE,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .fold = fold,
    .describe = describe,
};
