/* The prefetch thread (prefetch.h): a ring of host buffers filled in order. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/clock.h"
#include "gtrain/status.h"
#include "prefetch.h"
#include "prefetch_blocks.h"

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_HELD };

typedef struct slot {
    uint8_t *images;
    int32_t *labels;
    int n;
    size_t position;
    int state;
    uint64_t gen; /* the job it was filled for */
    gt_status status;
    char error[2048];
} slot;

struct gt_prefetch {
    const gt_dataset *ds;
    const int32_t *ds_labels;
    gt_backend *be;
    int batch, depth;
    size_t per;
    slot *slots;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* every change of state; waiters re-check */

    /* the job (under mu) */
    const int32_t *order;
    size_t first, end, fill_pos;
    uint64_t fill_seq, take_seq; /* batch sequence numbers; slot = seq % depth */
    uint64_t gen;
    int active, failed, quit;

    /* --shuffle-buffer: whole blocks read once, kept until used (or NULL) */
    gt_block_store *store;
    uint64_t store_gen; /* the job the store was reset for */

    /* the reader thread's own scratch */
    int32_t *idx;
    uint64_t *sorted; /* (index << 32) | position in the batch */
    uint8_t *scratch;

    uint64_t batches;
    uint64_t examples_read; /* by the runs reader (the store counts its own) */
    double read_seconds;
};

