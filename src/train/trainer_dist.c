/* The trainer's side of data-parallel training (src/dist): which examples of
 * a batch this rank takes, and the sums over the ranks after backward.
 *
 * Every rank runs the same steps over the same global order; each takes a
 * consecutive share of every batch, computes its gradient with the loss
 * scaled by the whole batch (mean: 1 / n of the global n), and the ranks
 * sum: the sum of the shares' gradients is the whole batch's gradient, up to
 * the order of the float additions. */
#include <stdlib.h>
#include <string.h>

#include "gtrain/dist.h"
#include "gtrain/status.h"
#include "trainer_internal.h"

void gt_trainer_share(const gt_trainer *tr, int n, int *first, int *count)
{
    gt_dist_share(n, gt_dist_rank(tr->dist), gt_dist_size(tr->dist), first, count);
}

gt_status gt_trainer_reserve_share(gt_trainer *tr, int n)
{
    int first = 0, count = 0;
    gt_trainer_share(tr, n, &first, &count);
    return count > 0 ? gt_trainer_reserve_workspace(tr, count) : GT_OK;
}

/* What N ranks cannot yet compute as one process does. */
static gt_status check_parallel(const gt_trainer *tr, int size)
{
    if (tr->cfg.cuda_graph)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "--cuda-graph with %d ranks: the NCCL all-reduce is not captured in "
                       "the step's graph yet; leave --cuda-graph off",
                       size);
    return GT_OK;
}

gt_status gt_trainer_set_dist(gt_trainer *tr, gt_dist *d)
{
    int size = gt_dist_size(d);
    if (size > 1) {
        GT_TRY(check_parallel(tr, size));
        GT_TRY(gt_trainer_reserve_share(tr, tr->batch));
        GT_TRY(gt_dist_attach(d, tr->be));
    }
    tr->dist = size > 1 ? d : NULL;
    tr->silent = gt_dist_rank(d) != 0;
    return gt_trainer_set_reduce_buckets(tr, GT_DIST_BUCKET_FLOATS_DEFAULT);
}

gt_status gt_trainer_sum_over_ranks(void *ctx, float *buf, size_t count)
{
    gt_trainer *tr = ctx;
    return gt_dist_allreduce_backend(tr->dist, tr->be, buf, count);
}

gt_status gt_trainer_idle_batch_wide(gt_trainer *tr)
{
    const gt_model *m = tr->model;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        if (!gt_layer_class_of(l->kind)->batch_wide) continue;
        gt_layer_io io = gt_trainer_layer_io(tr, i, 0, 1);
        gt_status st = gt_layer_class_of(l->kind)->forward(l, &io);
        if (st != GT_OK) return gt_fail_context(st, "layer '%s' forward", l->name);
    }
    for (int i = m->n_layers - 1; i >= m->first_compute; --i) {
        const gt_layer *l = &m->layers[i];
        if (!gt_layer_class_of(l->kind)->batch_wide) continue;
        gt_layer_io io = gt_trainer_layer_io(tr, i, 0, 1);
        gt_status st = gt_layer_class_of(l->kind)->backward(l, &io);
        if (st != GT_OK) return gt_fail_context(st, "layer '%s' backward", l->name);
    }
    return GT_OK;
}

gt_status gt_trainer_zero_step(gt_trainer *tr, float *stats_slot)
{
    gt_backend *be = tr->be;
    GT_TRY(be->zero(be, tr->grads, tr->model->n_trainable * sizeof(float)));
    return be->zero(be, stats_slot, 2 * sizeof(float));
}

gt_status gt_trainer_grads_ready(gt_trainer *tr, int i)
{
    if (!tr->overlap_step) return GT_OK;
    size_t lo = tr->bucket_launch[i];
    if (lo == GT_NO_BUCKET) return gt_dist_reduce_progress(tr->dist);
    GT_TRY(gt_dist_reduce_start(tr->dist, tr->be, tr->grads + lo, tr->bucket_hi - lo));
    tr->bucket_hi = lo;
    return GT_OK;
}

