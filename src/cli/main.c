/* gtrain: command-line entry point; dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct gt_subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} gt_subcommand;

static const gt_subcommand subcommands[] = {
    {"summary", gt_cli_summary, "print a model's layer table and parameter counts"},
    {"fit", gt_cli_fit, "train a model on a dataset (Keras-style progress and history)"},
    {"bench", gt_cli_bench, "time full training steps against batch size"},
    {"evaluate", gt_cli_evaluate, "loss and accuracy of saved weights (.h5) on a dataset"},
    {"predict", gt_cli_predict, "class probabilities of examples from saved weights (.h5)"},
    {"activations", gt_cli_activations, "draw one example's layer outputs as PNG grids"},
    {"convert", gt_cli_convert, "rewrite Keras .h5 weights as a gtrain checkpoint"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: gtrain <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; ++i)
        fprintf(out, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out,
            "\nRun 'gtrain <command> --help' for a command's options.\n"
            "gtrain %s\n",
            GTRAIN_VERSION_STRING);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GT_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return GT_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("gtrain %s\n", GTRAIN_VERSION_STRING);
        return GT_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; ++i)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    return gt_cli_error(GT_EXIT_USAGE, "unknown command '%s' (try 'gtrain --help')", argv[1]);
}
