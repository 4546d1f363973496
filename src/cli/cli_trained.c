/* Opening saved weights for evaluate and predict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_fit_run.h"
#include "cli_trained.h"
#include "gtrain/status.h"

const char gt_cli_trained_help[] =
    "  --weights FILE.h5 a gtrain checkpoint or a Keras 2 .h5 (model.save or save_weights)\n"
    "  --model M         the architecture, for a weights-only file [the file's model_config]\n"
    "  --data D          fashion-mnist, mnist or hdf5:FILE.h5 [the saved run's test set,\n"
    "                    else fashion-mnist]\n"
    "  --split S         test or train, for fashion-mnist and mnist [test]\n"
    "  --x-key K, --y-key K  image and label datasets of an HDF5 file [its *_x/*_y pair]\n"
    "  --class-names A,B,...  class names [the dataset's]\n" GT_CLI_DATA_DIR_HELP
    "  --batch-size N    examples per batch [32]\n";

const char gt_cli_trained_stream_help[] = GT_CLI_DATA_MEMORY_HELP;

void gt_cli_trained_init(gt_cli_trained *t)
{
    memset(t, 0, sizeof *t);
    t->split = "test";
    t->batch_size = 32;
    t->device.device = "auto";
    t->device.precision = "auto";
}

int gt_cli_trained_option(int argc, char **argv, int *i, gt_cli_trained *t)
{
    int c = gt_cli_device_option(argc, argv, i, &t->device);
    if (c != 0) return c;
    const char *a = argv[*i];
    static const char *const known[] = {
        "--weights", "--model",       "--data",     "--x-key",      "--y-key",
        "--split",   "--class-names", "--data-dir", "--batch-size", "--data-memory"};
    int which = -1;
    for (int k = 0; k < (int)(sizeof known / sizeof known[0]); ++k)
        if (strcmp(a, known[k]) == 0) which = k;
    if (which < 0) return 0;
    if (*i + 1 >= argc) {
        gt_cli_error(GT_EXIT_USAGE, "%s needs a value", a);
        return -1;
    }
    const char *v = argv[++*i];
    switch (which) {
    case 0:
        t->weights = v;
        break;
    case 1:
        t->model = v;
        break;
    case 2:
        t->data = v;
        return gt_cli_check_data_spec(a, v) ? 1 : -1;
    case 3:
        t->x_key = v;
        break;
    case 4:
        t->y_key = v;
        break;
    case 5:
        if (strcmp(v, "test") != 0 && strcmp(v, "train") != 0) {
            gt_cli_error(GT_EXIT_USAGE, "--split expects test or train, found '%s'", v);
            return -1;
        }
        t->split = v;
        break;
    case 6:
        t->where.class_names = v;
        break;
    case 7:
        t->where.data_dir = v;
        break;
    case 9:
        if (!t->stream_ok) {
            gt_cli_error(GT_EXIT_USAGE, "--data-memory applies to fit, evaluate and predict");
            return -1;
        }
        return gt_cli_parse_bytes(a, v, &t->data_memory) ? 1 : -1;
    default:
        return gt_cli_parse_int(a, v, 1, 1 << 20, &t->batch_size) ? 1 : -1;
    }
    return 1;
}

/* The saved run's test set (from its run_info), when the file records one. */
static gt_status load_default_data(gt_cli_trained *t)
{
    gt_checkpoint_info info;
    gt_fit_run run;
    gt_fit_run_init(&run);
    gt_status st = gt_checkpoint_read_info(t->weights, &info);
    if (st != GT_OK) return st;
    if (info.run_info && gt_fit_run_merge(&run, info.run_info, t->weights, 0) != GT_EXIT_OK)
        run.data = NULL;
    free(info.run_info);
    if (!t->where.data_dir) t->where.data_dir = run.data_dir;
    if (run.test_data) {
        fprintf(stderr, "gtrain: data: %s (the saved run's test set)\n", run.test_data);
        st = gt_cli_load_dataset(&t->where, run.test_data, "test", run.test_x_key, run.test_y_key,
                                 &t->ds);
    } else if (run.data) {
        fprintf(stderr, "gtrain: data: %s (%s, the saved run's data)\n", run.data, t->split);
        st = gt_cli_load_dataset(&t->where, run.data, t->split, run.x_key, run.y_key, &t->ds);
    } else {
        st = gt_cli_load_dataset(&t->where, "fashion-mnist", t->split, NULL, NULL, &t->ds);
    }
    gt_fit_run_free(&run);
    return st;
}

int gt_cli_trained_open(gt_cli_trained *t)
{
    if (!t->weights) return gt_cli_error(GT_EXIT_USAGE, "--weights FILE.h5 is required");
    gt_status st = gt_cli_load_trained_model(t->weights, t->model, &t->m);
    if (t->stream_ok) {
        gt_cli_budget_init(&t->budget, (int)t->batch_size);
        if (t->data_memory) {
            t->budget.bytes = t->data_memory;
            t->budget.given = 1;
        }
        t->where.budget = &t->budget;
        t->where.role = "dataset";
    }
    if (st == GT_OK)
        st = t->data ? gt_cli_load_dataset(&t->where, t->data, t->split, t->x_key, t->y_key, &t->ds)
                     : load_default_data(t);
    if (st == GT_OK && t->stream_ok) {
        st = gt_cli_budget_finish(&t->budget);
        if (st == GT_OK) fprintf(stderr, "gtrain: data: %s\n", t->budget.choices);
    }
    if (st != GT_OK) return gt_cli_status_error(st);
    int code = gt_cli_open_backend(&t->device, &t->be);
    if (code != GT_EXIT_OK) return code;
    gt_train_config cfg = gt_train_config_for(t->m);
    cfg.batch_size = (int)t->batch_size;
    if ((st = gt_trainer_create(t->m, t->be, &cfg, &t->tr)) != GT_OK ||
        (st = gt_trainer_check_data(t->tr, t->ds)) != GT_OK ||
        (st = gt_checkpoint_restore(t->tr, t->weights, 0)) != GT_OK)
        return gt_cli_status_error(st);
    char reshaped[160];
    gt_cli_describe_reshape(t->m, t->ds, reshaped, sizeof reshaped);
    if (reshaped[0]) fprintf(stderr, "gtrain: data: %s\n", reshaped + 2);
    return GT_EXIT_OK;
}

void gt_cli_trained_close(gt_cli_trained *t)
{
    gt_trainer_destroy(t->tr);
    gt_backend_destroy(t->be);
    gt_dataset_free(t->ds);
    gt_model_free(t->m);
    t->tr = NULL;
    t->be = NULL;
    t->ds = NULL;
    t->m = NULL;
}