gt_status gt_trainer_reduce_step(gt_trainer *tr, float *stats_slot)
{
    if (!tr->dist) return GT_OK;
    if (!tr->bucket_launch) {
        GT_TRY(gt_dist_allreduce_backend(tr->dist, tr->be, tr->grads, tr->model->n_trainable));
        return gt_dist_allreduce_backend(tr->dist, tr->be, stats_slot, 2);
    }
    /* what no layer's bucket took (all of it on a rank without examples),
     * the statistics, then the wait before the update reads them */
    if (tr->bucket_hi > 0) GT_TRY(gt_dist_reduce_start(tr->dist, tr->be, tr->grads, tr->bucket_hi));
    GT_TRY(gt_dist_reduce_start(tr->dist, tr->be, stats_slot, 2));
    return gt_dist_reduce_wait(tr->dist, tr->be);
}

/* The layer after whose backward each bucket starts. Valid when the
 * trainable offsets grow with the layer index (model_build assigns them
 * so): then, backward running from the last layer down, every gradient at
 * or above the lowest offset of the layers done so far is final. */
static gt_status plan_buckets(const gt_model *m, size_t bucket_floats, size_t *launch)
{
    size_t end = 0; /* of the trainable weights of the layers before */
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        for (int k = 0; k < l->n_weights; ++k) {
            const gt_layer_weight *w = &l->weights[k];
            if (!w->trainable) continue;
            if (w->offset < end)
                return gt_fail(GT_ERR_INTERNAL,
                               "layer '%s': trainable offsets do not follow the layer order; "
                               "gradient buckets cannot be planned",
                               l->name);
            end = w->offset + w->count;
        }
    }
    size_t hi = m->n_trainable, frontier = m->n_trainable;
    for (int i = m->n_layers - 1; i >= m->first_compute; --i) {
        const gt_layer *l = &m->layers[i];
        for (int k = 0; k < l->n_weights; ++k)
            if (l->weights[k].trainable && l->weights[k].offset < frontier)
                frontier = l->weights[k].offset;
        launch[i] = GT_NO_BUCKET;
        if (frontier < hi && hi - frontier >= bucket_floats) {
            launch[i] = frontier;
            hi = frontier;
        }
    }
    return GT_OK;
}

gt_status gt_trainer_set_reduce_buckets(gt_trainer *tr, size_t bucket_floats)
{
    free(tr->bucket_launch);
    tr->bucket_launch = NULL;
    /* --deterministic's chunk sums replace the buckets */
    if (bucket_floats == 0 || !tr->dist || tr->sum_chunk > 0) return GT_OK;
    size_t *launch = calloc((size_t)tr->model->n_layers, sizeof *launch);
    if (!launch) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int i = 0; i < tr->model->n_layers; ++i)
        launch[i] = GT_NO_BUCKET;
    gt_status st = plan_buckets(tr->model, bucket_floats, launch);
    if (st != GT_OK) {
        free(launch);
        return st;
    }
    tr->bucket_launch = launch;
    return GT_OK;
}

gt_status gt_trainer_synchronize(gt_trainer *tr)
{
    return gt_dist_synchronize(tr->dist, tr->be);
}

gt_status gt_trainer_reduce_sums(gt_trainer *tr, double *sums, int count)
{
    return gt_dist_allreduce_host(tr->dist, sums, count);
}

gt_status gt_trainer_any_rank(gt_trainer *tr, int flag, int *any)
{
    return gt_dist_any(tr->dist, flag, any);
}

uint64_t gt_trainer_dropout_draws(const gt_trainer *tr)
{
    const gt_model *m = tr->model;
    uint64_t per = 0;
    for (int i = m->first_compute; i < m->n_layers; ++i)
        per += gt_layer_dropout_draws(&m->layers[i]);
    return per;
}

