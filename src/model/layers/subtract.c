/* Subtract (Keras merging layer): input 0 minus input 1, of one shape;
 * exactly two inputs, as Keras requires. */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->negate_second = 1;
}

static gt_status infer(gt_layer *l)
{
    if (l->n_inputs != 2)
        return gt_layer_fail(GT_ERR_SHAPE, "takes exactly 2 inputs, found %d", l->n_inputs);
    return gt_merge_infer_same(l);
}

const gt_layer_class gt_subtract_class = {
    .keras_name = "Subtract",
    GT_MERGE_FIELDS,
    GT_MERGE_SUM_FIELDS,
    .init_defaults = defaults,
    .infer = infer,
};
