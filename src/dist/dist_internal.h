/* Internal to src/dist: the world of one process and the NCCL pieces. */
#ifndef GT_DIST_INTERNAL_H
#define GT_DIST_INTERNAL_H

#include "gtrain/dist.h"

#ifdef GTRAIN_HAVE_MPI
#include <mpi.h>
#endif

typedef struct gt_nccl gt_nccl;

struct gt_dist {
    int rank, size, local_rank;
    int mpi_initialized; /* this process called MPI_Init (and finalizes) */
#ifdef GTRAIN_HAVE_MPI
    MPI_Comm comm; /* a duplicate of MPI_COMM_WORLD with MPI_ERRORS_RETURN */
#endif
    int *counts, *displs; /* per rank, for MPI_Allgatherv (allocated with the world) */
    gt_nccl *nccl;        /* the GPU communicator (dist_nccl.c), NULL when none */
    gt_backend *nccl_be;  /* the backend whose stream it runs on */
};

#ifdef GTRAIN_HAVE_CUDA
/* dist_nccl.c: the communicator over d's ranks for the CUDA backend be, and
 * the in-place sum on be's stream; NCCL's asynchronous errors are polled
 * with a bound, so a rank that died ends the others instead of a hang. */
gt_status gt_nccl_open(gt_dist *d, gt_backend *be);
gt_status gt_nccl_allreduce(gt_dist *d, float *buf, size_t count);
void gt_nccl_close(gt_dist *d);
#endif

#endif
