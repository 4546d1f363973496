/* bench_ops: timing of one training step's parts on the real layer shapes of
 * a model, on one backend: every layer's forward and backward pass (through
 * its class, as the trainer runs it), the gather, the loss and the
 * optimizer, each first validated against cpu-reference on the same inputs
 * (llm.c's dev/cuda drivers, ggml's test-backend-ops performance mode). The
 * case list mirrors one step (bench_ops_cases.c), so the sum of the medians
 * can be set against `gtrain bench`'s ms/step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ops.h"
#include "gtrain/clock.h"
#include "model_internal.h"

#define WARMUPS 3

typedef struct options {
    const char *model, *backend, *precision, *csv, *ops;
    int batch, check_batch, threads, reps, check;
} options;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: bench_ops --model NAME|FILE.json [--batch N] [--backend cpu|cuda|cpu-reference]\n"
        "                 [--precision fp32|tf32|bf16] [--threads N] [--reps N]\n"
        "                 [--ops KINDS] [--check-batch N] [--no-check] [--csv FILE]\n\n"
        "Times every part of one training step on the model's layer shapes: each\n"
        "layer's forward and backward pass, the gather, the loss and the optimizer\n"
        "(median and min over --reps after %d warm-ups), each first validated\n"
        "against cpu-reference on the same inputs at --check-batch.\n"
        "  --batch N        batch size of the timed ops [100]\n"
        "  --backend B      backend to time [cpu]\n"
        "  --precision P    conv/GEMM precision [fp32]\n"
        "  --threads N      CPU threads, 0 = all cores [0]\n"
        "  --reps N         timed calls per op [20]\n"
        "  --ops LIST       kinds to run, of preprocess, conv, pool, dense, act, dropout,\n"
        "                   norm, shape, loss, optim, gather [all]\n"
        "  --check-batch N  batch size of the validation [2, or --batch if smaller]\n"
        "  --no-check       time only\n"
        "  --csv FILE       also write the table as CSV\n",
        WARMUPS);
}

/* ---- data ---- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 40) / 16777216.0;
}

static size_t buf_bytes(const bench_buf *b)
{
    return b->count * (b->elem == ELEM_U8 ? 1 : 4);
}

/* Runs `c` once on `be` from host data, downloading its compared buffers
 * into `out` (NULL entries for the inputs) when out is given. */
typedef struct case_data {
    void *host[BENCH_MAX_BUFS];
} case_data;

static void case_data_free(case_data *d)
{
    for (int i = 0; i < BENCH_MAX_BUFS; ++i)
        free(d->host[i]);
    memset(d, 0, sizeof *d);
}

/* Host inputs of the case, from a seed that depends only on the case's
 * position, so the timed and the validated run see the same kind of data. */
static gt_status case_data_fill(const bench_case *c, int index, case_data *d)
{
    memset(d, 0, sizeof *d);
    for (int i = 0; i < c->nbuf; ++i) {
        const bench_buf *b = &c->buf[i];
        if (b->role == ROLE_OUT || b->count == 0) continue;
        d->host[i] = malloc(buf_bytes(b));
        if (!d->host[i]) {
            case_data_free(d);
            return GT_ERR_OUT_OF_MEMORY;
        }
        uint64_t s = 0x9E3779B97F4A7C15ULL * (uint64_t)(index * BENCH_MAX_BUFS + i + 1);
        float *f = d->host[i];
        int32_t *k = d->host[i];
        uint8_t *u = d->host[i];
        for (size_t e = 0; e < b->count; ++e) {
            double r = rng_unit(&s);
            switch (b->fill) {
            case FILL_UNIFORM:
                f[e] = (float)(b->lo + (b->hi - b->lo) * r);
                break;
            case FILL_RELU:
                f[e] = r < 0.5 ? 0.0f : (float)(2.0 * r - 1.0);
                break;
            case FILL_CLASSES:
                k[e] = (int32_t)(r * b->hi);
                break;
            case FILL_BYTES:
                u[e] = (uint8_t)(r * 256.0);
                break;
            default:
                break;
            }
        }
    }
    return GT_OK;
}

typedef struct case_run {
    void *dev[BENCH_MAX_BUFS];
    void *workspace;
} case_run;

static void case_run_free(gt_backend *be, case_run *r)
{
    for (int i = 0; i < BENCH_MAX_BUFS; ++i)
        if (r->dev[i]) be->free(be, r->dev[i]);
    if (r->workspace) be->free(be, r->workspace);
    memset(r, 0, sizeof *r);
}

