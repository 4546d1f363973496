/* gt_model_recipe_summary: the training recipe a model carries (its
 * notebook's, for the zoo), printed under the summary table so a user sees
 * what `gtrain fit --model NAME` will do before running it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gtrain/status.h"
#include "layer.h"
#include "model_internal.h"

/* The leading preprocessing layers in order, as a phrase:
 * "pixels / 255", or "repeat channels x3, resize to 32x32 (bilinear), no
 * rescale"; each kind's class describes its own step. */
static void describe_preprocessing(const gt_model *m, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < m->first_compute; ++i) {
        const gt_layer *l = &m->layers[i];
        char step[128];
        gt_layer_class_of(l->kind)->describe(l, step, sizeof step);
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", step);
        if (n < 0 || (size_t)n >= cap - used) return;
        used += (size_t)n;
    }
    if (m->first_compute == 0)
        snprintf(out, cap, "none (the data must be shaped like the first layer's input)");
    else if (m->preprocess.scale == 1.0f && m->preprocess.offset == 0.0f)
        snprintf(out + used, cap - used, ", no rescale (pixels 0..255)");
}

static void describe_validation(const gt_recipe *r, char *out, size_t cap)
{
    switch (r->validation) {
    case GT_VAL_NONE:
        snprintf(out, cap, "none");
        return;
    case GT_VAL_TEST:
        snprintf(out, cap, "the test set, after every epoch");
        return;
    case GT_VAL_FIRST:
    case GT_VAL_LAST:
        snprintf(out, cap, "the %s %d training examples (not trained on), after every epoch",
                 r->validation == GT_VAL_FIRST ? "first" : "last", r->validation_count);
        return;
    }
    snprintf(out, cap, "unknown (%d)", (int)r->validation);
}

gt_status gt_model_recipe_summary(const gt_model *model, FILE *out)
{
    if (model == NULL || out == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_recipe_summary: model or stream is NULL");
    if (!model->built)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "model '%s' is not built", model->name);
    const gt_recipe *r = &model->recipe;
    char preprocessing[768], validation[128], momentum[48] = "", loss[64] = "cross-entropy";
    describe_preprocessing(model, preprocessing, sizeof preprocessing);
    describe_validation(r, validation, sizeof validation);
    if (r->optimizer == GT_OPT_SGD && r->momentum > 0.0f)
        snprintf(momentum, sizeof momentum, ", momentum %g", (double)r->momentum);
    if (r->loss_log_epsilon > 0.0f)
        snprintf(loss, sizeof loss, "cross-entropy -log(p + %g)", (double)r->loss_log_epsilon);
    int hdf5 = strcmp(r->dataset, "fashion-mnist") != 0 && strcmp(r->dataset, "mnist") != 0;
    fprintf(out,
            "Recipe (gtrain fit's defaults):\n"
            "  data:          %s%s\n"
            "  optimizer:     %s, learning rate %g%s\n"
            "  batch size:    %d\n"
            "  epochs:        %d\n"
            "  loss:          %s, %s over the batch\n"
            "  shuffle:       %s\n"
            "  validation:    %s\n"
            "  preprocessing: %s\n",
            r->dataset, hdf5 ? " (HDF5 files: pass --data hdf5:FILE.h5)" : "",
            r->optimizer == GT_OPT_SGD ? "sgd" : "adam", (double)r->learning_rate, momentum,
            r->batch_size, r->epochs, loss, r->reduction == GT_REDUCE_SUM ? "summed" : "mean",
            r->order == GT_ORDER_FILE ? "no: batches in file order every epoch (--no-shuffle)"
                                      : "yes: a new order every epoch",
            validation, preprocessing);
    if (ferror(out))
        return gt_fail(GT_ERR_IO, "model '%s': writing the recipe failed", model->name);
    return GT_OK;
}
