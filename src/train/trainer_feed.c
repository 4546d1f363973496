/* How the trainer is fed a dataset, resident or streamed, through one
 * interface (trainer_internal.h): begin (the epoch's order and the range of
 * positions to serve), then per batch prepare -> gather (inside the step) ->
 * done, then end.
 *
 * Resident: the images and labels sit on the backend (trainer_data.c), the
 * order is uploaded once per epoch and the gather indexes through it.
 * Streamed: the prefetch thread (prefetch.h) reads the next batches into
 * pinned host buffers in training order; prepare hands the batch to the
 * backend's upload queue (upload_async: on CUDA a stream of its own, so the
 * copy overlaps the previous step), the gather reads the staged batch
 * through the identity 0..n-1, and done marks the staging slot free once the
 * step's ops are queued. The gather op, its inputs' bytes and its labels are
 * the same on both paths, so both train to the same bits. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "data_source.h"
#include "gtrain/status.h"
#include "op_checks.h"
#include "prefetch_blocks.h"
#include "trainer_internal.h"

/* Key of the augmentation draws, apart from the weight, shuffle and dropout streams. */
#define GT_AUGMENT_STREAM 0x6175676d656e74ULL /* "augment" */

gt_status gt_trainer_set_augment(gt_trainer *tr, const gt_augment *a)
{
    if (!a || a->n_stages == 0) {
        memset(&tr->augment, 0, sizeof tr->augment);
        return GT_OK;
    }
    if (!tr->be->augment_gather)
        return gt_fail(GT_ERR_UNSUPPORTED, "backend '%s' has no augment_gather", tr->be->name);
    GT_TRY(gt_check_augment(&tr->model->preprocess, a, 0));
    tr->augment = *a;
    tr->augment.seed = tr->cfg.seed ^ GT_AUGMENT_STREAM;
    return GT_OK;
}

/* The gather of n examples at `position`, augmented when stages are set;
 * is_float: float32 images (gt_dataset_from_memory_f32, always resident). */
static gt_status gather(gt_feed *f, const void *images, int is_float, const int32_t *labels,
                        const int32_t *indices, size_t position, int n)
{
    gt_trainer *tr = f->tr;
    gt_backend *be = tr->be;
    const gt_preprocess *p = &tr->model->preprocess;
    if (is_float) /* never augmented: feed_check refuses it */
        return be->preprocess_gather_f32(be, p, tr->input, tr->labels, images, labels, indices, n);
    if (tr->augment.n_stages == 0)
        return be->preprocess_gather(be, p, tr->input, tr->labels, images, labels, indices, n);
    gt_augment a = tr->augment;
    a.training = f->training;
    a.epoch = (uint32_t)f->epoch;
    a.first = position;
    return be->augment_gather(be, p, &a, tr->input, tr->labels, images, labels, indices, n);
}

/* What every feed checks before its first batch. */
static gt_status feed_check(const gt_trainer *tr, const gt_dataset *ds)
{
    if (tr->augment.n_stages != 0 && gt_dataset_is_float(ds))
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "augmentation of a float32 dataset (%s) is not supported: augmentation "
                       "runs on uint8 images",
                       gt_dataset_origin(ds));
    return GT_OK;
}

gt_status gt_feed_fix_shuffle_block(gt_trainer *tr, const gt_dataset *train)
{
    GT_TRY(gt_check_order_config(&tr->cfg));
    if (tr->cfg.shuffle_buffer > 0 && tr->cfg.shuffle_block == 0) {
        size_t block = gt_shuffle_block_for(gt_shape3_size(gt_dataset_shape(train)),
                                            (size_t)tr->cfg.shuffle_buffer);
        tr->cfg.shuffle_block = block > INT_MAX ? INT_MAX : (int)block;
    }
    return GT_OK;
}

/* The block store's block and capacity for training on ds under cfg (0: none). */
static size_t store_block(const gt_dataset *ds, const gt_train_config *cfg, size_t *capacity)
{
    *capacity = 0;
    if (!cfg || cfg->shuffle_buffer <= 0 || cfg->order == GT_ORDER_FILE) return 0;
    size_t block = cfg->shuffle_block > 0
                       ? (size_t)cfg->shuffle_block
                       : gt_shuffle_block_for(gt_shape3_size(gt_dataset_shape(ds)),
                                              (size_t)cfg->shuffle_buffer);
    size_t count = gt_dataset_count(ds), buffer = (size_t)cfg->shuffle_buffer;
    *capacity = (buffer < count ? buffer : count) + block;
    return block;
}

