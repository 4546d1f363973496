/* Internal: the scalar attributes of /gtrain_state (checkpoint.h), one row
 * each, in the order the reader takes them (a range may name a field read
 * before it). The writer (checkpoint_write.c) and the reader
 * (checkpoint_read.c) both expand this table, so a field is added in one
 * place; this table is also its documentation.
 *
 *   X(attribute, kind, since, field, lo, hi, before)
 *
 * attribute  the HDF5 attribute's name
 * kind       int64 (checked lo..hi), uint64, real (a finite float64 in
 *            [lo, hi]), real_gt (in (lo, hi]), fraction (in [0, 1)),
 *            optimizer ("adam"|"sgd"|"rmsprop"|"adamw"), reduction
 *            ("mean"|"sum"), order ("shuffled"|"file")
 * since      the format version that added it; older files lack it and
 *            the reader sets the field to `before`
 * field      where it lives: c is the gt_train_config, t the gt_train_state
 *
 * Floats are stored as float64 of the float values, so the round trip is
 * exact. What is not a scalar stays with its own code: format_version,
 * run_info (optional str), optimizer_state (the moments), and format 3's
 * optimizer_config, callbacks and best_weights (checkpoint_extras.h). */
#ifndef GT_CHECKPOINT_STATE_FIELDS_H
#define GT_CHECKPOINT_STATE_FIELDS_H

#include <limits.h>
#include <stdint.h>

/* clang-format off */
#define GT_CHECKPOINT_STATE_FIELDS(X)                                                              \
    /* the optimizer and its hyperparameters (format 1 knew "adam" and "sgd") */                   \
    X(optimizer,         optimizer, 1, c->optimizer,         0,   0,         GT_OPT_ADAM)          \
    X(learning_rate,     real_gt,   1, c->learning_rate,     0.0, 1e6,       0.0f)                 \
    X(beta1,             fraction,  1, c->beta1,             0,   0,         0.0f)                 \
    X(beta2,             fraction,  1, c->beta2,             0,   0,         0.0f)                 \
    X(epsilon,           real_gt,   1, c->epsilon,           0.0, 1.0,       0.0f)                 \
    X(momentum,          fraction,  1, c->momentum,          0,   0,         0.0f)                 \
    X(nesterov,          int64,     1, c->nesterov,          0,   1,         0)                    \
    /* the loss and the batches */                                                                 \
    X(reduction,         reduction, 1, c->reduction,         0,   0,         GT_REDUCE_MEAN)       \
    X(batch_size,        int64,     1, c->batch_size,        1,   INT_MAX,   0)                    \
    X(steps_per_epoch,   int64,     1, c->steps_per_epoch,   0,   INT_MAX,   0)                    \
    /* format 1 predates --no-shuffle and the loss epsilon: its runs were */                       \
    /* shuffled and used the exact cross-entropy; before format 3 the shuffle */                   \
    /* was the full one */                                                                         \
    X(data_order,        order,     2, c->order,             0,   0,         GT_ORDER_SHUFFLED)    \
    X(loss_log_epsilon,  real,      2, c->loss_log_epsilon,  0.0, 0.5,       0.0f)                 \
    X(shuffle_buffer,    int64,     3, c->shuffle_buffer,    0,   INT_MAX,   0)                    \
    X(shuffle_block,     int64,     3, c->shuffle_block,     0,   INT_MAX,   0)                    \
    /* where the run is: seed, counters and the partial epoch's running sums */                    \
    X(seed,              uint64,    1, c->seed,              0,   0,         0)                    \
    X(optimizer_step,    int64,     1, t->optimizer_step,    0,   INT64_MAX, 0)                    \
    X(epochs_done,       int64,     1, t->epochs_done,       0,   INT_MAX - 1, 0)                  \
    X(steps_done,        int64,     1, t->steps_done,        0,   INT_MAX - 1, 0)                  \
    /* examples of the epoch's order consumed: steps_done x batch_size */                          \
    X(data_cursor,       int64,     3, t->data_cursor,       0,   INT64_MAX,                       \
      (int64_t)t->steps_done * c->batch_size)                                                      \
    X(dropout_counter,   uint64,    1, t->dropout_counter,   0,   0,         0)                    \
    X(epoch_examples,    real,      1, t->epoch_examples,    0.0, 9007199254740992.0, 0.0)         \
    X(epoch_correct,     real,      1, t->epoch_correct,     0.0, t->epoch_examples, 0.0)          \
    X(epoch_loss_sum,    real,      1, t->epoch_loss_sum,    0.0, 1e300,     0.0)                  \
    X(epoch_seconds,     real,      1, t->epoch_seconds,     0.0, 1e12,      0.0)                  \
    /* the base learning rate reached (ReduceLROnPlateau, schedules); */                           \
    /* before format 3 (0): the config's */                                                        \
    X(learning_rate_now, real_gt,   3, t->learning_rate,     0.0, 1e6,       0.0)
/* clang-format on */

#endif
