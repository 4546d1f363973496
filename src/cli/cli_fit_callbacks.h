/* Internal: gtrain fit's optimizer, learning-rate schedule and callback
 * options (cli_fit_callbacks.c), turned into the library's Keras-form JSON
 * so the CLI runs exactly what the Python package runs. */
#ifndef GT_CLI_FIT_CALLBACKS_H
#define GT_CLI_FIT_CALLBACKS_H

#include "cli.h"

/* The options as given (NULL: not given). */
typedef struct gt_cli_fit_extras {
    const char *optimizer;      /* NAME[:k=v,...] */
    const char *lr_schedule;    /* exponential|cosine|piecewise[:k=v,...] */
    const char *early_stopping; /* k=v,... */
    const char *reduce_lr;      /* k=v,... */
    const char *checkpoint;     /* k=v,... with filepath */
    const char *tensorboard;    /* DIR */
    const char *tensorboard_freq;
} gt_cli_fit_extras;

/* The fit options' help lines. */
extern const char gt_cli_fit_extras_help[];

/* 1 when any of them is given. */
int gt_cli_fit_extras_any(const gt_cli_fit_extras *x);

/* Applies --optimizer and --lr-schedule onto cfg (lr_option > 0: --lr, the
 * rate to start from). Returns an exit code. */
int gt_cli_fit_optimizer(const gt_cli_fit_extras *x, double lr_option, gt_train_config *cfg);

/* The callbacks' JSON list (malloc'd, "[]" for none). Returns an exit code. */
int gt_cli_fit_callbacks_json(const gt_cli_fit_extras *x, char **out);

/* Prints what the callbacks did after an epoch, as Keras' verbose callbacks do. */
void gt_cli_fit_report_epoch(const gt_epoch_logs *logs, const char *checkpoint);

#endif
