/* The trainer's side of the resident input pipeline: datasets uploaded once
 * to the backend and the per-batch gather (the epoch's order is
 * data_order.c's; streamed datasets go through trainer_feed.c). */
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"
#include "gtrain/status.h"
#include "trainer_internal.h"

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
    if (gt_dataset_is_streamed(ds))
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "%s is streamed from its file, and this needs it in memory: load it "
                       "resident (gt_dataset_load_resident; the CLI's --data-memory)",
                       gt_dataset_origin(ds));
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
        st = gt_trainer_reserve_share(tr, (int)(count % (size_t)tr->batch));
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
    if (tr->augment.n_stages) {
        /* outside a training epoch: the augmentation layers' inference form */
        gt_augment a = tr->augment;
        a.training = 0;
        a.epoch = 0;
        a.first = 0;
        return be->augment_gather(be, &tr->model->preprocess, &a, tr->input, tr->labels,
                                  res->images, res->labels, order, n);
    }
    return be->preprocess_gather(be, &tr->model->preprocess, tr->input, tr->labels, res->images,
                                 res->labels, order, n);
}
