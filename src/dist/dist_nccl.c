/* The GPU all-reduce: one NCCL communicator over the ranks, one GPU per rank
 * (the CUDA backend opens GTRAIN_CUDA_DEVICE, which gt_dist_choose_gpu set
 * from the local rank).
 *
 * Every sum runs on one NCCL stream, so that the communicator's operations
 * keep the program's order on every rank. The gradient buckets' wait for an
 * event recorded on the compute stream after the bucket's backward and run
 * beside the rest of backward; the compute stream waits for the NCCL stream
 * before the update (gt_nccl_reduce_wait). gt_nccl_allreduce is fenced both
 * ways: it follows the work before it and precedes the work after it, as if
 * on the compute stream. Neither blocks the host.
 *
 * The communicator is nonblocking (config.blocking 0): its creation and any
 * call that answers ncclInProgress are polled, and so is every host wait
 * on the GPU (gt_nccl_synchronize), together with NCCL's asynchronous error
 * and a timeout, so that a rank whose peer died fails with its rank named
 * instead of waiting forever. */
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
    int aborted;          /* ncclCommAbort ran: the communicator is gone */
    cudaStream_t compute; /* the backend's stream */
    cudaStream_t sums;    /* the buckets' stream */
    cudaEvent_t ready;    /* on compute: the bucket's backward is done */
    cudaEvent_t summed;   /* on sums: every queued bucket is summed */
    cudaEvent_t idle;     /* on compute: the host's wait point */
    int buckets_queued;   /* on sums since the last gt_nccl_reduce_wait */
};

static gt_status nccl_fail(const gt_dist *d, ncclResult_t r, const char *call)
{
    return gt_fail(GT_ERR_DEVICE, "rank %d of %d: %s failed: %s (%s)", d->rank, d->size, call,
                   ncclGetErrorString(r), ncclGetLastError(NULL));
}

static gt_status cuda_fail(const gt_dist *d, cudaError_t e, const char *call)
{
    return gt_fail(GT_ERR_DEVICE, "rank %d of %d: %s failed: %s", d->rank, d->size, call,
                   cudaGetErrorString(e));
}

#define GT_NCCL_CUDA_TRY(d, call)                                                                  \
    do {                                                                                           \
        cudaError_t gt_cuda_e_ = (call);                                                           \
        if (gt_cuda_e_ != cudaSuccess) return cuda_fail((d), gt_cuda_e_, #call);                   \
    } while (0)

static void abort_comm(void *ctx)
{
    gt_dist *d = ctx;
    if (!d->nccl || d->nccl->aborted) return;
    ncclCommAbort(d->nccl->comm); /* frees it; its kernels end */
    d->nccl->aborted = 1;
}

/* NCCL's state: an error aborts the communicator and fails. */
static gt_status comm_state(gt_dist *d, ncclResult_t *state)
{
    ncclResult_t r = ncclCommGetAsyncError(d->nccl->comm, state);
    if (r != ncclSuccess) return nccl_fail(d, r, "ncclCommGetAsyncError");
    if (*state != ncclSuccess && *state != ncclInProgress) {
        gt_status st = nccl_fail(d, *state, "NCCL (asynchronous error)");
        abort_comm(d);
        return st;
    }
    return GT_OK;
}

static gt_status comm_settled(void *ctx, int *done)
{
    ncclResult_t state = ncclSuccess;
    GT_TRY(comm_state(ctx, &state));
    *done = state == ncclSuccess;
    return GT_OK;
}

static gt_status comm_failed(void *ctx)
{
    ncclResult_t state = ncclSuccess;
    return comm_state(ctx, &state);
}

/* A call's result: ncclInProgress is polled until it settles. */
static gt_status settle(gt_dist *d, ncclResult_t r, const char *call)
{
    if (r == ncclSuccess) return GT_OK;
    if (r != ncclInProgress) {
        gt_status st = nccl_fail(d, r, call);
        abort_comm(d);
        return st;
    }
    gt_dist_poll p = {comm_settled, NULL, abort_comm, d};
    return gt_dist_poll_until(d, &p, gt_dist_timeout(), call);
}

static gt_status check_open(const gt_dist *d)
{
    if (d->nccl->aborted)
        return gt_fail(GT_ERR_DEVICE,
                       "rank %d of %d: the NCCL communicator was aborted after an earlier error",
                       d->rank, d->size);
    return GT_OK;
}

static gt_status make_streams(gt_dist *d, gt_nccl *n)
{
    GT_NCCL_CUDA_TRY(d, cudaStreamCreateWithFlags(&n->sums, cudaStreamNonBlocking));
    GT_NCCL_CUDA_TRY(d, cudaEventCreateWithFlags(&n->ready, cudaEventDisableTiming));
    GT_NCCL_CUDA_TRY(d, cudaEventCreateWithFlags(&n->summed, cudaEventDisableTiming));
    GT_NCCL_CUDA_TRY(d, cudaEventCreateWithFlags(&n->idle, cudaEventDisableTiming));
    return GT_OK;
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
    n->compute = stream;
    d->nccl = n;
    d->nccl_be = be;
    gt_status st = make_streams(d, n);
    if (st != GT_OK) {
        gt_nccl_close(d);
        return st;
    }
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    ncclResult_t r = ncclCommInitRankConfig(&n->comm, d->size, id, d->rank, &config);
    if (r != ncclSuccess && r != ncclInProgress) {
        n->aborted = 1; /* no communicator to destroy */
        st = nccl_fail(d, r, "ncclCommInitRankConfig");
    } else {
        st = settle(d, r, "ncclCommInitRankConfig");
    }
    if (st != GT_OK) gt_nccl_close(d);
    return st;
}

gt_status gt_nccl_allreduce(gt_dist *d, float *buf, size_t count)
{
    /* on the NCCL stream too, between fences both ways: the work before it
     * (the compute stream's) comes first, the work after it waits for it,
     * and the communicator's operations keep one order on one stream, the
     * same on every rank (NCCL operations on two streams may wait for each
     * other in different orders on different ranks, and hang) */
    GT_TRY(gt_nccl_reduce_start(d, buf, count));
    return gt_nccl_reduce_wait(d);
}

gt_status gt_nccl_reduce_start(gt_dist *d, float *buf, size_t count)
{
    gt_nccl *n = d->nccl;
    GT_TRY(check_open(d));
    GT_NCCL_CUDA_TRY(d, cudaEventRecord(n->ready, n->compute));
    GT_NCCL_CUDA_TRY(d, cudaStreamWaitEvent(n->sums, n->ready, 0));
    GT_TRY(settle(d, ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, n->comm, n->sums),
                  "ncclAllReduce (bucket)"));
    n->buckets_queued += 1;
    return GT_OK;
}

