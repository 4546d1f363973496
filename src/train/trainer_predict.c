/* Prediction: class probabilities of a range of examples, in batches of the
 * trainer's batch size, through the same feed, gather and forward as
 * training (dropout off), so a streamed dataset is predicted the same way. */
#include <stdlib.h>
#include <string.h>

#include "gtrain/status.h"
#include "trainer_internal.h"

/* Keras' categorical cross-entropy normalizes a non-softmax output by its
 * sum; predictions from such a model are shown the same way. */
static void normalize_rows(float *probs, int n, int classes)
{
    for (int i = 0; i < n; ++i) {
        float *row = probs + (size_t)i * (size_t)classes;
        double sum = 0.0;
        for (int k = 0; k < classes; ++k)
            sum += row[k];
        if (sum > 0.0)
            for (int k = 0; k < classes; ++k)
                row[k] = (float)(row[k] / sum);
    }
}

gt_status gt_trainer_predict(gt_trainer *tr, const gt_dataset *ds, size_t first, size_t count,
                             float *probs)
{
    if (!tr || !ds || (count && !probs))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_trainer_predict: trainer, dataset or probs "
                                                "is NULL");
    size_t total = gt_dataset_count(ds);
    if (first > total || count > total - first)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: examples %zu..%zu requested, it has %zu",
                       gt_dataset_origin(ds), first, first + count, total);
    const gt_model *m = tr->model;
    gt_backend *be = tr->be;
    int classes = m->num_classes;
    gt_feed feed;
    GT_TRY(gt_feed_open(tr, ds, 0, &feed));
    gt_status st = gt_feed_begin_range(&feed, first, first + count);
    for (size_t done = 0; done < count && st == GT_OK;) {
        int n = count - done < (size_t)tr->batch ? (int)(count - done) : tr->batch;
        size_t position = first + done;
        float *out = probs + done * (size_t)classes;
        if (n != tr->batch) st = gt_trainer_reserve_workspace(tr, n);
        if (st == GT_OK) st = gt_feed_prepare(&feed, position, n);
        if (st == GT_OK) st = gt_feed_gather(&feed, position, n);
        if (st == GT_OK) st = gt_trainer_forward(tr, n, 0);
        if (st == GT_OK) st = gt_feed_done(&feed);
        const float *result = tr->cur[m->n_layers - 1];
        /* the gradient buffer is free outside a training step: it holds the softmax */
        if (st == GT_OK && m->logits_output) {
            st = be->softmax_forward(be, tr->grad_a, result, n, classes);
            result = tr->grad_a;
        }
        if (st == GT_OK)
            st = be->download(be, out, result, (size_t)n * (size_t)classes * sizeof(float));
        if (st == GT_OK) st = be->synchronize(be);
        if (st == GT_OK && !m->logits_output) normalize_rows(out, n, classes);
        done += (size_t)n;
    }
    gt_feed_close(&feed);
    return st;
}
