/* Internal: the fields format 3 of /gtrain_state adds (checkpoint_extras.c),
 * beside the scalars of checkpoint_state_fields.h:
 *   optimizer_config   str    the optimizer in Keras' serialized form
 *                             (gt_train_config_optimizer_json): RMSprop's
 *                             rho and centered, AdamW's weight_decay, the
 *                             learning-rate schedule
 *   callbacks          str    the trainer's callbacks with their state
 *                             (gt_trainer_callbacks_json), when it has any
 *   best_weights       float32 (n,) EarlyStopping's kept weights
 *                             (restore_best_weights), in the flat parameter
 *                             order, when it keeps any */
#ifndef GT_CHECKPOINT_EXTRAS_H
#define GT_CHECKPOINT_EXTRAS_H

#ifdef GTRAIN_HAVE_HDF5

#include <hdf5.h>

#include "gtrain/train.h"

typedef struct gt_ckpt_extras {
    char *optimizer_json;
    char *callbacks_json; /* NULL: no callbacks */
    float *best_weights;  /* NULL: none */
    size_t n_best;
} gt_ckpt_extras;

/* Host copies of what the trainer holds now. */
gt_status gt_ckpt_extras_take(gt_trainer *tr, gt_ckpt_extras *x);
void gt_ckpt_extras_free(gt_ckpt_extras *x);
/* Into the open /gtrain_state group. */
gt_status gt_ckpt_extras_write(hid_t g, const gt_ckpt_extras *x, const char *where);
/* From a format-3 group: the optimizer onto info->config, the callbacks
 * JSON into info->callbacks (malloc'd). */
gt_status gt_ckpt_extras_read(hid_t g, const char *where, gt_checkpoint_info *info);
/* best_weights into `weights` (count floats) when the group has them:
 * *found 1; else *found 0. */
gt_status gt_ckpt_extras_read_best(hid_t g, const char *where, float *weights, size_t count,
                                   int *found);

#endif
#endif
