/* The trainer for callers that do not see gtrain's structs (the Python
 * package): created from JSON training options, its configuration read
 * back as JSON. */
#include "gtrain/status.h"
#include "optimizer.h"
#include "trainer_internal.h"

gt_status gt_trainer_create_json(const gt_model *model, gt_backend *be, const char *options_json,
                                 gt_trainer **out)
{
    if (!model || !out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_create_json: NULL");
    gt_train_config cfg = gt_train_config_for(model);
    GT_TRY(gt_train_config_apply_json(&cfg, options_json));
    return gt_trainer_create(model, be, &cfg, out);
}

gt_status gt_trainer_config_json(const gt_trainer *tr, char **out)
{
    if (!tr || !out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_config_json: NULL");
    return gt_train_config_to_json(&tr->cfg, out);
}
