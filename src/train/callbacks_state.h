/* Internal to callbacks.c and callbacks_json.c: each callback's
 * configuration and state. */
#ifndef GT_CALLBACKS_STATE_H
#define GT_CALLBACKS_STATE_H

#include "callbacks.h"
#include "tensorboard.h"

typedef enum gt_cb_kind {
    GT_CB_EARLY_STOPPING = 0,
    GT_CB_REDUCE_LR,
    GT_CB_MODEL_CHECKPOINT,
    GT_CB_TENSORBOARD,
    GT_CB_KIND_COUNT
} gt_cb_kind;

/* Keras' class names, by kind. */
extern const char *const gt_cb_class_names[GT_CB_KIND_COUNT];

typedef enum gt_metric {
    GT_METRIC_LOSS = 0,
    GT_METRIC_ACCURACY,
    GT_METRIC_VAL_LOSS,
    GT_METRIC_VAL_ACCURACY,
    GT_METRIC_COUNT
} gt_metric;
extern const char *const gt_metric_names[GT_METRIC_COUNT];

typedef struct gt_callback {
    gt_cb_kind kind;
    /* what is monitored (not TensorBoard) */
    gt_metric monitor;
    int mode;         /* 0 auto, 1 min, 2 max, as given */
    int maximize;     /* the direction mode resolves to */
    double min_delta; /* >= 0 */
    /* EarlyStopping */
    int patience, restore_best_weights, start_from_epoch;
    double baseline; /* NaN: none */
    /* ReduceLROnPlateau (patience shared) */
    double factor, min_lr;
    int cooldown;
    /* ModelCheckpoint */
    char *filepath;
    int save_best_only;
    double initial_value_threshold; /* NaN: none */
    /* TensorBoard */
    char *log_dir;
    int update_freq; /* 0: per epoch only */
    int verbose;     /* kept for the caller (Python prints what the logs say) */

    /* state */
    int first_epoch; /* the fit's first epoch (Keras' epoch 0) */
    int wait, stopped_epoch, best_epoch, cooldown_counter;
    int has_best;
    double best;
    float *best_weights; /* EarlyStopping with restore_best_weights, once taken */
    gt_tb_writer *train_writer, *val_writer;
} gt_callback;

struct gt_callbacks {
    int count;
    gt_callback items[GT_MAX_CALLBACKS];
    int weights_restored;
};

#endif
