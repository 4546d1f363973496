/* AveragePooling2D (Keras): the mean of each window's real cells (TF's
 * 'same' does not count the padding). */
#include "layer.h"

const gt_layer_class gt_avgpool2d_class = {
    .keras_name = "AveragePooling2D",
    .aliases = (const char *const[]){"AvgPool2D", NULL},
    .output_rank = GT_RANK_IMAGE,
    .drawable = 1,
    .init_defaults = gt_pool_defaults,
    .read_config = gt_pool_read_config,
    .write_config = gt_pool_write_config,
    .infer = gt_pool_infer,
    GT_AVGPOOL_FIELDS,
};
