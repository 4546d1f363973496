/* gtrain fit: trains a model with Keras' fit semantics and output, saves
 * checkpoints and resumes from them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_device.h"
#include "cli_fit_callbacks.h"
#include "cli_fit_run.h"
#include "cli_signals.h"
#include "gtrain/clock.h"
#include "gtrain/dist.h"
#include "gtrain/status.h"
#include "history.h"
#include "gtrain/progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gtrain fit [--model NAME|FILE.json|FILE.h5] [--data "
            "fashion-mnist|mnist|hdf5:FILE.h5]\n"
            "                  [--test-data ...] [--data-dir DIR] [--x-key K] [--y-key K]\n"
            "                  [--epochs N] [--batch-size N] [--optimizer O[:k=v,...]] [--lr X]\n"
            "                  [--validation test|first:N|last:N|none] [--seed N]\n"
            "                  [--device auto|cpu|cuda] [--threads N] [--history FILE.csv]\n"
            "                  [--shuffle|--no-shuffle] [--shuffle-buffer N]\n"
            "                  [--loss-log-epsilon X] [--data-memory BYTES]\n"
            "                  [--save FILE.h5] [--save-every N] [--resume FILE.h5]\n"
            "                  [--lr-schedule S] [--early-stopping k=v,...]\n"
            "                  [--reduce-lr-on-plateau k=v,...] [--model-checkpoint k=v,...]\n"
            "                  [--tensorboard DIR [--tensorboard-update-freq N]]\n\n"
            "Trains a model with Keras' fit semantics: shuffled every epoch (or not, see\n"
            "--no-shuffle), a partial last batch, running-mean loss and accuracy, validation\n"
            "at the end of each epoch. Defaults come from the model's notebook recipe (see\n"
            "'gtrain summary'): softmax-mnist and cnn-mnist train in file order, as\n"
            "notebook 004's tf.data batches do.\n"
            "  --model M         zoo model, Keras model JSON, or a Keras or gtrain .h5 (its\n"
            "                    architecture, and its weights as the starting point)\n"
            "                    [cnn-fmnist]\n"
            "  --data D          fashion-mnist, mnist, or hdf5:FILE.h5 (images N,H,W,C and\n"
            "                    labels N; SIGNS: hdf5:train_signs.h5) [the model's]\n"
            "  --test-data D     the test set [the named dataset's test split; for HDF5 none]\n"
            "  --x-key K, --y-key K  image and label datasets of --data [the file's *_x/*_y]\n"
            "  --test-x-key K, --test-y-key K  the same for --test-data\n"
            "  --class-names A,B,...  class names [list_classes, or the "
            "dataset's]\n" GT_CLI_DATA_DIR_HELP
            "  --epochs N        epochs to train (when resuming: the total, counted from 1)\n"
            "  --batch-size N    examples per step\n"
            "  --steps-per-epoch N  end each epoch after N batches [all]\n"
            "  --lr X            learning rate [adam, rmsprop, adamw 0.001, sgd 0.01]\n"
            "  --momentum X      SGD momentum [0]\n"
            "  --validation V    test: the test set; first:N / last:N: the first or last N\n"
            "                    training examples (not trained on); none\n"
            "  --seed N          weights, shuffling and dropout [1]\n"
            "  --no-shuffle      batches in the file's order every epoch (Keras\n"
            "                    shuffle=False); --shuffle: a new order every epoch (from\n"
            "                    the seed) [the model's recipe: file order for softmax-mnist\n"
            "                    and cnn-mnist, else shuffled; recorded in --save\n"
            "                    checkpoints, so --resume keeps it]\n"
            "  --shuffle-buffer N  tf.data-style shuffle instead of Keras' full shuffle:\n"
            "                    blocks of about 1 MiB of consecutive examples (at most N/8)\n"
            "                    in a shuffled order, through a buffer of N examples\n"
            "                    (deterministic per seed), for streamed data too slow to\n"
            "                    read in random order\n"
            "                    [off: the full shuffle]\n" GT_CLI_DATA_MEMORY_HELP
            "  --loss-log-epsilon X  the cross-entropy as notebook 004 writes it by hand,\n"
            "                    -log(softmax + X), whose gradient passes almost nothing for\n"
            "                    an example far below X; 0: the exact cross-entropy\n"
            "                    [the model's recipe: 1e-10 for softmax-mnist and cnn-mnist,\n"
            "                    else 0]\n"
            "  --preprocess P    auto, or none to drop the model's preprocessing layers\n"
            "  --history FILE    per-epoch CSV: epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
            "  --save FILE.h5    checkpoint at the end of every epoch (Keras 2 HDF5 weights\n"
            "                    layout plus gtrain's training state; written atomically)\n"
            "  --save-every N    also every N steps\n"
            "  --resume FILE.h5  continue the run saved in FILE.h5: model, optimizer, batch\n"
            "                    size, seed and data options come from the file; saves go\n"
            "                    back to it unless --save says otherwise\n"
            "%s%s",
            gt_cli_fit_extras_help, gt_cli_device_help);
}

static int parse_validation(const char *v, gt_fit_run *o)
{
    if (strcmp(v, "test") == 0)
        o->validation = GT_VAL_TEST;
    else if (strcmp(v, "none") == 0)
        o->validation = GT_VAL_NONE;
    else if (strncmp(v, "first:", 6) == 0 || strncmp(v, "last:", 5) == 0) {
        int first = v[0] == 'f';
        o->validation = first ? GT_VAL_FIRST : GT_VAL_LAST;
        return gt_cli_parse_int("--validation", v + (first ? 6 : 5), 1, 100000000,
                                &o->validation_count);
    } else {
        gt_cli_error(GT_EXIT_USAGE,
                     "--validation expects test, first:N, last:N or none, found '%s'", v);
        return 0;
    }
    return 1;
}

typedef struct fit_options {
    gt_fit_run run; /* what a checkpoint records */
    const char *model;
    const char *save, *resume;
    long batch_size, steps_per_epoch, save_every;
    gt_cli_fit_extras extras; /* optimizer, schedule, callbacks */
    double lr, momentum, loss_log_epsilon;
    int loss_log_epsilon_given;
    uint64_t seed;
    int seed_given;
    int strip_preprocessing;
    int shuffle; /* 1 --shuffle, -1 --no-shuffle, 0 the model's recipe */
    long shuffle_buffer;
    size_t data_memory; /* 0: the default */
    gt_cli_device_opts device;
} fit_options;

