/* RepeatChannels (gtrain's own preprocessing layer, a custom object for
 * Keras): a single-channel image repeated to `repeats` channels, as notebook
 * 000 does with np.repeat before VGG-16; folded into the gather. */
#include <limits.h>
#include <stdio.h>

#include "layer.h"

static void defaults(gt_layer *l)
{
    l->repeats = 1;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    return gt_json_int(w, cfg, "repeats", 1, 1, &l->repeats);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "repeats", cJSON_CreateNumber(l->repeats));
}

static gt_status infer(gt_layer *l)
{
    if (l->repeats <= 0 || (long)l->in.c * l->repeats > INT_MAX / 4)
        return gt_layer_fail(GT_ERR_INVALID_ARGUMENT, "repeats %d must be a positive count",
                             l->repeats);
    l->out.c = l->in.c * l->repeats;
    return GT_OK;
}

static gt_status fold(const gt_layer *l, gt_fold *f)
{
    /* the augmentation stages treat every channel alike: the repeat commutes with them */
    const gt_preprocess *p = f->p;
    if (l->repeats != 1 && p->in_c != 1)
        return gt_layer_fail(GT_ERR_UNSUPPORTED,
                             "repeating a %d-channel input is not supported; the data pipeline "
                             "repeats single-channel images only",
                             p->in_c);
    return GT_OK;
}

static void describe(const gt_layer *l, char *out, size_t cap)
{
    snprintf(out, cap, "repeat channels x%d", l->repeats);
}

const gt_layer_class gt_repeat_channels_class = {
    .keras_name = "RepeatChannels",
    .category = GT_CATEGORY_PREPROCESS,
    .output_rank = GT_RANK_IMAGE,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .fold = fold,
    .describe = describe,
};
