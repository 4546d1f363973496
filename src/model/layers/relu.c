/* ReLU (Keras layer): max(x, 0), or with negative_slope s a leaky ReLU
 * (x >= 0 ? x : s x). max_value and threshold other than their neutral
 * values (null, 0) are not supported. */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->activation = GT_ACT_RELU;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    float slope = 0.0f, threshold = 0.0f;
    GT_TRY(gt_json_expect_null(w, cfg, "max_value"));
    GT_TRY(gt_json_float(w, cfg, "negative_slope", 0, 0.0f, &slope));
    GT_TRY(gt_json_float(w, cfg, "threshold", 0, 0.0f, &threshold));
    if (threshold != 0.0f)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "threshold %g is not supported (expected 0)",
                            (double)threshold);
    l->activation = slope != 0.0f ? GT_ACT_LEAKY_RELU : GT_ACT_RELU;
    l->alpha = slope;
    return GT_OK;
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "max_value", cJSON_CreateNull());
    gt_jw_put(wr, cfg, "negative_slope", gt_jw_float(l->alpha));
    gt_jw_put(wr, cfg, "threshold", gt_jw_float(0.0f));
}

const gt_layer_class gt_relu_class = {
    .keras_name = "ReLU",
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    GT_ACT_LAYER_FIELDS,
};
