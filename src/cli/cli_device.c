/* Backend selection for the CLI: --device auto|cpu|cuda, --precision, --threads. */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_device.h"
#include "gtrain/dist.h"
#include "gtrain/status.h"

const char gt_cli_device_help[] =
    "  --device D       auto (CUDA when a GPU is usable, else CPU), cpu or cuda [auto]\n"
    "  --precision P    fp32, tf32 (tensor cores; GPU only) or bf16 (bf16 GEMM inputs,\n"
    "                   fp32 accumulation; CPUs with AVX512_BF16) [tf32 on GPUs, fp32 on CPU]\n"
    "  --threads N      CPU threads [the cores this process may run on]\n"
    "  --cuda-graph     run each training step as one captured CUDA graph (cuda only)\n"
    "  --deterministic  deterministic GPU algorithms only (the CPU always is); on the CPU\n"
    "                   also gradients summed in fixed chunks of 8 examples in chunk\n"
    "                   order, so that any number of mpirun ranks trains to the same\n"
    "                   bits as one process (same --threads per rank)\n"
    "  --bucket-size B  mpirun: gradients summed over the ranks in buckets of B bytes\n"
    "                   (e.g. 4M), each as soon as its layers' backward is done, while\n"
    "                   the rest of backward runs; 0: one sum after backward [25M]\n";

gt_status gt_cli_data_parallel(const gt_cli_device_opts *opts, const gt_backend *be, gt_trainer *tr)
{
    GT_TRY(gt_trainer_set_dist(tr, gt_cli_dist()));
    if (opts->bucket_set)
        GT_TRY(gt_trainer_set_reduce_buckets(tr, (opts->bucket_bytes + sizeof(float) - 1) /
                                                     sizeof(float)));
    if (!opts->deterministic || (strcmp(be->name, "cuda") == 0 && gt_dist_size(gt_cli_dist()) == 1))
        return GT_OK; /* one GPU: its deterministic algorithms are the whole meaning */
    int batch = gt_trainer_config(tr)->batch_size;
    return gt_trainer_set_sum_chunks(tr, batch < GT_CLI_SUM_CHUNK ? batch : GT_CLI_SUM_CHUNK);
}

int gt_cli_device_option(int argc, char **argv, int *i, gt_cli_device_opts *opts)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--cuda-graph") == 0) {
        opts->cuda_graph = 1;
        return 1;
    }
    if (strcmp(arg, "--deterministic") == 0) {
        opts->deterministic = 1;
        return 1;
    }
    if (strcmp(arg, "--bucket-size") == 0) {
        if (*i + 1 >= argc) {
            gt_cli_error(GT_EXIT_USAGE, "%s needs a value", arg);
            return -1;
        }
        const char *v = argv[++*i];
        opts->bucket_bytes = 0;
        if (strcmp(v, "0") != 0 && !gt_cli_parse_bytes(arg, v, &opts->bucket_bytes)) return -1;
        opts->bucket_set = 1;
        return 1;
    }
    int is_device = strcmp(arg, "--device") == 0;
    int is_precision = strcmp(arg, "--precision") == 0;
    int is_threads = strcmp(arg, "--threads") == 0;
    if (!is_device && !is_precision && !is_threads) return 0;
    if (*i + 1 >= argc) {
        gt_cli_error(GT_EXIT_USAGE, "%s needs a value", arg);
        return -1;
    }
    const char *v = argv[++*i];
    if (is_device) {
        if (strcmp(v, "auto") && strcmp(v, "cpu") && strcmp(v, "cuda") &&
            strcmp(v, "cpu-reference")) {
            gt_cli_error(GT_EXIT_USAGE, "--device expects auto, cpu or cuda, found '%s'", v);
            return -1;
        }
        opts->device = v;
    } else if (is_precision) {
        if (strcmp(v, "auto") && strcmp(v, "fp32") && strcmp(v, "tf32") && strcmp(v, "bf16")) {
            gt_cli_error(GT_EXIT_USAGE, "--precision expects fp32, tf32 or bf16, found '%s'", v);
            return -1;
        }
        opts->precision = v;
    } else {
        long t;
        if (!gt_cli_parse_int("--threads", v, 1, 4096, &t)) return -1;
        opts->threads = (int)t;
    }
    return 1;
}

static gt_precision precision_for(const char *name, int gpu)
{
    if (strcmp(name, "fp32") == 0) return GT_PRECISION_FP32;
    if (strcmp(name, "tf32") == 0) return GT_PRECISION_TF32;
    if (strcmp(name, "bf16") == 0) return GT_PRECISION_BF16;
    return gpu ? GT_PRECISION_TF32 : GT_PRECISION_FP32; /* auto, as TensorFlow */
}

/* Fewer cores than --threads asks for (an mpirun binding: Open MPI binds 1
 * or 2 ranks to one core each; a taskset): the threads would share them,
 * slower than one thread. Said once, by the leader. */
static void warn_threads_over_cores(int threads)
{
    int cores = omp_get_num_procs();
    if (threads <= cores || !gt_cli_is_leader()) return;
    fprintf(stderr,
            "gtrain: --threads %d, but this process may run on %d core%s (an mpirun binding or a "
            "taskset), so the threads share them; under mpirun give each rank its cores with "
            "--map-by slot:PE=%d (or --bind-to none)\n",
            threads, cores, cores == 1 ? "" : "s", threads);
}

/* Options that apply to the backend once it exists. */
static int finish(const gt_cli_device_opts *opts, gt_backend **out)
{
    gt_status st = gt_backend_set_deterministic(*out, opts->deterministic);
    if (st == GT_OK) return GT_EXIT_OK;
    gt_backend_destroy(*out);
    *out = NULL;
    return gt_cli_status_error(st);
}

int gt_cli_open_backend(const gt_cli_device_opts *opts, gt_backend **out)
{
    const char *device = opts->device ? opts->device : "auto";
    const char *precision = opts->precision ? opts->precision : "auto";
    gt_status st;
    if (strcmp(device, "auto") == 0 || strcmp(device, "cuda") == 0) {
        st = gt_backend_create("cuda", opts->threads, precision_for(precision, 1), out);
        if (st == GT_OK) return finish(opts, out);
        if (strcmp(device, "cuda") == 0 || (st != GT_ERR_NO_DEVICE && st != GT_ERR_UNSUPPORTED))
            return gt_cli_status_error(st);
        if (strcmp(precision, "tf32") == 0)
            return gt_cli_error(GT_EXIT_USAGE, "--precision tf32 needs a GPU: %s", gt_last_error());
        if (opts->cuda_graph)
            return gt_cli_error(GT_EXIT_USAGE, "--cuda-graph needs a GPU: %s", gt_last_error());
        /* the backend's message already starts with "no usable GPU" where it applies */
        fprintf(stderr, "gtrain: %s; running on the CPU\n", gt_last_error());
        device = "cpu";
    }
    if (opts->cuda_graph)
        return gt_cli_error(GT_EXIT_USAGE, "--cuda-graph needs --device cuda or auto on a GPU");
    warn_threads_over_cores(opts->threads);
    st = gt_backend_create(device, opts->threads, precision_for(precision, 0), out);
    return st == GT_OK ? finish(opts, out) : gt_cli_status_error(st);
}
