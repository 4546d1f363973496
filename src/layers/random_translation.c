/* RandomTranslation (Keras preprocessing): each training example shifted
 * by a fraction of its height and width drawn from the factors, the
 * uncovered part filled by fill_mode, inside the data pipeline's gather
 * (gt_augment, backend.h); evaluation and prediction pass it through. */
#include <stdio.h>

#include "layer.h"

static void defaults(gt_layer *l)
{
    l->augment.kind = GT_AUG_TRANSLATE;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    gt_augment_stage *s = &l->augment;
    GT_TRY(gt_aug_read_factor(w, cfg, "height_factor", -1.0f, 0, NULL, &s->height_lower,
                              &s->height_upper));
    GT_TRY(gt_aug_read_factor(w, cfg, "width_factor", -1.0f, 0, NULL, &s->width_lower,
                              &s->width_upper));
    GT_TRY(gt_aug_read_resampling(w, cfg, s));
    return gt_aug_read_seed(w, cfg, l);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    const gt_augment_stage *s = &l->augment;
    gt_jw_put(wr, cfg, "height_factor", gt_aug_factor_json(s->height_lower, s->height_upper));
    gt_jw_put(wr, cfg, "width_factor", gt_aug_factor_json(s->width_lower, s->width_upper));
    gt_aug_write_resampling(s, cfg, wr);
    gt_aug_write_seed(l, cfg, wr);
}

static void describe(const gt_layer *l, char *out, size_t cap)
{
    const gt_augment_stage *s = &l->augment;
    snprintf(out, cap, "random translation [%g, %g] x [%g, %g] (training only)",
             (double)s->height_lower, (double)s->height_upper, (double)s->width_lower,
             (double)s->width_upper);
}

const gt_layer_class gt_random_translation_class = {
    .keras_name = "RandomTranslation",
    .category = GT_CATEGORY_PREPROCESS,
    .output_rank = GT_RANK_IMAGE,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = gt_layer_keep_shape,
    .fold = gt_aug_fold,
    .describe = describe,
};
