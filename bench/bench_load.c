/* bench_load --model NAME [--reps N] [--dir DIR]: what gtrain's safe reading
 * costs per checkpoint load. Saves a checkpoint of the model (Adam moments
 * included), then times, median of N:
 *   verify    the seal's CRC-32 over the whole file (gt_seal_verify)
 *   probe     a guarded read whose reader does nothing: the seal plus the
 *             fork, the child and the wait (gt_guarded_read)
 *   restore   gt_checkpoint_restore with the run state, as `fit --resume`
 *             and `evaluate` do it: seal + child read + the read here
 * The reads themselves are the restore minus the probe, done twice (child
 * and parent); half of it is what an unguarded load would take. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint_seal.h"
#include "gtrain/clock.h"
#include "gtrain/gtrain.h"
#include "h5_guard.h"

static gt_status nothing(void *arg)
{
    (void)arg;
    return GT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int fail(gt_status st)
{
    fprintf(stderr, "bench_load: %s\n", gt_last_error()[0] ? gt_last_error() : gt_status_name(st));
    return 1;
}

int main(int argc, char **argv)
{
    const char *name = "cnn-fmnist", *dir = "/tmp";
    int reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--reps") == 0)
            reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    if (reps < 1 || reps > 1000) reps = 5;
    gt_model *m = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_status st = gt_model_from_zoo(name, &m);
    if (st == GT_OK) st = gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be);
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = 1;
    if (st == GT_OK) st = gt_trainer_create(m, be, &cfg, &tr);
    char path[1024];
    snprintf(path, sizeof path, "%s/bench_load_%s.h5", dir, name);
    if (st == GT_OK) st = gt_checkpoint_save(tr, path, NULL);
    if (st != GT_OK) return fail(st);
    struct stat info;
    stat(path, &info);
    double *t[3];
    for (int k = 0; k < 3; ++k)
        t[k] = malloc((size_t)reps * sizeof(double));
    for (int r = 0; r < reps && st == GT_OK; ++r) {
        int sealed = 0;
        double t0 = gt_now_seconds();
        st = gt_seal_verify(path, &sealed);
        double t1 = gt_now_seconds();
        if (st == GT_OK) st = gt_guarded_read(path, nothing, NULL);
        double t2 = gt_now_seconds();
        if (st == GT_OK) st = gt_checkpoint_restore(tr, path, 1);
        double t3 = gt_now_seconds();
        t[0][r] = t1 - t0;
        t[1][r] = t2 - t1;
        t[2][r] = t3 - t2;
    }
    if (st != GT_OK) return fail(st);
    double verify = median(t[0], reps), probe = median(t[1], reps), restore = median(t[2], reps);
    double read_once = (restore - probe) / 2;
    printf("| %s | %zu | %.1f | %.2f | %.2f | %.2f | %.2f | %.0f%% |\n", name,
           gt_model_param_count(m), (double)info.st_size / 1048576.0, verify * 1e3, probe * 1e3,
           restore * 1e3, read_once * 1e3, 100.0 * (restore - read_once) / read_once);
    remove(path);
    for (int k = 0; k < 3; ++k)
        free(t[k]);
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_model_free(m);
    return 0;
}
