/* gtrain evaluate: Keras' model.evaluate() line for saved weights. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli_trained.h"
#include "gtrain/clock.h"
#include "gtrain/dist.h"
#include "gtrain/progress.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: gtrain evaluate --weights FILE.h5 [--model M] [--data D] [--split test|train]\n"
            "                       [--batch-size N] [--device auto|cpu|cuda]\n\n"
            "Prints the loss and accuracy of saved weights on a dataset as Keras'\n"
            "model.evaluate() does:\n"
            "  313/313 [==============================] - 1s 3ms/step - loss: 0.3100 - accuracy: "
            "0.8900\n"
            "%s%s%s",
            gt_cli_trained_help, gt_cli_trained_stream_help, gt_cli_device_help);
}

int gt_cli_evaluate(int argc, char **argv)
{
    gt_cli_trained t;
    gt_cli_trained_init(&t);
    t.stream_ok = 1;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return GT_EXIT_OK;
        }
        int c = gt_cli_trained_option(argc, argv, &i, &t);
        if (c < 0) return GT_EXIT_USAGE;
        if (c == 0) {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", argv[i]);
        }
    }
    int code = gt_cli_trained_open(&t);
    gt_status dist_st = code == GT_EXIT_OK ? gt_trainer_set_dist(t.tr, gt_cli_dist()) : GT_OK;
    if (dist_st != GT_OK) code = gt_cli_status_error(dist_st);
    if (code == GT_EXIT_OK) {
        long steps =
            (long)((gt_dataset_count(t.ds) + (size_t)t.batch_size - 1) / (size_t)t.batch_size);
        gt_progress p;
        gt_progress_begin(&p, stdout, steps, false);
        double start = gt_now_seconds(), loss = 0, acc = 0;
        gt_status st = gt_trainer_evaluate(t.tr, t.ds, &loss, &acc);
        if (st != GT_OK) {
            code = gt_cli_status_error(st);
        } else {
            char metrics[256];
            gt_format_metrics(metrics, sizeof metrics, loss, acc, NAN, NAN);
            gt_progress_end(&p, steps, gt_now_seconds() - start, metrics);
        }
    }
    gt_cli_trained_close(&t);
    return code;
}