/* Backend buffers for `c` holding the host data (outputs zeroed). */
static gt_status case_run_setup(gt_backend *be, const bench_case *c, const case_data *d,
                                case_run *r)
{
    memset(r, 0, sizeof *r);
    gt_status st = GT_OK;
    for (int i = 0; i < c->nbuf && st == GT_OK; ++i) {
        size_t bytes = buf_bytes(&c->buf[i]);
        if (bytes == 0) continue; /* an absent bias: the op gets NULL */
        st = be->alloc(be, bytes, &r->dev[i]);
        if (st == GT_OK)
            st = d->host[i] ? be->upload(be, r->dev[i], d->host[i], bytes)
                            : be->zero(be, r->dev[i], bytes);
    }
    const gt_layer_class *cls = c->pass_layer ? gt_layer_class_of(c->pass_layer->kind) : NULL;
    if (st == GT_OK && cls && cls->workspace_bytes) {
        size_t ws = cls->workspace_bytes(c->pass_layer, be, c->m);
        if (ws) st = be->alloc(be, ws, &r->workspace);
    }
    /* a backward pass starts from its forward's outputs */
    if (st == GT_OK && c->prepare) st = c->prepare(be, c, r->dev, r->workspace);
    if (st != GT_OK) case_run_free(be, r);
    return st;
}

/* ---- timing ---- */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static gt_status time_case(gt_backend *be, const bench_case *c, int index, int reps, double *times,
                           double *median_ms, double *min_ms)
{
    case_data d;
    case_run r;
    gt_status st = case_data_fill(c, index, &d);
    if (st != GT_OK) return st;
    st = case_run_setup(be, c, &d, &r);
    case_data_free(&d);
    if (st != GT_OK) return st;
    for (int i = 0; i < WARMUPS + reps && st == GT_OK; ++i) {
        /* a device runs ops asynchronously: time from an idle queue to an idle queue */
        st = be->synchronize(be);
        double t0 = gt_now_seconds();
        if (st == GT_OK) st = c->call(be, c, r.dev, r.workspace);
        if (st == GT_OK) st = be->synchronize(be);
        if (i >= WARMUPS) times[i - WARMUPS] = (gt_now_seconds() - t0) * 1e3;
    }
    case_run_free(be, &r);
    if (st != GT_OK) return st;
    qsort(times, (size_t)reps, sizeof *times, compare_double);
    *min_ms = times[0];
    *median_ms = reps % 2 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
    return GT_OK;
}

/* ---- validation ---- */

typedef struct check_result {
    int ok;
    double max_abs, max_rel; /* max |got - ref|, and the same over max|ref| of its buffer */
    char text[160];
} check_result;

/* Runs the case once and downloads every compared buffer. */
static gt_status run_once(gt_backend *be, const bench_case *c, const case_data *d, case_data *out)
{
    case_run r;
    memset(out, 0, sizeof *out);
    gt_status st = case_run_setup(be, c, d, &r);
    if (st != GT_OK) return st;
    st = c->call(be, c, r.dev, r.workspace);
    if (st == GT_OK) st = be->synchronize(be);
    for (int i = 0; i < c->nbuf && st == GT_OK; ++i) {
        const bench_buf *b = &c->buf[i];
        if (b->role == ROLE_IN || b->role == ROLE_SCRATCH || b->count == 0) continue;
        if (!(out->host[i] = malloc(buf_bytes(b)))) st = GT_ERR_OUT_OF_MEMORY;
        if (st == GT_OK) st = be->download(be, out->host[i], r.dev[i], buf_bytes(b));
    }
    case_run_free(be, &r);
    if (st != GT_OK) case_data_free(out);
    return st;
}

