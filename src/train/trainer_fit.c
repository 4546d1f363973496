/* Steps, epochs and evaluation with Keras semantics. Each step's loss sum and
 * correct count stay in backend memory and come back through asynchronous
 * copies tagged with fences, so a device backend never waits on the host
 * inside the loop; the running metrics may lag a few steps behind the math. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "gtrain/clock.h"
#include "gtrain/status.h"
#include "trainer_internal.h"

/* Steps whose statistics are in flight. */
typedef struct stats_ring {
    gt_trainer *tr;
    int epoch;
    uint64_t issued, consumed; /* sequence numbers; slot = seq % GT_BACKEND_FENCES */
    int step_of[GT_BACKEND_FENCES];
    int n_of[GT_BACKEND_FENCES];
    int64_t global_of[GT_BACKEND_FENCES];    /* the optimizer step after it */
    double loss_weighted, correct, examples; /* running sums over the epoch */
    const gt_fit_callbacks *cb;
    int steps;
    int stop_requested;
} stats_ring;

static void ring_begin(stats_ring *r, gt_trainer *tr, int epoch, int steps,
                       const gt_fit_callbacks *cb)
{
    memset(r, 0, sizeof *r);
    r->tr = tr;
    r->epoch = epoch;
    r->steps = steps;
    r->cb = cb;
}

static float *ring_next_slot(stats_ring *r)
{
    return r->tr->stats + 2 * (r->issued % GT_BACKEND_FENCES);
}

/* Folds in one finished step; a non-finite loss ends training there. */
static gt_status ring_consume_one(stats_ring *r)
{
    gt_trainer *tr = r->tr;
    int slot = (int)(r->consumed % GT_BACKEND_FENCES);
    double loss_sum = tr->host_stats[2 * slot];
    double correct = tr->host_stats[2 * slot + 1];
    int n = r->n_of[slot];
    int step = r->step_of[slot];
    int64_t global_step = r->global_of[slot];
    r->consumed += 1;
    if (!isfinite(loss_sum))
        return gt_fail(GT_ERR_NONFINITE, "loss became %s at epoch %d step %d",
                       isnan(loss_sum) ? "nan" : "inf", r->epoch, step);
    double batch_loss = tr->cfg.reduction == GT_REDUCE_MEAN ? loss_sum / n : loss_sum;
    r->loss_weighted += batch_loss * n;
    r->correct += correct;
    r->examples += n;
    if (r->cb && r->cb->on_step && step > 0 &&
        r->cb->on_step(r->cb->user, r->epoch, step, r->steps, r->loss_weighted / r->examples,
                       r->correct / r->examples))
        r->stop_requested = 1;
    if (step > 0 && tr->callbacks)
        GT_TRY(gt_callbacks_batch_end(tr, global_step, r->loss_weighted / r->examples,
                                      r->correct / r->examples));
    return GT_OK;
}

static gt_status ring_drain(stats_ring *r, int wait_all)
{
    gt_backend *be = r->tr->be;
    if (wait_all && r->consumed < r->issued) GT_TRY(gt_trainer_synchronize(r->tr));
    while (r->consumed < r->issued) {
        int done = 0;
        GT_TRY(be->fence_query(be, (int)(r->consumed % GT_BACKEND_FENCES), &done));
        if (!done) break;
        GT_TRY(ring_consume_one(r));
    }
    return GT_OK;
}

/* Queues the readback of the slot the loss just wrote. */
static gt_status ring_issue(stats_ring *r, int step, int n)
{
    gt_trainer *tr = r->tr;
    int slot = (int)(r->issued % GT_BACKEND_FENCES);
    r->step_of[slot] = step;
    r->n_of[slot] = n;
    r->global_of[slot] = tr->optimizer_step;
    GT_TRY(tr->be->download_async(tr->be, tr->host_stats + 2 * slot, tr->stats + 2 * slot,
                                  2 * sizeof(float), slot));
    r->issued += 1;
    return ring_drain(r, 0);
}

/* Makes sure the slot about to be written is no longer in flight. */
static gt_status ring_reserve(stats_ring *r)
{
    if (r->issued - r->consumed >= GT_BACKEND_FENCES - 1) {
        GT_TRY(gt_trainer_synchronize(r->tr));
        GT_TRY(ring_drain(r, 0));
    }
    return GT_OK;
}

