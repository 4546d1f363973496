/* A build without MPI: always one rank. Started by a launcher with more
 * ranks, it refuses, since N copies would each train the whole model alone. */
#include <stdlib.h>

#include "dist_internal.h"
#include "gtrain/status.h"

gt_status gt_dist_init(gt_dist **out)
{
    *out = NULL;
    int launched = 0, size = 0, rank = 0;
    gt_dist_launcher_world(&launched, &size, &rank);
    if (launched && (size > 1 || rank > 0))
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "started as rank %d of %d by an MPI launcher, but this gtrain was built "
                       "without MPI: each rank would train its own copy. Rebuild with "
                       "libopenmpi-dev installed (-DGTRAIN_MPI=ON), or run one process",
                       rank, size > 0 ? size : rank + 1);
    gt_dist *d = calloc(1, sizeof *d);
    if (!d) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    d->size = 1;
    *out = d;
    return GT_OK;
}

void gt_dist_finalize(gt_dist *d)
{
    free(d);
}

void gt_dist_abort(gt_dist *d, int exit_code)
{
    (void)d;
    (void)exit_code;
}

gt_status gt_dist_allreduce_backend(gt_dist *d, gt_backend *be, float *buf, size_t count)
{
    (void)d, (void)be, (void)buf, (void)count;
    return GT_OK;
}

gt_status gt_dist_reduce_start(gt_dist *d, gt_backend *be, float *buf, size_t count)
{
    (void)d, (void)be, (void)buf, (void)count;
    return GT_OK;
}

gt_status gt_dist_reduce_progress(gt_dist *d)
{
    (void)d;
    return GT_OK;
}

gt_status gt_dist_reduce_wait(gt_dist *d, gt_backend *be)
{
    (void)d, (void)be;
    return GT_OK;
}

gt_status gt_dist_synchronize(gt_dist *d, gt_backend *be)
{
    (void)d;
    return be->synchronize(be);
}

gt_status gt_dist_allreduce_host(gt_dist *d, double *buf, int count)
{
    (void)d, (void)buf, (void)count;
    return GT_OK;
}

gt_status gt_dist_any(gt_dist *d, int flag, int *any)
{
    (void)d;
    *any = flag != 0;
    return GT_OK;
}

gt_status gt_dist_allgather_chunks(gt_dist *d, float *rows, size_t row_floats, int n_chunks)
{
    (void)d, (void)rows, (void)row_floats, (void)n_chunks;
    return GT_OK;
}

gt_status gt_dist_broadcast(gt_dist *d, void *buf, size_t bytes)
{
    (void)d, (void)buf, (void)bytes;
    return GT_OK;
}

gt_status gt_dist_attach(gt_dist *d, gt_backend *be)
{
    (void)d, (void)be;
    return GT_OK;
}
