/* MaxPooling2D (Keras): the first maximum of each window in row-major order,
 * TF's 'same' padding (padded cells never win); its gradient goes to that
 * first maximum. */
#include "layer.h"

const gt_layer_class gt_maxpool2d_class = {
    .keras_name = "MaxPooling2D",
    .aliases = (const char *const[]){"MaxPool2D", NULL},
    .output_rank = GT_RANK_IMAGE,
    .drawable = 1,
    .init_defaults = gt_pool_defaults,
    .read_config = gt_pool_read_config,
    .write_config = gt_pool_write_config,
    .infer = gt_pool_infer,
    GT_MAXPOOL_FIELDS,
};
