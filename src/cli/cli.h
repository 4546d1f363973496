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

/* Prints "gtrain: error: <msg>" on stderr and returns `code`. */
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

/* Options that say where data comes from. */
typedef struct gt_cli_data {
    const char *data_dir;    /* IDX directory (--data-dir) */
    const char *class_names; /* "a,b,c" (--class-names), or NULL */
} gt_cli_data;

/* 1 for "hdf5:PATH". */
int gt_cli_data_is_hdf5(const char *spec);
/* Checks a --data / --test-data value; prints the usage error and returns 0 when bad. */
int gt_cli_check_data_spec(const char *option, const char *spec);
/* Loads "fashion-mnist"/"mnist" (split "train" or "test") or "hdf5:PATH"
 * (with its keys, NULL: found automatically), then applies --class-names. */
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