/* The parity tests' rule: |got - ref| <= of_max max|ref| + rel |ref|. */
static void compare_buf(const bench_buf *b, const void *got_p, const void *ref_p, check_result *res)
{
    size_t bad = 0, worst = 0;
    double worst_excess = -1.0, mx = 0.0;
    for (size_t i = 0; i < b->count; ++i) {
        double rv = b->elem == ELEM_F32 ? ((const float *)ref_p)[i] : ((const int32_t *)ref_p)[i];
        if (fabs(rv) > mx) mx = fabs(rv);
    }
    for (size_t i = 0; i < b->count; ++i) {
        double g = b->elem == ELEM_F32 ? ((const float *)got_p)[i] : ((const int32_t *)got_p)[i];
        double rv = b->elem == ELEM_F32 ? ((const float *)ref_p)[i] : ((const int32_t *)ref_p)[i];
        double diff = fabs(g - rv), bound = b->of_max * mx + b->rel * fabs(rv);
        if (isnan(g) && isnan(rv)) continue;
        if (!(diff <= bound)) {
            ++bad;
            if (!(diff - bound <= worst_excess)) {
                worst_excess = diff - bound;
                worst = i;
            }
        }
        if (!(diff <= res->max_abs)) res->max_abs = diff;
        if (mx > 0.0 && !(diff / mx <= res->max_rel)) res->max_rel = diff / mx;
    }
    if (bad && res->ok) {
        double g =
            b->elem == ELEM_F32 ? ((const float *)got_p)[worst] : ((const int32_t *)got_p)[worst];
        double rv =
            b->elem == ELEM_F32 ? ((const float *)ref_p)[worst] : ((const int32_t *)ref_p)[worst];
        snprintf(res->text, sizeof res->text,
                 "FAIL %s: %zu of %zu outside (of_max %.0e rel %.0e); at %zu got %.7g ref %.7g",
                 b->name, bad, b->count, b->of_max, b->rel, worst, g, rv);
        res->ok = 0;
    }
}

static gt_status check_case(gt_backend *be, gt_backend *ref, const bench_case *c, int index,
                            check_result *res)
{
    case_data d, got, want;
    memset(res, 0, sizeof *res);
    res->ok = 1;
    gt_status st = case_data_fill(c, index, &d);
    if (st != GT_OK) return st;
    st = run_once(be, c, &d, &got);
    if (st == GT_OK) {
        st = run_once(ref, c, &d, &want);
        if (st != GT_OK) case_data_free(&got);
    }
    case_data_free(&d);
    if (st != GT_OK) return st;
    for (int i = 0; i < c->nbuf; ++i)
        if (got.host[i]) compare_buf(&c->buf[i], got.host[i], want.host[i], res);
    if (res->ok)
        snprintf(res->text, sizeof res->text, "ok abs %.1e rel %.1e", res->max_abs, res->max_rel);
    case_data_free(&got);
    case_data_free(&want);
    return GT_OK;
}

/* ---- command line ---- */

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
    char *end = NULL;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "bench_ops: %s expects an integer in [%d, %d], found '%s'\n", opt, lo, hi,
                v ? v : "(nothing)");
        return 0;
    }
    *out = (int)x;
    return 1;
}

/* "conv,pool" -> a bit per bench_kind */
static int parse_ops(const char *text, unsigned *mask)
{
    *mask = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int k = 0; k < BENCH_KIND_COUNT; ++k) {
            const char *name = bench_kind_name((bench_kind)k);
            if (strlen(name) == len && strncmp(p, name, len) == 0) {
                *mask |= 1u << k;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "bench_ops: --ops: unknown kind '%.*s' (see --help)\n", (int)len, p);
            return 0;
        }
        p += len;
        if (*p) ++p;
    }
    if (!*mask) fprintf(stderr, "bench_ops: --ops is empty\n");
    return *mask != 0;
}

/* 0: run; 1: --help printed; 2: usage error (printed). */
static int parse_args(int argc, char **argv, options *o, unsigned *mask)
{
    memset(o, 0, sizeof *o);
    o->backend = "cpu";
    o->precision = "fp32";
    o->batch = 100;
    o->check_batch = -1;
    o->reps = 20;
    o->check = 1;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1, takes_value = 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--no-check") == 0) {
            o->check = 0;
            takes_value = 0;
        } else if (strcmp(a, "--model") == 0) {
            o->model = v;
        } else if (strcmp(a, "--backend") == 0) {
            o->backend = v;
        } else if (strcmp(a, "--precision") == 0) {
            o->precision = v;
        } else if (strcmp(a, "--csv") == 0) {
            o->csv = v;
        } else if (strcmp(a, "--ops") == 0) {
            o->ops = v;
        } else if (strcmp(a, "--batch") == 0) {
            ok = parse_int(a, v, 1, 65536, &o->batch);
        } else if (strcmp(a, "--check-batch") == 0) {
            ok = parse_int(a, v, 1, 65536, &o->check_batch);
        } else if (strcmp(a, "--threads") == 0) {
            ok = parse_int(a, v, 0, 4096, &o->threads);
        } else if (strcmp(a, "--reps") == 0) {
            ok = parse_int(a, v, 1, 100000, &o->reps);
        } else {
            fprintf(stderr, "bench_ops: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        if (!ok) return 2;
        if (takes_value && !v) {
            fprintf(stderr, "bench_ops: %s needs a value\n", a);
            return 2;
        }
        i += takes_value;
    }
    if (!o->model) {
        usage(stderr);
        return 2;
    }
    if (strcmp(o->backend, "cpu") && strcmp(o->backend, "cuda") &&
        strcmp(o->backend, "cpu-reference")) {
        fprintf(stderr, "bench_ops: --backend expects cpu, cuda or cpu-reference, found '%s'\n",
                o->backend);
        return 2;
    }
    if (strcmp(o->precision, "fp32") && strcmp(o->precision, "tf32") &&
        strcmp(o->precision, "bf16")) {
        fprintf(stderr, "bench_ops: --precision expects fp32, tf32 or bf16, found '%s'\n",
                o->precision);
        return 2;
    }
    /* the reference runs plain loops: VGG-16 at batch 100 would take minutes */
    if (o->check_batch < 0) o->check_batch = o->batch < 2 ? o->batch : 2;
    *mask = (1u << BENCH_KIND_COUNT) - 1;
    if (o->ops && !parse_ops(o->ops, mask)) return 2;
    return 0;
}

