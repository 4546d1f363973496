/* Whole-model finite-difference gradient checks through the trainer's own
 * forward/loss/backward on the reference CPU backend, over every compute
 * layer kind: (1) same padding with stride 2 and its asymmetric pad, valid
 * conv, max pool, flatten, dense, relu, dropout with a fixed mask, fused
 * softmax loss; (2) zero padding, BatchNormalization in training mode (its
 * batch statistics depend on every input), conv with tanh, average pooling,
 * ELU, global max and global average pooling, dense with gelu (the
 * pre-activation kept), LeakyReLU, ReLU, sigmoid, silu, softplus and selu
 * activations; (3) the merge layers (Add, Subtract, Multiply, Average,
 * Concatenate) and a residual graph with fan-outs, through the graph's
 * backward pass. Only trainable weights are differentiated; the moving
 * statistics are restored before every forward. */
#include <stdint.h>

#include "test_util.h"
#include "test_util_data.h"
#include "trainer_internal.h"

static const char *model_json_1 =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"gradcheck\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 10, 10, 2], "
    "\"name\": \"in\"}},"
    "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"rescaling\", \"scale\": "
    "0.00392156862745098, \"offset\": 0.0}},"
    "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c1\", \"filters\": 3, \"kernel_size\": "
    "[3, 3], "
    "\"strides\": [2, 2], \"padding\": \"same\", \"activation\": \"relu\"}},"
    "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c2\", \"filters\": 4, \"kernel_size\": "
    "[2, 2], "
    "\"strides\": [1, 1], \"padding\": \"valid\", \"activation\": \"linear\"}},"
    "{\"class_name\": \"MaxPooling2D\", \"config\": {\"name\": \"p\", \"pool_size\": [2, 2], "
    "\"padding\": \"valid\"}},"
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"f\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d1\", \"units\": 7, \"activation\": "
    "\"relu\"}},"
    "{\"class_name\": \"Dropout\", \"config\": {\"name\": \"drop\", \"rate\": 0.25}},"
    "{\"class_name\": \"Activation\", \"config\": {\"name\": \"act\", \"activation\": \"relu\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d2\", \"units\": 4, \"activation\": "
    "\"softmax\"}}"
    "]}}";

#define LAYER(cls, cfg) "{\"class_name\": \"" cls "\", \"config\": {" cfg "}}"
static const char
    *
        model_json_2 =
            "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"gradcheck2\", \"layers\": "
            "[" LAYER("InputLayer", "\"batch_input_shape\": [null, 7, 6, 2], \"name\": \"in\"") "," LAYER(
                "ZeroPadding2D",
                "\"name\": \"zp\", \"padding\": [[1, 0], [0, 2]]") "," LAYER("BatchNormalization",
                                                                             "\"name\": \"bn0\", "
                                                                             "\"momentum\": 0.9, "
                                                                             "\"epsilon\": 0.001") "," LAYER("Conv2D",
                                                                                                             "\"name\": \"c1\", \"filters\": 3, \"kernel_size\": 3, \"padding\": \"same\", "
                                                                                                             "\"activation\": \"tanh\"") "," LAYER("BatchNormalization",
                                                                                                                                                   "\"name\": \"bn1\"") "," LAYER("AveragePooling2D", "\"name\": \"ap\", \"pool_size\": 3, \"strides\": 2, \"padding\": \"same\"") "," LAYER("ELU", "\"name\": \"elu\", \"alpha\": 0.7") "," LAYER("Conv2D",
                                                                                                                                                                                                                                                                                                                                                   "\"name\": \"c2\", \"filters\": 4, \"kernel_size\": 2, \"activation\": \"silu\"") "," LAYER("GlobalMaxPooling2D",
                                                                                                                                                                                                                                                                                                                                                                                                                                               "\"name\": \"gmp\", \"keepdims\": true") "," LAYER("GlobalAveragePooling2D", "\"name\": \"gap\"") "," LAYER("Dense",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                           "\"name\": \"d1\", \"units\": 6, \"activation\": \"gelu\"") "," LAYER("LeakyReLU",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                 "\"name\": \"lrelu\", \"negative_slope\": 0.1") "," LAYER("Dense", "\"name\": \"d2\", \"units\": 6, \"activation\": \"sigmoid\"") "," LAYER("ReLU",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                             "\"name\": \"relu\"") "," LAYER("Activation",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                             "\"name\": \"sp\", \"activation\": \"softplus\"") "," LAYER("Dense",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                         "\"name\": \"d3\", \"units\": 5, \"activation\": \"selu\"") "," LAYER("Dense",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                               "\"name\": \"d4\", \"units\": 4, \"activation\": \"softmax\"") "]}}";

/* Batch-mean loss of the current parameters, same dropout mask every call. */
static double loss_of(gt_trainer *tr, int n)
{
    float stats[2];
    tr->dropout_counter = 0;
    if (gt_trainer_forward(tr, n, 1) != GT_OK) return NAN;
    if (gt_trainer_loss(tr, n, tr->stats, 0) != GT_OK) return NAN;
    tr->be->download(tr->be, stats, tr->stats, sizeof stats);
    return (double)stats[0] / n;
}

/* The analytic gradient of every model-order parameter (NaN for state). */
static void model_order_gradient(const gt_trainer *tr, const float *grads, float *out, size_t np)
{
    const gt_model *m = tr->model;
    for (size_t j = 0; j < np; ++j)
        out[j] = NAN;
    for (int i = 0; i < m->n_layers; ++i)
        for (int k = 0; k < m->layers[i].n_weights; ++k) {
            const gt_layer_weight *w = &m->layers[i].weights[k];
            if (!w->trainable) continue;
            for (size_t e = 0; e < w->count; ++e)
                out[w->model_offset + e] = grads[w->offset + e];
        }
}