/* Returns -1 to continue, else the exit code. */
static int parse_args(int argc, char **argv, fit_options *o)
{
    gt_fit_run *r = &o->run;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int c = gt_cli_device_option(argc, argv, &i, &o->device);
        if (c < 0) return GT_EXIT_USAGE;
        if (c > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GT_EXIT_OK;
        }
        if (strcmp(a, "--no-shuffle") == 0 || strcmp(a, "--shuffle") == 0) {
            o->shuffle = a[2] == 'n' ? -1 : 1;
            continue;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
        const char *v = argv[++i];
        int ok = 1;
        if (strcmp(a, "--model") == 0)
            o->model = v;
        else if (strcmp(a, "--data") == 0)
            ok = gt_cli_check_data_spec(a, r->data = v);
        else if (strcmp(a, "--test-data") == 0)
            ok = gt_cli_check_data_spec(a, r->test_data = v);
        else if (strcmp(a, "--x-key") == 0)
            r->x_key = v;
        else if (strcmp(a, "--y-key") == 0)
            r->y_key = v;
        else if (strcmp(a, "--test-x-key") == 0)
            r->test_x_key = v;
        else if (strcmp(a, "--test-y-key") == 0)
            r->test_y_key = v;
        else if (strcmp(a, "--class-names") == 0)
            r->class_names = v;
        else if (strcmp(a, "--data-dir") == 0)
            r->data_dir = v;
        else if (strcmp(a, "--history") == 0)
            r->history = v;
        else if (strcmp(a, "--save") == 0)
            o->save = v;
        else if (strcmp(a, "--resume") == 0)
            o->resume = v;
        else if (strcmp(a, "--shuffle-buffer") == 0)
            ok = gt_cli_parse_int(a, v, 1, 2147483647L, &o->shuffle_buffer);
        else if (strcmp(a, "--data-memory") == 0)
            ok = gt_cli_parse_bytes(a, v, &o->data_memory);
        else if (strcmp(a, "--save-every") == 0)
            ok = gt_cli_parse_int(a, v, 1, 2147483647L, &o->save_every);
        else if (strcmp(a, "--epochs") == 0)
            ok = gt_cli_parse_int(a, v, 1, 1000000, &r->epochs);
        else if (strcmp(a, "--steps-per-epoch") == 0)
            ok = gt_cli_parse_int(a, v, 1, 1 << 30, &o->steps_per_epoch);
        else if (strcmp(a, "--batch-size") == 0)
            ok = gt_cli_parse_int(a, v, 1, 1 << 20, &o->batch_size);
        else if (strcmp(a, "--lr") == 0)
            ok = gt_cli_parse_float(a, v, 1e-12, 1e6, &o->lr);
        else if (strcmp(a, "--loss-log-epsilon") == 0)
            ok = (o->loss_log_epsilon_given =
                      gt_cli_parse_float(a, v, 0, 0.5, &o->loss_log_epsilon));
        else if (strcmp(a, "--momentum") == 0)
            ok = gt_cli_parse_float(a, v, 0, 0.999999, &o->momentum);
        else if (strcmp(a, "--seed") == 0)
            ok = (o->seed_given = gt_cli_parse_u64(a, v, &o->seed));
        else if (strcmp(a, "--validation") == 0)
            ok = parse_validation(v, r);
        else if (strcmp(a, "--optimizer") == 0)
            o->extras.optimizer = v;
        else if (strcmp(a, "--lr-schedule") == 0)
            o->extras.lr_schedule = v;
        else if (strcmp(a, "--early-stopping") == 0)
            o->extras.early_stopping = v;
        else if (strcmp(a, "--reduce-lr-on-plateau") == 0)
            o->extras.reduce_lr = v;
        else if (strcmp(a, "--model-checkpoint") == 0)
            o->extras.checkpoint = v;
        else if (strcmp(a, "--tensorboard") == 0)
            o->extras.tensorboard = v;
        else if (strcmp(a, "--tensorboard-update-freq") == 0)
            o->extras.tensorboard_freq = v;
        else if (strcmp(a, "--preprocess") == 0) {
            if (strcmp(v, "none") == 0)
                o->strip_preprocessing = 1;
            else if (strcmp(v, "auto") != 0)
                return gt_cli_error(GT_EXIT_USAGE, "--preprocess expects auto or none, found '%s'",
                                    v);
        } else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
        if (!ok) return GT_EXIT_USAGE;
    }
    if (o->resume &&
        (o->model || gt_cli_fit_extras_any(&o->extras) || o->lr > 0 || o->momentum > 0 ||
         o->batch_size > 0 || o->seed_given || o->strip_preprocessing || o->steps_per_epoch > 0 ||
         o->shuffle || o->shuffle_buffer > 0 || o->loss_log_epsilon_given))
        return gt_cli_error(GT_EXIT_USAGE,
                            "--resume continues the saved run with its own model, optimizer, "
                            "learning rate and schedule, callbacks, batch size, steps per epoch, "
                            "data order, loss and seed; drop --model, --optimizer, --lr, "
                            "--lr-schedule, --momentum, --early-stopping, --reduce-lr-on-plateau, "
                            "--model-checkpoint, --tensorboard, --batch-size, --steps-per-epoch, "
                            "--[no-]shuffle, --shuffle-buffer, --loss-log-epsilon, --seed and "
                            "--preprocess");
    if (o->shuffle_buffer > 0 && o->shuffle < 0)
        return gt_cli_error(GT_EXIT_USAGE,
                            "--shuffle-buffer shuffles; it contradicts --no-shuffle");
    if (o->save_every > 0 && !o->save && !o->resume)
        return gt_cli_error(GT_EXIT_USAGE, "--save-every needs --save FILE.h5");
    return -1;
}