static gt_precision precision_of(const char *name)
{
    if (strcmp(name, "tf32") == 0) return GT_PRECISION_TF32;
    if (strcmp(name, "bf16") == 0) return GT_PRECISION_BF16;
    return GT_PRECISION_FP32;
}

static gt_status open_model(const char *name, gt_model **out)
{
    size_t len = strlen(name);
    if (len > 5 && strcmp(name + len - 5, ".json") == 0) return gt_model_from_json_file(name, out);
    return gt_model_from_zoo(name, out);
}

static int open_backends(const options *o, gt_backend **be, gt_backend **ref)
{
    gt_status st = gt_backend_create(o->backend, o->threads, precision_of(o->precision), be);
    if (st != GT_OK) {
        const char *msg = gt_last_error();
        if (strcmp(o->backend, "cuda") == 0 && strncmp(msg, "no usable GPU", 13) != 0)
            fprintf(stderr, "bench_ops: no usable GPU: %s\n", msg);
        else
            fprintf(stderr, "bench_ops: %s\n", msg);
        return 0;
    }
    /* the oracle: plain loops, one thread, fp32 */
    st = gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, ref);
    if (st != GT_OK) {
        fprintf(stderr, "bench_ops: cpu-reference: %s\n", gt_last_error());
        gt_backend_destroy(*be);
        return 0;
    }
    return 1;
}

/* ---- output ---- */

#define ROW_FORMAT "%-18s %-22s %-36s %9s %9s %8s %8s  %s\n"

static void print_row(FILE *csv, const bench_case *c, double median, double min, const char *check,
                      const check_result *res)
{
    char med[32], mn[32], gflops[32] = "-", gbps[32] = "-";
    snprintf(med, sizeof med, "%.4f", median);
    snprintf(mn, sizeof mn, "%.4f", min);
    /* GFLOP/s where the op is compute-bound (conv, GEMM), GB/s elsewhere */
    if (c->flops > 0.0)
        snprintf(gflops, sizeof gflops, "%.1f", c->flops / (median * 1e6));
    else
        snprintf(gbps, sizeof gbps, "%.1f", bench_case_bytes(c) / (median * 1e6));
    printf(ROW_FORMAT, c->layer, c->op, c->shape, med, mn, gflops, gbps, check);
    fflush(stdout);
    if (csv)
        fprintf(csv, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%.3g,%.3g\n", c->layer, c->op,
                bench_kind_name(c->kind), c->shape, med, mn, gflops, gbps,
                res ? (res->ok ? "ok" : "FAIL") : check, res ? res->max_abs : 0.0,
                res ? res->max_rel : 0.0);
    /* on disk as soon as measured: a run cut by a time limit keeps its rows */
    if (csv) fflush(csv);
}

static void print_totals(FILE *csv, const options *o, const double *kind_ms, const int *kind_n)
{
    double total = 0.0;
    printf("\ntotals per op kind (sum of medians, ms):\n");
    for (int k = 0; k < BENCH_KIND_COUNT; ++k)
        total += kind_ms[k];
    for (int k = 0; k < BENCH_KIND_COUNT; ++k) {
        if (!kind_n[k]) continue;
        printf("  %-8s %4d ops %10.3f ms %5.1f%%\n", bench_kind_name((bench_kind)k), kind_n[k],
               kind_ms[k], total > 0 ? 100.0 * kind_ms[k] / total : 0.0);
        if (csv)
            fprintf(csv, "total,%s,%s,%d ops,%.4f,,,,,,\n", bench_kind_name((bench_kind)k),
                    bench_kind_name((bench_kind)k), kind_n[k], kind_ms[k]);
    }
    printf("  %-8s %13s %10.3f ms\n", "sum", "", total);
    printf("compare with the median ms/step of: gtrain bench --model %s --device %s "
           "--precision %s --batch-sizes %d\n",
           o->model, strcmp(o->backend, "cuda") == 0 ? "cuda" : "cpu", o->precision, o->batch);
    printf("(the step also pays launch gaps and host work that isolated ops do not)\n");
    if (csv) fprintf(csv, "total,all,all,,%.4f,,,,,,\n", total);
}