/* gather + forward + loss + backward of examples [first, first + count) of
 * the batch of n at `position`: the gradient in tr->grads, the loss sum and
 * correct count in stats_slot. Each part draws its dropout masks from the
 * step's counter at its examples' positions. */
static gt_status part_step(gt_trainer *tr, gt_feed *feed, size_t position, int n, int first,
                           int count, float *stats_slot, uint64_t counter)
{
    tr->dropout_counter = counter;
    tr->share_first = first;
    tr->share_total = n;
    GT_TRY(gt_feed_gather_part(feed, position, n, first, count));
    GT_TRY(gt_trainer_forward(tr, count, 1));
    GT_TRY(gt_trainer_loss(tr, count, stats_slot, 1));
    return gt_trainer_backward(tr, count);
}

/* This rank's share of the batch, then the sum over the ranks. */
static gt_status shared_step(gt_trainer *tr, gt_feed *feed, size_t position, int n,
                             float *stats_slot, uint64_t counter)
{
    int first = 0, count = 0;
    gt_trainer_share(tr, n, &first, &count);
    tr->bucket_hi = tr->model->n_trainable; /* no bucket started yet */
    if (count > 0) {
        tr->overlap_step = tr->bucket_launch != NULL;
        gt_status st = part_step(tr, feed, position, n, first, count, stats_slot, counter);
        tr->overlap_step = 0;
        GT_TRY(st);
    } else {
        tr->share_first = first; /* the batch-wide layers scale by the whole batch */
        tr->share_total = n;
        GT_TRY(gt_trainer_zero_step(tr, stats_slot));
        GT_TRY(gt_trainer_idle_batch_wide(tr));
    }
    return gt_trainer_reduce_step(tr, stats_slot);
}

/* --deterministic: chunks of sum_chunk examples, this rank's consecutive
 * chunks each into its own row, then every row summed in chunk order. */
static gt_status chunked_step(gt_trainer *tr, gt_feed *feed, size_t position, int n,
                              float *stats_slot, uint64_t counter)
{
    int c = tr->sum_chunk, chunks = (n + c - 1) / c, k0 = 0, kc = 0;
    gt_trainer_share(tr, chunks, &k0, &kc);
    size_t np = tr->model->n_trainable;
    for (int k = k0; k < k0 + kc; ++k) {
        int first = k * c, count = n - first < c ? n - first : c;
        float *row = gt_trainer_chunk_row(tr, k);
        GT_TRY(part_step(tr, feed, position, n, first, count, row + np, counter));
        GT_TRY(tr->be->copy(tr->be, row, tr->grads, np * sizeof(float)));
    }
    return gt_trainer_sum_chunks(tr, chunks, stats_slot);
}

/* One step of the batch of n, summed over the ranks, then the update. The
 * dropout counter advances by the whole batch's masks on every rank, also
 * on one that computed none of its examples. */
static gt_status run_step(gt_trainer *tr, gt_feed *feed, size_t position, int n, float *stats_slot)
{
    uint64_t counter = tr->dropout_counter;
    gt_status st = tr->sum_chunk > 0 ? chunked_step(tr, feed, position, n, stats_slot, counter)
                                     : shared_step(tr, feed, position, n, stats_slot, counter);
    tr->share_total = 0;
    GT_TRY(st);
    tr->dropout_counter = counter + (uint64_t)n * gt_trainer_dropout_draws(tr);
    return gt_trainer_apply_update(tr);
}

/* One training step, captured and launched as a CUDA graph when asked for.
 * The first full step runs eagerly (it loads kernels and settles the library
 * state a capture must not see change); partial batches always run eagerly.
 * A streamed batch is staged before any capture begins. */
static gt_status train_step(gt_trainer *tr, gt_feed *feed, size_t position, int n,
                            float *stats_slot)
{
    gt_backend *be = tr->be;
    GT_TRY(gt_feed_prepare(feed, position, n));
    if (!tr->cfg.cuda_graph || n != tr->batch || !tr->graph_warm) {
        GT_TRY(run_step(tr, feed, position, n, stats_slot));
        if (n == tr->batch) tr->graph_warm = 1;
        return gt_feed_done(feed);
    }
    GT_TRY(be->capture_begin(be));
    gt_status st = run_step(tr, feed, position, n, stats_slot);
    gt_status end = be->capture_end(be, st == GT_OK);
    GT_TRY(st != GT_OK ? st : end);
    return gt_feed_done(feed);
}

