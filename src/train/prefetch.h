/* Internal: the prefetch thread of the streaming input pipeline.
 *
 * One pthread reads the next batches of the epoch's order into a ring of
 * `depth` host buffers (from the backend's host_alloc: pinned on CUDA, so
 * uploads from them are true DMA) while the caller's thread trains on the
 * current one. Each buffer holds a batch in training order: its images
 * (n x example bytes) and labels. The reader sorts a batch's indices and
 * reads runs of consecutive examples with one call each, so file order
 * reads whole batches at once and a shuffled order reads only what it needs.
 *
 * Protocol, all calls from one caller thread: start(order, positions) ->
 * next() -> [upload the batch] -> release(slot) -> next() ... A read error
 * stops the job and is returned by the next() that reaches the failed
 * batch, with the file and the example in the message; cancel() and destroy
 * never wait for more than the read in progress (no hang whatever state the
 * thread is in). Buffers are allocated once, at create. */
#ifndef GT_PREFETCH_H
#define GT_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/backend.h"
#include "gtrain/data.h"

typedef struct gt_prefetch gt_prefetch;

typedef struct gt_prefetch_batch {
    int slot;              /* 0 .. depth-1, to release */
    const uint8_t *images; /* n examples in batch order */
    const int32_t *labels; /* n labels */
    int n;
    size_t position; /* of its first example in the order */
} gt_prefetch_batch;

/* Buffers for `depth` batches of up to `batch` examples of `ds`. */
gt_status gt_prefetch_create(const gt_dataset *ds, gt_backend *be, int batch, int depth,
                             gt_prefetch **out);
void gt_prefetch_destroy(gt_prefetch *pf);

/* Host memory the prefetcher holds (its buffers and scratch). */
size_t gt_prefetch_host_bytes(int batch, int depth, size_t example_bytes);

/* Serves positions [first, end) of `order` (indices into the dataset), in
 * batches of the create-time size; the last one may be partial. The order
 * array must not change until the job is cancelled or consumed. Cancels a
 * job still running; slots the caller still holds stay held. */
gt_status gt_prefetch_start(gt_prefetch *pf, const int32_t *order, size_t first, size_t end);

/* Blocks until the next batch is read; a read error of that batch (or an
 * earlier one) comes back here. */
gt_status gt_prefetch_next(gt_prefetch *pf, gt_prefetch_batch *out);

/* The caller is done with the slot's buffers: they may be refilled. */
void gt_prefetch_release(gt_prefetch *pf, int slot);

/* Stops the job: buffered batches are dropped, the read in flight is
 * discarded when it ends. Held slots stay held until released. */
void gt_prefetch_cancel(gt_prefetch *pf);

/* Reads whole blocks of `block` consecutive examples, kept until used, in
 * a store of `capacity` examples (prefetch_blocks.h): for the buffered
 * shuffle, capacity = buffer + block. Before the first job. */
gt_status gt_prefetch_use_blocks(gt_prefetch *pf, size_t block, size_t capacity);

/* Batches served so far, examples read from the file (a block store reads
 * whole blocks) and the seconds the thread spent reading; any may be NULL. */
void gt_prefetch_stats(gt_prefetch *pf, uint64_t *batches, uint64_t *examples_read,
                       double *read_seconds);

#endif
