/* gtrain predict: class probabilities of one example (--index) or of a whole
 * dataset (--output FILE.csv) from saved weights. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_trained.h"

/* Examples predicted per call when writing the CSV. */
#define PREDICT_CHUNK 1024

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gtrain predict --weights FILE.h5 [--index N] [--output FILE.csv] [--model M]\n"
            "                      [--data D] [--split test|train] [--device auto|cpu|cuda]\n\n"
            "Prints the probability of each class for example N of the dataset, the\n"
            "predicted class and the true label; --output writes one CSV row per example:\n"
            "index,label,predicted,p0,p1,...\n"
            "  --index N         the example to show (from 0)\n"
            "  --output FILE     predictions for the whole dataset\n"
            "%s%s%s",
            gt_cli_trained_help, gt_cli_trained_stream_help, gt_cli_device_help);
}

static int argmax(const float *p, int n)
{
    int best = 0;
    for (int k = 1; k < n; ++k)
        if (p[k] > p[best]) best = k;
    return best;
}

static void class_text(const gt_dataset *ds, int k, char *buf, size_t size)
{
    const char *name = gt_dataset_class_name(ds, k);
    if (name)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "%d", k);
}

static int show_one(gt_cli_trained *t, long index, int classes)
{
    size_t count = gt_dataset_count(t->ds);
    if (index < 0 || (size_t)index >= count)
        return gt_cli_error(GT_EXIT_USAGE, "--index %ld is outside %s (%zu examples, 0..%zu)",
                            index, gt_dataset_origin(t->ds), count, count ? count - 1 : 0);
    float *p = malloc((size_t)classes * sizeof *p);
    if (!p) return gt_cli_error(GT_EXIT_RUNTIME, "out of host memory");
    gt_status st = gt_trainer_predict(t->tr, t->ds, (size_t)index, 1, p);
    if (st != GT_OK) {
        free(p);
        return gt_cli_status_error(st);
    }
    char name[128];
    printf("example %ld of %s\n", index, gt_dataset_origin(t->ds));
    for (int k = 0; k < classes; ++k) {
        class_text(t->ds, k, name, sizeof name);
        printf("  %-16s %.4f\n", name, (double)p[k]);
    }
    int best = argmax(p, classes);
    class_text(t->ds, best, name, sizeof name);
    printf("predicted: %s (%.4f)\n", name, (double)p[best]);
    int label = gt_dataset_labels(t->ds)[index];
    class_text(t->ds, label, name, sizeof name);
    printf("true label: %s\n", name);
    free(p);
    return GT_EXIT_OK;
}

static int write_csv(gt_cli_trained *t, const char *path, int classes)
{
    FILE *f = fopen(path, "w");
    if (!f) return gt_cli_error(GT_EXIT_RUNTIME, "cannot create %s: %s", path, strerror(errno));
    float *p = malloc((size_t)PREDICT_CHUNK * (size_t)classes * sizeof *p);
    if (!p) {
        fclose(f);
        return gt_cli_error(GT_EXIT_RUNTIME, "out of host memory");
    }
    fprintf(f, "index,label,predicted");
    for (int k = 0; k < classes; ++k)
        fprintf(f, ",p%d", k);
    fputc('\n', f);
    size_t count = gt_dataset_count(t->ds);
    const int32_t *labels = gt_dataset_labels(t->ds);
    gt_status st = GT_OK;
    for (size_t first = 0; first < count && st == GT_OK; first += PREDICT_CHUNK) {
        size_t n = count - first < PREDICT_CHUNK ? count - first : PREDICT_CHUNK;
        st = gt_trainer_predict(t->tr, t->ds, first, n, p);
        for (size_t i = 0; st == GT_OK && i < n; ++i) {
            const float *row = p + i * (size_t)classes;
            fprintf(f, "%zu,%d,%d", first + i, (int)labels[first + i], argmax(row, classes));
            for (int k = 0; k < classes; ++k)
                fprintf(f, ",%.6g", (double)row[k]);
            fputc('\n', f);
        }
    }
    free(p);
    int failed = ferror(f);
    if (fclose(f) != 0) failed = 1;
    if (st != GT_OK) return gt_cli_status_error(st);
    if (failed) return gt_cli_error(GT_EXIT_RUNTIME, "cannot write %s: %s", path, strerror(errno));
    fprintf(stderr, "gtrain: wrote predictions for %zu examples to %s\n", count, path);
    return GT_EXIT_OK;
}

int gt_cli_predict(int argc, char **argv)
{
    gt_cli_trained t;
    gt_cli_trained_init(&t);
    t.stream_ok = 1;
    long index = -1;
    const char *output = NULL;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GT_EXIT_OK;
        }
        int c = gt_cli_trained_option(argc, argv, &i, &t);
        if (c < 0) return GT_EXIT_USAGE;
        if (c > 0) continue;
        if (strcmp(a, "--index") == 0 && i + 1 < argc) {
            if (!gt_cli_parse_int(a, argv[++i], 0, 2147483647L, &index)) return GT_EXIT_USAGE;
        } else if (strcmp(a, "--output") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
    }
    if (index < 0 && !output)
        return gt_cli_error(GT_EXIT_USAGE, "predict needs --index N or --output FILE.csv");
    int code = gt_cli_trained_open(&t);
    int classes = t.m ? gt_model_num_classes(t.m) : 0;
    if (code == GT_EXIT_OK && index >= 0) code = show_one(&t, index, classes);
    if (code == GT_EXIT_OK && output) code = write_csv(&t, output, classes);
    gt_cli_trained_close(&t);
    return code;
}
