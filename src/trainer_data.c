/* The trainer's side of the input pipeline: datasets uploaded once to the
 * backend, the epoch's order (shuffled, or the file's), and the per-batch
 * gather. */
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"
#include "error.h"
#include "philox.h"
#include "trainer_internal.h"

/* Key of the shuffle stream, kept apart from the weight and dropout streams. */
#define GT_SHUFFLE_STREAM 0x73687566666c65ULL /* "shuffle" */

void gt_identity_order(int32_t *order, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        order[i] = (int32_t)i;
}

/* Fisher-Yates order of 0..count-1 for (seed, epoch), identical on every machine. */
static void shuffle_order(int32_t *order, size_t count, uint64_t seed, int epoch)
{
    uint64_t key = seed ^ GT_SHUFFLE_STREAM;
    uint64_t block_base = (uint64_t)epoch << 40;
    gt_identity_order(order, count);
    for (size_t i = count; i > 1; --i) {
        /* 64 random bits per draw: the modulo bias is below 2^-32 for any dataset size */
        uint64_t block = block_base + (uint64_t)i;
        uint64_t r =
            ((uint64_t)gt_philox_word(key, block, 0) << 32) | gt_philox_word(key, block, 1);
        size_t j = (size_t)(r % (uint64_t)i);
        int32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

void gt_epoch_order(int32_t *order, size_t count, const gt_train_config *cfg, int epoch)
{
    if (cfg->order == GT_ORDER_FILE)
        gt_identity_order(order, count);
    else
        shuffle_order(order, count, cfg->seed, epoch);
}

gt_status gt_trainer_set_step_index(gt_trainer *tr, const int32_t *indices, int n)
{
    size_t bytes = (size_t)n * sizeof(int32_t);
    if (tr->step_index_count == n && memcmp(tr->host_step_index, indices, bytes) == 0) return GT_OK;
    /* the record first, then the upload from it (it outlives an asynchronous
     * copy); invalid until the upload is queued */
    tr->step_index_count = 0;
    memmove(tr->host_step_index, indices, bytes);
    GT_TRY(tr->be->upload(tr->be, tr->step_index, tr->host_step_index, bytes));
    tr->step_index_count = n;
    return GT_OK;
}

static void release(gt_backend *be, gt_resident *r)
{
    if (r->images) be->free(be, r->images);
    if (r->labels) be->free(be, r->labels);
    if (r->order) be->free(be, r->order);
    r->images = NULL;
    r->labels = NULL;
    r->order = NULL;
    r->dataset = NULL;
    r->dataset_id = 0;
    r->count = 0;
}

void gt_trainer_release_dataset(gt_trainer *tr, const gt_dataset *ds)
{
    for (int s = 0; tr && ds && s < GT_RESIDENT_SLOTS; ++s)
        if (tr->resident[s].dataset_id == gt_dataset_id(ds)) release(tr->be, &tr->resident[s]);
}

gt_status gt_trainer_make_resident(gt_trainer *tr, const gt_dataset *ds, gt_resident **out)
{
    gt_backend *be = tr->be;
    tr->usage_clock += 1;
    for (int s = 0; s < GT_RESIDENT_SLOTS; ++s) {
        if (tr->resident[s].dataset_id == gt_dataset_id(ds)) {
            tr->resident[s].last_use = tr->usage_clock;
            *out = &tr->resident[s];
            return GT_OK;
        }
    }
    GT_TRY(gt_trainer_check_data(tr, ds));
    gt_resident *r = &tr->resident[0];
    for (int s = 1; s < GT_RESIDENT_SLOTS; ++s)
        if (tr->resident[s].last_use < r->last_use) r = &tr->resident[s];
    release(be, r);

    size_t count = gt_dataset_count(ds);
    int is_float = gt_dataset_is_float(ds);
    size_t image_bytes =
        count * gt_shape3_size(gt_dataset_shape(ds)) * (is_float ? sizeof(float) : 1);
    void *images = NULL, *labels = NULL, *order = NULL;
    gt_status st = be->alloc(be, image_bytes ? image_bytes : 1, &images);
    if (st == GT_OK) st = be->alloc(be, count * sizeof(int32_t) + 1, &labels);
    if (st == GT_OK) st = be->alloc(be, count * sizeof(int32_t) + 1, &order);
    r->images = images;
    r->labels = labels;
    r->order = order;
    if (st != GT_OK) {
        release(be, r);
        return gt_fail_context(st, "uploading dataset %s", gt_dataset_origin(ds));
    }
    const void *host_images =
        is_float ? (const void *)gt_dataset_images_f32(ds) : (const void *)gt_dataset_images(ds);
    st = be->upload(be, r->images, host_images, image_bytes);
    if (st == GT_OK) st = be->upload(be, r->labels, gt_dataset_labels(ds), count * sizeof(int32_t));
    if (st != GT_OK) {
        release(be, r);
        return st;
    }
    /* the partial last batch is a geometry of its own */
    if (count % (size_t)tr->batch) {
        st = gt_trainer_reserve_workspace(tr, (int)(count % (size_t)tr->batch));
        if (st != GT_OK) {
            release(be, r);
            return st;
        }
    }
    r->dataset = ds;
    r->is_float = is_float;
    r->dataset_id = gt_dataset_id(ds);
    r->count = count;
    r->last_use = tr->usage_clock;
    *out = r;
    return GT_OK;
}

gt_status gt_trainer_gather(gt_trainer *tr, const gt_resident *res, const int32_t *order, int n)
{
    gt_backend *be = tr->be;
    if (res->is_float)
        return be->preprocess_gather_f32(be, &tr->model->preprocess, tr->input, tr->labels,
                                         (const float *)res->images, res->labels, order, n);
    return be->preprocess_gather(be, &tr->model->preprocess, tr->input, tr->labels, res->images,
                                 res->labels, order, n);
}
