/* gtrain fit: trains a model with Keras' fit semantics and output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_device.h"
#include "clock.h"
#include "error.h"
#include "history.h"
#include "progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gtrain fit [--model NAME|FILE.json] [--data fashion-mnist|mnist] [--data-dir DIR]\n"
            "                  [--epochs N] [--batch-size N] [--optimizer adam|sgd] [--lr X]\n"
            "                  [--validation test|first:N|last:N|none] [--seed N]\n"
            "                  [--device auto|cpu|cuda] [--threads N] [--history FILE.csv]\n\n"
            "Trains a model with Keras' fit semantics: shuffled every epoch, a partial last\n"
            "batch, running-mean loss and accuracy, validation at the end of each epoch.\n"
            "Defaults come from the model's notebook recipe (see 'gtrain summary').\n"
            "  --model M         zoo model or Keras model JSON [cnn-fmnist]\n"
            "  --data D          fashion-mnist or mnist [the model's]\n"
            "  --data-dir DIR    directory with the IDX files [$GTRAIN_DATA_DIR, else\n"
            "                    %s for Fashion-MNIST]\n"
            "  --epochs N        epochs to train\n"
            "  --batch-size N    examples per step\n"
            "  --steps-per-epoch N  end each epoch after N batches [all]\n"
            "  --optimizer O     adam (Keras defaults, epsilon 1e-7) or sgd\n"
            "  --lr X            learning rate [adam 0.001, sgd 0.01]\n"
            "  --momentum X      SGD momentum [0]\n"
            "  --validation V    test: the test set; first:N / last:N: the first or last N\n"
            "                    training examples (not trained on); none\n"
            "  --seed N          weights, shuffling and dropout [1]\n"
            "  --preprocess P    auto, or none to drop the model's preprocessing layers\n"
            "  --history FILE    per-epoch CSV: epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
            "%s",
            GT_FASHION_MNIST_DEFAULT_DIR, gt_cli_device_help);
}

typedef struct fit_options {
    const char *model;
    const char *data;
    const char *data_dir;
    const char *history;
    long epochs, batch_size, steps_per_epoch;
    int optimizer; /* -1: the model's */
    double lr, momentum;
    int validation; /* -1: the model's */
    long validation_count;
    uint64_t seed;
    int strip_preprocessing;
    gt_cli_device_opts device;
} fit_options;

static int parse_validation(const char *v, fit_options *o)
{
    if (strcmp(v, "test") == 0) o->validation = GT_VAL_TEST;
    else if (strcmp(v, "none") == 0) o->validation = GT_VAL_NONE;
    else if (strncmp(v, "first:", 6) == 0 || strncmp(v, "last:", 5) == 0) {
        int first = v[0] == 'f';
        o->validation = first ? GT_VAL_FIRST : GT_VAL_LAST;
        return gt_cli_parse_int("--validation", v + (first ? 6 : 5), 1, 100000000,
                                &o->validation_count);
    } else {
        gt_cli_error(GT_EXIT_USAGE, "--validation expects test, first:N, last:N or none, found '%s'",
                     v);
        return 0;
    }
    return 1;
}

/* Returns -1 to continue, else the exit code. */
static int parse_args(int argc, char **argv, fit_options *o)
{
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int r = gt_cli_device_option(argc, argv, &i, &o->device);
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
        int ok = 1;
        if (strcmp(a, "--model") == 0) o->model = v;
        else if (strcmp(a, "--data") == 0) o->data = v;
        else if (strcmp(a, "--data-dir") == 0) o->data_dir = v;
        else if (strcmp(a, "--history") == 0) o->history = v;
        else if (strcmp(a, "--epochs") == 0) ok = gt_cli_parse_int(a, v, 1, 1000000, &o->epochs);
        else if (strcmp(a, "--steps-per-epoch") == 0)
            ok = gt_cli_parse_int(a, v, 1, 1 << 30, &o->steps_per_epoch);
        else if (strcmp(a, "--batch-size") == 0)
            ok = gt_cli_parse_int(a, v, 1, 1 << 20, &o->batch_size);
        else if (strcmp(a, "--lr") == 0) ok = gt_cli_parse_float(a, v, 1e-12, 1e6, &o->lr);
        else if (strcmp(a, "--momentum") == 0) ok = gt_cli_parse_float(a, v, 0, 0.999999, &o->momentum);
        else if (strcmp(a, "--seed") == 0) ok = gt_cli_parse_u64(a, v, &o->seed);
        else if (strcmp(a, "--validation") == 0) ok = parse_validation(v, o);
        else if (strcmp(a, "--optimizer") == 0) {
            if (strcmp(v, "adam") == 0) o->optimizer = GT_OPT_ADAM;
            else if (strcmp(v, "sgd") == 0) o->optimizer = GT_OPT_SGD;
            else return gt_cli_error(GT_EXIT_USAGE, "--optimizer expects adam or sgd, found '%s'", v);
        } else if (strcmp(a, "--preprocess") == 0) {
            if (strcmp(v, "none") == 0) o->strip_preprocessing = 1;
            else if (strcmp(v, "auto") != 0)
                return gt_cli_error(GT_EXIT_USAGE, "--preprocess expects auto or none, found '%s'", v);
        } else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
        if (!ok) return GT_EXIT_USAGE;
    }
    if (o->data && strcmp(o->data, "fashion-mnist") != 0 && strcmp(o->data, "mnist") != 0)
        return gt_cli_error(GT_EXIT_USAGE, "--data expects fashion-mnist or mnist, found '%s'",
                            o->data);
    return -1;
}

