/* Internal: the training history CSV, in the shape of Keras' CSVLogger:
 *
 *     epoch,loss,accuracy,val_loss,val_accuracy,seconds
 *     1,0.452714324,0.835333347,0.398412347,0.843500018,35.612
 *
 * Epochs are numbered from 1, as gtrain prints them ("Epoch 1/10"); Keras'
 * CSVLogger numbers from 0. val_loss and val_accuracy are empty when there is
 * no validation (NaN passed). Loss and accuracy are printed with 9 significant
 * digits (exact for float32), non-finite values as nan/inf/-inf; seconds is the
 * epoch's wall time with 3 decimals.
 *
 * Every row goes to the file in one write() and is fsync'd before
 * gt_history_append returns, so a crash leaves whole rows only: at worst the
 * last epoch is missing, never half a line. */
#ifndef GT_HISTORY_H
#define GT_HISTORY_H

#include "gtrain/status.h"

#define GT_HISTORY_HEADER "epoch,loss,accuracy,val_loss,val_accuracy,seconds"

typedef struct gt_history gt_history;

/* Opens the history file for a run whose first epoch is `first_epoch`.
 * first_epoch <= 1 (a new run): the file is created or truncated and gets the
 *   header.
 * first_epoch > 1 (resuming from a checkpoint at that epoch): an existing file
 *   keeps its header and its rows for epochs before first_epoch; rows for later
 *   epochs (trained after the checkpoint, before the interruption) and a
 *   partial last line are cut off, so the resumed run's file reads like an
 *   uninterrupted run's. A missing file is created with the header. An
 *   existing file with another header is GT_ERR_FORMAT, left untouched.
 * Errors: GT_ERR_IO naming the path and the system's reason. */
gt_status gt_history_open(const char *path, int first_epoch, gt_history **out);

/* Appends one row and makes it durable (fsync). NaN val_loss/val_accuracy
 * leave those fields empty. */
gt_status gt_history_append(gt_history *h, int epoch, double loss, double accuracy, double val_loss,
                            double val_accuracy, double seconds);

/* Closes the file and frees h (NULL is fine). Reports a failing close. */
gt_status gt_history_close(gt_history *h);

#endif
