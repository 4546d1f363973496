/* gt_model_summary: Keras 2's model.summary() table for a Sequential model
 * (line length 65, columns ending at 29, 55 and 65, a blank line between
 * rows, totals with thousands separators). */
#include <stdio.h>
#include <string.h>

#include "gtrain/status.h"
#include "layer.h"
#include "model_internal.h"

#define SUMMARY_WIDTH 65
static const int column_end[3] = {29, 55, 65};

/* "33,638,218" */
static void with_thousands(size_t value, char *out, size_t cap)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", value);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < cap; ++i) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* Keras prints a flat output as (None, n) and an image as (None, h, w, c):
 * each class says which its output is (or that it keeps its input's rank); a
 * model input of 1x1xn came from a vector input; keepdims keeps a global
 * pooling's image rank. */
static int output_is_flat(const gt_layer *l, int input_flat)
{
    switch (gt_layer_class_of(l->kind)->output_rank) {
    case GT_RANK_FLAT:
        return !l->keepdims;
    case GT_RANK_IMAGE:
        return 0;
    case GT_RANK_AS_INPUT:
        break;
    }
    return input_flat;
}

int gt_model_layer_output_is_image(const gt_model *model, int layer)
{
    if (!model || layer < 0 || layer >= model->n_layers) return 0;
    int flat = model->input.h == 1 && model->input.w == 1;
    for (int i = 0; i <= layer; ++i)
        flat = output_is_flat(&model->layers[i], flat);
    return !flat;
}

int gt_model_layer_drawable(const gt_model *model, int layer)
{
    if (!model || layer < 0 || layer >= model->n_layers) return 0;
    return gt_layer_class_of(model->layers[layer].kind)->drawable &&
           gt_model_layer_output_is_image(model, layer);
}

/* Prints one table row; a field longer than its column wraps onto further
 * lines as Keras does. The first column starts with a space; each field
 * holds at most Keras' cutoff (column width less the two-space gap, 27 for
 * the first column), so columns always stay aligned. */
static void print_row(FILE *out, const char *fields[3])
{
    static const size_t room[3] = {27, 24, 10};
    size_t len[3], done[3] = {0, 0, 0};
    for (int c = 0; c < 3; ++c)
        len[c] = strlen(fields[c]);
    do {
        char line[SUMMARY_WIDTH + 8];
        int pos = 0;
        line[pos++] = ' ';
        for (int c = 0; c < 3; ++c) {
            size_t take = len[c] - done[c] < room[c] ? len[c] - done[c] : room[c];
            memcpy(line + pos, fields[c] + done[c], take);
            pos += (int)take;
            done[c] += take;
            while (pos < column_end[c])
                line[pos++] = ' ';
        }
        line[pos] = '\0';
        fprintf(out, "%s\n", line);
    } while (done[0] < len[0] || done[1] < len[1] || done[2] < len[2]);
}

gt_status gt_model_summary(const gt_model *model, FILE *out)
{
    if (model == NULL || out == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_summary: model or stream is NULL");
    if (!model->built)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "model '%s' is not built; call gt_model_build before the summary",
                       model->name);
    char rule_under[SUMMARY_WIDTH + 1], rule_equal[SUMMARY_WIDTH + 1];
    memset(rule_under, '_', SUMMARY_WIDTH);
    memset(rule_equal, '=', SUMMARY_WIDTH);
    rule_under[SUMMARY_WIDTH] = rule_equal[SUMMARY_WIDTH] = '\0';

    fprintf(out, "Model: \"%s\"\n%s\n", model->name, rule_under);
    const char *header[3] = {"Layer (type)", "Output Shape", "Param #"};
    print_row(out, header);
    fprintf(out, "%s\n", rule_equal);

    int flat = model->input.h == 1 && model->input.w == 1;
    if (model->functional) { /* Keras lists a Functional model's InputLayer as a row */
        char name[128], shape[64];
        snprintf(name, sizeof name, "%s (InputLayer)",
                 model->input_name[0] ? model->input_name : "input_1");
        if (flat)
            snprintf(shape, sizeof shape, "(None, %d)", model->input.c);
        else
            snprintf(shape, sizeof shape, "(None, %d, %d, %d)", model->input.h, model->input.w,
                     model->input.c);
        const char *fields[3] = {name, shape, "0"};
        print_row(out, fields);
        fprintf(out, "%*s\n", SUMMARY_WIDTH, "");
    }
    for (int i = 0; i < model->n_layers; ++i) {
        const gt_layer *l = &model->layers[i];
        char name[128], shape[64], params[32];
        snprintf(name, sizeof name, "%s (%s)", l->name, gt_layer_kind_keras_name(l->kind));
        flat = output_is_flat(l, flat);
        if (flat)
            snprintf(shape, sizeof shape, "(None, %d)", l->out.c);
        else
            snprintf(shape, sizeof shape, "(None, %d, %d, %d)", l->out.h, l->out.w, l->out.c);
        snprintf(params, sizeof params, "%zu", gt_layer_weight_floats(l));
        const char *fields[3] = {name, shape, params};
        print_row(out, fields);
        if (i + 1 < model->n_layers) fprintf(out, "%*s\n", SUMMARY_WIDTH, "");
    }
    char total[32], trainable[32], frozen[32];
    with_thousands(gt_model_param_count(model), total, sizeof total);
    with_thousands(gt_model_trainable_param_count(model), trainable, sizeof trainable);
    with_thousands(gt_model_param_count(model) - gt_model_trainable_param_count(model), frozen,
                   sizeof frozen);
    fprintf(out, "%s\nTotal params: %s\nTrainable params: %s\nNon-trainable params: %s\n%s\n",
            rule_equal, total, trainable, frozen, rule_under);
    if (ferror(out))
        return gt_fail(GT_ERR_IO, "model '%s': writing the summary failed", model->name);
    return GT_OK;
}
