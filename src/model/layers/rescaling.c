/* Rescaling (Keras preprocessing): x * scale + offset, folded into the data
 * pipeline's gather (it commutes with the channel repeat and the resize,
 * whose weights sum to one). */
#include <math.h>
#include <stdio.h>

#include "layer.h"

static void defaults(gt_layer *l)
{
    l->scale = 1.0f;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_float(w, cfg, "scale", 1, 1.0f, &l->scale));
    return gt_json_float(w, cfg, "offset", 0, 0.0f, &l->offset);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "scale", gt_jw_float(l->scale));
    gt_jw_put(wr, cfg, "offset", gt_jw_float(l->offset));
}

static gt_status infer(gt_layer *l)
{
    if (!isfinite(l->scale) || !isfinite(l->offset))
        return gt_layer_fail(GT_ERR_INVALID_ARGUMENT, "scale and offset must be finite numbers");
    return GT_OK;
}

static gt_status fold(const gt_layer *l, gt_fold *f)
{
    gt_preprocess *p = f->p;
    /* (x * s1 + o1) * s2 + o2; augmentation stages before or after it
     * commute with it (their resampling weights sum to one, and their fill
     * values are kept in the unscaled domain: gt_aug_fold) */
    p->offset = p->offset * l->scale + l->offset;
    p->scale *= l->scale;
    return GT_OK;
}

static void describe(const gt_layer *l, char *out, size_t cap)
{
    if (l->offset == 0.0f && fabsf(l->scale * 255.0f - 1.0f) < 1e-6f)
        snprintf(out, cap, "pixels / 255");
    else
        snprintf(out, cap, "pixels * %g + %g", (double)l->scale, (double)l->offset);
}

const gt_layer_class gt_rescaling_class = {
    .keras_name = "Rescaling",
    .category = GT_CATEGORY_PREPROCESS,
    .output_rank = GT_RANK_AS_INPUT,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .fold = fold,
    .describe = describe,
};
