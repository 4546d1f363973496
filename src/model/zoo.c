/* The model zoo: the notebooks' models (REFERENCE.md), each with its
 * notebook's preprocessing as leading layers and its training recipe.
 * Layer names are the ones Keras gives them in the notebooks. */
#include <stdio.h>
#include <string.h>

#include "gtrain/status.h"
#include "model_internal.h"

/* The zoo, written once: X(name, input h, w, c, builder). */
#define GT_ZOO(X)                                                                                  \
    X("vgg16", 28, 28, 1, build_vgg16)                                                             \
    X("mlp-fmnist", 28, 28, 1, build_mlp_fmnist)                                                   \
    X("cnn-signs", 64, 64, 3, build_cnn_signs)                                                     \
    X("mlp-128", 28, 28, 1, build_mlp_128)                                                         \
    X("cnn-fmnist", 28, 28, 1, build_cnn_fmnist)                                                   \
    X("mlp-300-100", 28, 28, 1, build_mlp_300_100)                                                 \
    X("softmax-mnist", 28, 28, 1, build_softmax_mnist)                                             \
    X("cnn-mnist", 28, 28, 1, build_cnn_mnist)                                                     \
    X("cnn-fmnist-bn", 28, 28, 1, build_cnn_fmnist_bn)                                             \
    X("resnet-fmnist", 28, 28, 1, build_resnet_fmnist)

static const char *const zoo_names[] = {
#define GT_ZOO_NAME_(name, h, w, c, build) name,
    GT_ZOO(GT_ZOO_NAME_)
#undef GT_ZOO_NAME_
        NULL};

const char *const *gt_zoo_names(void)
{
    return zoo_names;
}

static gt_status add_named(gt_model *m, gt_layer layer, const char *name)
{
    if (name) snprintf(layer.name, sizeof layer.name, "%s", name);
    return gt_model_add(m, &layer);
}

static gt_status add(gt_model *m, gt_layer layer)
{
    return gt_model_add(m, &layer);
}

static gt_initializer initializer(gt_init_kind kind, float mean, float stddev, float value)
{
    gt_initializer init;
    memset(&init, 0, sizeof init);
    init.kind = kind;
    init.mean = mean;
    init.stddev = stddev;
    init.value = value;
    return init;
}

/* Pixels arrive as uint8; every notebook but 000's VGG-16 divides by 255. */
static gt_status add_scale_255(gt_model *m)
{
    return add(m, gt_layer_rescaling(1.0f / 255.0f, 0.0f));
}

static void set_recipe(gt_model *m, const char *dataset, int batch, int epochs,
                       gt_optimizer_kind opt, float lr, gt_validation_kind val, int val_count)
{
    snprintf(m->recipe.dataset, sizeof m->recipe.dataset, "%s", dataset);
    m->recipe.batch_size = batch;
    m->recipe.epochs = epochs;
    m->recipe.optimizer = opt;
    m->recipe.learning_rate = lr;
    m->recipe.validation = val;
    m->recipe.validation_count = val_count;
}

/* 000: keras.applications.VGG16(weights=None, input_shape=(32,32,3), classes=10)
 * fed Fashion-MNIST repeated to 3 channels and resized to 32x32, unscaled. */
static gt_status build_vgg16(gt_model *m)
{
    static const int block_convs[5] = {2, 2, 3, 3, 3};
    static const int block_filters[5] = {64, 128, 256, 512, 512};
    GT_TRY(add(m, gt_layer_repeat_channels(3)));
    GT_TRY(add(m, gt_layer_resizing(32, 32)));
    for (int b = 0; b < 5; ++b) {
        char name[64];
        for (int c = 0; c < block_convs[b]; ++c) {
            snprintf(name, sizeof name, "block%d_conv%d", b + 1, c + 1);
            GT_TRY(add_named(m, gt_layer_conv2d(block_filters[b], 3, 1, GT_PAD_SAME, GT_ACT_RELU),
                             name));
        }
        snprintf(name, sizeof name, "block%d_pool", b + 1);
        GT_TRY(add_named(m, gt_layer_maxpool2d(2, 2, GT_PAD_VALID), name));
    }
    GT_TRY(add_named(m, gt_layer_flatten(), "flatten"));
    GT_TRY(add_named(m, gt_layer_dense(4096, GT_ACT_RELU), "fc1"));
    GT_TRY(add_named(m, gt_layer_dense(4096, GT_ACT_RELU), "fc2"));
    GT_TRY(add_named(m, gt_layer_dense(10, GT_ACT_SOFTMAX), "predictions"));
    set_recipe(m, "fashion-mnist", 100, 10, GT_OPT_ADAM, 1e-3f, GT_VAL_TEST, 0);
    return GT_OK;
}

