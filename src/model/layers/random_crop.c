/* RandomCrop (Keras preprocessing): in training a height x width window at
 * a random offset of each example (Keras draws one offset per batch, gtrain
 * one per example: gt_augment, backend.h); in evaluation and prediction, and
 * for images smaller than the window, Keras' inference form: the largest
 * centred box of the window's aspect ratio, resized to it. Inside the data
 * pipeline's gather. */
#include <stdio.h>

#include "layer.h"

static void defaults(gt_layer *l)
{
    l->augment.kind = GT_AUG_CROP;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_int(w, cfg, "height", 1, 0, &l->augment.out_h));
    GT_TRY(gt_json_int(w, cfg, "width", 1, 0, &l->augment.out_w));
    GT_TRY(gt_aug_read_seed(w, cfg, l));
    return gt_json_data_format(w, cfg);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "height", cJSON_CreateNumber(l->augment.out_h));
    gt_jw_put(wr, cfg, "width", cJSON_CreateNumber(l->augment.out_w));
    gt_aug_write_seed(l, cfg, wr);
}

static gt_status infer(gt_layer *l)
{
    if (l->augment.out_h <= 0 || l->augment.out_w <= 0)
        return gt_layer_fail(GT_ERR_SHAPE, "crop size %dx%d must be positive", l->augment.out_h,
                             l->augment.out_w);
    l->out.h = l->augment.out_h;
    l->out.w = l->augment.out_w;
    return GT_OK;
}

static void describe(const gt_layer *l, char *out, size_t cap)
{
    snprintf(out, cap, "random crop to %dx%d (centred crop + resize in evaluation)",
             l->augment.out_h, l->augment.out_w);
}

const gt_layer_class gt_random_crop_class = {
    .keras_name = "RandomCrop",
    GT_AUG_LAYER_FIELDS,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .describe = describe,
};
