/* Internal: the gtrain command's subcommands and shared argument helpers.
 * Exit codes: 0 success; 2 a usage error the CLI finds in its own arguments
 * (an unknown option, a bad value, options that contradict each other or
 * the model or data they name); 1 everything else, every failure the
 * library reports included (bad or unreadable files, refused models, out of
 * memory, device errors, a non-finite loss); 128 + N after signal N. */
#ifndef GT_CLI_H
#define GT_CLI_H

#include <stdint.h>

#include "gtrain/gtrain.h"

#define GT_EXIT_OK 0
#define GT_EXIT_RUNTIME 1
#define GT_EXIT_USAGE 2

int gt_cli_summary(int argc, char **argv);
int gt_cli_fit(int argc, char **argv);
int gt_cli_bench(int argc, char **argv);
int gt_cli_evaluate(int argc, char **argv);
int gt_cli_predict(int argc, char **argv);
int gt_cli_convert(int argc, char **argv);
int gt_cli_activations(int argc, char **argv);

/* The ranks of this run (main.c; one rank without a launcher) and whether
 * this process is rank 0, which alone prints progress and writes files. */
struct gt_dist;
struct gt_dist *gt_cli_dist(void);
int gt_cli_is_leader(void);

/* Prints "gtrain: error: <msg>" on stderr (with this rank's number when
 * there are several) and returns `code`. */
int gt_cli_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Reports a failed library call (gt_last_error()) and returns the exit code for it. */
int gt_cli_status_error(gt_status status);

/* Parsers for option values; on a bad value they print a usage error naming the option. */
int gt_cli_parse_int(const char *option, const char *text, long min, long max, long *out);
int gt_cli_parse_float(const char *option, const char *text, double min, double max, double *out);
int gt_cli_parse_u64(const char *option, const char *text, uint64_t *out);

/* 1 for a path naming an HDF5 file (.h5, .hdf5). */
int gt_cli_names_h5(const char *path);
/* A zoo name, a path to a Keras model JSON file, or a Keras or gtrain .h5
 * (its model_config). */
gt_status gt_cli_load_model(const char *name_or_path, gt_model **out);
/* Reports a failed gt_cli_load_model: exit 2 when the value names neither a
 * file nor a zoo model (a bad option value), else 1. */
int gt_cli_model_error(const char *name_or_path, gt_status status);

/* ---- data and trained models (cli_data.c) ---- */

/* --data-dir's help line, for every command that reads named datasets. */
#define GT_CLI_DATA_DIR_HELP                                                                       \
    "  --data-dir DIR    directory with the IDX files [$GTRAIN_DATA_DIR, else\n"                   \
    "                    " GT_FASHION_MNIST_DEFAULT_DIR " for Fashion-MNIST,\n"                    \
    "                    $GTRAIN_TEST_DATA/mnist for MNIST]\n"

/* ---- the data memory budget (cli_data_budget.c) ---- */
#define GT_CLI_BUDGET_STREAMS 4

/* --data-memory's help lines. */
#define GT_CLI_DATA_MEMORY_HELP                                                                    \
    "  --data-memory B   host memory for datasets, e.g. 512M or 8G: data that fits is read\n"      \
    "                    whole into memory, larger data is streamed from its file with a\n"        \
    "                    prefetch thread [half the machine's memory]\n"

/* The host memory datasets may take and what was chosen for each. */
typedef struct gt_cli_budget {
    size_t bytes; /* --data-memory, or gt_data_memory_default() */
    int given;    /* --data-memory was given */
    size_t used;
    int batch;          /* the batch size: streaming buffers are batches */
    int shuffle_buffer; /* --shuffle-buffer: the training set's store holds it */
    gt_dataset *streamed[GT_CLI_BUDGET_STREAMS];
    int n_streamed;
    char choices[2048]; /* "train resident (...); test streamed (...)" */
} gt_cli_budget;

void gt_cli_budget_init(gt_cli_budget *b, int batch_size);
/* A streamed dataset `*ds` is read whole (replacing *ds) when it fits in
 * what is left of the budget, else kept streamed; `what` ("train") names it
 * in b->choices. Fails when even streaming does not fit. */
gt_status gt_cli_budget_place(gt_cli_budget *b, const char *what, gt_dataset **ds);
/* Hands what is left to the streamed datasets' caches. */
gt_status gt_cli_budget_finish(gt_cli_budget *b);
/* "512M", "8GiB", "1000000" (bytes); prints the usage error and returns 0 when bad. */
int gt_cli_parse_bytes(const char *option, const char *text, size_t *out);
/* "47.1 MiB". */
void gt_cli_format_bytes(size_t bytes, char *buf, size_t size);

/* Options that say where data comes from. */
typedef struct gt_cli_data {
    const char *data_dir;    /* IDX directory (--data-dir) */
    const char *class_names; /* "a,b,c" (--class-names), or NULL */
    /* NULL: read the data whole into memory; else resident or streamed by
     * the budget, `role` ("train", "test") naming the dataset in its notes */
    gt_cli_budget *budget;
    const char *role;
} gt_cli_data;

/* 1 for "hdf5:PATH". */
int gt_cli_data_is_hdf5(const char *spec);
/* Checks a --data / --test-data value; prints the usage error and returns 0 when bad. */
int gt_cli_check_data_spec(const char *option, const char *spec);
/* Loads "fashion-mnist"/"mnist" (split "train" or "test") or "hdf5:PATH"
 * (with its keys, NULL: found automatically), resident or, with a budget,
 * streamed when it does not fit, then applies --class-names. */
gt_status gt_cli_load_dataset(const gt_cli_data *d, const char *spec, const char *split,
                              const char *x_key, const char *y_key, gt_dataset **out);
/* ", data (N, 28, 28, 1) fed as the input (None, 784)" when the data's
 * examples have the model input's element count in another shape (the
 * trainer feeds them reshaped), else "". */
void gt_cli_describe_reshape(const gt_model *m, const gt_dataset *ds, char *out, size_t cap);
/* The architecture for a weights file: --model when given (needed for a
 * Keras save_weights file), else the file's model_config. */
gt_status gt_cli_load_trained_model(const char *weights, const char *model_option, gt_model **out);

#endif
