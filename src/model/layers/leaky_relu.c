/* LeakyReLU (Keras layer): x >= 0 ? x : slope x. Keras 3 writes the slope as
 * negative_slope, tf.keras 2 as alpha; both default to 0.3. */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->activation = GT_ACT_LEAKY_RELU;
    l->alpha = 0.3f;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    const char *field = cJSON_GetObjectItemCaseSensitive(cfg, "alpha") ? "alpha" : "negative_slope";
    GT_TRY(gt_json_float(w, cfg, field, 0, 0.3f, &l->alpha));
    if (!(l->alpha >= 0.0f))
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "%s %g is not supported (expected >= 0)", field,
                            (double)l->alpha);
    return GT_OK;
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "alpha", gt_jw_float(l->alpha));
}

const gt_layer_class gt_leaky_relu_class = {
    .keras_name = "LeakyReLU",
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    GT_ACT_LAYER_FIELDS,
};
