/* gtrain bench: full training steps (gather, forward, loss, backward,
 * optimizer) on synthetic data resident on the backend, warm-up excluded;
 * median, min and max ms/step for each batch size. Under mpirun the batch
 * is the global one, each rank steps through its share and the gradient
 * all-reduce, and the table adds each rank's share and throughput: the
 * global images/s is the batch over the slowest rank's median step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_device.h"
#include "gtrain/clock.h"
#include "gtrain/dist.h"

#define GT_BENCH_MAX_SIZES 32

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gtrain bench --model NAME|FILE.json [--batch-sizes 1,16,32,64,100,128,256]\n"
            "                    [--steps N] [--warmup N] [--device cpu|cuda] [--csv FILE]\n\n"
            "Times full training steps on synthetic data (no data loading).\n"
            "  --batch-sizes L  comma-separated batch sizes [1,16,32,64,100,128,256]\n"
            "  --steps N        timed steps per batch size [20]\n"
            "  --warmup N       untimed steps first [3]\n"
            "  --seed N         weights and synthetic data [1]\n"
            "  --csv FILE       also write the table as CSV\n"
            "%s",
            gt_cli_device_help);
}

static int parse_sizes(const char *text, int *sizes, int *count)
{
    *count = 0;
    const char *p = text;
    while (*p) {
        char *end = NULL;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || (*end && *end != ',') ||
            *count >= GT_BENCH_MAX_SIZES) {
            gt_cli_error(GT_EXIT_USAGE,
                         "--batch-sizes expects up to %d comma-separated sizes in [1, 65536], "
                         "found '%s'",
                         GT_BENCH_MAX_SIZES, text);
            return 0;
        }
        sizes[(*count)++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (*count == 0) {
        gt_cli_error(GT_EXIT_USAGE, "--batch-sizes is empty");
        return 0;
    }
    return 1;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Peak resident set of this process in bytes (Linux VmHWM), 0 if unknown. */
static size_t peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %zu kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

typedef struct bench_row {
    int batch;
    double median_ms, min_ms, max_ms, images_per_s;
    size_t planned_bytes, peak_rss;
    double *rank_median_ms; /* every rank's median (size entries), filled when several */
} bench_row;

/* Every rank's value of x into all[0..size), by a sum of one-hot vectors. */
static gt_status gather_ranks(gt_dist *d, double x, double *all)
{
    int size = gt_dist_size(d);
    for (int r = 0; r < size; ++r)
        all[r] = r == gt_dist_rank(d) ? x : 0.0;
    return gt_dist_allreduce_host(d, all, size);
}

static gt_status bench_one(const gt_model *model, gt_backend *be, const gt_dataset *data, int batch,
                           int warmup, int steps, uint64_t seed, const gt_cli_device_opts *dev,
                           double *times_ms, bench_row *row)
{
    gt_train_config cfg = gt_train_config_for(model);
    cfg.batch_size = batch;
    cfg.seed = seed;
    cfg.cuda_graph = dev->cuda_graph;
    gt_trainer *tr = NULL;
    gt_status st = gt_trainer_create(model, be, &cfg, &tr);
    if (st == GT_OK) st = gt_cli_data_parallel(dev, be, tr);
    if (st != GT_OK) {
        gt_trainer_destroy(tr);
        return st;
    }
    int32_t *idx = malloc((size_t)batch * sizeof(int32_t));
    if (!idx) {
        gt_trainer_destroy(tr);
        return GT_ERR_OUT_OF_MEMORY;
    }
    for (int i = 0; i < batch; ++i)
        idx[i] = i;
    for (int s = 0; s < warmup + steps && st == GT_OK; ++s) {
        double t0 = gt_now_seconds();
        st = gt_trainer_step(tr, data, idx, batch, NULL, NULL);
        if (st == GT_OK) st = be->synchronize(be);
        double dt = (gt_now_seconds() - t0) * 1e3;
        if (s >= warmup) times_ms[s - warmup] = dt;
    }
    if (st == GT_OK) {
        qsort(times_ms, (size_t)steps, sizeof(double), compare_double);
        row->batch = batch;
        row->min_ms = times_ms[0];
        row->max_ms = times_ms[steps - 1];
        row->median_ms =
            steps % 2 ? times_ms[steps / 2] : 0.5 * (times_ms[steps / 2 - 1] + times_ms[steps / 2]);
        row->images_per_s = batch / (row->median_ms * 1e-3);
        row->planned_bytes = gt_trainer_planned_bytes(tr);
        row->peak_rss = peak_rss_bytes();
        if (gt_dist_size(gt_cli_dist()) > 1) {
            st = gather_ranks(gt_cli_dist(), row->median_ms, row->rank_median_ms);
            double slowest = 0;
            for (int r = 0; st == GT_OK && r < gt_dist_size(gt_cli_dist()); ++r)
                if (row->rank_median_ms[r] > slowest) slowest = row->rank_median_ms[r];
            row->images_per_s = batch / (slowest * 1e-3);
        }
    }
    free(idx);
    gt_trainer_destroy(tr);
    return st;
}

/* Random uint8 images of the model's input shape and random labels. */
static gt_status synthetic_data(const gt_model *model, int count, uint64_t seed, gt_dataset **out)
{
    gt_shape3 shape = gt_model_input_shape(model);
    size_t per = gt_shape3_size(shape);
    uint8_t *images = malloc((size_t)count * per);
    int32_t *labels = malloc((size_t)count * sizeof(int32_t));
    if (!images || !labels) {
        free(images);
        free(labels);
        return GT_ERR_OUT_OF_MEMORY;
    }
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < (size_t)count * per; ++i) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        images[i] = (uint8_t)(s >> 24);
    }
    for (int i = 0; i < count; ++i)
        labels[i] = (int32_t)(i % gt_model_num_classes(model));
    gt_status st = gt_dataset_from_memory(images, labels, (size_t)count, shape,
                                          gt_model_num_classes(model), out);
    free(images);
    free(labels);
    return st;
}

