/* RandomTranslation (Keras preprocessing): each training example shifted
 * by a fraction of its height and width drawn from the factors, the
 * uncovered part filled by fill_mode, inside the data pipeline's gather
 * (gt_augment, backend.h); evaluation and prediction pass it through. Its
 * fields are RandomZoom's (layer_augment.c). */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->augment.kind = GT_AUG_TRANSLATE;
}

const gt_layer_class gt_random_translation_class = {
    .keras_name = "RandomTranslation",
    GT_AUG_LAYER_FIELDS,
    .init_defaults = defaults,
    .read_config = gt_aug_read_transform,
    .write_config = gt_aug_write_transform,
    .infer = gt_layer_keep_shape,
    .describe = gt_aug_describe_transform,
};
