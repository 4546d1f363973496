/* Internal: the optimizers' bookkeeping (optimizer.c) and their update
 * inside the step (trainer_optim.c). */
#ifndef GT_OPTIMIZER_H
#define GT_OPTIMIZER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "gtrain/train.h"

/* Moment floats the optimizer of `c` keeps for n_params parameters. */
size_t gt_optimizer_state_floats(const gt_train_config *c, size_t n_params);
/* The optimizer's hyperparameters and the schedule, each range-checked. */
gt_status gt_optimizer_check_config(const gt_train_config *c);

/* optimizer_json.c: Keras' serialized optimizer (NULL when out of memory),
 * the training options applied from a parsed object, and written back. */
cJSON *gt_optimizer_to_cjson(const gt_train_config *c);
gt_status gt_train_config_apply_cjson(gt_train_config *cfg, const cJSON *obj);
gt_status gt_train_config_to_json(const gt_train_config *c, char **out);

#endif
