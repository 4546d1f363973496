/* Internal to src/dist: the world of one process and the NCCL pieces. */
#ifndef GT_DIST_INTERNAL_H
#define GT_DIST_INTERNAL_H

#include "gtrain/dist.h"

#ifdef GTRAIN_HAVE_MPI
#include <mpi.h>
#endif

typedef struct gt_nccl gt_nccl;

/* Host bucket sums in flight at once; more wait for the oldest. */
#define GT_DIST_MAX_PENDING 64

struct gt_dist {
    int rank, size, local_rank;
    int mpi_initialized; /* this process called MPI_Init (and finalizes) */
#ifdef GTRAIN_HAVE_MPI
    MPI_Comm comm; /* a duplicate of MPI_COMM_WORLD with MPI_ERRORS_RETURN */
#endif
    int *counts, *displs; /* per rank, for MPI_Allgatherv (allocated with the world) */
#ifdef GTRAIN_HAVE_MPI
    /* the sums gt_dist_reduce_start began on the host (the oldest is waited
     * for when all are in flight) */
    MPI_Request pending[GT_DIST_MAX_PENDING];
#endif
    int n_pending;
    gt_nccl *nccl;       /* the GPU communicator (dist_nccl.c), NULL when none */
    gt_backend *nccl_be; /* the backend whose stream it runs on */
};

#ifdef GTRAIN_HAVE_CUDA
/* dist_nccl.c: the communicator over d's ranks for the CUDA backend be, and
 * the in-place sum on be's stream; NCCL's asynchronous errors are polled
 * with a bound, so a rank that died ends the others instead of a hang. */
gt_status gt_nccl_open(gt_dist *d, gt_backend *be);
gt_status gt_nccl_allreduce(gt_dist *d, float *buf, size_t count);
/* A bucket's sum on the NCCL stream after the compute stream's work so far;
 * then the compute stream's wait for every such sum. */
gt_status gt_nccl_reduce_start(gt_dist *d, float *buf, size_t count);
gt_status gt_nccl_reduce_wait(gt_dist *d);
/* be's compute stream finished, polled with NCCL's error and the timeout. */
gt_status gt_nccl_synchronize(gt_dist *d);
void gt_nccl_close(gt_dist *d);
#endif

/* dist_watch.c: polls `done` until it says 1, `failed` (may be NULL) until
 * it returns an error, or timeout_s seconds pass: then `on_timeout` (may be
 * NULL; e.g. abort the communicator) and a GT_ERR_DEVICE naming the rank
 * and `what`. Sleeps a little between polls after the first ones. */
typedef struct gt_dist_poll {
    gt_status (*done)(void *ctx, int *is_done);
    gt_status (*failed)(void *ctx);
    void (*on_timeout)(void *ctx);
    void *ctx;
} gt_dist_poll;
gt_status gt_dist_poll_until(const gt_dist *d, const gt_dist_poll *p, double timeout_s,
                             const char *what);

#endif
