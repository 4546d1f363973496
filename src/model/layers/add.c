/* Add (Keras merging layer): the elementwise sum of its inputs, all of one
 * shape (a residual connection); each input's gradient is the output's. */
#include "layer.h"

const gt_layer_class gt_add_class = {
    .keras_name = "Add",
    GT_MERGE_FIELDS,
    GT_MERGE_SUM_FIELDS,
    .infer = gt_merge_infer_same,
};
