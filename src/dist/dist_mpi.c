/* The world over MPI: init from the launcher, MPI errors returned as
 * gt_status naming the rank, the CPU collectives. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dist_internal.h"
#include "gtrain/status.h"

/* MPI's own text for an error code, with the call and this rank. */
static gt_status mpi_fail(const gt_dist *d, int code, const char *call)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) strcpy(text, "unknown MPI error");
    return gt_fail(GT_ERR_IO,
                   "rank %d of %d: %s failed: %s (another rank may have failed or "
                   "exited)",
                   d->rank, d->size, call, text);
}

#define GT_MPI_TRY(d, call)                                                                        \
    do {                                                                                           \
        int gt_mpi_rc_ = (call);                                                                   \
        if (gt_mpi_rc_ != MPI_SUCCESS) return mpi_fail((d), gt_mpi_rc_, #call);                    \
    } while (0)

/* Open MPI's nonblocking all-reduce (libnbc) picks recursive doubling for
 * two ranks by default, which took 49 ms where MPI_Allreduce took 36 for
 * mlp-fmnist's 31 MB of gradients on this machine; Rabenseifner's
 * reduce-scatter + all-gather took 35 (bench/results/dist_overlap_*.md).
 * Read at MPI_Init; a value the user set wins. Other MPIs ignore it. */
static void prefer_nonblocking_algorithms(void)
{
#ifdef OPEN_MPI
    setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "3", 0);
#endif
}

static gt_status open_world(gt_dist *d)
{
    int initialized = 0;
    GT_MPI_TRY(d, MPI_Initialized(&initialized));
    if (!initialized) {
        prefer_nonblocking_algorithms();
        int rc = MPI_Init(NULL, NULL);
        if (rc != MPI_SUCCESS) return gt_fail(GT_ERR_IO, "MPI_Init failed (error %d)", rc);
        d->mpi_initialized = 1;
    }
    /* errors come back to the caller, which names the rank; the default
     * handler would abort with MPI's message alone */
    GT_MPI_TRY(d, MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    GT_MPI_TRY(d, MPI_Comm_dup(MPI_COMM_WORLD, &d->comm));
    GT_MPI_TRY(d, MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN));
    GT_MPI_TRY(d, MPI_Comm_rank(d->comm, &d->rank));
    GT_MPI_TRY(d, MPI_Comm_size(d->comm, &d->size));
    d->counts = calloc((size_t)d->size, sizeof *d->counts);
    d->displs = calloc((size_t)d->size, sizeof *d->displs);
    if (!d->counts || !d->displs) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    MPI_Comm node = MPI_COMM_NULL;
    GT_MPI_TRY(d,
               MPI_Comm_split_type(d->comm, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &node));
    int rc = MPI_Comm_rank(node, &d->local_rank);
    MPI_Comm_free(&node);
    if (rc != MPI_SUCCESS) return mpi_fail(d, rc, "MPI_Comm_rank(node)");
    return GT_OK;
}

gt_status gt_dist_init(gt_dist **out)
{
    *out = NULL;
    gt_dist *d = calloc(1, sizeof *d);
    if (!d) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    d->size = 1;
    d->comm = MPI_COMM_NULL;
    int launched = 0, size = 0, rank = 0;
    gt_dist_launcher_world(&launched, &size, &rank);
    if (launched) {
        gt_status st = open_world(d);
        if (st != GT_OK) {
            gt_dist_finalize(d);
            return st;
        }
    }
    *out = d;
    return GT_OK;
}

void gt_dist_finalize(gt_dist *d)
{
    if (!d) return;
#ifdef GTRAIN_HAVE_CUDA
    gt_nccl_close(d);
#endif
    if (d->comm != MPI_COMM_NULL) MPI_Comm_free(&d->comm);
    if (d->mpi_initialized) MPI_Finalize();
    free(d->counts);
    free(d->displs);
    free(d);
}

void gt_dist_abort(gt_dist *d, int exit_code)
{
    if (d && d->size > 1) MPI_Abort(d->comm, exit_code);
}

/* MPI counts are ints: sums of more elements go in pieces. */
static gt_status allreduce(gt_dist *d, void *buf, size_t count, MPI_Datatype type, size_t elem,
                           MPI_Op op)
{
    for (size_t done = 0; done < count;) {
        size_t piece = count - done < (size_t)INT_MAX ? count - done : (size_t)INT_MAX;
        GT_MPI_TRY(d, MPI_Allreduce(MPI_IN_PLACE, (char *)buf + done * elem, (int)piece, type, op,
                                    d->comm));
        done += piece;
    }
    return GT_OK;
}

/* The MPI sums read and write host memory: a CUDA backend's goes to NCCL. */
static gt_status check_host_memory(const gt_dist *d, const gt_backend *be)
{
    if (strcmp(be->name, "cuda") == 0)
        return gt_fail(GT_ERR_INTERNAL, "rank %d: all-reduce on a CUDA backend without NCCL",
                       d->rank);
    return GT_OK;
}

gt_status gt_dist_allreduce_backend(gt_dist *d, gt_backend *be, float *buf, size_t count)
{
    if (!d || d->size <= 1 || count == 0) return GT_OK;
#ifdef GTRAIN_HAVE_CUDA
    if (d->nccl && be == d->nccl_be) return gt_nccl_allreduce(d, buf, count);
#endif
    GT_TRY(check_host_memory(d, be));
    return allreduce(d, buf, count, MPI_FLOAT, sizeof(float), MPI_SUM);
}