/* The chunk rows are summed on the host: backends whose memory the host
 * reads (the CPU ones) alone. */
static int backend_is_host(const gt_backend *be)
{
    return strncmp(be->name, "cpu", 3) == 0;
}

gt_status gt_trainer_set_sum_chunks(gt_trainer *tr, int chunk)
{
    gt_backend *be = tr->be;
    if (chunk < 0 || chunk > tr->batch)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "deterministic chunks of %d examples; the batch is %d", chunk, tr->batch);
    if (tr->chunk_rows) be->free(be, tr->chunk_rows);
    tr->chunk_rows = NULL;
    tr->sum_chunk = 0;
    if (chunk == 0) return GT_OK;
    const gt_model *m = tr->model;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        if (!gt_layer_class_of(l->kind)->batch_wide) continue;
        /* its statistics span the whole batch, which chunks would cut; one
         * process keeps the plain step (the CPU repeats its bits anyway) */
        if (!tr->dist) return GT_OK;
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "layer '%s' (%s) with --deterministic over %d ranks: its statistics span "
                       "the whole batch, which the fixed chunks would cut; leave --deterministic "
                       "off (the ranks still train as one process, within float32 rounding)",
                       l->name, gt_layer_class_of(l->kind)->keras_name, gt_dist_size(tr->dist));
    }
    GT_TRY(gt_trainer_set_reduce_buckets(tr, 0));
    if (!backend_is_host(be))
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "gradient sums independent of the rank count (--deterministic) run on the "
                       "CPU backend; backend '%s' does not have them yet",
                       be->name);
    size_t chunks = ((size_t)tr->batch + (size_t)chunk - 1) / (size_t)chunk;
    size_t row = tr->model->n_trainable + 2;
    void *p = NULL;
    GT_TRY(be->alloc(be, chunks * row * sizeof(float), &p));
    tr->chunk_rows = p;
    tr->sum_chunk = chunk;
    /* the chunks and the shorter last chunk of a full or partial batch */
    GT_TRY(gt_trainer_reserve_workspace(tr, chunk));
    if (tr->batch % chunk) GT_TRY(gt_trainer_reserve_workspace(tr, tr->batch % chunk));
    return GT_OK;
}

float *gt_trainer_chunk_row(gt_trainer *tr, int k)
{
    return tr->chunk_rows + (size_t)k * (tr->model->n_trainable + 2);
}

gt_status gt_trainer_sum_chunks(gt_trainer *tr, int n_chunks, float *stats_slot)
{
    size_t np = tr->model->n_trainable, row = np + 2;
    GT_TRY(gt_dist_allgather_chunks(tr->dist, tr->chunk_rows, row, n_chunks));
    /* chunk 0, then + chunk 1, + chunk 2, ...: the same additions in the
     * same order on every rank and for every rank count */
    float *g = tr->grads;
    const float *rows = tr->chunk_rows;
    memcpy(g, rows, np * sizeof *g);
    float stats[2] = {rows[np], rows[np + 1]};
    for (int k = 1; k < n_chunks; ++k) {
        const float *r = rows + (size_t)k * row;
        for (size_t j = 0; j < np; ++j)
            g[j] += r[j];
        stats[0] += r[np];
        stats[1] += r[np + 1];
    }
    stats_slot[0] = stats[0];
    stats_slot[1] = stats[1];
    return GT_OK;
}

int gt_trainer_reduce_buckets(const gt_trainer *tr)
{
    if (!tr->bucket_launch) return 0;
    const gt_model *m = tr->model;
    int count = 0;
    size_t lowest = m->n_trainable;
    for (int i = m->first_compute; i < m->n_layers; ++i)
        if (tr->bucket_launch[i] != GT_NO_BUCKET) {
            count += 1;
            if (tr->bucket_launch[i] < lowest) lowest = tr->bucket_launch[i];
        }
    return count + (lowest > 0); /* the rest, after backward */
}