static gt_status check_batch(const gt_trainer *tr, int n)
{
    if (n < 1 || n > tr->batch)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "batch of %d examples; this trainer takes 1..%d", n,
                       tr->batch);
    return GT_OK;
}

gt_status gt_trainer_step(gt_trainer *tr, const gt_dataset *ds, const int32_t *indices, int n,
                          double *loss_sum, double *correct)
{
    GT_TRY(check_batch(tr, n));
    if (n != tr->batch) GT_TRY(gt_trainer_reserve_workspace(tr, n));
    gt_resident *res = NULL;
    GT_TRY(gt_trainer_make_resident(tr, ds, &res));
    for (int i = 0; i < n; ++i)
        if (indices[i] < 0 || (size_t)indices[i] >= res->count)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "index %d is outside the dataset (%zu examples)", (int)indices[i],
                           res->count);
    gt_backend *be = tr->be;
    GT_TRY(gt_trainer_set_step_index(tr, indices, n));
    gt_feed feed;
    GT_TRY(gt_feed_open_indices(tr, res, tr->step_index, &feed));
    GT_TRY(train_step(tr, &feed, 0, n, tr->stats));
    if (loss_sum || correct) {
        float host[2];
        GT_TRY(gt_trainer_synchronize(tr)); /* bounded, before a copy that may block */
        GT_TRY(be->download(be, host, tr->stats, sizeof host));
        GT_TRY(be->synchronize(be));
        if (loss_sum) *loss_sum = host[0];
        if (correct) *correct = host[1];
    }
    return GT_OK;
}

static int steps_for(size_t count, int batch)
{
    return (int)((count + (size_t)batch - 1) / (size_t)batch);
}

static gt_status evaluate_fed(gt_trainer *tr, gt_feed *feed, double *loss, double *accuracy)
{
    size_t count = feed->count;
    GT_TRY(gt_feed_begin_range(feed, 0, count));
    stats_ring ring;
    int steps = steps_for(count, tr->batch);
    ring_begin(&ring, tr, 0, steps, NULL);
    for (int s = 0; s < steps; ++s) {
        size_t first = (size_t)s * (size_t)tr->batch;
        int n = (int)(count - first < (size_t)tr->batch ? count - first : (size_t)tr->batch);
        int part = 0, part_n = 0; /* this rank's share of the batch */
        gt_trainer_share(tr, n, &part, &part_n);
        GT_TRY(ring_reserve(&ring));
        GT_TRY(gt_feed_prepare(feed, first, n));
        if (part_n > 0) {
            GT_TRY(gt_feed_gather_part(feed, first, n, part, part_n));
            GT_TRY(gt_trainer_forward(tr, part_n, 0));
            GT_TRY(gt_trainer_loss(tr, part_n, ring_next_slot(&ring), 0));
        }
        GT_TRY(gt_feed_done(feed));
        if (part_n > 0) GT_TRY(ring_issue(&ring, 0, part_n));
    }
    gt_status st = ring_drain(&ring, 1);
    /* a non-finite validation loss is reported as NaN, as Keras does */
    if (st != GT_OK && st != GT_ERR_NONFINITE) return st;
    /* the ranks' sums (a NaN on any rank makes the loss NaN on all) */
    double sums[3] = {st == GT_OK ? ring.loss_weighted : NAN, ring.correct, ring.examples};
    GT_TRY(gt_trainer_reduce_sums(tr, sums, 3));
    *loss = sums[0] / sums[2];
    *accuracy = sums[2] > 0 ? sums[1] / sums[2] : NAN;
    return GT_OK;
}

gt_status gt_trainer_evaluate(gt_trainer *tr, const gt_dataset *ds, double *loss, double *accuracy)
{
    if (gt_dataset_count(ds) == 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s has no examples to evaluate",
                       gt_dataset_origin(ds));
    gt_feed feed;
    GT_TRY(gt_feed_open(tr, ds, 0, &feed));
    gt_status st = evaluate_fed(tr, &feed, loss, accuracy);
    gt_feed_close(&feed);
    return st;
}

/* A stop request on any rank stops every rank before the same step. */
static gt_status stop_polled(gt_trainer *tr, const gt_fit_callbacks *cb, int flag, int *stop)
{
    flag = flag || (cb && cb->stop_requested && cb->stop_requested(cb->user));
    return gt_trainer_any_rank(tr, flag, stop);
}

/* Runs the rest of epoch `epoch`. *stop: a stop was requested; *partial: it
 * came before the epoch's last step, so the epoch is not complete and the
 * trainer keeps its running sums for a checkpoint to record. */
