/* What the augmentation layers (src/layers/random_*.c) share: Keras'
 * factor, fill and seed fields, and the fold that appends a layer's stage
 * to the gather's augmentation (gt_augment, backend.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layer.h"

static gt_status bad_factor(const gt_json_where *w, const cJSON *item, const char *field,
                            float lo_limit, int lo_open)
{
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                        "%s %s is not supported (expected a number f in [0, 1] for [-f, f], or "
                        "[lower, upper] with %g %s lower <= upper <= 1)",
                        field, found, (double)lo_limit, lo_open ? "<" : "<=");
}

gt_status gt_aug_read_factor(const gt_json_where *w, const cJSON *cfg, const char *field,
                             float lo_limit, int lo_open, int *present, float *lower, float *upper)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, field);
    if (item == NULL || cJSON_IsNull(item)) {
        if (!present)
            return gt_json_fail(w, GT_ERR_FORMAT,
                                "%s is missing (expected a number or [lower, upper])", field);
        *present = 0;
        *lower = *upper = 0.0f;
        return GT_OK;
    }
    double lo, hi;
    if (cJSON_IsNumber(item)) {
        lo = -item->valuedouble;
        hi = item->valuedouble;
    } else if (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 2 &&
               cJSON_IsNumber(cJSON_GetArrayItem(item, 0)) &&
               cJSON_IsNumber(cJSON_GetArrayItem(item, 1))) {
        lo = cJSON_GetArrayItem(item, 0)->valuedouble;
        hi = cJSON_GetArrayItem(item, 1)->valuedouble;
    } else {
        return bad_factor(w, item, field, lo_limit, lo_open);
    }
    int lo_ok = lo_open ? lo > (double)lo_limit : lo >= (double)lo_limit;
    if (!(lo_ok && lo <= hi && hi <= 1.0)) return bad_factor(w, item, field, lo_limit, lo_open);
    if (present) *present = 1;
    *lower = (float)lo;
    *upper = (float)hi;
    return GT_OK;
}

cJSON *gt_aug_factor_json(float lower, float upper)
{
    if (lower == -upper) return gt_jw_float(upper);
    cJSON *pair = cJSON_CreateArray();
    if (pair && (!cJSON_AddItemToArray(pair, gt_jw_float(lower)) ||
                 !cJSON_AddItemToArray(pair, gt_jw_float(upper)))) {
        cJSON_Delete(pair);
        return NULL;
    }
    return pair;
}

/* Keras' names, in gt_fill_mode's and gt_interpolation's order. */
static const char *const fill_modes[] = {"reflect", "wrap", "constant", "nearest", NULL};
static const char *const interpolations[] = {"bilinear", "nearest", NULL};

static gt_status read_resampling(const gt_json_where *w, const cJSON *cfg, gt_augment_stage *s)
{
    GT_TRY(gt_json_choice(w, cfg, "fill_mode", fill_modes, &s->fill_mode));
    GT_TRY(gt_json_choice(w, cfg, "interpolation", interpolations, &s->interpolation));
    GT_TRY(gt_json_float(w, cfg, "fill_value", 0, 0.0f, &s->fill_value));
    return gt_json_data_format(w, cfg);
}

static void write_resampling(const gt_augment_stage *s, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "fill_mode", cJSON_CreateString(fill_modes[s->fill_mode]));
    gt_jw_put(wr, cfg, "interpolation", cJSON_CreateString(interpolations[s->interpolation]));
    gt_jw_put(wr, cfg, "fill_value", gt_jw_float(s->fill_value));
}

gt_status gt_aug_read_seed(const gt_json_where *w, const cJSON *cfg, gt_layer *l)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, "seed");
    l->has_seed = 0;
    l->seed = 0;
    if (item == NULL || cJSON_IsNull(item)) return GT_OK;
    /* integers up to 2^53, the doubles' exact range (Keras' default seeds are below 1e9) */
    if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
        fabs(item->valuedouble) > 9007199254740992.0) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_json_fail(w, GT_ERR_FORMAT,
                            "seed %s is not supported (expected null or an "
                            "integer)",
                            found);
    }
    l->has_seed = 1;
    l->seed = (long long)item->valuedouble;
    return GT_OK;
}

void gt_aug_write_seed(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "seed",
              l->has_seed ? cJSON_CreateNumber((double)l->seed) : cJSON_CreateNull());
}

gt_status gt_aug_read_transform(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    gt_augment_stage *s = &l->augment;
    int zoom = s->kind == GT_AUG_ZOOM;
    int has_width = 0;
    GT_TRY(gt_aug_read_factor(w, cfg, "height_factor", -1.0f, zoom, NULL, &s->height_lower,
                              &s->height_upper));
    GT_TRY(gt_aug_read_factor(w, cfg, "width_factor", -1.0f, zoom, zoom ? &has_width : NULL,
                              &s->width_lower, &s->width_upper));
    s->width_from_height = zoom && !has_width;
    GT_TRY(read_resampling(w, cfg, s));
    return gt_aug_read_seed(w, cfg, l);
}

void gt_aug_write_transform(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    const gt_augment_stage *s = &l->augment;
    gt_jw_put(wr, cfg, "height_factor", gt_aug_factor_json(s->height_lower, s->height_upper));
    gt_jw_put(wr, cfg, "width_factor",
              s->width_from_height ? cJSON_CreateNull()
                                   : gt_aug_factor_json(s->width_lower, s->width_upper));
    write_resampling(s, cfg, wr);
    gt_aug_write_seed(l, cfg, wr);
}

void gt_aug_describe_transform(const gt_layer *l, char *out, size_t cap)
{
    const gt_augment_stage *s = &l->augment;
    const char *what = s->kind == GT_AUG_ZOOM ? "random zoom" : "random translation";
    if (s->width_from_height)
        snprintf(out, cap, "%s [%g, %g] (training only)", what, (double)s->height_lower,
                 (double)s->height_upper);
    else
        snprintf(out, cap, "%s [%g, %g] x [%g, %g] (training only)", what, (double)s->height_lower,
                 (double)s->height_upper, (double)s->width_lower, (double)s->width_upper);
}

gt_status gt_aug_fold(const gt_layer *l, gt_fold *f)
{
    gt_augment *a = f->augment;
    if (a->n_stages == GT_AUGMENT_MAX_STAGES)
        return gt_layer_fail(GT_ERR_UNSUPPORTED,
                             "the data pipeline applies at most %d augmentation layers; this is "
                             "one more",
                             GT_AUGMENT_MAX_STAGES);
    if (a->n_stages == 0) {
        a->in_h = l->in.h;
        a->in_w = l->in.w;
    }
    gt_augment_stage s = l->augment;
    /* The gather fills before it rescales: a fill value the model gives
     * after a Rescaling goes back to the unscaled domain. */
    if (s.fill_mode == GT_FILL_CONSTANT && (f->p->scale != 1.0f || f->p->offset != 0.0f)) {
        if (f->p->scale == 0.0f)
            return gt_layer_fail(GT_ERR_UNSUPPORTED,
                                 "a constant fill after a Rescaling by 0 cannot be folded into "
                                 "the data pipeline");
        s.fill_value = (s.fill_value - f->p->offset) / f->p->scale;
    }
    a->stages[a->n_stages++] = s;
    return GT_OK;
}
