/* bench_stream_step [--model NAME] [--batch N] [--steps K] [--rounds R] [--threads T]
 *
 * Training step time with the data resident vs streamed, measured paired:
 * two trainers of the same model train on Fashion-MNIST's training set, one
 * from memory, one streamed from the files through the prefetch thread, in
 * alternating rounds of K steps (each round one gt_trainer_fit epoch of
 * steps_per_epoch K, no validation; the streamed round includes opening
 * and closing its prefetcher), so that both see the same load on a shared
 * machine. Prints ms/step per mode (median over rounds, min, max) and the
 * median of the per-round ratios streamed / resident. The first round of
 * each is a warm-up and not counted. Defaults: cnn-fmnist, batch 100, K 20,
 * R 11, all cores. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/clock.h"
#include "gtrain/gtrain.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
    double *s = malloc((size_t)n * sizeof *s);
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

static double min_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; ++i)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double max_of(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; ++i)
        m = v[i] > m ? v[i] : m;
    return m;
}

static int fail(const char *what)
{
    fprintf(stderr, "bench_stream_step: %s: %s\n", what, gt_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *model_name = "cnn-fmnist";
    int batch = 100, steps = 20, rounds = 11, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            model_name = argv[i + 1];
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--steps") == 0)
            steps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_stream_step: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (rounds < 2 || steps < 1 || batch < 1) return 2;
    gt_model *m = NULL;
    gt_dataset *resident = NULL, *streamed = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr[2] = {NULL, NULL};
    if (gt_model_from_zoo(model_name, &m) != GT_OK) return fail(model_name);
    const char *data = gt_model_recipe(m)->dataset;
    if (gt_dataset_load_named(data, NULL, "train", &resident) != GT_OK) return fail(data);
    if (gt_dataset_open_named(data, NULL, "train", &streamed) != GT_OK) return fail(data);
    if (gt_backend_create("cpu", threads, GT_PRECISION_FP32, &be) != GT_OK) return fail("cpu");
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = batch;
    cfg.steps_per_epoch = steps;
    for (int k = 0; k < 2; ++k)
        if (gt_trainer_create(m, be, &cfg, &tr[k]) != GT_OK) return fail("trainer");
    const gt_dataset *ds[2] = {resident, streamed};
    double *ms[2] = {calloc((size_t)rounds, sizeof(double)),
                     calloc((size_t)rounds, sizeof(double))};
    double *ratio = calloc((size_t)rounds, sizeof(double));
    printf("%s, batch %d, %d steps a round, %d rounds (+1 warm-up), %s; streamed: %s\n", model_name,
           batch, steps, rounds, be->describe(be), gt_dataset_stream_how(streamed));
    for (int r = 0; r <= rounds; ++r) {
        for (int k = 0; k < 2; ++k) {
            double t0 = gt_now_seconds();
            if (gt_trainer_fit(tr[k], ds[k], NULL, r + 1, NULL) != GT_OK) return fail("fit");
            double t = (gt_now_seconds() - t0) * 1000.0 / steps;
            if (r > 0) ms[k][r - 1] = t;
        }
        if (r > 0) ratio[r - 1] = ms[1][r - 1] / ms[0][r - 1];
    }
    /* the two trainers saw the same batches: they must have the same weights */
    size_t np = gt_model_param_count(m);
    float *a = malloc(np * sizeof *a), *b = malloc(np * sizeof *b);
    int same = gt_trainer_get_params(tr[0], a, np) == GT_OK &&
               gt_trainer_get_params(tr[1], b, np) == GT_OK && memcmp(a, b, np * sizeof *a) == 0;
    printf("| data | ms/step (median) | min | max |\n|---|---:|---:|---:|\n");
    const char *names[2] = {"resident", "streamed"};
    for (int k = 0; k < 2; ++k)
        printf("| %s | %.2f | %.2f | %.2f |\n", names[k], median(ms[k], rounds),
               min_of(ms[k], rounds), max_of(ms[k], rounds));
    printf("\nstreamed / resident, median of the paired rounds: %.3f (min %.3f, max %.3f); "
           "weights after %d steps: %s\n",
           median(ratio, rounds), min_of(ratio, rounds), max_of(ratio, rounds),
           (rounds + 1) * steps, same ? "identical" : "DIFFERENT");
    free(a);
    free(b);
    free(ms[0]);
    free(ms[1]);
    free(ratio);
    gt_trainer_destroy(tr[0]);
    gt_trainer_destroy(tr[1]);
    gt_backend_destroy(be);
    gt_dataset_free(resident);
    gt_dataset_free(streamed);
    gt_model_free(m);
    return same ? 0 : 1;
}
