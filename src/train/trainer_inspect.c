/* Looking inside the network: one example's output of one layer, through the
 * same gather and forward as prediction (dropout off). */
#include "gtrain/status.h"
#include "trainer_internal.h"

gt_status gt_trainer_layer_output(gt_trainer *tr, const gt_dataset *ds, size_t index, int layer,
                                  float *host, size_t count, gt_shape3 *shape)
{
    if (!tr || !ds || !shape)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "gt_trainer_layer_output: trainer, dataset or shape is NULL");
    const gt_model *m = tr->model;
    if (layer < -1 || layer >= m->n_layers)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s' has layers 0..%d, asked for layer %d",
                       m->name, m->n_layers - 1, layer);
    /* the preprocessing layers have no buffers of their own: what they all
     * produce together is the batch input, shaped as the first compute
     * layer's input */
    int is_input = layer < m->first_compute;
    *shape = is_input ? m->layers[m->first_compute].in : m->layers[layer].out;
    size_t size = gt_shape3_size(*shape);
    if (!host && count == 0) return GT_OK;
    if (!host || count < size)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "layer %d of '%s' outputs %dx%dx%d = %zu values, the buffer holds %zu",
                       layer, m->name, shape->h, shape->w, shape->c, size, host ? count : 0);
    size_t total = gt_dataset_count(ds);
    if (index >= total)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: example %zu requested, it has %zu (0..%zu)",
                       gt_dataset_origin(ds), index, total, total ? total - 1 : 0);

    gt_backend *be = tr->be;
    gt_resident *res = NULL;
    GT_TRY(gt_trainer_make_resident(tr, ds, &res));
    int32_t one = (int32_t)index;
    if (tr->batch != 1) GT_TRY(gt_trainer_reserve_workspace(tr, 1));
    GT_TRY(gt_trainer_set_step_index(tr, &one, 1));
    GT_TRY(gt_trainer_gather(tr, res, tr->step_index, 1));
    const float *src = tr->input;
    if (!is_input) {
        GT_TRY(gt_trainer_forward(tr, 1, 0));
        src = tr->cur[layer];
    }
    GT_TRY(be->download(be, host, src, size * sizeof(float)));
    return be->synchronize(be);
}
