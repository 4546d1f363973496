/* Activation (Keras): y = act(x) for any of GT_ACTIVATIONS (softmax only as
 * the last layer, fused into the loss; linear is the identity). */
#include "layer.h"

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_activation(w, cfg, 1, &l->activation));
    l->alpha = gt_activation_default_alpha(l->activation);
    return GT_OK;
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "activation", cJSON_CreateString(gt_activation_name(l->activation)));
}

const gt_layer_class gt_activation_class = {
    .keras_name = "Activation",
    .read_config = read_config,
    .write_config = write_config,
    GT_ACT_LAYER_FIELDS,
};