static void check_model(const char *json, gt_shape3 shape)
{
    gt_model *model = NULL;
    gt_dataset *data = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_model_from_json_text(json, "<gradcheck>", &model));
    CHECK_OK(gt_test_synthetic_dataset(shape, 5, 4, 11, &data));
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &be));
    if (!model || !data || !be) goto done;
    gt_train_config cfg = gt_train_config_for(model);
    cfg.batch_size = 5;
    cfg.seed = 5;
    CHECK_OK(gt_trainer_create(model, be, &cfg, &tr));
    if (!tr) goto done;

    const int n = 5;
    int32_t idx[5] = {0, 1, 2, 3, 4};
    gt_resident *res = NULL;
    CHECK_OK(gt_trainer_make_resident(tr, data, &res));
    CHECK_OK(be->upload(be, tr->step_index, idx, sizeof idx));
    CHECK_OK(gt_trainer_gather(tr, res, tr->step_index, n));

    size_t np = gt_model_param_count(model), nt = gt_model_trainable_param_count(model);
    float *params = malloc(np * sizeof(float)), *grads = malloc((nt ? nt : 1) * sizeof(float));
    float *analytic_all = malloc(np * sizeof(float));
    CHECK_OK(gt_trainer_get_params(tr, params, np));
    /* analytic gradient */
    tr->dropout_counter = 0;
    CHECK_OK(gt_trainer_forward(tr, n, 1));
    CHECK_OK(gt_trainer_loss(tr, n, tr->stats, 1));
    CHECK_OK(gt_trainer_backward(tr, n));
    CHECK_OK(be->download(be, grads, tr->grads, nt * sizeof(float)));
    model_order_gradient(tr, grads, analytic_all, np);

    /* central differences in float32 forward passes: eps 1e-3 keeps rounding
     * (~1e-7 * loss / eps) near 1e-4 while a step rarely crosses a ReLU kink or
     * a pooling tie (at 1e-2, 15% of the first conv's weights crossed one);
     * such crossings are counted and must stay under 1% */
    const float eps = 1e-3f;
    int checked = 0, bad = 0;
    double max_abs_grad = 0;
    for (size_t j = 0; j < np; ++j) {
        if (isnan(analytic_all[j])) continue; /* a moving statistic: no gradient */
        float saved = params[j];
        params[j] = saved + eps;
        CHECK_OK(gt_trainer_set_params(tr, params, np));
        double lp = loss_of(tr, n);
        params[j] = saved - eps;
        CHECK_OK(gt_trainer_set_params(tr, params, np));
        double lm = loss_of(tr, n);
        params[j] = saved;
        double numeric = (lp - lm) / (2.0 * eps);
        double analytic = analytic_all[j];
        if (fabs(analytic) > max_abs_grad) max_abs_grad = fabs(analytic);
        double tol = 2e-3 + 2e-2 * fmax(fabs(analytic), fabs(numeric));
        ++checked;
        if (!(fabs(analytic - numeric) <= tol)) {
            ++bad;
            if (bad <= 10)
                fprintf(stderr, "%s param %zu: analytic %.6g numeric %.6g\n", gt_model_name(model),
                        j, analytic, numeric);
        }
    }
    CHECK_OK(gt_trainer_set_params(tr, params, np));
    printf("%s: checked %d parameters, %d outside tolerance, max |grad| %.4g\n",
           gt_model_name(model), checked, bad, max_abs_grad);
    CHECK(checked == (int)nt);
    CHECK_MSG(bad * 100 <= checked, "%d of %d gradients disagree", bad, checked);
    CHECK(max_abs_grad > 1e-3); /* the check is not vacuous */
    free(params);
    free(grads);
    free(analytic_all);
done:
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_dataset_free(data);
    gt_model_free(model);
}

/* A Functional model of tests/data (its JSON text, malloc'd). */
static char *fixture(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/%s", GTRAIN_SOURCE_DIR, file);
    FILE *f = fopen(path, "rb");
    char *text = calloc(1, 1 << 16);
    size_t got = f && text ? fread(text, 1, (1 << 16) - 1, f) : 0;
    if (f) fclose(f);
    CHECK_MSG(got > 0, "cannot read %s", path);
    return text;
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* gradcheck_model MODEL.json ...: check those models instead */
        for (int i = 1; i < argc; ++i) {
            gt_model *m = NULL;
            CHECK_OK(gt_model_from_json_file(argv[i], &m));
            char *text = NULL;
            if (m) CHECK_OK(gt_model_to_json(m, &text));
            if (text) check_model(text, gt_model_input_shape(m));
            free(text);
            gt_model_free(m);
        }
        TEST_EXIT();
    }
    check_model(model_json_1, (gt_shape3){10, 10, 2});
    check_model(model_json_2, (gt_shape3){7, 6, 2});
    /* the merge layers through the graph's backward pass: every merge kind,
     * then a residual block with fan-outs (a tensor read three times, Add of
     * a tensor with itself) and flat Concatenate, then BatchNormalization and
     * Add reading the model's input */
    char *merge = fixture("keras3_functional_merge.json");
    char *residual = fixture("keras3_functional_residual.json");
    char *input_reads = fixture("keras3_functional_input_reads.json");
    check_model(merge, (gt_shape3){8, 8, 2});
    check_model(residual, (gt_shape3){6, 6, 2});
    check_model(input_reads, (gt_shape3){6, 6, 2});
    free(merge);
    free(residual);
    free(input_reads);
    TEST_EXIT();
}
