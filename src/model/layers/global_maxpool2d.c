/* GlobalMaxPooling2D (Keras): each channel's maximum over the image (the
 * first one gets the gradient), as (None, c), or (None, 1, 1, c) with
 * keepdims: one max window of the whole image. */
#include "layer.h"

const gt_layer_class gt_global_maxpool2d_class = {
    .keras_name = "GlobalMaxPooling2D",
    .aliases = (const char *const[]){"GlobalMaxPool2D", NULL},
    .output_rank = GT_RANK_FLAT, /* (None, 1, 1, c) with keepdims: gt_model_summary */
    .read_config = gt_global_pool_read_config,
    .write_config = gt_global_pool_write_config,
    .infer = gt_global_pool_infer,
    GT_MAXPOOL_FIELDS,
};