size_t gt_prefetch_host_bytes(int batch, int depth, size_t example_bytes)
{
    size_t b = (size_t)batch;
    return (size_t)depth * b * (example_bytes + sizeof(int32_t)) +
           b * (example_bytes + sizeof(int32_t) + sizeof(uint64_t));
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Images and labels of dataset examples idx[0..n) into a slot, in batch
 * order: one read per run of consecutive examples, straight into place
 * when the run is also consecutive in the batch (file order). */
static gt_status read_batch(gt_prefetch *pf, int n, uint8_t *images, int32_t *labels)
{
    size_t per = pf->per;
    if (pf->store) {
        for (int i = 0; i < n; ++i) {
            labels[i] = pf->ds_labels[pf->idx[i]];
            GT_TRY(gt_block_store_take(pf->store, pf->idx[i], images + (size_t)i * per));
        }
        return GT_OK;
    }
    for (int i = 0; i < n; ++i) {
        labels[i] = pf->ds_labels[pf->idx[i]];
        pf->sorted[i] = ((uint64_t)(uint32_t)pf->idx[i] << 32) | (uint32_t)i;
    }
    qsort(pf->sorted, (size_t)n, sizeof *pf->sorted, by_value);
    for (int a = 0; a < n;) {
        size_t first = (size_t)(pf->sorted[a] >> 32);
        int len = 1, in_place = 1;
        while (a + len < n && (pf->sorted[a + len] >> 32) == first + (size_t)len) {
            if ((uint32_t)pf->sorted[a + len] != (uint32_t)pf->sorted[a] + (uint32_t)len)
                in_place = 0;
            ++len;
        }
        size_t at = (uint32_t)pf->sorted[a];
        uint8_t *dst = in_place ? images + at * per : pf->scratch;
        GT_TRY(gt_dataset_read_images(pf->ds, first, (size_t)len, dst));
        pf->examples_read += (uint64_t)len;
        if (!in_place)
            for (int k = 0; k < len; ++k)
                memcpy(images + (size_t)(uint32_t)pf->sorted[a + k] * per, pf->scratch + k * per,
                       per);
        a += len;
    }
    return GT_OK;
}

static int can_fill(const gt_prefetch *pf)
{
    return pf->active && !pf->failed && pf->fill_pos < pf->end &&
           pf->slots[pf->fill_seq % (uint64_t)pf->depth].state == SLOT_FREE;
}

static void *reader_main(void *arg)
{
    gt_prefetch *pf = arg;
    /* signals are for the training thread (the CLI's stop flag) */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        while (!pf->quit && !can_fill(pf))
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->quit) break;
        slot *s = &pf->slots[pf->fill_seq % (uint64_t)pf->depth];
        size_t position = pf->fill_pos;
        size_t left = pf->end - position;
        int n = left < (size_t)pf->batch ? (int)left : pf->batch;
        memcpy(pf->idx, pf->order + position, (size_t)n * sizeof *pf->idx);
        if (pf->store && pf->store_gen != pf->gen) { /* a new job: a new epoch's store */
            gt_block_store_reset(pf->store, pf->order, pf->first);
            pf->store_gen = pf->gen;
        }
        s->state = SLOT_FILLING;
        s->gen = pf->gen;
        pf->fill_pos += (size_t)n;
        pf->fill_seq += 1;
        pthread_mutex_unlock(&pf->mu);

        double t0 = gt_now_seconds();
        gt_clear_error();
        gt_status st = read_batch(pf, n, s->images, s->labels);
        double spent = gt_now_seconds() - t0;

        pthread_mutex_lock(&pf->mu);
        pf->read_seconds += spent;
        if (s->gen != pf->gen) { /* cancelled meanwhile: the batch is not wanted */
            s->state = SLOT_FREE;
            pthread_cond_broadcast(&pf->cv);
            continue;
        }
        s->n = n;
        s->position = position;
        s->status = st;
        if (st != GT_OK) {
            snprintf(s->error, sizeof s->error,
                     "reading the batch at position %zu of the epoch's order (%d examples): %s",
                     position, n, gt_last_error());
            pf->failed = 1;
        } else {
            pf->batches += 1;
        }
        s->state = SLOT_READY;
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

gt_status gt_prefetch_create(const gt_dataset *ds, gt_backend *be, int batch, int depth,
                             gt_prefetch **out)
{
    *out = NULL;
    if (!ds || !be || batch < 1 || depth < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "gt_prefetch_create: dataset, backend, batch (%d) and depth (%d) needed",
                       batch, depth);
    gt_prefetch *pf = calloc(1, sizeof *pf);
    if (!pf) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for the prefetcher");
    pf->ds = ds;
    pf->ds_labels = gt_dataset_labels(ds);
    pf->be = be;
    pf->batch = batch;
    pf->depth = depth;
    pf->per = gt_shape3_size(gt_dataset_shape(ds));
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    size_t b = (size_t)batch;
    pf->slots = calloc((size_t)depth, sizeof *pf->slots);
    pf->idx = malloc(b * sizeof *pf->idx);
    pf->sorted = malloc(b * sizeof *pf->sorted);
    pf->scratch = malloc(b * pf->per + 1);
    gt_status st = pf->slots && pf->idx && pf->sorted && pf->scratch
                       ? GT_OK
                       : gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for the prefetcher");
    for (int i = 0; st == GT_OK && i < depth; ++i) {
        void *images = NULL, *labels = NULL;
        st = be->host_alloc(be, b * pf->per + 1, &images);
        if (st == GT_OK) st = be->host_alloc(be, b * sizeof(int32_t), &labels);
        pf->slots[i].images = images;
        pf->slots[i].labels = labels;
        if (st != GT_OK) gt_fail_context(st, "prefetch buffers of %s", gt_dataset_origin(ds));
    }
    if (st == GT_OK) {
        if (pthread_create(&pf->thread, NULL, reader_main, pf) != 0)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "cannot start the prefetch thread for %s",
                         gt_dataset_origin(ds));
        else
            pf->thread_started = 1;
    }
    if (st != GT_OK) {
        gt_prefetch_destroy(pf);
        return st;
    }
    *out = pf;
    return GT_OK;
}

void gt_prefetch_destroy(gt_prefetch *pf)
{
    if (!pf) return;
    if (pf->thread_started) {
        pthread_mutex_lock(&pf->mu);
        pf->quit = 1;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        pthread_join(pf->thread, NULL);
    }
    for (int i = 0; pf->slots && i < pf->depth; ++i) {
        if (pf->slots[i].images) pf->be->host_free(pf->be, pf->slots[i].images);
        if (pf->slots[i].labels) pf->be->host_free(pf->be, pf->slots[i].labels);
    }
    gt_block_store_destroy(pf->store);
    free(pf->slots);
    free(pf->idx);
    free(pf->sorted);
    free(pf->scratch);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
}

/* Under mu: drops the job and its buffered batches. */
static void cancel_locked(gt_prefetch *pf)
{
    pf->gen += 1;
    pf->active = 0;
    pf->failed = 0;
    for (int i = 0; i < pf->depth; ++i)
        if (pf->slots[i].state == SLOT_READY) pf->slots[i].state = SLOT_FREE;
    pthread_cond_broadcast(&pf->cv);
}