int main(int argc, char **argv)
{
    options o;
    unsigned mask = 0;
    int parsed = parse_args(argc, argv, &o, &mask);
    if (parsed) return parsed == 1 ? 0 : 2;

    gt_model *model = NULL;
    if (open_model(o.model, &model) != GT_OK) {
        fprintf(stderr, "bench_ops: %s\n", gt_last_error());
        return 1;
    }
    gt_backend *be = NULL, *ref = NULL;
    if (!open_backends(&o, &be, &ref)) {
        gt_model_free(model);
        return 1;
    }
    gt_precision prec = precision_of(o.precision);
    bench_cases timed, checked;
    memset(&checked, 0, sizeof checked);
    double *times = malloc((size_t)o.reps * sizeof *times);
    FILE *csv = NULL;
    int failures = 0;
    if (!times || bench_cases_for_model(model, o.batch, prec, mask, &timed) != GT_OK ||
        (o.check && bench_cases_for_model(model, o.check_batch, prec, mask, &checked) != GT_OK)) {
        fprintf(stderr, "bench_ops: out of host memory\n");
        failures = 1;
        timed.count = 0;
    }
    if (o.csv && !(csv = fopen(o.csv, "w"))) {
        fprintf(stderr, "bench_ops: cannot write '%s'\n", o.csv);
        failures = 1;
        timed.count = 0;
    }

    printf("bench_ops: model %s, batch %d, precision %s\n", model->name, o.batch, o.precision);
    printf("backend: %s\n", be->describe(be));
    printf("timing: median and min of %d reps after %d warm-ups%s\n", o.reps, WARMUPS,
           strcmp(o.backend, "cuda") == 0 ? ", synchronized around each rep" : "");
    if (o.check)
        printf("validation: each op against cpu-reference on the same inputs at batch %d%s\n",
               o.check_batch,
               o.check_batch != o.batch ? " (not the timed batch; --check-batch N to change)" : "");
    else
        printf("validation: off (--no-check)\n");
    printf("\n" ROW_FORMAT, "layer", "op", "shape", "median ms", "min ms", "GFLOP/s", "GB/s",
           "check vs cpu-reference");
    if (csv)
        fprintf(csv, "layer,op,kind,shape,median_ms,min_ms,gflops,gbps,check,max_abs_err,"
                     "max_rel_err\n");

    double kind_ms[BENCH_KIND_COUNT] = {0};
    int kind_n[BENCH_KIND_COUNT] = {0};
    for (int i = 0; i < timed.count; ++i) {
        const bench_case *c = &timed.items[i];
        check_result res;
        const char *check = "-";
        if (o.check) {
            gt_status st = check_case(be, ref, &checked.items[i], i, &res);
            if (st != GT_OK) snprintf(res.text, sizeof res.text, "ERROR %s", gt_last_error());
            if (st != GT_OK) res.ok = 0;
            if (!res.ok) ++failures;
            check = res.text;
        }
        double median = 0.0, min = 0.0;
        gt_status st = time_case(be, c, i, o.reps, times, &median, &min);
        if (st != GT_OK) {
            fprintf(stderr, "bench_ops: %s %s: %s\n", c->layer, c->op, gt_last_error());
            ++failures;
            continue;
        }
        kind_ms[c->kind] += median;
        kind_n[c->kind] += 1;
        print_row(csv, c, median, min, check, o.check ? &res : NULL);
    }
    if (timed.count) print_totals(csv, &o, kind_ms, kind_n);
    if (failures)
        fprintf(stderr, "bench_ops: %d op(s) failed validation or did not run\n", failures);

    if (csv) fclose(csv);
    free(times);
    bench_cases_free(&timed);
    bench_cases_free(&checked);
    gt_backend_destroy(be);
    gt_backend_destroy(ref);
    gt_model_free(model);
    return failures ? 1 : 0;
}