static gt_status run_epoch(gt_trainer *tr, gt_feed *feed, int epoch, int epochs,
                           const gt_fit_callbacks *cb, gt_epoch_logs *logs, int *stop, int *partial)
{
    size_t count = feed->count;
    int steps = steps_for(count, tr->batch);
    if (tr->cfg.steps_per_epoch > 0 && tr->cfg.steps_per_epoch < steps)
        steps = tr->cfg.steps_per_epoch;
    int first_step = tr->steps_done; /* > 0 when resuming mid-epoch */
    if (first_step > steps)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "the run state is at step %d of epoch %d, but an epoch of %s has %d steps "
                       "(%zu examples, batch %d): the state was saved by a run on other data",
                       first_step, epoch, gt_dataset_origin(feed->ds), steps, count, tr->batch);
    size_t end =
        (size_t)steps * (size_t)tr->batch < count ? (size_t)steps * (size_t)tr->batch : count;
    GT_TRY(gt_feed_begin_epoch(feed, epoch, (size_t)first_step * (size_t)tr->batch, end));
    if (cb && cb->on_epoch_begin) cb->on_epoch_begin(cb->user, epoch, epochs, steps);

    double t0 = gt_now_seconds();
    stats_ring ring;
    ring_begin(&ring, tr, epoch, steps, cb);
    if (first_step > 0) {
        ring.loss_weighted = tr->epoch_loss_sum;
        ring.correct = tr->epoch_correct;
        ring.examples = tr->epoch_examples;
    } else {
        tr->epoch_seconds = 0;
    }
    int s = first_step;
    for (; s < steps; ++s) {
        int stop_now = 0;
        GT_TRY(stop_polled(tr, cb, ring.stop_requested, &stop_now));
        if (stop_now) break;
        size_t first = (size_t)s * (size_t)tr->batch;
        int n = (int)(count - first < (size_t)tr->batch ? count - first : (size_t)tr->batch);
        GT_TRY(ring_reserve(&ring));
        GT_TRY(train_step(tr, feed, first, n, ring_next_slot(&ring)));
        GT_TRY(ring_issue(&ring, s + 1, n));
        tr->steps_done = s + 1;
        if (cb && cb->on_step_end &&
            (cb->step_end_every <= 1 || tr->optimizer_step % cb->step_end_every == 0)) {
            /* the state a checkpoint records must include this step's statistics */
            GT_TRY(ring_drain(&ring, 1));
            tr->epoch_loss_sum = ring.loss_weighted;
            tr->epoch_correct = ring.correct;
            tr->epoch_examples = ring.examples;
            GT_TRY(cb->on_step_end(cb->user, tr, epoch, s + 1));
        }
    }
    GT_TRY(ring_drain(&ring, 1));
    gt_feed_end(feed);
    tr->epoch_seconds += gt_now_seconds() - t0;
    int any_stop = 0; /* on_step may have asked on one rank alone */
    GT_TRY(gt_trainer_any_rank(tr, ring.stop_requested, &any_stop));
    *stop = any_stop || s < steps;
    *partial = s < steps;
    if (*partial) {
        /* stopped in the middle: the epoch goes on from here on resume */
        tr->epoch_loss_sum = ring.loss_weighted;
        tr->epoch_correct = ring.correct;
        tr->epoch_examples = ring.examples;
        return GT_OK;
    }
    logs->epoch = epoch;
    logs->steps = steps;
    logs->loss = ring.loss_weighted / ring.examples;
    logs->accuracy = ring.correct / ring.examples;
    logs->seconds = tr->epoch_seconds;
    tr->epochs_done = epoch;
    tr->steps_done = 0;
    tr->epoch_loss_sum = tr->epoch_correct = tr->epoch_examples = 0;
    return GT_OK;
}

