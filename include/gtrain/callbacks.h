/* gtrain: the callbacks Keras users reach for, run by the trainer inside
 * gt_trainer_fit (so the CLI and the Python package share one
 * implementation) and recorded in checkpoints (so a resumed run continues
 * them where they were).
 *
 * They are configured in Keras' own terms: a JSON list of
 * {"class_name": ..., "config": {...}} with Keras 3's argument names and
 * defaults, run at each epoch's end in list order, as Keras runs its
 * callback list:
 *
 *   EarlyStopping      monitor "val_loss", min_delta 0, patience 0, mode
 *                      "auto", baseline null, restore_best_weights false,
 *                      start_from_epoch 0, verbose (the caller's to print)
 *   ReduceLROnPlateau  monitor "val_loss", factor 0.1 (< 1), patience 10,
 *                      mode "auto", min_delta 1e-4, cooldown 0, min_lr 0
 *   ModelCheckpoint    filepath (required, .h5; "{epoch:02d}", "{val_loss:.2f}"
 *                      and the like are filled in as Keras does), monitor
 *                      "val_loss", save_best_only false, mode "auto",
 *                      initial_value_threshold null, save_freq "epoch";
 *                      writes gtrain checkpoints (Keras' HDF5 layout plus the
 *                      run state, gt_checkpoint_save)
 *   TensorBoard        log_dir "logs", update_freq "epoch" | "batch" | N:
 *                      event files under log_dir/train and log_dir/validation
 *                      as Keras' TensorBoard callback lays them out:
 *                      epoch_loss, epoch_accuracy and epoch_learning_rate
 *                      (train) and epoch_loss, epoch_accuracy,
 *                      evaluation_loss_vs_iterations and
 *                      evaluation_accuracy_vs_iterations (validation) at
 *                      step epoch - 1; with update_freq N, batch_loss and
 *                      batch_accuracy (the epoch's running means, as Keras'
 *                      batch logs) every N optimizer steps, at that step.
 *
 * Semantics follow Keras 3.15's callbacks (keras/src/callbacks/): monitor
 * "loss", "accuracy", "val_loss" or "val_accuracy"; mode "auto" minimizes the
 * losses and maximizes the accuracies; an improvement is current - min_delta
 * > best (max) or current + min_delta < best (min); EarlyStopping counts a
 * wait for every epoch from start_from_epoch on, resets it on an
 * improvement that also beats the baseline, stops once wait >= patience
 * (never after the first epoch of the fit) and, with restore_best_weights,
 * puts the best epoch's weights back when training ends (stopped early or
 * not); ReduceLROnPlateau multiplies the learning rate by factor (not below
 * min_lr) after `patience` epochs without improvement, then waits
 * `cooldown` epochs. A callback that monitors val_* in a fit without
 * validation data is an error before the first epoch (Keras only warns and
 * does nothing). A learning-rate schedule and ReduceLROnPlateau exclude each
 * other, as in Keras. */
#ifndef GTRAIN_CALLBACKS_H
#define GTRAIN_CALLBACKS_H

#include "api.h"

#include "status.h"
#include "train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most callbacks one trainer runs. */
#define GT_MAX_CALLBACKS 16

/* Sets the trainer's callbacks from the JSON list (NULL or "" or "[]":
 * none). Their state starts afresh (Keras' on_train_begin), counting epochs
 * from the trainer's next one, unless an item carries the "state" object
 * gt_trainer_callbacks_json(with_state) wrote, as a checkpoint does. */
GT_API gt_status gt_trainer_set_callbacks(gt_trainer *tr, const char *json);

/* The callbacks as that JSON list (malloc'd; "[]" when none); with_state:
 * each item with its "state". */
GT_API gt_status gt_trainer_callbacks_json(const gt_trainer *tr, int with_state, char **out);

/* The checks gt_trainer_fit makes of the callbacks before its first epoch,
 * for callers that want to report them as option errors: every monitored
 * metric exists (val_* needs validation data: has_validation 0 refuses it),
 * and ReduceLROnPlateau is not set beside a learning-rate schedule. */
GT_API gt_status gt_trainer_check_callbacks(gt_trainer *tr, int has_validation);

/* Text saved with ModelCheckpoint's files, as gt_checkpoint_save's run_info
 * (the CLI's data options, so that such a file can be resumed). Copied. */
GT_API gt_status gt_trainer_set_run_info(gt_trainer *tr, const char *run_info);

/* What the callbacks did over the fit. */
typedef struct gt_callbacks_report {
    int stopped_epoch;    /* EarlyStopping ended training after this epoch (0: it did not) */
    int best_epoch;       /* EarlyStopping's best epoch (0: none yet) */
    int weights_restored; /* its best weights were put back when training ended */
} gt_callbacks_report;
GT_API void gt_trainer_callbacks_report(const gt_trainer *tr, gt_callbacks_report *out);

/* "k=v,k=v" (a command-line spec) as the JSON object {"k": v, ...}: values
 * true/false/null, numbers, [a,b,...] lists of them, or strings. malloc'd. */
GT_API gt_status gt_spec_to_json(const char *spec, char **out);

#ifdef __cplusplus
}
#endif
#endif
