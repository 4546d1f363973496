/* Average (Keras merging layer): the inputs summed in order, then divided
 * by their number (as Keras computes it, times the reciprocal here); each
 * input's gradient is the output's over that number. */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->mean = 1;
}

const gt_layer_class gt_average_class = {
    .keras_name = "Average",
    GT_MERGE_FIELDS,
    GT_MERGE_SUM_FIELDS,
    .init_defaults = defaults,
    .infer = gt_merge_infer_same,
};
