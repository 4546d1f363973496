/* The trainer's side of data-parallel training (src/dist): which examples of
 * a batch this rank takes, and the sums over the ranks after backward.
 *
 * Every rank runs the same steps over the same global order; each takes a
 * consecutive share of every batch, computes its gradient with the loss
 * scaled by the whole batch (mean: 1 / n of the global n), and the ranks
 * sum: the sum of the shares' gradients is the whole batch's gradient, up to
 * the order of the float additions. */
#include "dist/dist.h"
#include "error.h"
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
    const gt_model *m = tr->model;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        if (gt_layer_class_of(l->kind)->category == GT_CATEGORY_NORM)
            return gt_fail(GT_ERR_UNSUPPORTED,
                           "layer '%s' (BatchNormalization) with %d ranks: each rank's batch "
                           "statistics would be those of its share, not of the whole batch "
                           "(synchronized batch statistics are not implemented); train this "
                           "model in one process",
                           l->name, size);
    }
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
    return GT_OK;
}

gt_status gt_trainer_zero_step(gt_trainer *tr, float *stats_slot)
{
    gt_backend *be = tr->be;
    GT_TRY(be->zero(be, tr->grads, tr->model->n_trainable * sizeof(float)));
    return be->zero(be, stats_slot, 2 * sizeof(float));
}

gt_status gt_trainer_reduce_step(gt_trainer *tr, float *stats_slot)
{
    if (!tr->dist) return GT_OK;
    GT_TRY(gt_dist_allreduce_backend(tr->dist, tr->be, tr->grads, tr->model->n_trainable));
    return gt_dist_allreduce_backend(tr->dist, tr->be, stats_slot, 2);
}

gt_status gt_trainer_reduce_sums(gt_trainer *tr, double *sums, int count)
{
    return gt_dist_allreduce_host(tr->dist, sums, count);
}

gt_status gt_trainer_any_rank(gt_trainer *tr, int flag, int *any)
{
    return gt_dist_any(tr->dist, flag, any);
}
