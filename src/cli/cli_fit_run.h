/* Internal: the options of a fit run that a checkpoint records (as JSON in
 * /gtrain_state's run_info) so that `gtrain fit --resume FILE.h5` needs no
 * other option, and the datasets they name. */
#ifndef GT_CLI_FIT_RUN_H
#define GT_CLI_FIT_RUN_H

#include "cli.h"

#define GT_FIT_RUN_MAX_OWNED 16

typedef struct gt_fit_run {
    const char *data, *test_data; /* "fashion-mnist", "mnist", "hdf5:PATH" */
    const char *x_key, *y_key, *test_x_key, *test_y_key;
    const char *class_names, *data_dir, *history;
    /* what the training set was: "N examples of HxWxC, K classes, crc32 X"
     * (gt_fit_data_fingerprint), so that a resume on other data is refused */
    const char *train_data;
    long epochs;    /* total; <= 0: the model's recipe */
    int validation; /* gt_validation_kind, -1: the model's recipe */
    long validation_count;
    char *owned[GT_FIT_RUN_MAX_OWNED]; /* strings taken from a checkpoint */
    int n_owned;
} gt_fit_run;

void gt_fit_run_init(gt_fit_run *r);
void gt_fit_run_free(gt_fit_run *r);
/* The run as a JSON object (malloc'd text). */
gt_status gt_fit_run_to_json(const gt_fit_run *r, char **out);
/* Fills what the command line left unset from a checkpoint's run_info JSON
 * (NULL: nothing recorded). need_data: a run_info naming no data is an error
 * (resuming needs it; evaluate and predict fall back to their default).
 * Returns a CLI exit code. */
int gt_fit_run_merge(gt_fit_run *r, const char *json, const char *origin, int need_data);

typedef struct gt_fit_data {
    gt_dataset *train_full, *test, *train, *val;
} gt_fit_data;

/* Loads the training set, the test set (--test-data, or the named dataset's
 * test split) and cuts the validation part; with a budget, each resident
 * or streamed as it fits (budget->choices says which and why). */
gt_status gt_fit_data_load(const gt_fit_run *r, gt_cli_budget *budget, gt_fit_data *d);
void gt_fit_data_free(gt_fit_data *d);

/* "N examples of HxWxC, K classes, crc32 X": counts, shape and a CRC-32 of
 * the images and labels, into buf. sampled: "..., sampled crc32 X", the
 * labels and the images of 32 evenly spaced runs of 8 examples, so that a
 * streamed dataset larger than memory is not read whole at every start;
 * both kinds are the same for the same data, resident or streamed. */
gt_status gt_fit_data_fingerprint(const gt_dataset *ds, int sampled, char *buf, size_t size);
/* 1 for a sampled fingerprint. */
int gt_fit_data_fingerprint_is_sampled(const char *fingerprint);

#endif
