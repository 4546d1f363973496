/* Internal: --device / --precision / --threads handling shared by fit and bench. */
#ifndef GT_CLI_DEVICE_H
#define GT_CLI_DEVICE_H

#include "gtrain/gtrain.h"

typedef struct gt_cli_device_opts {
    const char *device;    /* auto, cpu, cuda (cpu-reference for testing) */
    const char *precision; /* auto, fp32, tf32 */
    int threads;           /* 0: all cores */
    int cuda_graph;        /* --cuda-graph: run training steps as captured CUDA graphs */
    int deterministic;     /* --deterministic: deterministic algorithms only */
} gt_cli_device_opts;

/* Consumes argv[*i] (and its value) when it is one of the device options;
 * returns 1 when consumed, 0 when not one of them, -1 on a bad value (the
 * usage error is already printed). */
int gt_cli_device_option(int argc, char **argv, int *i, gt_cli_device_opts *opts);

/* Creates the backend. --device auto tries CUDA and falls back to the CPU
 * with one notice line on stderr. Returns a CLI exit code (0 on success). */
int gt_cli_open_backend(const gt_cli_device_opts *opts, gt_backend **out);

/* Option help lines for --device, --precision and --threads. */
extern const char gt_cli_device_help[];

#endif
