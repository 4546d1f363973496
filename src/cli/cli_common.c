/* Helpers shared by the subcommands: error reporting, option parsing, model
 * loading by zoo name or JSON path. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gtrain/dist.h"

int gt_cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct gt_dist *d = gt_cli_dist();
    if (gt_dist_size(d) > 1)
        fprintf(stderr, "gtrain: error (rank %d of %d): ", gt_dist_rank(d), gt_dist_size(d));
    else
        fputs("gtrain: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

/* The exit-code rule (README "What gtrain guarantees"): 2 only for what the
 * CLI itself finds wrong in its arguments; whatever the library reports --
 * a bad file, a model it refuses, memory, a device -- is 1, whichever of the
 * library's checks fired. */
int gt_cli_status_error(gt_status status)
{
    return gt_cli_error(GT_EXIT_RUNTIME, "%s",
                        gt_last_error()[0] ? gt_last_error() : gt_status_name(status));
}

int gt_cli_parse_int(const char *option, const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < min || v > max) {
        gt_cli_error(GT_EXIT_USAGE, "%s expects an integer in [%ld, %ld], found '%s'", option, min,
                     max, text ? text : "");
        return 0;
    }
    *out = v;
    return 1;
}

int gt_cli_parse_float(const char *option, const char *text, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : 0.0;
    if (!text || !*text || *end || errno || !isfinite(v) || v < min || v > max) {
        gt_cli_error(GT_EXIT_USAGE, "%s expects a number in [%g, %g], found '%s'", option, min, max,
                     text ? text : "");
        return 0;
    }
    *out = v;
    return 1;
}

int gt_cli_parse_u64(const char *option, const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = text ? strtoull(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || text[0] == '-') {
        gt_cli_error(GT_EXIT_USAGE, "%s expects a non-negative integer, found '%s'", option,
                     text ? text : "");
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int gt_cli_names_h5(const char *path)
{
    return ends_with(path, ".h5") || ends_with(path, ".hdf5") || ends_with(path, ".keras.h5");
}

static int names_a_file(const char *name_or_path)
{
    return ends_with(name_or_path, ".json") || gt_cli_names_h5(name_or_path) ||
           strchr(name_or_path, '/') != NULL;
}

gt_status gt_cli_load_model(const char *name_or_path, gt_model **out)
{
    /* a Keras or gtrain .h5: the architecture from its model_config */
    if (gt_cli_names_h5(name_or_path)) return gt_checkpoint_load_model(name_or_path, out);
    if (names_a_file(name_or_path)) return gt_model_from_json_file(name_or_path, out);
    return gt_model_from_zoo(name_or_path, out);
}

int gt_cli_model_error(const char *name_or_path, gt_status status)
{
    if (names_a_file(name_or_path)) return gt_cli_status_error(status);
    for (const char *const *z = gt_zoo_names(); *z; ++z)
        if (strcmp(*z, name_or_path) == 0) return gt_cli_status_error(status);
    /* neither a file nor a zoo name: the option's value is wrong */
    return gt_cli_error(GT_EXIT_USAGE, "%s", gt_last_error());
}
