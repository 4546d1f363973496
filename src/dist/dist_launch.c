/* What needs no MPI: the launcher's world from its environment, the world's
 * numbers, each rank's share of a batch, the GPU of a local rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist_internal.h"
#include "gtrain/status.h"

/* A non-negative integer environment variable, else -1. */
static int env_int(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) return -1;
    char *end = NULL;
    long x = strtol(v, &end, 10);
    return *end || x < 0 || x > 1 << 24 ? -1 : (int)x;
}

void gt_dist_launcher_world(int *launched, int *size, int *rank)
{
    /* Open MPI's mpirun, PMI (MPICH's hydra, srun --mpi=pmi2), MVAPICH;
     * PMIx (srun --mpi=pmix) sets the rank alone */
    static const char *const sizes[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE"};
    static const char *const ranks[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK",
                                        "PMIX_RANK"};
    *launched = 0;
    *size = 0;
    *rank = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && *size == 0; ++i) {
        int v = env_int(sizes[i]);
        if (v > 0) {
            *size = v;
            *launched = 1;
        }
    }
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; ++i) {
        int v = env_int(ranks[i]);
        if (v >= 0) {
            *rank = v;
            *launched = 1;
            break;
        }
    }
}

/* The world's numbers (NULL: one rank), the same in every build. */
int gt_dist_rank(const gt_dist *d)
{
    return d ? d->rank : 0;
}
int gt_dist_size(const gt_dist *d)
{
    return d ? d->size : 1;
}
int gt_dist_local_rank(const gt_dist *d)
{
    return d ? d->local_rank : 0;
}

void gt_dist_share(int n, int rank, int size, int *first, int *count)
{
    int base = n / size, extra = n % size;
    *first = rank * base + (rank < extra ? rank : extra);
    *count = base + (rank < extra);
}

gt_status gt_dist_choose_gpu(const gt_dist *d)
{
    if (gt_dist_size(d) <= 1 || getenv("GTRAIN_CUDA_DEVICE")) return GT_OK;
    char v[16];
    snprintf(v, sizeof v, "%d", gt_dist_local_rank(d));
    if (setenv("GTRAIN_CUDA_DEVICE", v, 1) != 0)
        return gt_fail(GT_ERR_INTERNAL, "rank %d: setenv(GTRAIN_CUDA_DEVICE) failed",
                       gt_dist_rank(d));
    return GT_OK;
}