static gt_status wait_oldest(gt_dist *d)
{
    GT_MPI_TRY(d, MPI_Wait(&d->pending[0], MPI_STATUS_IGNORE));
    d->n_pending -= 1;
    memmove(d->pending, d->pending + 1, (size_t)d->n_pending * sizeof *d->pending);
    return GT_OK;
}

gt_status gt_dist_reduce_start(gt_dist *d, gt_backend *be, float *buf, size_t count)
{
    if (!d || d->size <= 1 || count == 0) return GT_OK;
#ifdef GTRAIN_HAVE_CUDA
    if (d->nccl && be == d->nccl_be) return gt_nccl_reduce_start(d, buf, count);
#endif
    GT_TRY(check_host_memory(d, be));
    for (size_t done = 0; done < count;) {
        size_t piece = count - done < (size_t)INT_MAX ? count - done : (size_t)INT_MAX;
        if (d->n_pending == GT_DIST_MAX_PENDING) GT_TRY(wait_oldest(d));
        GT_MPI_TRY(d, MPI_Iallreduce(MPI_IN_PLACE, buf + done, (int)piece, MPI_FLOAT, MPI_SUM,
                                     d->comm, &d->pending[d->n_pending]));
        d->n_pending += 1;
        done += piece;
    }
    return GT_OK;
}

gt_status gt_dist_reduce_progress(gt_dist *d)
{
    if (!d || d->n_pending == 0) return GT_OK;
    int all_done = 0;
    GT_MPI_TRY(d, MPI_Testall(d->n_pending, d->pending, &all_done, MPI_STATUSES_IGNORE));
    if (all_done) d->n_pending = 0;
    return GT_OK;
}

gt_status gt_dist_reduce_wait(gt_dist *d, gt_backend *be)
{
    if (!d || d->size <= 1) return GT_OK;
#ifdef GTRAIN_HAVE_CUDA
    if (d->nccl && be == d->nccl_be) return gt_nccl_reduce_wait(d);
#endif
    (void)be;
    int n = d->n_pending;
    d->n_pending = 0;
    if (n) GT_MPI_TRY(d, MPI_Waitall(n, d->pending, MPI_STATUSES_IGNORE));
    return GT_OK;
}

gt_status gt_dist_synchronize(gt_dist *d, gt_backend *be)
{
#ifdef GTRAIN_HAVE_CUDA
    if (d && d->nccl && be == d->nccl_be) return gt_nccl_synchronize(d);
#endif
    (void)d;
    return be->synchronize(be);
}

gt_status gt_dist_allreduce_host(gt_dist *d, double *buf, int count)
{
    if (!d || d->size <= 1 || count <= 0) return GT_OK;
    return allreduce(d, buf, (size_t)count, MPI_DOUBLE, sizeof(double), MPI_SUM);
}

gt_status gt_dist_any(gt_dist *d, int flag, int *any)
{
    *any = flag != 0;
    if (!d || d->size <= 1) return GT_OK;
    return allreduce(d, any, 1, MPI_INT, sizeof(int), MPI_LOR);
}

gt_status gt_dist_allgather_chunks(gt_dist *d, float *rows, size_t row_floats, int n_chunks)
{
    if (!d || d->size <= 1) return GT_OK;
    if ((size_t)n_chunks * row_floats > (size_t)INT_MAX)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "rank %d: gathering %d chunks of %zu floats exceeds MPI's int count; use "
                       "fewer chunks per batch",
                       d->rank, n_chunks, row_floats);
    for (int r = 0; r < d->size; ++r) {
        int first = 0, count = 0;
        gt_dist_share(n_chunks, r, d->size, &first, &count);
        d->counts[r] = count * (int)row_floats;
        d->displs[r] = first * (int)row_floats;
    }
    GT_MPI_TRY(d, MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, rows, d->counts, d->displs,
                                 MPI_FLOAT, d->comm));
    return GT_OK;
}

gt_status gt_dist_broadcast(gt_dist *d, void *buf, size_t bytes)
{
    if (!d || d->size <= 1) return GT_OK;
    if (bytes > (size_t)INT_MAX) return gt_fail(GT_ERR_INTERNAL, "broadcast of %zu bytes", bytes);
    GT_MPI_TRY(d, MPI_Bcast(buf, (int)bytes, MPI_BYTE, 0, d->comm));
    return GT_OK;
}

gt_status gt_dist_attach(gt_dist *d, gt_backend *be)
{
    if (!d || d->size <= 1) return GT_OK;
    /* every rank on the same kind of backend: one on the CPU (--device
     * auto without a GPU for its local rank) would wait in MPI while the
     * others make the NCCL communicator */
    int cuda = strcmp(be->name, "cuda") == 0, any_cuda = 0, any_other = 0;
    GT_TRY(gt_dist_any(d, cuda, &any_cuda));
    GT_TRY(gt_dist_any(d, !cuda, &any_other));
    if (any_cuda && any_other)
        return gt_fail(GT_ERR_NO_DEVICE,
                       "rank %d of %d: some ranks train on a GPU and others on the CPU (this one: "
                       "%s); start at most one rank per GPU on each node, or pass --device cpu",
                       d->rank, d->size, be->name);
    if (!cuda) return GT_OK;
#ifdef GTRAIN_HAVE_CUDA
    return gt_nccl_open(d, be);
#else
    return gt_fail(GT_ERR_INTERNAL, "a CUDA backend in a build without CUDA");
#endif
}
