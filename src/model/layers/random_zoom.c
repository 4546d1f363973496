/* RandomZoom (Keras preprocessing): each training example zoomed about its
 * centre by 1 + U[lower, upper) per axis (above 1 zooms out; without
 * width_factor the width zooms as the height), the uncovered part filled
 * by fill_mode, inside the data pipeline's gather (gt_augment, backend.h);
 * evaluation and prediction pass it through. Its fields are
 * RandomTranslation's (layer_augment.c). */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->augment.kind = GT_AUG_ZOOM;
    l->augment.width_from_height = 1;
}

const gt_layer_class gt_random_zoom_class = {
    .keras_name = "RandomZoom",
    GT_AUG_LAYER_FIELDS,
    .init_defaults = defaults,
    .read_config = gt_aug_read_transform,
    .write_config = gt_aug_write_transform,
    .infer = gt_layer_keep_shape,
    .describe = gt_aug_describe_transform,
};
