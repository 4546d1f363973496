/* gtrain: data-parallel training across processes (ranks), launched by
 * mpirun or srun. Each rank holds the whole model, takes its share of every
 * global batch (gt_dist_share), and the ranks sum their gradients before the
 * optimizer step: MPI_Allreduce on the CPU backend, NCCL on the CUDA backend.
 *
 * A run not started by a launcher is one rank (gt_dist_init gives size 1
 * and never touches MPI), so the single-process path is unchanged. Every
 * failure of a collective is a gt_status whose message names this rank. */
#ifndef GTRAIN_DIST_H
#define GTRAIN_DIST_H

#include <stddef.h>

#include "api.h"
#include "backend.h"
#include "status.h"
#include "train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_dist gt_dist;

/* The launcher's world, read from its environment (Open MPI's
 * OMPI_COMM_WORLD_SIZE/RANK, PMI's PMI_SIZE/PMI_RANK, PMIx's PMIX_RANK,
 * Slurm's srun step): *launched 1 when one started this process; *size the
 * world size when the environment says it (else 0), *rank this process's
 * rank (else 0). Needs no MPI. */
GT_API void gt_dist_launcher_world(int *launched, int *size, int *rank);

/* When a launcher started this process: MPI_Init, the world's rank, size and
 * local rank (the rank among those on this node, MPI_COMM_TYPE_SHARED), MPI
 * errors returned rather than fatal. Otherwise a one-rank world. A build
 * without MPI started by a launcher with more than one rank fails with a
 * message saying so (GT_ERR_UNSUPPORTED) instead of training N copies. */
GT_API gt_status gt_dist_init(gt_dist **out);
/* MPI_Finalize when gt_dist_init called MPI_Init; frees d. */
GT_API void gt_dist_finalize(gt_dist *d);
/* Ends every rank at once (MPI_Abort) after this one failed; returns when
 * there is nothing to abort (one rank). */
GT_API void gt_dist_abort(gt_dist *d, int exit_code);

GT_API int gt_dist_rank(const gt_dist *d);
GT_API int gt_dist_size(const gt_dist *d);
GT_API int gt_dist_local_rank(const gt_dist *d);

/* Rank `rank`'s share of a global batch of n examples among `size` ranks:
 * consecutive examples [*first, *first + *count), the first n % size ranks
 * taking one more; a rank may get none (n < size). */
GT_API void gt_dist_share(int n, int rank, int size, int *first, int *count);

/* Sums count floats of backend memory in place over every rank: NCCL on the
 * stream of a CUDA backend (after gt_dist_attach), MPI_Allreduce on host
 * memory otherwise. One rank: nothing to do. */
GT_API gt_status gt_dist_allreduce_backend(gt_dist *d, gt_backend *be, float *buf, size_t count);
/* Overlap of the gradient sums with backward: gt_dist_reduce_start begins
 * the in-place sum of count floats of backend memory (a bucket of gradients
 * whose backward is done) and returns while it runs; the caller must not
 * touch buf until gt_dist_reduce_wait. CPU: MPI_Iallreduce, which Open MPI
 * advances only inside MPI calls, so gt_dist_reduce_progress (MPI_Testall)
 * goes between the layers' backward passes. CUDA: NCCL on a stream of its
 * own that waits for an event of the compute stream. gt_dist_reduce_wait
 * ends every started sum: on the CPU it waits (MPI_Waitall); on the GPU it
 * queues the compute stream's wait for the NCCL stream and returns at once.
 * One rank: nothing to do. */
GT_API gt_status gt_dist_reduce_start(gt_dist *d, gt_backend *be, float *buf, size_t count);
GT_API gt_status gt_dist_reduce_progress(gt_dist *d);
GT_API gt_status gt_dist_reduce_wait(gt_dist *d, gt_backend *be);

/* be->synchronize, bounded: with NCCL in the backend's work, a rank whose
 * peer died would wait in its all-reduce forever, so the wait polls the
 * stream and NCCL's asynchronous error, and after gt_dist_timeout seconds
 * aborts the communicator and fails naming this rank. Otherwise (CPU,
 * one rank) be->synchronize itself. */
