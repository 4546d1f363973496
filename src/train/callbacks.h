/* Internal: the trainer's callbacks (callbacks.c, include/gtrain/callbacks.h)
 * as gt_trainer_fit and the checkpoints see them. */
#ifndef GT_CALLBACKS_INTERNAL_H
#define GT_CALLBACKS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/callbacks.h"

typedef struct gt_callbacks gt_callbacks;

void gt_callbacks_free(gt_callbacks *cbs);

/* Before the first epoch of a fit: every monitored metric exists (val_*
 * needs validation data). *finished: EarlyStopping already ended this run
 * (a resumed checkpoint of a stopped run), so there is nothing to train. */
gt_status gt_callbacks_fit_begin(gt_trainer *tr, int has_validation, int *finished);
/* After optimizer step `global_step`, with the epoch's running means. */
gt_status gt_callbacks_batch_end(gt_trainer *tr, int64_t global_step, double loss, double accuracy);
/* After the epoch and its validation, in list order; fills the callbacks'
 * fields of logs; *stop: EarlyStopping ends training here. */
gt_status gt_callbacks_epoch_end(gt_trainer *tr, gt_epoch_logs *logs, int *stop);
/* When training ends (all epochs, or stopped early; not on a stop request):
 * EarlyStopping's restore_best_weights; the event files flushed. */
gt_status gt_callbacks_train_end(gt_trainer *tr);

/* EarlyStopping's kept weights (restore_best_weights), for checkpoints:
 * NULL when there are none. */
const float *gt_callbacks_best_weights(const gt_trainer *tr, size_t *count);
gt_status gt_callbacks_set_best_weights(gt_trainer *tr, const float *weights, size_t count);

#endif