/* Keras-style console output and the history file, driven by the trainer. */
typedef struct fit_reporter {
    gt_progress progress;
    int interactive;
    int line_open;
    double epoch_start;
    gt_history *history;
    gt_status history_status;
} fit_reporter;

static void on_epoch_begin(void *user, int epoch, int epochs, int steps)
{
    fit_reporter *r = user;
    printf("Epoch %d/%d\n", epoch, epochs);
    fflush(stdout);
    gt_progress_begin(&r->progress, stdout, steps, r->interactive);
    r->line_open = 1;
    r->epoch_start = gt_now_seconds();
}

static int on_step(void *user, int epoch, int step, int steps, double loss, double accuracy)
{
    (void)epoch;
    (void)steps;
    fit_reporter *r = user;
    char metrics[256];
    gt_format_metrics(metrics, sizeof metrics, loss, accuracy, NAN, NAN);
    gt_progress_update(&r->progress, step, gt_now_seconds() - r->epoch_start, metrics);
    return 0;
}

static gt_status on_epoch_end(void *user, gt_trainer *tr, const gt_epoch_logs *logs)
{
    (void)tr;
    fit_reporter *r = user;
    char metrics[256];
    gt_format_metrics(metrics, sizeof metrics, logs->loss, logs->accuracy, logs->val_loss,
                      logs->val_accuracy);
    gt_progress_end(&r->progress, logs->steps, logs->seconds, metrics);
    r->line_open = 0;
    if (r->history && r->history_status == GT_OK)
        r->history_status = gt_history_append(r->history, logs->epoch, logs->loss, logs->accuracy,
                                              logs->val_loss, logs->val_accuracy, logs->seconds);
    return r->history_status;
}

typedef struct fit_data {
    gt_dataset *train_full, *test, *train, *val;
} fit_data;

static void free_data(fit_data *d)
{
    if (d->train != d->train_full) gt_dataset_free(d->train);
    if (d->val != d->test) gt_dataset_free(d->val);
    gt_dataset_free(d->train_full);
    gt_dataset_free(d->test);
}

static gt_status load_data(const char *name, const char *dir, gt_validation_kind validation,
                           long count, fit_data *d)
{
    GT_TRY(gt_dataset_load_named(name, dir, "train", &d->train_full));
    d->train = d->train_full;
    gt_status st = gt_dataset_load_named(name, dir, "test", &d->test);
    if (st != GT_OK) return st;
    size_t n = gt_dataset_count(d->train_full);
    if (validation == GT_VAL_TEST) d->val = d->test;
    if (validation == GT_VAL_FIRST || validation == GT_VAL_LAST) {
        if ((size_t)count >= n)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "--validation takes %ld examples but %s has only %zu", count,
                           gt_dataset_origin(d->train_full), n);
        size_t rest = n - (size_t)count;
        int first = validation == GT_VAL_FIRST;
        GT_TRY(gt_dataset_slice(d->train_full, first ? 0 : rest, (size_t)count, &d->val));
        GT_TRY(gt_dataset_slice(d->train_full, first ? (size_t)count : 0, rest, &d->train));
    }
    return GT_OK;
}

static const char *recipe_dataset(const gt_model *model)
{
    return gt_model_recipe(model)->dataset;
}

