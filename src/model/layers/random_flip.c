/* RandomFlip (Keras preprocessing): each training example flipped left-right
 * and/or upside down, each with probability 1/2, inside the data pipeline's
 * gather (gt_augment, backend.h); evaluation and prediction pass it through. */
#include <stdio.h>

#include "layer.h"

/* Keras' modes, in their order: the first is its default. */
static const char *const modes[] = {"horizontal_and_vertical", "horizontal", "vertical", NULL};

static void defaults(gt_layer *l)
{
    l->augment.kind = GT_AUG_FLIP;
    l->augment.horizontal = l->augment.vertical = 1;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    int mode;
    GT_TRY(gt_json_choice(w, cfg, "mode", modes, &mode));
    l->augment.horizontal = mode != 2;
    l->augment.vertical = mode != 1;
    GT_TRY(gt_aug_read_seed(w, cfg, l));
    return gt_json_data_format(w, cfg);
}

static int mode_of(const gt_layer *l)
{
    return l->augment.horizontal && l->augment.vertical ? 0 : (l->augment.horizontal ? 1 : 2);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "mode", cJSON_CreateString(modes[mode_of(l)]));
    gt_aug_write_seed(l, cfg, wr);
}

static void describe(const gt_layer *l, char *out, size_t cap)
{
    snprintf(out, cap, "random flip %s (training only)", modes[mode_of(l)]);
}

const gt_layer_class gt_random_flip_class = {
    .keras_name = "RandomFlip",
    GT_AUG_LAYER_FIELDS,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = gt_layer_keep_shape,
    .describe = describe,
};