gt_status gt_nccl_reduce_wait(gt_dist *d)
{
    gt_nccl *n = d->nccl;
    if (n->buckets_queued == 0) return GT_OK;
    n->buckets_queued = 0;
    GT_NCCL_CUDA_TRY(d, cudaEventRecord(n->summed, n->sums));
    GT_NCCL_CUDA_TRY(d, cudaStreamWaitEvent(n->compute, n->summed, 0));
    return GT_OK;
}

static gt_status stream_idle(void *ctx, int *done)
{
    gt_dist *d = ctx;
    cudaError_t e = cudaEventQuery(d->nccl->idle);
    *done = e == cudaSuccess;
    if (e == cudaSuccess || e == cudaErrorNotReady) return GT_OK;
    return cuda_fail(d, e, "cudaEventQuery");
}

gt_status gt_nccl_synchronize(gt_dist *d)
{
    gt_nccl *n = d->nccl;
    GT_TRY(check_open(d));
    GT_NCCL_CUDA_TRY(d, cudaEventRecord(n->idle, n->compute));
    gt_dist_poll p = {stream_idle, comm_failed, abort_comm, d};
    return gt_dist_poll_until(d, &p, gt_dist_timeout(), "the GPU work (with NCCL sums)");
}

void gt_nccl_close(gt_dist *d)
{
    gt_nccl *n = d->nccl;
    if (!n) return;
    if (!n->aborted) {
        /* finalize (polled, bounded) flushes the peers' last operations;
         * a rank whose communicator is in error, or whose peers are gone,
         * aborts instead of waiting for them */
        ncclResult_t state = ncclSuccess;
        int healthy = ncclCommGetAsyncError(n->comm, &state) == ncclSuccess && state == ncclSuccess;
        if (healthy && settle(d, ncclCommFinalize(n->comm), "ncclCommFinalize") == GT_OK)
            ncclCommDestroy(n->comm);
        else
            abort_comm(d);
    }
    if (n->idle) cudaEventDestroy(n->idle);
    if (n->summed) cudaEventDestroy(n->summed);
    if (n->ready) cudaEventDestroy(n->ready);
    if (n->sums) cudaStreamDestroy(n->sums);
    free(n);
    d->nccl = NULL;
    d->nccl_be = NULL;
}
