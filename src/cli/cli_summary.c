/* gtrain summary: Keras' model.summary() for a zoo model, a JSON file or an .h5. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: gtrain summary --model NAME|FILE.json|FILE.h5 [--preprocess auto|none]\n"
                 "       gtrain summary --list\n\n"
                 "Prints the layer table and the parameter counts, as Keras' model.summary(),\n"
                 "then the training recipe 'gtrain fit' uses by default (data, optimizer and\n"
                 "learning rate, batch size, epochs, loss reduction, shuffle, validation,\n"
                 "preprocessing): the notebook's, for a zoo model; Keras' defaults for a\n"
                 "JSON file.\n"
                 "  --list         print the zoo's model names, one per line\n"
                 "  --model        a zoo model (");
    const char *const *names = gt_zoo_names();
    for (int i = 0; names[i]; ++i)
        fprintf(out, "%s%s", i ? ", " : "", names[i]);
    fprintf(out, "), a Keras model JSON file, or a Keras or gtrain .h5 (its\n"
                 "                 model_config)\n"
                 "  --preprocess   none drops the model's leading preprocessing layers\n");
}

int gt_cli_summary(int argc, char **argv)
{
    const char *model_name = NULL;
    int strip = 0;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return GT_EXIT_OK;
        } else if (strcmp(argv[i], "--list") == 0) {
            /* for scripts (gpu_check.sh): the zoo table, never a copy of it */
            for (const char *const *n = gt_zoo_names(); *n; ++n)
                printf("%s\n", *n);
            return GT_EXIT_OK;
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            model_name = argv[++i];
        } else if (strcmp(argv[i], "--preprocess") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "none") == 0)
                strip = 1;
            else if (strcmp(v, "auto") != 0)
                return gt_cli_error(GT_EXIT_USAGE, "--preprocess expects auto or none, found '%s'",
                                    v);
        } else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!model_name) {
        usage(stderr);
        return gt_cli_error(GT_EXIT_USAGE, "summary needs --model");
    }
    gt_model *model = NULL;
    gt_status st = gt_cli_load_model(model_name, &model);
    if (st != GT_OK) return gt_cli_model_error(model_name, st);
    if (strip) st = gt_model_strip_preprocessing(model);
    if (st == GT_OK) st = gt_model_summary(model, stdout);
    if (st == GT_OK) st = gt_model_recipe_summary(model, stdout);
    gt_model_free(model);
    return st == GT_OK ? GT_EXIT_OK : gt_cli_status_error(st);
}