/* Keras-style console output, the history file and checkpoints, driven by the trainer. */
typedef struct fit_reporter {
    gt_progress progress;
    int interactive;
    int line_open;
    double epoch_start;
    gt_history *history;
    gt_status history_status;
    const char *save;
    const char *run_info;
    const char *checkpoint; /* --model-checkpoint's spec, for its messages */
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

static gt_status on_step_end(void *user, gt_trainer *tr, int epoch, int step)
{
    (void)epoch;
    (void)step;
    fit_reporter *r = user; /* called every --save-every steps (step_end_every) */
    return r->save ? gt_checkpoint_save(tr, r->save, r->run_info) : GT_OK; /* rank 0 saves */
}

static gt_status on_epoch_end(void *user, gt_trainer *tr, const gt_epoch_logs *logs)
{
    fit_reporter *r = user;
    char metrics[256];
    gt_format_metrics(metrics, sizeof metrics, logs->loss, logs->accuracy, logs->val_loss,
                      logs->val_accuracy);
    gt_progress_end(&r->progress, logs->steps, logs->seconds, metrics);
    r->line_open = 0;
    gt_cli_fit_report_epoch(logs, r->checkpoint);
    if (r->history && r->history_status == GT_OK)
        r->history_status = gt_history_append(r->history, logs->epoch, logs->loss, logs->accuracy,
                                              logs->val_loss, logs->val_accuracy, logs->seconds);
    if (r->history_status != GT_OK) return r->history_status;
    /* after the history row: a resume truncates rows past the checkpoint's epoch */
    if (r->save) return gt_checkpoint_save(tr, r->save, r->run_info);
    return GT_OK;
}

/* After SIGINT/SIGTERM stopped the trainer: saves where it stopped (when
 * --save is given), says so and how to resume, and returns 130 or 143. */
static int report_stop(const fit_options *o, gt_trainer *tr, const char *run_info)
{
    int sig = gt_cli_signal_received();
    if (!gt_cli_is_leader()) return gt_cli_signal_exit_code(sig); /* rank 0 saves and says so */
    gt_train_state state;
    gt_trainer_get_state(tr, &state);
    char where[96];
    if (state.steps_done > 0)
        snprintf(where, sizeof where, "at epoch %d step %d", state.epochs_done + 1,
                 state.steps_done);
    else
        snprintf(where, sizeof where, "after epoch %d", state.epochs_done);
    if (!o->save) {
        fprintf(stderr,
                "gtrain: stopped by %s %s; nothing was saved (no --save), so the run cannot be "
                "resumed\n",
                gt_cli_signal_name(sig), where);
        return gt_cli_signal_exit_code(sig);
    }
    gt_status st = gt_checkpoint_save(tr, o->save, run_info);
    if (st != GT_OK) {
        gt_cli_status_error(st);
        fprintf(stderr, "gtrain: stopped by %s %s; the checkpoint could not be written\n",
                gt_cli_signal_name(sig), where);
        return gt_cli_signal_exit_code(sig);
    }
    char device[160] = "";
    const gt_cli_device_opts *d = &o->device;
    int n = snprintf(device, sizeof device, " --device %s", d->device);
    if (d->threads > 0 && n > 0 && (size_t)n < sizeof device)
        n += snprintf(device + n, sizeof device - (size_t)n, " --threads %d", d->threads);
    if (strcmp(d->precision, "auto") != 0 && n > 0 && (size_t)n < sizeof device)
        snprintf(device + n, sizeof device - (size_t)n, " --precision %s", d->precision);
    fprintf(stderr,
            "gtrain: stopped by %s %s; saved to %s\n"
            "gtrain: resume with: gtrain fit --resume %s --epochs %ld%s\n",
            gt_cli_signal_name(sig), where, o->save, o->save, o->run.epochs, device);
    return gt_cli_signal_exit_code(sig);
}

/* Builds the model and the training configuration, fresh or from --resume. */
static int prepare(fit_options *o, gt_model **model, gt_train_config *cfg, gt_checkpoint_info *info)
{
    gt_status st;
    if (o->resume) {
        if ((st = gt_checkpoint_read_info(o->resume, info)) != GT_OK ||
            (st = gt_checkpoint_load_model(o->resume, model)) != GT_OK)
            return gt_cli_status_error(st);
        if (!info->has_state)
            return gt_cli_error(GT_EXIT_RUNTIME,
                                "%s holds no gtrain training state (/gtrain_state): it cannot be "
                                "resumed; use it with 'gtrain evaluate --weights'",
                                o->resume);
        int code = gt_fit_run_merge(&o->run, info->run_info, o->resume, 1);
        if (code != GT_EXIT_OK) return code;
        *cfg = info->config;
        if (!o->save) o->save = o->resume;
        return GT_EXIT_OK;
    }
    if ((st = gt_cli_load_model(o->model, model)) != GT_OK) return gt_cli_model_error(o->model, st);
    if (o->strip_preprocessing && (st = gt_model_strip_preprocessing(*model)) != GT_OK)
        return gt_cli_status_error(st);
    const gt_recipe *recipe = gt_model_recipe(*model);
    gt_fit_run *r = &o->run;
    if (!r->data) {
        if (strcmp(recipe->dataset, "fashion-mnist") != 0 && strcmp(recipe->dataset, "mnist") != 0)
            return gt_cli_error(GT_EXIT_USAGE,
                                "model '%s' trains on '%s', which is read from HDF5: pass --data "
                                "hdf5:FILE.h5 (SIGNS: --data hdf5:train_signs.h5 --test-data "
                                "hdf5:test_signs.h5)",
                                gt_model_name(*model), recipe->dataset);
        r->data = recipe->dataset;
    }
    if (r->validation < 0) {
        r->validation = recipe->validation;
        r->validation_count = recipe->validation_count;
    }
    if (r->epochs <= 0) r->epochs = recipe->epochs;
    *cfg = gt_train_config_for(*model);
    if (o->batch_size > 0) cfg->batch_size = (int)o->batch_size;
    cfg->steps_per_epoch = (int)o->steps_per_epoch;
    if (o->shuffle) cfg->order = o->shuffle < 0 ? GT_ORDER_FILE : GT_ORDER_SHUFFLED;
    if (o->shuffle_buffer > 0) {
        if (cfg->order == GT_ORDER_FILE)
            return gt_cli_error(GT_EXIT_USAGE,
                                "--shuffle-buffer shuffles, but model '%s' trains in file order "
                                "by default: add --shuffle",
                                gt_model_name(*model));
        cfg->shuffle_buffer = (int)o->shuffle_buffer;
    }
    if (o->loss_log_epsilon_given) cfg->loss_log_epsilon = (float)o->loss_log_epsilon;
    if (o->momentum > 0) {
        if (cfg->optimizer != GT_OPT_SGD &&
            !(o->extras.optimizer && strncasecmp(o->extras.optimizer, "sgd", 3) == 0))
            return gt_cli_error(GT_EXIT_USAGE, "--momentum applies to --optimizer sgd");
    }
    int code = gt_cli_fit_optimizer(&o->extras, o->lr, cfg);
    if (code != GT_EXIT_OK) return code;
    if (o->momentum > 0) cfg->momentum = (float)o->momentum;
    cfg->seed = o->seed;
    return GT_EXIT_OK;
}

int gt_cli_fit(int argc, char **argv)
{
    fit_options o;
    memset(&o, 0, sizeof o);
    gt_fit_run_init(&o.run);
    o.model = NULL;
    o.seed = 1;
    o.device.device = "auto";
    o.device.precision = "auto";
    int code = parse_args(argc, argv, &o);
    if (code >= 0) return code;
    if (!o.model) o.model = "cnn-fmnist";
    if (o.resume) o.model = NULL;

    gt_model *model = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_fit_data data = {0};
    gt_checkpoint_info info;
    memset(&info, 0, sizeof info);
    char *run_info = NULL;
    fit_reporter rep;
    memset(&rep, 0, sizeof rep);
    gt_train_config cfg;
    gt_status st = GT_OK;
    if ((code = prepare(&o, &model, &cfg, &info)) != GT_EXIT_OK) goto done;
    cfg.cuda_graph = o.device.cuda_graph;
    code = GT_EXIT_RUNTIME;
    /* a checkpoint that cannot be written is found now, not after an epoch */
    int leader = gt_cli_is_leader(); /* rank 0 alone writes files */
    if (leader && o.save && (st = gt_checkpoint_check_target(o.save)) != GT_OK) goto fail;
    gt_cli_budget budget;
    gt_cli_budget_init(&budget, cfg.batch_size);
    budget.shuffle_buffer = cfg.order == GT_ORDER_FILE ? 0 : cfg.shuffle_buffer;
    if (o.data_memory) {
        budget.bytes = o.data_memory;
        budget.given = 1;
    }
    if ((st = gt_fit_data_load(&o.run, &budget, &data)) != GT_OK) goto fail;
    char train_data[160];
    /* a resumed run compares the kind of fingerprint it saved */
    int sampled = o.resume && o.run.train_data
                      ? gt_fit_data_fingerprint_is_sampled(o.run.train_data)
                      : gt_dataset_is_streamed(data.train);
    if ((st = gt_fit_data_fingerprint(data.train, sampled, train_data, sizeof train_data)) != GT_OK)
        goto fail;
    if (o.resume && o.run.train_data && strcmp(o.run.train_data, train_data) != 0) {
        code = gt_cli_error(GT_EXIT_RUNTIME,
                            "%s was saved by a run training on %s; the data given now (%s) is "
                            "%s: resume with the same --data and --validation, or start a new "
                            "run",
                            o.resume, o.run.train_data, o.run.data, train_data);
        goto done;
    }
    o.run.train_data = train_data;
    if ((st = gt_fit_run_to_json(&o.run, &run_info)) != GT_OK) goto fail;
    if ((code = gt_cli_open_backend(&o.device, &be)) != GT_EXIT_OK) goto done;
    if ((st = gt_trainer_create(model, be, &cfg, &tr)) != GT_OK ||
        (st = gt_cli_data_parallel(&o.device, be, tr)) != GT_OK ||
        (st = gt_trainer_check_data(tr, data.train)) != GT_OK ||
        (st = gt_trainer_set_run_info(tr, run_info)) != GT_OK)
        goto fail;
    if (!o.resume) {
        char *callbacks = NULL;
        if ((code = gt_cli_fit_callbacks_json(&o.extras, &callbacks)) != GT_EXIT_OK) goto done;
        st = gt_trainer_set_callbacks(tr, callbacks);
        free(callbacks);
        if (st == GT_OK) st = gt_trainer_check_callbacks(tr, data.val != NULL);
        if (st != GT_OK) {
            code = st == GT_ERR_INVALID_ARGUMENT
                       ? gt_cli_error(GT_EXIT_USAGE, "%s", gt_last_error())
                       : gt_cli_status_error(st);
            goto done;
        }
        code = GT_EXIT_RUNTIME;
    }
    int first_epoch = 1;
    if (!o.resume && gt_cli_names_h5(o.model)) {
        /* the file's weights are the starting point (transfer learning) */
        if ((st = gt_checkpoint_restore(tr, o.model, 0)) != GT_OK) goto fail;
        fprintf(stderr, "gtrain: starting from the weights of %s\n", o.model);
    }
    if (o.resume) {
        if ((st = gt_checkpoint_restore(tr, o.resume, 1)) != GT_OK) goto fail;
        first_epoch = info.state.epochs_done + 1;
        if (!leader)
            ;
        else if (info.state.steps_done)
            fprintf(stderr, "gtrain: resuming %s at epoch %d step %d (mid-epoch)\n", o.resume,
                    info.state.epochs_done + 1, info.state.steps_done);
        else
            fprintf(stderr, "gtrain: resuming %s after epoch %d\n", o.resume,
                    info.state.epochs_done);
    }
    if (leader && o.run.history &&
        (st = gt_history_open(o.run.history, first_epoch, &rep.history)) != GT_OK)
        goto fail;
    char order[96];
    if (cfg.order == GT_ORDER_FILE)
        snprintf(order, sizeof order, "file order");
    else if (cfg.shuffle_buffer > 0)
        snprintf(order, sizeof order, "shuffle buffer of %d examples", cfg.shuffle_buffer);
    else
        snprintf(order, sizeof order, "shuffled");
    char reshaped[160];
    gt_cli_describe_reshape(model, data.train, reshaped, sizeof reshaped);
    char ranks[96] = "";
    int size = gt_dist_size(gt_cli_dist()), buckets = gt_trainer_reduce_buckets(tr);
    if (size > 1 && buckets > 0)
        snprintf(ranks, sizeof ranks, " over %d ranks (gradients summed in %d bucket%s)", size,
                 buckets, buckets == 1 ? "" : "s");
    else if (size > 1)
        snprintf(ranks, sizeof ranks, " over %d ranks", size);
    if (leader)
        fprintf(stderr,
                "gtrain: %s on %s (%zu training, %zu validation examples), batch %d%s, %s, %s, "
                "%s%s; data: %s\n",
                gt_model_name(model), o.run.data, gt_dataset_count(data.train),
                data.val ? gt_dataset_count(data.val) : (size_t)0, cfg.batch_size, ranks, order,
                gt_optimizer_name(cfg.optimizer), be->describe(be), reshaped, budget.choices);

    rep.interactive = gt_progress_stream_is_terminal(stdout);
    rep.save = leader ? o.save : NULL;
    rep.run_info = run_info;
    rep.checkpoint = o.extras.checkpoint;
    gt_fit_callbacks cb = {&rep,
                           on_epoch_begin,
                           on_step,
                           o.save_every > 0 ? on_step_end : NULL,
                           on_epoch_end,
                           (int)o.save_every,
                           gt_cli_stop_requested};
    gt_cli_signals_install();
    st = gt_trainer_fit(tr, data.train, data.val, (int)o.run.epochs, &cb);
    if (rep.line_open) gt_progress_interrupt(&rep.progress); /* before any error message */
    if (st != GT_OK) goto fail;
    if (rep.history_status != GT_OK) {
        st = rep.history_status;
        goto fail;
    }
    if (gt_cli_signal_received()) {
        code = report_stop(&o, tr, run_info);
        goto done;
    }
    gt_cli_signals_restore();
    gt_callbacks_report cbr;
    gt_trainer_callbacks_report(tr, &cbr);
    if (o.resume && cbr.stopped_epoch > 0 && cbr.stopped_epoch == info.state.epochs_done)
        fprintf(stderr,
                "gtrain: %s: EarlyStopping ended this run after epoch %d; nothing to "
                "resume\n",
                o.resume, cbr.stopped_epoch);
    if (cbr.weights_restored) {
        printf("Restoring model weights from the end of the best epoch: %d.\n", cbr.best_epoch);
        /* the checkpoint holds what the run ends with */
        if (rep.save && (st = gt_checkpoint_save(tr, rep.save, run_info)) != GT_OK) goto fail;
    }
    if (data.test && data.test != data.val) {
        double loss, acc;
        if ((st = gt_trainer_evaluate(tr, data.test, &loss, &acc)) != GT_OK) goto fail;
        printf("test: loss: %.4f - accuracy: %.4f\n", loss, acc);
    }
    code = GT_EXIT_OK;
    goto done;
fail:
    code = gt_cli_status_error(st);
done:
    gt_cli_signals_restore();
    if (rep.history) {
        gt_status hs = gt_history_close(rep.history);
        if (hs != GT_OK && code == GT_EXIT_OK) code = gt_cli_status_error(hs);
    }
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_fit_data_free(&data);
    gt_model_free(model);
    free(run_info);
    free(info.run_info);
    free(info.callbacks);
    gt_fit_run_free(&o.run);
    return code;
}
