/* Format 3 of /gtrain_state (see checkpoint_extras.h): the optimizer in
 * Keras' serialized form, the learning rate reached, and the callbacks with
 * their state, so that a resumed run continues all of them. */
#ifdef GTRAIN_HAVE_HDF5

#include "checkpoint_extras.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "h5_io.h"
#include "gtrain/status.h"

void gt_ckpt_extras_free(gt_ckpt_extras *x)
{
    free(x->optimizer_json);
    free(x->callbacks_json);
    free(x->best_weights);
    memset(x, 0, sizeof *x);
}

gt_status gt_ckpt_extras_take(gt_trainer *tr, gt_ckpt_extras *x)
{
    memset(x, 0, sizeof *x);
    gt_status st = gt_train_config_optimizer_json(gt_trainer_config(tr), &x->optimizer_json);
    char *callbacks = NULL;
    if (st == GT_OK) st = gt_trainer_callbacks_json(tr, 1, &callbacks);
    if (st == GT_OK && strcmp(callbacks, "[]") != 0) {
        x->callbacks_json = callbacks;
        callbacks = NULL;
    }
    free(callbacks);
    size_t n = 0;
    const float *best = st == GT_OK ? gt_callbacks_best_weights(tr, &n) : NULL;
    if (best) {
        x->best_weights = malloc(n * sizeof(float));
        if (!x->best_weights)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory for the best weights");
        else
            memcpy(x->best_weights, best, n * sizeof(float));
        x->n_best = n;
    }
    if (st != GT_OK) gt_ckpt_extras_free(x);
    return st;
}

gt_status gt_ckpt_extras_write(hid_t g, const gt_ckpt_extras *x, const char *where)
{
    GT_TRY(gt_h5_write_string_attr(g, "optimizer_config", x->optimizer_json, 1, where));
    if (x->callbacks_json)
        GT_TRY(gt_h5_write_string_attr(g, "callbacks", x->callbacks_json, 1, where));
    if (x->best_weights) {
        unsigned long long dims[1] = {x->n_best};
        GT_TRY(gt_h5_write_floats(g, "best_weights", 1, dims, x->best_weights, where));
    }
    return GT_OK;
}

gt_status gt_ckpt_extras_read(hid_t g, const char *where, gt_checkpoint_info *info)
{
    char *json = NULL;
    GT_TRY(gt_h5_read_string_attr(g, "optimizer_config", where, &json));
    gt_status st = gt_train_config_set_optimizer_json(&info->config, json);
    free(json);
    if (st != GT_OK) return gt_fail_context(st, "%s: optimizer_config", where);
    if (H5Aexists(g, "callbacks") > 0)
        GT_TRY(gt_h5_read_string_attr(g, "callbacks", where, &info->callbacks));
    return GT_OK;
}

gt_status gt_ckpt_extras_read_best(hid_t g, const char *where, float *weights, size_t count,
                                   int *found)
{
    *found = 0;
    if (!gt_h5_exists(g, "best_weights")) return GT_OK;
    unsigned long long dims[1] = {count};
    char at[4300];
    snprintf(at, sizeof at, "%s/best_weights", where);
    GT_TRY(gt_h5_read_floats(g, "best_weights", 1, dims, weights, at));
    *found = 1;
    return GT_OK;
}

#endif /* GTRAIN_HAVE_HDF5 */