size_t gt_trainer_stream_bytes(const gt_dataset *ds, const gt_train_config *cfg)
{
    size_t n = gt_dataset_count(ds), per = gt_shape3_size(gt_dataset_shape(ds)), capacity = 0;
    size_t block = store_block(ds, cfg, &capacity);
    size_t bytes =
        2 * n * sizeof(int32_t) + gt_prefetch_host_bytes(cfg->batch_size, GT_FEED_DEPTH, per);
    return block ? bytes + gt_block_store_bytes(n, per, block, capacity) : bytes;
}

static void order_free(gt_feed *f)
{
    free(f->order);
    f->order = NULL;
}

static gt_status open_streamed(gt_feed *f, int training)
{
    gt_trainer *tr = f->tr;
    gt_backend *be = tr->be;
    if (!be->upload_async || !be->upload_release || !be->upload_query)
        return gt_fail(GT_ERR_UNSUPPORTED, "backend '%s' cannot stage uploads to stream %s",
                       be->name, gt_dataset_origin(f->ds));
    size_t per = gt_shape3_size(gt_dataset_shape(f->ds));
    size_t b = (size_t)tr->batch;
    GT_TRY(gt_prefetch_create(f->ds, be, tr->batch, GT_FEED_DEPTH, &f->pf));
    size_t capacity = 0, block = training ? store_block(f->ds, &tr->cfg, &capacity) : 0;
    if (block) GT_TRY(gt_prefetch_use_blocks(f->pf, block, capacity));
    void *p = NULL;
    for (int i = 0; i < GT_FEED_DEPTH; ++i) {
        GT_TRY(be->alloc(be, b * per + 1, &p));
        f->dev_images[i] = p;
        GT_TRY(be->alloc(be, b * sizeof(int32_t), &p));
        f->dev_labels[i] = p;
    }
    GT_TRY(be->alloc(be, b * sizeof(int32_t), &p));
    f->dev_identity = p;
    int32_t *identity = malloc(b * sizeof *identity);
    if (!identity) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    gt_identity_order(identity, b);
    gt_status st = be->upload(be, f->dev_identity, identity, b * sizeof *identity);
    free(identity);
    GT_TRY(st);
    /* the partial last batch is a geometry of its own */
    if (f->count % b) GT_TRY(gt_trainer_reserve_share(tr, (int)(f->count % b)));
    return GT_OK;
}

gt_status gt_feed_open(gt_trainer *tr, const gt_dataset *ds, int training, gt_feed *f)
{
    memset(f, 0, sizeof *f);
    f->tr = tr;
    f->ds = ds;
    f->count = gt_dataset_count(ds);
    f->staged_slot = -1;
    GT_TRY(gt_trainer_check_data(tr, ds));
    GT_TRY(feed_check(tr, ds));
    f->order = malloc((f->count ? f->count : 1) * sizeof *f->order);
    if (!f->order) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for the data order");
    gt_status st = gt_dataset_is_streamed(ds) ? open_streamed(f, training) : GT_OK;
    if (st != GT_OK) gt_feed_close(f);
    return st;
}

gt_status gt_feed_open_indices(gt_trainer *tr, gt_resident *res, const int32_t *device_indices,
                               gt_feed *f)
{
    memset(f, 0, sizeof *f);
    GT_TRY(feed_check(tr, res->dataset));
    f->tr = tr;
    f->ds = res->dataset;
    f->count = res->count;
    f->res = res;
    f->device_order = device_indices;
    f->staged_slot = -1;
    f->epoch = tr->epochs_done + 1;
    f->training = 1;
    return GT_OK;
}

/* Puts the order in place for [first, end): uploaded (resident) or handed to
 * the prefetch thread (streamed). */
static gt_status serve(gt_feed *f, size_t first, size_t end)
{
    gt_trainer *tr = f->tr;
    if (end > f->count || first > end)
        return gt_fail(GT_ERR_INTERNAL, "feed: positions %zu..%zu of %zu", first, end, f->count);
    if (f->pf) {
        gt_feed_end(f);
        return gt_prefetch_start(f->pf, f->order, first, end);
    }
    /* the dataset may have been evicted by another one since the last epoch */
    GT_TRY(gt_trainer_make_resident(tr, f->ds, &f->res));
    f->device_order = f->res->order;
    return tr->be->upload(tr->be, f->res->order, f->order, f->count * sizeof *f->order);
}

gt_status gt_feed_begin_epoch(gt_feed *f, int epoch, size_t first, size_t end)
{
    f->epoch = epoch;
    f->training = 1;
    GT_TRY(gt_epoch_order(f->order, f->count, &f->tr->cfg, epoch));
    return serve(f, first, end);
}