GT_API gt_status gt_dist_synchronize(gt_dist *d, gt_backend *be);
/* Seconds a rank waits for its GPU work with NCCL before it gives up:
 * GTRAIN_DIST_TIMEOUT when set (a positive number), else 300. */
GT_API double gt_dist_timeout(void);

/* Sums count doubles of host memory in place over every rank. */
GT_API gt_status gt_dist_allreduce_host(gt_dist *d, double *buf, int count);
/* 1 on every rank when `flag` is non-zero on any (a stop request must end
 * every rank at the same step, or the others wait in the next all-reduce). */
GT_API gt_status gt_dist_any(gt_dist *d, int flag, int *any);
/* rows holds n_chunks chunks of row_floats floats (host memory); rank r
 * has filled those of gt_dist_share(n_chunks, r, size, ...). Afterwards
 * every rank holds all of them (MPI_Allgatherv in place). */
GT_API gt_status gt_dist_allgather_chunks(gt_dist *d, float *rows, size_t row_floats, int n_chunks);
/* Sends `bytes` from rank 0's buf to every rank's. */
GT_API gt_status gt_dist_broadcast(gt_dist *d, void *buf, size_t bytes);

/* Binds the backend the ranks train on: for a CUDA backend with more than
 * one rank, the NCCL communicator (ncclCommInitRank, the unique id broadcast
 * from rank 0). Before the first all-reduce, never inside the step loop. */
GT_API gt_status gt_dist_attach(gt_dist *d, gt_backend *be);

/* Before any CUDA call: the GPU of this rank, chosen from its local rank
 * (GTRAIN_CUDA_DEVICE, which the CUDA backend opens), unless the user set
 * GTRAIN_CUDA_DEVICE. One rank: nothing. */
GT_API gt_status gt_dist_choose_gpu(const gt_dist *d);

/* Trains tr data-parallel over d's ranks (trainer_dist.c): each step takes
 * this rank's share of the batch and sums the gradients over the ranks;
 * evaluate shards and sums too; a rank other than 0 writes no files (the
 * library's ModelCheckpoint, TensorBoard). Batch-wide layers
 * (BatchNormalization) add their statistics over the ranks, so they are the
 * whole batch's; a rank without examples in a batch adds zeros. Refuses a
 * captured CUDA graph (--cuda-graph) with several ranks. Sets the gradient
 * buckets to GT_DIST_BUCKET_FLOATS_DEFAULT. Binds the backend
 * (gt_dist_attach). d must outlive tr; one rank: as without it. */
GT_API gt_status gt_trainer_set_dist(gt_trainer *tr, gt_dist *d);
/* Gradient buckets of bucket_floats floats summed over the ranks while the
 * rest of backward runs (gt_dist_reduce_start), launched after the backward
 * of the layer that completes each; 0: one sum of every gradient after
 * backward. The sums are the same per element either way (two ranks give
 * the same bits; more may add in another order). Set by
 * gt_trainer_set_dist to GT_DIST_BUCKET_FLOATS_DEFAULT. */
#define GT_DIST_BUCKET_FLOATS_DEFAULT ((size_t)25 * 1024 * 1024 / sizeof(float))
GT_API gt_status gt_trainer_set_reduce_buckets(gt_trainer *tr, size_t bucket_floats);
/* The buckets each step's gradient sum takes with a whole batch (0: one sum
 * after backward, or one rank). */
GT_API int gt_trainer_reduce_buckets(const gt_trainer *tr);
/* --deterministic training: each batch cut into chunks of `chunk` examples
 * (the last one shorter), each chunk's gradient computed alone, the ranks
 * taking consecutive chunks, and the chunk gradients summed in chunk order
 * on every rank, so that the weights are the same bits for any rank count
 * (one process included; given the same threads per rank, since a GEMM's
 * sums may follow its thread count). Costs per step: the chunks' smaller
 * GEMMs, and every chunk's gradient gathered to every rank (chunks x
 * params floats of memory, allocated here). CPU backend only; chunk 0
 * turns it off. A model with batch-wide layers (BatchNormalization, whose
 * statistics the chunks would cut) is refused over several ranks and keeps
 * the plain step in one process. Call after gt_trainer_set_dist. */
GT_API gt_status gt_trainer_set_sum_chunks(gt_trainer *tr, int chunk);

#ifdef __cplusplus
}
#endif
#endif
