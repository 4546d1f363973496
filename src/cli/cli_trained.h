/* Internal: what evaluate and predict share: a weights file (.h5), the model
 * for it, a dataset, a backend and a trainer holding the weights. */
#ifndef GT_CLI_TRAINED_H
#define GT_CLI_TRAINED_H

#include "cli.h"
#include "cli_device.h"

typedef struct gt_cli_trained {
    const char *weights, *model, *data, *x_key, *y_key, *split;
    gt_cli_data where;
    long batch_size;
    gt_cli_device_opts device;
    /* evaluate and predict may stream data larger than --data-memory; the
     * other users of these options need it in memory */
    int stream_ok;
    size_t data_memory; /* 0: the default */
    gt_cli_budget budget;
    /* opened */
    gt_model *m;
    gt_dataset *ds;
    gt_backend *be;
    gt_trainer *tr;
} gt_cli_trained;

extern const char gt_cli_trained_help[];
/* --data-memory, for the commands that stream (evaluate, predict). */
extern const char gt_cli_trained_stream_help[];

void gt_cli_trained_init(gt_cli_trained *t);
/* Consumes argv[*i] (and its value) when it is one of the shared options:
 * 1 consumed, 0 not one of them, -1 bad value (usage error printed). */
int gt_cli_trained_option(int argc, char **argv, int *i, gt_cli_trained *t);
/* Loads everything; the dataset defaults to the test set of the run that
 * saved the file, else Fashion-MNIST's test split. Returns a CLI exit code. */
int gt_cli_trained_open(gt_cli_trained *t);
void gt_cli_trained_close(gt_cli_trained *t);

#endif