gt_status gt_feed_begin_range(gt_feed *f, size_t first, size_t end)
{
    f->epoch = 0;
    f->training = 0;
    gt_identity_order(f->order, f->count);
    return serve(f, first, end);
}

/* Hands back the host buffers whose copies have landed, oldest first. */
static gt_status release_landed(gt_feed *f, int wait_all)
{
    gt_backend *be = f->tr->be;
    if (wait_all && f->n_held) GT_TRY(gt_trainer_synchronize(f->tr));
    while (f->n_held > 0) {
        int slot = f->held[0], done = 0;
        GT_TRY(be->upload_query(be, slot, &done));
        if (!done) break;
        gt_prefetch_release(f->pf, slot);
        memmove(f->held, f->held + 1, (size_t)(f->n_held - 1) * sizeof *f->held);
        f->n_held -= 1;
    }
    return GT_OK;
}

gt_status gt_feed_prepare(gt_feed *f, size_t position, int n)
{
    if (!f->pf) return GT_OK;
    gt_backend *be = f->tr->be;
    /* every buffer waiting for its copy: the next batch has nowhere to go */
    GT_TRY(release_landed(f, f->n_held >= GT_FEED_DEPTH));
    gt_prefetch_batch b;
    GT_TRY(gt_prefetch_next(f->pf, &b));
    if (b.position != position || b.n != n) {
        gt_prefetch_release(f->pf, b.slot);
        return gt_fail(GT_ERR_INTERNAL, "feed: batch at %zu of %d examples, the step wants %zu, %d",
                       b.position, b.n, position, n);
    }
    size_t per = gt_shape3_size(gt_dataset_shape(f->ds));
    gt_status st = be->upload_async(be, f->dev_images[b.slot], b.images, (size_t)n * per, b.slot);
    if (st == GT_OK)
        st = be->upload_async(be, f->dev_labels[b.slot], b.labels, (size_t)n * sizeof(int32_t),
                              b.slot);
    /* held from here: its copy may still be reading the host buffer */
    f->held[f->n_held++] = b.slot;
    f->staged_slot = b.slot;
    f->staged_position = position;
    f->staged_n = n;
    return st;
}

gt_status gt_feed_gather(gt_feed *f, size_t position, int n)
{
    return gt_feed_gather_part(f, position, n, 0, n);
}

gt_status gt_feed_gather_part(gt_feed *f, size_t position, int n, int first, int count)
{
    if (!f->pf)
        return gather(f, f->res->images, f->res->is_float, f->res->labels,
                      f->device_order + position + first, position + (size_t)first, count);
    if (f->staged_slot < 0 || f->staged_position != position || f->staged_n != n)
        return gt_fail(GT_ERR_INTERNAL, "feed: gather of %zu, %d without its batch staged",
                       position, n);
    /* the whole batch is staged; the share is read through the identity */
    int s = f->staged_slot;
    return gather(f, f->dev_images[s], 0, f->dev_labels[s], f->dev_identity + first,
                  position + (size_t)first, count);
}

gt_status gt_feed_done(gt_feed *f)
{
    if (!f->pf || f->staged_slot < 0) return GT_OK;
    int s = f->staged_slot;
    f->staged_slot = -1;
    return f->tr->be->upload_release(f->tr->be, s);
}

void gt_feed_end(gt_feed *f)
{
    if (!f->pf) return;
    gt_prefetch_cancel(f->pf);
    f->staged_slot = -1;
    /* the copies from the held buffers must land before the thread refills them */
    if (release_landed(f, 1) != GT_OK) {
        /* a device error, which the next device call reports again: no copy
         * is running any more, so the buffers go back as they are */
        for (int i = 0; i < f->n_held; ++i)
            gt_prefetch_release(f->pf, f->held[i]);
        f->n_held = 0;
    }
}

void gt_feed_close(gt_feed *f)
{
    gt_backend *be = f->tr ? f->tr->be : NULL;
    if (f->pf) {
        gt_feed_end(f);
        gt_prefetch_destroy(f->pf);
        f->pf = NULL;
    }
    for (int i = 0; be && i < GT_FEED_DEPTH; ++i) {
        if (f->dev_images[i]) be->free(be, f->dev_images[i]);
        if (f->dev_labels[i]) be->free(be, f->dev_labels[i]);
        f->dev_images[i] = NULL;
        f->dev_labels[i] = NULL;
    }
    if (be && f->dev_identity) be->free(be, f->dev_identity);
    f->dev_identity = NULL;
    order_free(f);
}
