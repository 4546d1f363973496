/* The GPU all-reduce: one NCCL communicator over the ranks, one GPU per rank
 * (the CUDA backend opens GTRAIN_CUDA_DEVICE, which gt_dist_choose_gpu set
 * from the local rank), the sums queued on the backend's compute stream so
 * that they follow the backward and precede the update without any host
 * synchronization. */
#include <stdlib.h>

/* nccl.h declares a few functions with () rather than (void) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <nccl.h>
#pragma GCC diagnostic pop

#include "backend_native.h"
#include "dist_internal.h"
#include "gtrain/status.h"

struct gt_nccl {
    ncclComm_t comm;
    cudaStream_t stream;
};

static gt_status nccl_fail(const gt_dist *d, ncclResult_t r, const char *call)
{
    return gt_fail(GT_ERR_DEVICE, "rank %d of %d: %s failed: %s (%s)", d->rank, d->size, call,
                   ncclGetErrorString(r), ncclGetLastError(NULL));
}

gt_status gt_nccl_open(gt_dist *d, gt_backend *be)
{
    if (d->nccl) {
        if (d->nccl_be == be) return GT_OK;
        gt_nccl_close(d);
    }
    cudaStream_t stream = (cudaStream_t)gt_backend_cuda_stream(be);
    if (!stream)
        return gt_fail(GT_ERR_INTERNAL, "rank %d of %d: NCCL needs the CUDA backend, found '%s'",
                       d->rank, d->size, be->name);
    ncclUniqueId id;
    if (d->rank == 0) {
        ncclResult_t r = ncclGetUniqueId(&id);
        if (r != ncclSuccess) return nccl_fail(d, r, "ncclGetUniqueId");
    }
    GT_TRY(gt_dist_broadcast(d, &id, sizeof id));
    gt_nccl *n = calloc(1, sizeof *n);
    if (!n) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    ncclResult_t r = ncclCommInitRank(&n->comm, d->size, id, d->rank);
    if (r != ncclSuccess) {
        free(n);
        return nccl_fail(d, r, "ncclCommInitRank");
    }
    n->stream = stream;
    d->nccl = n;
    d->nccl_be = be;
    return GT_OK;
}

gt_status gt_nccl_allreduce(gt_dist *d, float *buf, size_t count)
{
    gt_nccl *n = d->nccl;
    ncclResult_t r = ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, n->comm, n->stream);
    if (r != ncclSuccess) return nccl_fail(d, r, "ncclAllReduce");
    return GT_OK;
}

void gt_nccl_close(gt_dist *d)
{
    if (!d->nccl) return;
    ncclCommDestroy(d->nccl->comm);
    free(d->nccl);
    d->nccl = NULL;
    d->nccl_be = NULL;
}
