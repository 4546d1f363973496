/* Argument checks of augment_gather: every stage is one the element math
 * knows, with Keras' ranges, and the sizes chain to the op's output. */
#include <math.h>

#include "gtrain/status.h"
#include "op_checks.h"

#define GT_AUGMENT_MAX_SIDE 65536

static gt_status check_range(int s, const char *what, float lower, float upper, float lo_limit)
{
    if (!isfinite(lower) || !isfinite(upper) || lower > upper || lower < lo_limit || upper > 1.0f)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "augment_gather: stage %d: %s factor [%g, %g] must be an interval inside "
                       "[%g, 1]",
                       s, what, (double)lower, (double)upper, (double)lo_limit);
    return GT_OK;
}

static gt_status check_resampling(int s, const gt_augment_stage *st)
{
    if (st->fill_mode < GT_FILL_REFLECT || st->fill_mode > GT_FILL_NEAREST)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "augment_gather: stage %d: fill mode %d; expected reflect, wrap, constant "
                       "or nearest",
                       s, st->fill_mode);
    if (st->interpolation != GT_INTERP_BILINEAR && st->interpolation != GT_INTERP_NEAREST)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "augment_gather: stage %d: interpolation %d; expected bilinear or nearest",
                       s, st->interpolation);
    if (!isfinite(st->fill_value))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "augment_gather: stage %d: fill value %g", s,
                       (double)st->fill_value);
    return GT_OK;
}

gt_status gt_check_augment(const gt_preprocess *p, const gt_augment *a, int n)
{
    GT_TRY(gt_check_preprocess_shape(p, n));
    if (!a) return gt_fail(GT_ERR_INVALID_ARGUMENT, "augment_gather: NULL augmentation");
    if (a->n_stages < 0 || a->n_stages > GT_AUGMENT_MAX_STAGES)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "augment_gather: %d stages, expected 0..%d",
                       a->n_stages, GT_AUGMENT_MAX_STAGES);
    int h = a->in_h, w = a->in_w;
    if (h < 1 || w < 1 || h > GT_AUGMENT_MAX_SIDE || w > GT_AUGMENT_MAX_SIDE)
        return gt_fail(GT_ERR_SHAPE, "augment_gather: stage input %dx%d", h, w);
    for (int s = 0; s < a->n_stages; ++s) {
        const gt_augment_stage *st = &a->stages[s];
        switch (st->kind) {
        case GT_AUG_FLIP:
            break;
        case GT_AUG_TRANSLATE:
            GT_TRY(check_range(s, "height", st->height_lower, st->height_upper, -1.0f));
            GT_TRY(check_range(s, "width", st->width_lower, st->width_upper, -1.0f));
            GT_TRY(check_resampling(s, st));
            break;
        case GT_AUG_ZOOM:
            /* a zoom of 1 + lower must stay above 0 */
            GT_TRY(check_range(s, "height", st->height_lower, st->height_upper, -0.999999f));
            if (!st->width_from_height)
                GT_TRY(check_range(s, "width", st->width_lower, st->width_upper, -0.999999f));
            GT_TRY(check_resampling(s, st));
            break;
        case GT_AUG_CROP:
            if (st->out_h < 1 || st->out_w < 1 || st->out_h > GT_AUGMENT_MAX_SIDE ||
                st->out_w > GT_AUGMENT_MAX_SIDE)
                return gt_fail(GT_ERR_SHAPE, "augment_gather: stage %d: crop to %dx%d", s,
                               st->out_h, st->out_w);
            h = st->out_h;
            w = st->out_w;
            break;
        default:
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "augment_gather: stage %d has kind %d; expected flip, translate, zoom "
                           "or crop",
                           s, st->kind);
        }
    }
    if (h != p->out_h || w != p->out_w)
        return gt_fail(GT_ERR_SHAPE,
                       "augment_gather: the stages turn %dx%d into %dx%d, the output is %dx%d",
                       a->in_h, a->in_w, h, w, p->out_h, p->out_w);
    return GT_OK;
}
