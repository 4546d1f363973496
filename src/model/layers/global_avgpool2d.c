/* GlobalAveragePooling2D (Keras): each channel's mean over the image, as
 * (None, c), or (None, 1, 1, c) with keepdims: one average window of the
 * whole image. */
#include "layer.h"

const gt_layer_class gt_global_avgpool2d_class = {
    .keras_name = "GlobalAveragePooling2D",
    .aliases = (const char *const[]){"GlobalAvgPool2D", NULL},
    .output_rank = GT_RANK_FLAT, /* (None, 1, 1, c) with keepdims: gt_model_summary */
    .read_config = gt_global_pool_read_config,
    .write_config = gt_global_pool_write_config,
    .infer = gt_global_pool_infer,
    GT_AVGPOOL_FIELDS,
};
