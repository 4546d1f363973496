/* Internal: the gtrain command's subcommands and shared argument helpers.
 * Exit codes: 0 success, 1 runtime error, 2 usage error. */
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

/* A zoo name, or a path to a Keras model JSON file. */
gt_status gt_cli_load_model(const char *name_or_path, gt_model **out);

#endif