/* 000: 784 -> 784, 1024, 2048, 2048 relu -> 10 softmax, kernel_initializer='normal'. */
static gt_status build_mlp_fmnist(gt_model *m)
{
    static const int units[5] = {784, 1024, 2048, 2048, 10};
    GT_TRY(add_scale_255(m));
    GT_TRY(add(m, gt_layer_flatten()));
    for (int i = 0; i < 5; ++i) {
        gt_layer d = gt_layer_dense(units[i], i == 4 ? GT_ACT_SOFTMAX : GT_ACT_RELU);
        d.kernel_init = initializer(GT_INIT_RANDOM_NORMAL, 0.0f, 0.05f, 0.0f);
        GT_TRY(add(m, d));
    }
    set_recipe(m, "fashion-mnist", 100, 20, GT_OPT_ADAM, 1e-3f, GT_VAL_TEST, 0);
    return GT_OK;
}

/* 001: SIGNS 64x64x3, conv 8/16/32 3x3 valid relu each with MaxPool2D((2,2), 2),
 * Dense 64, 32 relu, 6 softmax; first 960 train, last 120 validate. */
static gt_status build_cnn_signs(gt_model *m)
{
    static const int filters[3] = {8, 16, 32};
    GT_TRY(add_scale_255(m));
    for (int i = 0; i < 3; ++i) {
        GT_TRY(add(m, gt_layer_conv2d(filters[i], 3, 1, GT_PAD_VALID, GT_ACT_RELU)));
        GT_TRY(add(m, gt_layer_maxpool2d(2, 2, GT_PAD_VALID)));
    }
    GT_TRY(add(m, gt_layer_flatten()));
    GT_TRY(add(m, gt_layer_dense(64, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(32, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(6, GT_ACT_SOFTMAX)));
    set_recipe(m, "signs", 1, 40, GT_OPT_ADAM, 1e-3f, GT_VAL_LAST, 120);
    return GT_OK;
}

/* 002: Flatten, Dense 128 relu, Dense 10 softmax; 5 epochs. */
static gt_status build_mlp_128(gt_model *m)
{
    GT_TRY(add_scale_255(m));
    GT_TRY(add(m, gt_layer_flatten()));
    GT_TRY(add(m, gt_layer_dense(128, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(10, GT_ACT_SOFTMAX)));
    set_recipe(m, "fashion-mnist", 32, 5, GT_OPT_ADAM, 1e-3f, GT_VAL_TEST, 0);
    return GT_OK;
}

/* 002: Conv 32 3x3 relu, MaxPool 2, Conv 32 3x3 relu, MaxPool 2, Dense 128, 10. */
static gt_status build_cnn_fmnist(gt_model *m)
{
    GT_TRY(add_scale_255(m));
    for (int i = 0; i < 2; ++i) {
        GT_TRY(add(m, gt_layer_conv2d(32, 3, 1, GT_PAD_VALID, GT_ACT_RELU)));
        GT_TRY(add(m, gt_layer_maxpool2d(2, 2, GT_PAD_VALID)));
    }
    GT_TRY(add(m, gt_layer_flatten()));
    GT_TRY(add(m, gt_layer_dense(128, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(10, GT_ACT_SOFTMAX)));
    set_recipe(m, "fashion-mnist", 32, 5, GT_OPT_ADAM, 1e-3f, GT_VAL_TEST, 0);
    return GT_OK;
}

/* 003: Flatten, Dense 300, 100 relu, 10 softmax; SGD 0.01, 30 epochs, the
 * first 1,000 training images validate. */
static gt_status build_mlp_300_100(gt_model *m)
{
    GT_TRY(add_scale_255(m));
    GT_TRY(add(m, gt_layer_flatten()));
    GT_TRY(add(m, gt_layer_dense(300, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(100, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(10, GT_ACT_SOFTMAX)));
    set_recipe(m, "fashion-mnist", 32, 30, GT_OPT_SGD, 0.01f, GT_VAL_FIRST, 1000);
    return GT_OK;
}

/* Notebook 004's loss, -reduce_sum(y * log(softmax + 1e-10)): the 1e-10
 * matters, since with SGD 0.25 on a summed loss many examples are confidently
 * wrong (p far below 1e-10) and TF's gradient of that expression passes them
 * almost nothing; the exact cross-entropy reaches ~.89 instead of ~.83. */
#define GT_NOTEBOOK_004_LOG_EPSILON 1e-10f

/* 004: softmax regression, W and b zeros, SGD 0.25, batch 50, summed loss,
 * 10 epochs over tf.data batches in file order (the notebook never shuffles;
 * its ~84% comes from that order: shuffled, the same recipe reaches ~.89). */
static gt_status build_softmax_mnist(gt_model *m)
{
    GT_TRY(add_scale_255(m));
    GT_TRY(add(m, gt_layer_flatten()));
    gt_layer d = gt_layer_dense(10, GT_ACT_SOFTMAX);
    d.kernel_init = initializer(GT_INIT_ZEROS, 0.0f, 0.0f, 0.0f);
    d.bias_init = initializer(GT_INIT_ZEROS, 0.0f, 0.0f, 0.0f);
    GT_TRY(add(m, d));
    set_recipe(m, "mnist", 50, 10, GT_OPT_SGD, 0.25f, GT_VAL_TEST, 0);
    m->recipe.reduction = GT_REDUCE_SUM;
    m->recipe.loss_log_epsilon = GT_NOTEBOOK_004_LOG_EPSILON;
    m->recipe.order = GT_ORDER_FILE;
    return GT_OK;
}

/* 004: the TensorFlow tutorial CNN: conv 5x5 same 32 and 64 with 2x2/2 same
 * pools, Dense 1024 relu, dropout (keep_prob 0.5), Dense 10; weights
 * truncated_normal(stddev 0.1), biases constant 0.1; Adam 1e-4, batch 50 in
 * file order, 1 epoch. The notebook's loss is -reduce_sum(y log p): summed
 * over the batch. */
static gt_status build_cnn_mnist(gt_model *m)
{
    const gt_initializer weights = initializer(GT_INIT_TRUNCATED_NORMAL, 0.0f, 0.1f, 0.0f);
    const gt_initializer biases = initializer(GT_INIT_CONSTANT, 0.0f, 0.0f, 0.1f);
    static const int filters[2] = {32, 64};
    GT_TRY(add_scale_255(m));
    for (int i = 0; i < 2; ++i) {
        gt_layer conv = gt_layer_conv2d(filters[i], 5, 1, GT_PAD_SAME, GT_ACT_RELU);
        conv.kernel_init = weights;
        conv.bias_init = biases;
        GT_TRY(add(m, conv));
        GT_TRY(add(m, gt_layer_maxpool2d(2, 2, GT_PAD_SAME)));
    }
    GT_TRY(add(m, gt_layer_flatten()));
    gt_layer fc1 = gt_layer_dense(1024, GT_ACT_RELU);
    fc1.kernel_init = weights;
    fc1.bias_init = biases;
    GT_TRY(add(m, fc1));
    GT_TRY(add(m, gt_layer_dropout(0.5f)));
    gt_layer fc2 = gt_layer_dense(10, GT_ACT_SOFTMAX);
    fc2.kernel_init = weights;
    fc2.bias_init = biases;
    GT_TRY(add(m, fc2));
    set_recipe(m, "mnist", 50, 1, GT_OPT_ADAM, 1e-4f, GT_VAL_TEST, 0);
    m->recipe.reduction = GT_REDUCE_SUM;
    m->recipe.loss_log_epsilon = GT_NOTEBOOK_004_LOG_EPSILON;
    m->recipe.order = GT_ORDER_FILE;
    return GT_OK;
}

/* Beyond the notebooks: notebook 002's CNN with BatchNormalization after each
 * convolution and GlobalAveragePooling2D before the head (issue 10's
 * example; bench/keras_cnn_fmnist_bn.py builds the same model in Keras 3).
 * Recipe as notebook 002's: Adam 1e-3, batch 32, 5 epochs, test validation. */
static gt_status build_cnn_fmnist_bn(gt_model *m)
{
    GT_TRY(add_scale_255(m));
    for (int i = 0; i < 2; ++i) {
        GT_TRY(add(m, gt_layer_conv2d(32, 3, 1, GT_PAD_VALID, GT_ACT_RELU)));
        GT_TRY(add(m, gt_layer_batchnorm()));
        GT_TRY(add(m, gt_layer_maxpool2d(2, 2, GT_PAD_VALID)));
    }
    GT_TRY(add(m, gt_layer_global_avgpool2d()));
    GT_TRY(add(m, gt_layer_dense(128, GT_ACT_RELU)));
    GT_TRY(add(m, gt_layer_dense(10, GT_ACT_SOFTMAX)));
    set_recipe(m, "fashion-mnist", 32, 5, GT_OPT_ADAM, 1e-3f, GT_VAL_TEST, 0);
    return GT_OK;
}

/* Adds `layer` reading the outputs of `inputs` (layer indices) under `name`
 * ("<prefix>_<part>"); *out is its index. */
static gt_status add_graph(gt_model *m, gt_layer layer, const char *prefix, const char *part,
                           int n_inputs, const int *inputs, int *out)
{
    snprintf(layer.name, sizeof layer.name, "%s_%s", prefix, part);
    layer.n_inputs = n_inputs;
    for (int k = 0; k < n_inputs; ++k)
        layer.inputs[k] = inputs[k];
    GT_TRY(gt_model_add(m, &layer));
    *out = m->n_layers - 1;
    return GT_OK;
}

/* Conv2D with same padding and no activation. */
static gt_status conv_same(gt_model *m, const char *prefix, const char *part, int filters,
                           int kernel, int stride, int input, int *out)
{
    return add_graph(m, gt_layer_conv2d(filters, kernel, stride, GT_PAD_SAME, GT_ACT_LINEAR),
                     prefix, part, 1, &input, out);
}

/* BatchNormalization of the layer named "<prefix>_<part>", named "<prefix>_<part>_bn". */
static gt_status bn_of(gt_model *m, const char *prefix, const char *part, int input, int *out)
{
    char bn[48];
    snprintf(bn, sizeof bn, "%s_bn", part);
    return add_graph(m, gt_layer_batchnorm(), prefix, bn, 1, &input, out);
}

/* A basic residual block (He et al. 2016): conv-BN-ReLU, conv-BN, added to
 * the shortcut (the input, or a 1x1 conv-BN projection where the stride or
 * the width changes), then ReLU. The layers come in the order Keras lists
 * them (by depth: the projection's conv and BN beside the second conv's),
 * which is the order load_weights matches them in. */
static gt_status residual_block(gt_model *m, const char *prefix, int in_filters, int filters,
                                int stride, int input, int *out)
{
    int h, relu, conv2, body, proj = -1, shortcut = input;
    GT_TRY(conv_same(m, prefix, "conv1", filters, 3, stride, input, &h));
    GT_TRY(bn_of(m, prefix, "conv1", h, &h));
    GT_TRY(add_graph(m, gt_layer_defaults(GT_LAYER_RELU), prefix, "relu1", 1, &h, &relu));
    GT_TRY(conv_same(m, prefix, "conv2", filters, 3, 1, relu, &conv2));
    int project = stride != 1 || in_filters != filters;
    if (project) GT_TRY(conv_same(m, prefix, "proj", filters, 1, stride, input, &proj));
    GT_TRY(bn_of(m, prefix, "conv2", conv2, &body));
    if (project) GT_TRY(bn_of(m, prefix, "proj", proj, &shortcut));
    int sum, both[2] = {body, shortcut};
    GT_TRY(add_graph(m, gt_layer_defaults(GT_LAYER_ADD), prefix, "add", 2, both, &sum));
    return add_graph(m, gt_layer_defaults(GT_LAYER_RELU), prefix, "out", 1, &sum, out);
}

/* Beyond the notebooks: a small ResNet for Fashion-MNIST (a Functional
 * model): a 16-filter conv-BN-ReLU stem, 3 stages of 2 residual blocks (16,
 * 32 and 64 filters; the second and third stages start with stride 2: 28,
 * 14, 7 pixels), global average pooling and Dense 10 softmax.
 * bench/keras_resnet_fmnist.py builds the same model in Keras 3. Recipe:
 * Adam 1e-3, batch 64, 5 epochs, test validation. */
static gt_status build_resnet_fmnist(gt_model *m)
{
    static const int stage_filters[3] = {16, 32, 64};
    m->functional = 1;
    snprintf(m->input_name, sizeof m->input_name, "%s", "input_layer");
    int x, from = GT_MODEL_INPUT;
    GT_TRY(
        add_graph(m, gt_layer_rescaling(1.0f / 255.0f, 0.0f), "input", "rescaling", 1, &from, &x));
    GT_TRY(conv_same(m, "stem", "conv", 16, 3, 1, x, &x));
    GT_TRY(bn_of(m, "stem", "conv", x, &x));
    GT_TRY(add_graph(m, gt_layer_defaults(GT_LAYER_RELU), "stem", "relu", 1, &x, &x));
    int width = 16;
    for (int s = 0; s < 3; ++s)
        for (int b = 0; b < 2; ++b) {
            char prefix[16];
            snprintf(prefix, sizeof prefix, "s%db%d", s + 1, b + 1);
            int stride = s > 0 && b == 0 ? 2 : 1;
            GT_TRY(residual_block(m, prefix, width, stage_filters[s], stride, x, &x));
            width = stage_filters[s];
        }
    GT_TRY(add_graph(m, gt_layer_global_avgpool2d(), "head", "pool", 1, &x, &x));
    GT_TRY(add_graph(m, gt_layer_dense(10, GT_ACT_SOFTMAX), "head", "dense", 1, &x, &x));
    set_recipe(m, "fashion-mnist", 64, 5, GT_OPT_ADAM, 1e-3f, GT_VAL_TEST, 0);
    return GT_OK;
}

typedef struct zoo_entry {
    const char *name;
    gt_shape3 input;
    gt_status (*build)(gt_model *m);
} zoo_entry;

static const zoo_entry zoo[] = {
#define GT_ZOO_ENTRY_(name, h, w, c, build) {name, {h, w, c}, build},
    GT_ZOO(GT_ZOO_ENTRY_)
#undef GT_ZOO_ENTRY_
};

gt_status gt_model_from_zoo(const char *name, gt_model **out)
{
    if (out == NULL) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_model_from_zoo: out is NULL");
    *out = NULL;
    for (size_t i = 0; name != NULL && i < sizeof zoo / sizeof zoo[0]; ++i) {
        if (strcmp(zoo[i].name, name) != 0) continue;
        gt_model *m = NULL;
        GT_TRY(gt_model_new(zoo[i].name, zoo[i].input, &m));
        gt_status st = zoo[i].build(m);
        if (st == GT_OK) st = gt_model_build(m);
        if (st != GT_OK) {
            gt_model_free(m);
            return gt_fail_context(st, "zoo model '%s'", name);
        }
        *out = m;
        return GT_OK;
    }
    char list[256] = "";
    for (const char *const *n = zoo_names; *n; ++n) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *n);
    }
    return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown zoo model '%s'; the zoo has: %s",
                   name ? name : "(null)", list);
}