gt_status gt_trainer_fit(gt_trainer *tr, const gt_dataset *train, const gt_dataset *val, int epochs,
                         const gt_fit_callbacks *cb)
{
    if (epochs < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "epochs must be at least 1, found %d", epochs);
    if (gt_dataset_count(train) == 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s has no training examples",
                       gt_dataset_origin(train));
    if (val) GT_TRY(gt_trainer_check_data(tr, val));
    GT_TRY(gt_feed_fix_shuffle_block(tr, train));
    int finished = 0;
    GT_TRY(gt_callbacks_fit_begin(tr, val != NULL, &finished));
    if (finished) return GT_OK; /* EarlyStopping already ended this run */
    gt_feed feed;
    GT_TRY(gt_feed_open(tr, train, 1, &feed));

    gt_status st = GT_OK;
    int requested = 0; /* a stop request, not an end of training */
    for (int e = tr->epochs_done + 1; e <= epochs; ++e) {
        gt_epoch_logs logs;
        memset(&logs, 0, sizeof logs);
        logs.checkpoint_best = NAN;
        int stop = 0, partial = 0, early = 0;
        int stop_now = 0;
        if (tr->steps_done == 0) { /* between epochs */
            if ((st = stop_polled(tr, cb, 0, &stop_now)) != GT_OK) break;
            if (stop_now) {
                requested = 1;
                break;
            }
        }
        if ((st = run_epoch(tr, &feed, e, epochs, cb, &logs, &stop, &partial)) != GT_OK) break;
        if (partial) {
            requested = 1;
            break;
        }
        logs.val_loss = NAN;
        logs.val_accuracy = NAN;
        if (val && (st = gt_trainer_evaluate(tr, val, &logs.val_loss, &logs.val_accuracy)) != GT_OK)
            break;
        logs.learning_rate = gt_trainer_learning_rate(tr);
        if (tr->callbacks && (st = gt_callbacks_epoch_end(tr, &logs, &early)) != GT_OK) break;
        if (cb && cb->on_epoch_end && (st = cb->on_epoch_end(cb->user, tr, &logs)) != GT_OK) break;
        if (stop) requested = 1;
        if (stop || early) break;
    }
    gt_feed_close(&feed);
    /* Keras' on_train_end runs when training ends, not on an interruption */
    if (st == GT_OK && !requested) st = gt_callbacks_train_end(tr);
    return st;
}

gt_status gt_trainer_get_state(const gt_trainer *tr, gt_train_state *state)
{
    memset(state, 0, sizeof *state);
    state->seed = tr->cfg.seed;
    state->optimizer_step = tr->optimizer_step;
    state->epochs_done = tr->epochs_done;
    state->steps_done = tr->steps_done;
    state->dropout_counter = tr->dropout_counter;
    state->epoch_loss_sum = tr->epoch_loss_sum;
    state->epoch_correct = tr->epoch_correct;
    state->epoch_examples = tr->epoch_examples;
    state->epoch_seconds = tr->epoch_seconds;
    state->learning_rate = tr->learning_rate;
    state->data_cursor = (int64_t)tr->steps_done * tr->batch;
    return GT_OK;
}

gt_status gt_trainer_set_state(gt_trainer *tr, const gt_train_state *state)
{
    if (state->seed != tr->cfg.seed)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "the checkpoint's run used seed %llu, this trainer seed %llu",
                       (unsigned long long)state->seed, (unsigned long long)tr->cfg.seed);
    if (state->learning_rate != 0.0 && !(state->learning_rate > 0.0 && state->learning_rate <= 1e6))
        return gt_fail(GT_ERR_FORMAT, "training state has learning rate %g, expected (0, 1e6]",
                       state->learning_rate);
    if (state->optimizer_step < 0 || state->epochs_done < 0 || state->steps_done < 0)
        return gt_fail(GT_ERR_FORMAT,
                       "training state has negative counters (step %lld, epoch "
                       "%d, steps %d)",
                       (long long)state->optimizer_step, state->epochs_done, state->steps_done);
    /* the data order goes on at the cursor: it must be where the steps put it */
    if (state->data_cursor != (int64_t)state->steps_done * tr->batch)
        return gt_fail(GT_ERR_FORMAT,
                       "training state: data_cursor is %lld but %d steps of batch %d consumed "
                       "%lld examples",
                       (long long)state->data_cursor, state->steps_done, tr->batch,
                       (long long)state->steps_done * tr->batch);
    tr->optimizer_step = state->optimizer_step;
    tr->epochs_done = state->epochs_done;
    tr->steps_done = state->steps_done;
    tr->dropout_counter = state->dropout_counter;
    tr->epoch_loss_sum = state->epoch_loss_sum;
    tr->epoch_correct = state->epoch_correct;
    tr->epoch_examples = state->epoch_examples;
    tr->epoch_seconds = state->epoch_seconds;
    if (state->learning_rate > 0.0) tr->learning_rate = state->learning_rate;
    return GT_OK;
}