void gt_prefetch_cancel(gt_prefetch *pf)
{
    pthread_mutex_lock(&pf->mu);
    cancel_locked(pf);
    pthread_mutex_unlock(&pf->mu);
}

gt_status gt_prefetch_start(gt_prefetch *pf, const int32_t *order, size_t first, size_t end)
{
    if (first > end)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "prefetch: positions %zu..%zu", first, end);
    pthread_mutex_lock(&pf->mu);
    cancel_locked(pf);
    int held = 0;
    for (int i = 0; i < pf->depth; ++i)
        held += pf->slots[i].state == SLOT_HELD;
    if (held) {
        pthread_mutex_unlock(&pf->mu);
        return gt_fail(GT_ERR_INTERNAL, "prefetch: a job started with %d buffers still held", held);
    }
    pf->order = order;
    pf->first = first;
    pf->fill_pos = first;
    pf->end = end;
    pf->fill_seq = pf->take_seq = 0;
    pf->active = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    return GT_OK;
}

gt_status gt_prefetch_next(gt_prefetch *pf, gt_prefetch_batch *out)
{
    pthread_mutex_lock(&pf->mu);
    gt_status st = GT_OK;
    slot *s = &pf->slots[pf->take_seq % (uint64_t)pf->depth];
    for (;;) {
        if (!pf->active) {
            st = gt_fail(GT_ERR_INTERNAL, "prefetch: next() without a job");
            break;
        }
        if (s->state == SLOT_READY && s->gen == pf->gen) break;
        if (s->state == SLOT_HELD) { /* would wait for itself */
            st = gt_fail(GT_ERR_INTERNAL, "prefetch: next() with all %d buffers held", pf->depth);
            break;
        }
        if (pf->take_seq >= pf->fill_seq && pf->fill_pos >= pf->end) {
            st = gt_fail(GT_ERR_INTERNAL, "prefetch: next() past the end of the job");
            break;
        }
        pthread_cond_wait(&pf->cv, &pf->mu);
    }
    if (st == GT_OK && s->status != GT_OK) {
        /* the batch stays READY with its error: asking again gives it again */
        st = gt_fail(s->status, "%s", s->error);
    } else if (st == GT_OK) {
        s->state = SLOT_HELD;
        out->slot = (int)(pf->take_seq % (uint64_t)pf->depth);
        out->images = s->images;
        out->labels = s->labels;
        out->n = s->n;
        out->position = s->position;
        pf->take_seq += 1;
    }
    pthread_mutex_unlock(&pf->mu);
    return st;
}

void gt_prefetch_release(gt_prefetch *pf, int slot_index)
{
    if (slot_index < 0 || slot_index >= pf->depth) return;
    pthread_mutex_lock(&pf->mu);
    if (pf->slots[slot_index].state == SLOT_HELD) pf->slots[slot_index].state = SLOT_FREE;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

gt_status gt_prefetch_use_blocks(gt_prefetch *pf, size_t block, size_t capacity)
{
    pthread_mutex_lock(&pf->mu);
    int idle = !pf->active && !pf->store;
    pthread_mutex_unlock(&pf->mu);
    if (!idle) return gt_fail(GT_ERR_INTERNAL, "prefetch: blocks set twice or during a job");
    gt_block_store *bs = NULL;
    GT_TRY(gt_block_store_create(pf->ds, block, capacity, &bs));
    pthread_mutex_lock(&pf->mu);
    pf->store = bs;
    pf->store_gen = 0;
    pthread_mutex_unlock(&pf->mu);
    return GT_OK;
}

void gt_prefetch_stats(gt_prefetch *pf, uint64_t *batches, uint64_t *examples_read,
                       double *read_seconds)
{
    pthread_mutex_lock(&pf->mu);
    if (batches) *batches = pf->batches;
    if (read_seconds) *read_seconds = pf->read_seconds;
    /* the counters are the reader's: exact when no read is in flight */
    if (examples_read)
        *examples_read =
            pf->examples_read + (pf->store ? gt_block_store_examples_read(pf->store) : 0);
    pthread_mutex_unlock(&pf->mu);
}
