/* The prefetch thread serves exactly the batches of the order it is given,
 * in order, with their labels, the last one partial; cancel and restart
 * mid-job, and a destroy while the thread waits or reads, never hang; a read
 * error (the file shrank) comes back from next() naming the file, the
 * example and the batch's position, again on every later call. */
#include "data_order.h"
#include "prefetch.h"
#include "test_util.h"
#include "test_util_data.h"
#include "test_util_files.h"

#define COUNT 157
#define BATCH 10

static void expect_batch(const gt_dataset *ref, const int32_t *order, const gt_prefetch_batch *b,
                         size_t position, int n)
{
    size_t per = gt_shape3_size(gt_dataset_shape(ref));
    CHECK_MSG(b->position == position && b->n == n, "batch at %zu of %d, expected %zu of %d",
              b->position, b->n, position, n);
    for (int i = 0; i < b->n && i < n; ++i) {
        int32_t e = order[position + (size_t)i];
        CHECK(b->labels[i] == gt_dataset_labels(ref)[e]);
        CHECK_MSG(
            memcmp(b->images + (size_t)i * per, gt_dataset_images(ref) + (size_t)e * per, per) == 0,
            "example %d of the batch at %zu", i, position);
    }
}

/* A whole job: positions [first, end) of `order`, batch by batch. */
static void serve_all(gt_prefetch *pf, const gt_dataset *ref, const int32_t *order, size_t first,
                      size_t end)
{
    CHECK_OK(gt_prefetch_start(pf, order, first, end));
    for (size_t p = first; p < end; p += BATCH) {
        int n = end - p < BATCH ? (int)(end - p) : BATCH;
        gt_prefetch_batch b;
        memset(&b, 0, sizeof b);
        CHECK_OK(gt_prefetch_next(pf, &b));
        expect_batch(ref, order, &b, p, n);
        gt_prefetch_release(pf, b.slot);
    }
    gt_prefetch_batch extra;
    CHECK_FAILS_WITH(gt_prefetch_next(pf, &extra), GT_ERR_INTERNAL, "past the end");
}

static void test_orders(const gt_dataset *ref, const gt_dataset *ds, gt_backend *be)
{
    gt_prefetch *pf = NULL;
    CHECK_OK(gt_prefetch_create(ds, be, BATCH, 3, &pf));
    if (!pf) return;
    int32_t order[COUNT];
    gt_identity_order(order, COUNT);
    serve_all(pf, ref, order, 0, COUNT);
    gt_train_config cfg = gt_train_config_for(NULL);
    cfg.seed = 11;
    for (int epoch = 1; epoch <= 3; ++epoch) {
        CHECK_OK(gt_epoch_order(order, COUNT, &cfg, epoch));
        serve_all(pf, ref, order, 0, COUNT);
    }
    cfg.shuffle_buffer = 40;
    cfg.shuffle_block = 8;
    CHECK_OK(gt_epoch_order(order, COUNT, &cfg, 2));
    serve_all(pf, ref, order, 30, 120); /* a resumed epoch that ends early */

    /* cancel mid-job (a batch held, others read ahead), then a new job */
    CHECK_OK(gt_prefetch_start(pf, order, 0, COUNT));
    gt_prefetch_batch b;
    CHECK_OK(gt_prefetch_next(pf, &b));
    gt_prefetch_cancel(pf);
    CHECK_FAILS_WITH(gt_prefetch_start(pf, order, 0, COUNT), GT_ERR_INTERNAL, "still held");
    gt_prefetch_release(pf, b.slot);
    gt_identity_order(order, COUNT);
    serve_all(pf, ref, order, 0, COUNT);

    /* holding every buffer and asking for more is an error, not a hang */
    CHECK_OK(gt_prefetch_start(pf, order, 0, COUNT));
    gt_prefetch_batch held[3];
    for (int i = 0; i < 3; ++i)
        CHECK_OK(gt_prefetch_next(pf, &held[i]));
    CHECK_FAILS_WITH(gt_prefetch_next(pf, &b), GT_ERR_INTERNAL, "buffers held");
    for (int i = 0; i < 3; ++i)
        gt_prefetch_release(pf, held[i].slot);
    CHECK_OK(gt_prefetch_next(pf, &b)); /* the thread goes on once they are back */
    expect_batch(ref, order, &b, 30, BATCH);
    uint64_t batches = 0;
    gt_prefetch_stats(pf, &batches, NULL, NULL);
    CHECK(batches > 0);
    /* destroyed with a job running, batches buffered and one held */
    gt_prefetch_destroy(pf);
}

/* --shuffle-buffer: with a store of buffer + block examples every block is
 * read once an epoch, also for a resumed epoch; a store too small for the
 * order still serves the right bytes. */
