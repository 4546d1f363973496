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
    int bucket_set;        /* --bucket-size given */
    size_t bucket_bytes;   /* its value: gradient bytes per all-reduce bucket (0: one sum) */
} gt_cli_device_opts;

/* Consumes argv[*i] (and its value) when it is one of the device options;
 * returns 1 when consumed, 0 when not one of them, -1 on a bad value (the
 * usage error is already printed). */
int gt_cli_device_option(int argc, char **argv, int *i, gt_cli_device_opts *opts);

/* Creates the backend. --device auto tries CUDA and falls back to the CPU
 * with one notice line on stderr. Returns a CLI exit code (0 on success). */
int gt_cli_open_backend(const gt_cli_device_opts *opts, gt_backend **out);

/* Examples per chunk of --deterministic's gradient sums: small enough that
 * the zoo's batches hold several (so ranks share them), large enough that
 * the chunks' GEMMs stay efficient. */
#define GT_CLI_SUM_CHUNK 8

/* The trainer over this run's ranks (gt_trainer_set_dist) and, with
 * --deterministic on the CPU or over several ranks, the chunked gradient
 * sums (gt_trainer_set_sum_chunks). */
gt_status gt_cli_data_parallel(const gt_cli_device_opts *opts, const gt_backend *be,
                               gt_trainer *tr);

/* Option help lines for --device, --precision and --threads. */
extern const char gt_cli_device_help[];

#endif
