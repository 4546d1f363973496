/* ELU (Keras layer): x > 0 ? x : alpha (e^x - 1), alpha 1 by default. */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->activation = GT_ACT_ELU;
    l->alpha = 1.0f;
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_float(w, cfg, "alpha", 0, 1.0f, &l->alpha));
    if (!(l->alpha > 0.0f))
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "alpha %g is not supported (expected > 0)",
                            (double)l->alpha);
    return GT_OK;
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "alpha", gt_jw_float(l->alpha));
}

const gt_layer_class gt_elu_class = {
    .keras_name = "ELU",
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    GT_ACT_LAYER_FIELDS,
};