static void test_blocks(const gt_dataset *ref, const gt_dataset *ds, gt_backend *be)
{
    int32_t order[COUNT];
    gt_train_config cfg = gt_train_config_for(NULL);
    cfg.seed = 5;
    cfg.shuffle_buffer = 30;
    cfg.shuffle_block = 8;
    const size_t capacities[] = {30 + 8, 8};
    for (int k = 0; k < 2; ++k) {
        gt_prefetch *pf = NULL;
        CHECK_OK(gt_prefetch_create(ds, be, BATCH, 3, &pf));
        if (!pf) return;
        CHECK_OK(gt_prefetch_use_blocks(pf, 8, capacities[k]));
        CHECK_FAILS_WITH(gt_prefetch_use_blocks(pf, 8, 38), GT_ERR_INTERNAL, "twice");
        uint64_t before = 0, after = 0;
        for (int epoch = 1; epoch <= 2; ++epoch) {
            CHECK_OK(gt_epoch_order(order, COUNT, &cfg, epoch));
            gt_prefetch_stats(pf, NULL, &before, NULL);
            serve_all(pf, ref, order, 0, COUNT);
            gt_prefetch_stats(pf, NULL, &after, NULL);
            if (k == 0)
                CHECK_MSG(after - before == COUNT, "epoch %d read %llu examples for %d", epoch,
                          (unsigned long long)(after - before), COUNT);
        }
        /* resumed at position 53: the blocks read then do not keep used examples */
        serve_all(pf, ref, order, 53, COUNT);
        serve_all(pf, ref, order, 0, COUNT);
        gt_prefetch_destroy(pf);
    }
}

static void test_read_error(const char *dir, const gt_dataset *ref, gt_backend *be)
{
    char img[4200], lab[4200];
    snprintf(img, sizeof img, "%s/shrink-img", dir);
    snprintf(lab, sizeof lab, "%s/shrink-lab", dir);
    CHECK(gt_test_write_idx(ref, img, lab, 0));
    gt_dataset *ds = NULL;
    CHECK_OK(gt_dataset_open_idx(img, lab, 5, &ds));
    if (!ds) return;
    gt_prefetch *pf = NULL;
    CHECK_OK(gt_prefetch_create(ds, be, BATCH, 2, &pf));
    int32_t order[COUNT];
    gt_identity_order(order, COUNT);
    if (pf) {
        CHECK_OK(gt_prefetch_start(pf, order, 0, COUNT));
        gt_prefetch_batch b;
        CHECK_OK(gt_prefetch_next(pf, &b));
        /* examples from 60 on are gone; the thread has read at most 2 batches ahead */
        CHECK(gt_test_truncate(img, 16 + 144 * 60));
        gt_prefetch_release(pf, b.slot);
        gt_status st = GT_OK;
        size_t reached = 0;
        for (int i = 0; i < 20 && st == GT_OK; ++i) {
            st = gt_prefetch_next(pf, &b);
            if (st == GT_OK) {
                reached = b.position;
                gt_prefetch_release(pf, b.slot);
            }
        }
        CHECK_MSG(st == GT_ERR_IO && strstr(gt_last_error(), "shrink-img shrank") &&
                      strstr(gt_last_error(), "example 60") &&
                      strstr(gt_last_error(), "position 60 of the epoch's order"),
                  "got %s after position %zu: %s", gt_status_name(st), reached, gt_last_error());
        CHECK_FAILS_WITH(gt_prefetch_next(pf, &b), GT_ERR_IO, "example 60");
        /* a new job after the error */
        CHECK_OK(gt_prefetch_start(pf, order, 0, 50));
        CHECK_OK(gt_prefetch_next(pf, &b));
        expect_batch(ref, order, &b, 0, BATCH);
        gt_prefetch_release(pf, b.slot);
        gt_prefetch_destroy(pf);
    }
    gt_dataset_free(ds);
}

int main(void)
{
    char dir[4096];
    if (!gt_test_tmpdir(dir, sizeof dir)) TEST_SKIP("no temporary directory");
    gt_dataset *ref = NULL;
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, COUNT, 5, 3, &ref));
    gt_backend *be = NULL;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    char img[4200], lab[4200];
    snprintf(img, sizeof img, "%s/img", dir);
    snprintf(lab, sizeof lab, "%s/lab", dir);
    if (ref && be && gt_test_write_idx(ref, img, lab, 0)) {
        test_orders(ref, ref, be); /* resident: copies from memory */
        gt_dataset *st = NULL;
        CHECK_OK(gt_dataset_open_idx(img, lab, 5, &st));
        if (st) test_orders(ref, st, be);
        if (st) test_blocks(ref, st, be);
        gt_dataset_free(st);
        test_read_error(dir, ref, be);
    }
    gt_backend_destroy(be);
    gt_dataset_free(ref);
    gt_test_rmdir(dir);
    TEST_EXIT();
}
