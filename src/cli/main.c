/* gtrain: command-line entry point; dispatches to the subcommands. Under
 * mpirun or srun each process is one rank of a data-parallel run: rank 0
 * alone prints to stdout, and a rank that fails ends them all. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gtrain/dist.h"

static gt_dist *cli_dist;

gt_dist *gt_cli_dist(void)
{
    return cli_dist;
}

int gt_cli_is_leader(void)
{
    return gt_dist_rank(cli_dist) == 0;
}

typedef struct gt_subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    int parallel; /* runs data-parallel under mpirun; the others refuse more than one rank */
} gt_subcommand;

static const gt_subcommand subcommands[] = {
    {"summary", gt_cli_summary, "print a model's layer table and parameter counts", 0},
    {"fit", gt_cli_fit, "train a model on a dataset (Keras-style progress and history)", 1},
    {"bench", gt_cli_bench, "time full training steps against batch size", 1},
    {"evaluate", gt_cli_evaluate, "loss and accuracy of saved weights (.h5) on a dataset", 1},
    {"predict", gt_cli_predict, "class probabilities of examples from saved weights (.h5)", 0},
    {"activations", gt_cli_activations, "draw one example's layer outputs as PNG grids", 0},
    {"convert", gt_cli_convert, "rewrite Keras .h5 weights as a gtrain checkpoint", 0},
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
#ifdef GTRAIN_HAVE_MPI
        const char *mpi = "yes";
#else
        const char *mpi = "no";
#endif
        printf("gtrain %s\ndata-parallel over MPI: %s\n", GTRAIN_VERSION_STRING, mpi);
        return GT_EXIT_OK;
    }
    const gt_subcommand *sub = NULL;
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; ++i)
        if (strcmp(argv[1], subcommands[i].name) == 0) sub = &subcommands[i];
    if (!sub)
        return gt_cli_error(GT_EXIT_USAGE, "unknown command '%s' (try 'gtrain --help')", argv[1]);
    gt_status st = gt_dist_init(&cli_dist);
    if (st == GT_OK) st = gt_dist_choose_gpu(cli_dist);
    if (st != GT_OK) {
        int code = gt_cli_status_error(st);
        gt_dist_finalize(cli_dist);
        return code;
    }
    if (!sub->parallel && gt_dist_size(cli_dist) > 1) {
        int code = gt_cli_error(GT_EXIT_USAGE,
                                "'gtrain %s' runs in one process; only fit, evaluate and bench "
                                "run over several ranks (started here with %d)",
                                sub->name, gt_dist_size(cli_dist));
        gt_dist_finalize(cli_dist);
        return code;
    }
    /* the other ranks compute the same results: rank 0 alone shows them */
    if (!gt_cli_is_leader() && !freopen("/dev/null", "w", stdout))
        return gt_cli_error(GT_EXIT_RUNTIME, "rank %d: cannot silence stdout",
                            gt_dist_rank(cli_dist));
    int code = sub->run(argc - 1, argv + 1);
    /* after SIGINT/SIGTERM (128 + N) every rank stopped at the same step
     * and rank 0 saves: an abort would kill that save */
    if (code != GT_EXIT_OK && code < 128 && gt_dist_size(cli_dist) > 1) {
        /* the others may be waiting in an all-reduce this rank never joins */
        fflush(stdout);
        fprintf(stderr, "gtrain: rank %d of %d exits with code %d: stopping every rank\n",
                gt_dist_rank(cli_dist), gt_dist_size(cli_dist), code);
        gt_dist_abort(cli_dist, code);
    }
    gt_dist_finalize(cli_dist);
    cli_dist = NULL;
    return code;
}