int gt_cli_fit(int argc, char **argv)
{
    fit_options o;
    memset(&o, 0, sizeof o);
    o.model = "cnn-fmnist";
    o.optimizer = -1;
    o.validation = -1;
    o.seed = 1;
    o.device.device = "auto";
    o.device.precision = "auto";
    int code = parse_args(argc, argv, &o);
    if (code >= 0) return code;

    gt_model *model = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    fit_data data = {0};
    fit_reporter rep;
    memset(&rep, 0, sizeof rep);
    gt_status st = gt_cli_load_model(o.model, &model);
    if (st == GT_OK && o.strip_preprocessing) st = gt_model_strip_preprocessing(model);
    if (st != GT_OK) return gt_cli_status_error(st);

    const gt_recipe *recipe = gt_model_recipe(model);
    const char *dataset = o.data ? o.data : recipe_dataset(model);
    if (strcmp(dataset, "fashion-mnist") != 0 && strcmp(dataset, "mnist") != 0) {
        code = gt_cli_error(GT_EXIT_USAGE,
                            "model '%s' trains on '%s', which is read from HDF5; this build reads "
                            "IDX data only (--data fashion-mnist or mnist)",
                            gt_model_name(model), dataset);
        goto done;
    }
    gt_validation_kind validation = o.validation >= 0 ? (gt_validation_kind)o.validation
                                                      : recipe->validation;
    long validation_count = o.validation >= 0 ? o.validation_count : recipe->validation_count;
    int epochs = o.epochs > 0 ? (int)o.epochs : recipe->epochs;

    gt_train_config cfg = gt_train_config_for(model);
    if (o.batch_size > 0) cfg.batch_size = (int)o.batch_size;
    cfg.steps_per_epoch = (int)o.steps_per_epoch;
    if (o.optimizer >= 0 && (gt_optimizer_kind)o.optimizer != cfg.optimizer) {
        cfg.optimizer = (gt_optimizer_kind)o.optimizer;
        cfg.learning_rate = cfg.optimizer == GT_OPT_SGD ? 0.01f : 0.001f; /* Keras defaults */
    }
    if (o.lr > 0) cfg.learning_rate = (float)o.lr;
    if (o.momentum > 0) {
        if (cfg.optimizer != GT_OPT_SGD) {
            code = gt_cli_error(GT_EXIT_USAGE, "--momentum applies to --optimizer sgd");
            goto done;
        }
        cfg.momentum = (float)o.momentum;
    }
    cfg.seed = o.seed;

    if ((st = load_data(dataset, o.data_dir, validation, validation_count, &data)) != GT_OK) {
        code = gt_cli_status_error(st);
        goto done;
    }
    if ((code = gt_cli_open_backend(&o.device, &be)) != GT_EXIT_OK) goto done;
    if ((st = gt_trainer_create(model, be, &cfg, &tr)) != GT_OK ||
        (st = gt_trainer_check_data(tr, data.train)) != GT_OK) {
        code = gt_cli_status_error(st);
        goto done;
    }
    if (o.history && (st = gt_history_open(o.history, 1, &rep.history)) != GT_OK) {
        code = gt_cli_status_error(st);
        goto done;
    }
    fprintf(stderr, "gtrain: %s on %s (%zu training, %zu validation examples), batch %d, %s, %s\n",
            gt_model_name(model), dataset, gt_dataset_count(data.train),
            data.val ? gt_dataset_count(data.val) : (size_t)0, cfg.batch_size,
            cfg.optimizer == GT_OPT_ADAM ? "adam" : "sgd", be->describe(be));

    rep.interactive = gt_progress_stream_is_terminal(stdout);
    gt_fit_callbacks cb = {&rep, on_epoch_begin, on_step, NULL, on_epoch_end};
    st = gt_trainer_fit(tr, data.train, data.val, epochs, &cb);
    if (rep.line_open) gt_progress_interrupt(&rep.progress); /* before any error message */
    if (st != GT_OK) {
        code = gt_cli_status_error(st);
        goto done;
    }
    if (rep.history_status != GT_OK) {
        code = gt_cli_status_error(rep.history_status);
        goto done;
    }
    if (validation != GT_VAL_TEST) {
        double loss, acc;
        if ((st = gt_trainer_evaluate(tr, data.test, &loss, &acc)) != GT_OK) {
            code = gt_cli_status_error(st);
            goto done;
        }
        printf("test: loss: %.4f - accuracy: %.4f\n", loss, acc);
    }
    code = GT_EXIT_OK;
done:
    if (rep.history) {
        gt_status hs = gt_history_close(rep.history);
        if (hs != GT_OK && code == GT_EXIT_OK) code = gt_cli_status_error(hs);
    }
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    free_data(&data);
    gt_model_free(model);
    return code;
}