int gt_cli_bench(int argc, char **argv)
{
    const char *model_name = NULL, *csv_path = NULL;
    int sizes[GT_BENCH_MAX_SIZES] = {1, 16, 32, 64, 100, 128, 256};
    int n_sizes = 7;
    long steps = 20, warmup = 3;
    uint64_t seed = 1;
    gt_cli_device_opts dev = {.device = "auto", .precision = "auto"};
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int r = gt_cli_device_option(argc, argv, &i, &dev);
        if (r < 0) return GT_EXIT_USAGE;
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GT_EXIT_OK;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--model") == 0)
            model_name = v;
        else if (strcmp(a, "--csv") == 0)
            csv_path = v;
        else if (strcmp(a, "--batch-sizes") == 0) {
            if (!parse_sizes(v, sizes, &n_sizes)) return GT_EXIT_USAGE;
        } else if (strcmp(a, "--steps") == 0) {
            if (!gt_cli_parse_int(a, v, 1, 100000, &steps)) return GT_EXIT_USAGE;
        } else if (strcmp(a, "--warmup") == 0) {
            if (!gt_cli_parse_int(a, v, 0, 100000, &warmup)) return GT_EXIT_USAGE;
        } else if (strcmp(a, "--seed") == 0) {
            if (!gt_cli_parse_u64(a, v, &seed)) return GT_EXIT_USAGE;
        } else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
    }
    if (!model_name) {
        usage(stderr);
        return gt_cli_error(GT_EXIT_USAGE, "bench needs --model");
    }

    gt_model *model = NULL;
    gt_backend *be = NULL;
    gt_dataset *data = NULL;
    double *times = malloc((size_t)steps * sizeof(double));
    int size = gt_dist_size(gt_cli_dist());
    double *rank_ms = malloc((size_t)size * sizeof(double));
    int code = GT_EXIT_OK;
    gt_status st = gt_cli_load_model(model_name, &model);
    if (st != GT_OK) {
        code = gt_cli_model_error(model_name, st);
        goto done;
    }
    if ((code = gt_cli_open_backend(&dev, &be)) != GT_EXIT_OK) goto done;
    int max_batch = 1;
    for (int i = 0; i < n_sizes; ++i)
        if (sizes[i] > max_batch) max_batch = sizes[i];
    if (!times || !rank_ms || (st = synthetic_data(model, max_batch, seed, &data)) != GT_OK) {
        code = gt_cli_error(GT_EXIT_RUNTIME, "out of host memory for the synthetic batch");
        goto done;
    }

    FILE *csv = NULL;
    if (!gt_cli_is_leader()) csv_path = NULL; /* rank 0 writes */
    if (csv_path && !(csv = fopen(csv_path, "w"))) {
        code = gt_cli_error(GT_EXIT_RUNTIME, "cannot write %s", csv_path);
        goto done;
    }
    char ranks[64] = "";
    if (size > 1) snprintf(ranks, sizeof ranks, ", %d ranks (global batch)", size);
    printf("model %s, %zu params, backend %s%s%s, %ld timed steps after %ld warm-up\n",
           gt_model_name(model), gt_model_param_count(model), be->describe(be),
           dev.cuda_graph ? ", CUDA graphs" : "", ranks, steps, warmup);
    printf("%6s %12s %10s %10s %12s %12s %12s\n", "batch", "median ms", "min ms", "max ms",
           "images/s", "planned MiB", "peak RSS MiB");
    if (csv)
        fprintf(csv, "model,backend,batch,median_ms,min_ms,max_ms,images_per_s,planned_bytes,"
                     "peak_rss_bytes,ranks\n");
    if (csv) fflush(csv);
    for (int i = 0; i < n_sizes; ++i) {
        bench_row row;
        row.rank_median_ms = rank_ms;
        st = bench_one(model, be, data, sizes[i], (int)warmup, (int)steps, seed, &dev, times, &row);
        if (st != GT_OK) {
            code = gt_cli_status_error(st);
            break;
        }
        printf("%6d %12.3f %10.3f %10.3f %12.1f %12.1f %12.1f\n", row.batch, row.median_ms,
               row.min_ms, row.max_ms, row.images_per_s, row.planned_bytes / 1048576.0,
               row.peak_rss / 1048576.0);
        for (int r = 0; size > 1 && r < size; ++r) {
            int first = 0, count = 0;
            gt_dist_share(row.batch, r, size, &first, &count);
            printf("%6s rank %d: %d examples/step, median %.3f ms, %.1f images/s\n", "", r, count,
                   rank_ms[r], count / (rank_ms[r] * 1e-3));
        }
        fflush(stdout);
        if (csv)
            fprintf(csv, "%s,%s%s,%d,%.4f,%.4f,%.4f,%.2f,%zu,%zu,%d\n", gt_model_name(model),
                    be->name, dev.cuda_graph ? "-graph" : "", row.batch, row.median_ms, row.min_ms,
                    row.max_ms, row.images_per_s, row.planned_bytes, row.peak_rss, size);
        /* each row on disk as soon as it is measured: a run cut short by a
         * time limit (scripts/gpu_check.sh) keeps what it measured */
        if (csv) fflush(csv);
    }
    if (csv && fclose(csv) != 0 && code == GT_EXIT_OK)
        code = gt_cli_error(GT_EXIT_RUNTIME, "writing %s failed", csv_path);
done:
    free(times);
    free(rank_ms);
    gt_dataset_free(data);
    gt_backend_destroy(be);
    gt_model_free(model);
    return code;
}
