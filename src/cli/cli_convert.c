/* gtrain convert: rewrites saved weights (a Keras 2 model.save() or
 * save_weights() file, or a gtrain checkpoint) as a gtrain checkpoint: the
 * Keras full-model layout with model_config, which `gtrain fit --resume`
 * (fine-tuning from epoch 1), evaluate and predict read without --model. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_device.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: gtrain convert --weights IN.h5 --save OUT.h5 [--model NAME|FILE.json]\n\n"
                 "Reads Keras-layout weights (conv kernels HWIO, transposed to gtrain's OHWI) and\n"
                 "writes them back as a gtrain checkpoint in Keras 2's model.save() layout.\n"
                 "  --weights IN.h5   Keras model.save() or save_weights() file, or a checkpoint\n"
                 "  --model M         the architecture, needed for a save_weights() file\n"
                 "  --save OUT.h5     the checkpoint to write (atomically)\n");
}

int gt_cli_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *model_option = NULL;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return GT_EXIT_OK;
        }
        if (i + 1 < argc && strcmp(a, "--weights") == 0)
            in = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--save") == 0)
            out = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--model") == 0)
            model_option = argv[++i];
        else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
    }
    if (!in || !out)
        return gt_cli_error(GT_EXIT_USAGE, "convert needs --weights IN.h5 and --save OUT.h5");
    gt_model *model = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_status st = gt_cli_load_trained_model(in, model_option, &model);
    if (st == GT_OK) st = gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be);
    gt_train_config cfg = gt_train_config_for(model);
    if (st == GT_OK) st = gt_trainer_create(model, be, &cfg, &tr);
    if (st == GT_OK) st = gt_checkpoint_restore(tr, in, 0);
    if (st == GT_OK) st = gt_checkpoint_save(tr, out, NULL);
    int code = st == GT_OK ? GT_EXIT_OK : gt_cli_status_error(st);
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_model_free(model);
    return code;
}
