/* The zoo: exact parameter counts, layer shapes, recipes, the summary table,
 * and the build rules (shape inference, padding, preprocessing folding, the
 * errors that name layers and shapes). */
#include "test_layers.h"
#include "test_util.h"

#include "model_internal.h"

typedef struct expected_model {
    const char *name;
    size_t params, trainable; /* Keras' Total and Trainable params */
    int num_classes;
} expected_model;

static const expected_model expected[] = {
    {"vgg16", 33638218, 33638218, 10},
    {"mlp-fmnist", 7735322, 7735322, 10},
    {"cnn-signs", 82102, 82102, 6},
    {"mlp-128", 101770, 101770, 10},
    {"cnn-fmnist", 113386, 113386, 10},
    {"mlp-300-100", 266610, 266610, 10},
    {"softmax-mnist", 7850, 7850, 10},
    {"cnn-mnist", 3274634, 3274634, 10},
    /* Keras 3's summary of the same model: 15,338 total, 15,210 trainable */
    {"cnn-fmnist-bn", 15338, 15210, 10},
    /* Keras 3's count of bench/keras_resnet_fmnist.py's model */
    {"resnet-fmnist", 176650, 175530, 10},
};

static const gt_layer *find_layer(const gt_model *m, const char *name)
{
    for (int i = 0; i < m->n_layers; ++i)
        if (strcmp(m->layers[i].name, name) == 0) return &m->layers[i];
    fprintf(stderr, "model '%s' has no layer '%s'\n", m->name, name);
    return NULL;
}

#define CHECK_OUT(m, layer_name, H, W, C)                                                          \
    do {                                                                                           \
        const gt_layer *l_ = find_layer((m), (layer_name));                                        \
        CHECK(l_ != NULL);                                                                         \
        if (l_)                                                                                    \
            CHECK_MSG(l_->out.h == (H) && l_->out.w == (W) && l_->out.c == (C),                    \
                      "%s: out %dx%dx%d, expected %dx%dx%d", (layer_name), l_->out.h, l_->out.w,   \
                      l_->out.c, (H), (W), (C));                                                   \
    } while (0)

static void test_param_counts(void)
{
    const char *const *names = gt_zoo_names();
    size_t n = 0;
    while (names[n])
        ++n;
    CHECK(n == sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; ++i) {
        gt_model *m = NULL;
        CHECK_OK(gt_model_from_zoo(expected[i].name, &m));
        if (!m) continue;
        printf("%-14s %10zu params\n", expected[i].name, gt_model_param_count(m));
        CHECK_MSG(gt_model_param_count(m) == expected[i].params, "%s: %zu params, expected %zu",
                  expected[i].name, gt_model_param_count(m), expected[i].params);
        CHECK(gt_model_trainable_param_count(m) == expected[i].trainable);
        CHECK(gt_model_num_classes(m) == expected[i].num_classes);
        CHECK(strcmp(gt_model_name(m), expected[i].name) == 0);
        CHECK(m->built && m->logits_output == 1);
        /* the weights tile the model-order buffer, the trainable ones the
         * trainable buffer and the others the state buffer, in model order */
        size_t next = 0, next_trainable = 0, next_state = 0;
        for (int k = 0; k < m->n_layers; ++k)
            for (int w = 0; w < m->layers[k].n_weights; ++w) {
                const gt_layer_weight *slot = &m->layers[k].weights[w];
                size_t *mine = slot->trainable ? &next_trainable : &next_state;
                CHECK(slot->model_offset == next && slot->offset == *mine);
                next += slot->count;
                *mine += slot->count;
            }
        CHECK(next == gt_model_param_count(m) && next_trainable == expected[i].trainable);
        gt_model_free(m);
    }
}

static void test_vgg16_layers(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo("vgg16", &m));
    if (!m) return;
    static const char *const keras_names[] = {
        "repeat_channels", "resizing",     "block1_conv1", "block1_conv2", "block1_pool",
        "block2_conv1",    "block2_conv2", "block2_pool",  "block3_conv1", "block3_conv2",
        "block3_conv3",    "block3_pool",  "block4_conv1", "block4_conv2", "block4_conv3",
        "block4_pool",     "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool",
        "flatten",         "fc1",          "fc2",          "predictions"};
    CHECK(m->n_layers == 24);
    for (int i = 0; i < m->n_layers && i < 24; ++i)
        CHECK_MSG(strcmp(m->layers[i].name, keras_names[i]) == 0, "layer %d is '%s', expected '%s'",
                  i, m->layers[i].name, keras_names[i]);
    gt_shape3 in = gt_model_input_shape(m);
    CHECK(in.h == 28 && in.w == 28 && in.c == 1);
    CHECK(m->first_compute == 2);
    CHECK(m->preprocess.in_h == 28 && m->preprocess.in_w == 28 && m->preprocess.in_c == 1);
    CHECK(m->preprocess.out_h == 32 && m->preprocess.out_w == 32 && m->preprocess.out_c == 3);
    CHECK(m->preprocess.scale == 1.0f && m->preprocess.offset == 0.0f);
    CHECK_OUT(m, "repeat_channels", 28, 28, 3);
    CHECK_OUT(m, "resizing", 32, 32, 3);
    CHECK_OUT(m, "block1_conv1", 32, 32, 64);
    CHECK_OUT(m, "block1_pool", 16, 16, 64);
    CHECK_OUT(m, "block3_conv3", 8, 8, 256);
    CHECK_OUT(m, "block5_pool", 1, 1, 512);
    CHECK_OUT(m, "flatten", 1, 1, 512);
    CHECK_OUT(m, "fc1", 1, 1, 4096);
    CHECK_OUT(m, "predictions", 1, 1, 10);
    const gt_layer *c = find_layer(m, "block1_conv1");
    if (c) {
        CHECK(c->pad_top == 1 && c->pad_left == 1);
        CHECK(KERNEL_COUNT(c) == 64 * 3 * 3 * 3 && BIAS_COUNT(c) == 64);
        CHECK(c->kernel_init.kind == GT_INIT_GLOROT_UNIFORM && c->bias_init.kind == GT_INIT_ZEROS);
    }
    const gt_layer *fc1 = find_layer(m, "fc1");
    if (fc1) CHECK(KERNEL_COUNT(fc1) + BIAS_COUNT(fc1) == 2101248);
    const gt_recipe *r = gt_model_recipe(m);
    CHECK(strcmp(r->dataset, "fashion-mnist") == 0 && r->batch_size == 100 && r->epochs == 10);
    CHECK(r->optimizer == GT_OPT_ADAM && r->learning_rate == 1e-3f);
    CHECK(r->validation == GT_VAL_TEST && r->reduction == GT_REDUCE_MEAN);

    /* Without the preprocessing it is the notebook's 32x32x3 VGG16. */
    CHECK_OK(gt_model_strip_preprocessing(m));
    in = gt_model_input_shape(m);
    CHECK(in.h == 32 && in.w == 32 && in.c == 3);
    CHECK(m->n_layers == 22 && m->first_compute == 0);
    CHECK(strcmp(m->layers[0].name, "block1_conv1") == 0);
    CHECK(gt_model_param_count(m) == 33638218);
    CHECK(m->preprocess.out_c == 3 && m->preprocess.in_c == 3 && m->preprocess.out_h == 32);
    gt_model_free(m);
}

static void test_other_shapes_and_recipes(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo("cnn-signs", &m));
    if (m) {
        CHECK_OUT(m, "conv2d", 62, 62, 8);
        CHECK_OUT(m, "max_pooling2d", 31, 31, 8);
        CHECK_OUT(m, "conv2d_1", 29, 29, 16);
        CHECK_OUT(m, "max_pooling2d_1", 14, 14, 16);
        CHECK_OUT(m, "conv2d_2", 12, 12, 32);
        CHECK_OUT(m, "max_pooling2d_2", 6, 6, 32);
        CHECK_OUT(m, "flatten", 1, 1, 1152);
        CHECK_OUT(m, "dense_2", 1, 1, 6);
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(strcmp(r->dataset, "signs") == 0 && r->batch_size == 1 && r->epochs == 40);
        CHECK(r->validation == GT_VAL_LAST && r->validation_count == 120);
        CHECK_NEAR(m->preprocess.scale, 1.0 / 255.0, 1e-9);
        CHECK(m->preprocess.in_c == 3 && m->preprocess.out_h == 64);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("cnn-mnist", &m));
    if (m) {
        CHECK_OUT(m, "conv2d", 28, 28, 32);
        CHECK_OUT(m, "max_pooling2d", 14, 14, 32);
        CHECK_OUT(m, "conv2d_1", 14, 14, 64);
        CHECK_OUT(m, "max_pooling2d_1", 7, 7, 64);
        CHECK_OUT(m, "flatten", 1, 1, 3136);
        CHECK_OUT(m, "dropout", 1, 1, 1024);
        const gt_layer *c = find_layer(m, "conv2d");
        if (c) {
            CHECK(c->pad_top == 2 && c->pad_left == 2 && c->padding == GT_PAD_SAME);
            CHECK(c->kernel_init.kind == GT_INIT_TRUNCATED_NORMAL && c->kernel_init.stddev == 0.1f);
            CHECK(c->bias_init.kind == GT_INIT_CONSTANT && c->bias_init.value == 0.1f);
        }
        const gt_layer *d = find_layer(m, "dropout");
        if (d) CHECK(d->rate == 0.5f);
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(strcmp(r->dataset, "mnist") == 0 && r->batch_size == 50 && r->epochs == 1);
        CHECK(r->optimizer == GT_OPT_ADAM && r->learning_rate == 1e-4f);
        /* notebook 004's CNN loss is -reduce_sum(y log p), like its softmax regression */
        CHECK(r->validation == GT_VAL_TEST && r->reduction == GT_REDUCE_SUM);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("cnn-fmnist", &m));
    if (m) {
        CHECK_OUT(m, "conv2d", 26, 26, 32);
        CHECK_OUT(m, "max_pooling2d", 13, 13, 32);
        CHECK_OUT(m, "conv2d_1", 11, 11, 32);
        CHECK_OUT(m, "max_pooling2d_1", 5, 5, 32);
        CHECK_OUT(m, "flatten", 1, 1, 800);
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(r->batch_size == 32 && r->epochs == 5 && r->validation == GT_VAL_TEST);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("mlp-fmnist", &m));
    if (m) {
        const gt_layer *d = find_layer(m, "dense_3");
        if (d) {
            CHECK(d->kernel_init.kind == GT_INIT_RANDOM_NORMAL);
            CHECK(d->kernel_init.mean == 0.0f && d->kernel_init.stddev == 0.05f);
        }
        CHECK_OUT(m, "flatten", 1, 1, 784);
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(r->batch_size == 100 && r->epochs == 20 && r->validation == GT_VAL_TEST);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("mlp-300-100", &m));
    if (m) {
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(r->optimizer == GT_OPT_SGD && r->learning_rate == 0.01f && r->epochs == 30);
        CHECK(r->batch_size == 32 && r->validation == GT_VAL_FIRST && r->validation_count == 1000);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("softmax-mnist", &m));
    if (m) {
        const gt_layer *d = find_layer(m, "dense");
        if (d) CHECK(d->kernel_init.kind == GT_INIT_ZEROS && d->bias_init.kind == GT_INIT_ZEROS);
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(strcmp(r->dataset, "mnist") == 0 && r->optimizer == GT_OPT_SGD);
        CHECK(r->learning_rate == 0.25f && r->batch_size == 50 && r->epochs == 10);
        CHECK(r->reduction == GT_REDUCE_SUM && r->validation == GT_VAL_TEST);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("mlp-128", &m));
    if (m) {
        const gt_recipe *r = gt_model_recipe(m);
        CHECK(strcmp(r->dataset, "fashion-mnist") == 0 && r->batch_size == 32 && r->epochs == 5);
        gt_model_free(m);
    }
    CHECK_FAILS_WITH(gt_model_from_zoo("resnet50", &m), GT_ERR_INVALID_ARGUMENT,
                     "vgg16, mlp-fmnist, cnn-signs, mlp-128, cnn-fmnist, mlp-300-100, "
                     "softmax-mnist, cnn-mnist");
    CHECK(m == NULL);
}

/* Reads what `print` writes for a zoo model back from a temporary file. */
static char *printed_text(const char *name, gt_status (*print)(const gt_model *, FILE *))
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo(name, &m));
    if (!m) return NULL;
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) {
        gt_model_free(m);
        return NULL;
    }
    CHECK_OK(print(m, f));
    gt_model_free(m);
    long n = ftell(f);
    rewind(f);
    char *text = calloc((size_t)n + 1, 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) text[0] = '\0';
    fclose(f);
    return text;
}

static char *summary_text(const char *name)
{
    return printed_text(name, gt_model_summary);
}

/* Every zoo model shows its whole recipe; notebook 004's in detail. */
static void test_recipe_summary(void)
{
    static const char *const keys[] = {"Recipe (gtrain fit's defaults):\n",
                                       "\n  data:          ",
                                       "\n  optimizer:     ",
                                       "\n  batch size:    ",
                                       "\n  epochs:        ",
                                       "\n  loss:          ",
                                       "\n  shuffle:       ",
                                       "\n  validation:    ",
                                       "\n  preprocessing: "};
    for (const char *const *name = gt_zoo_names(); *name; ++name) {
        char *s = printed_text(*name, gt_model_recipe_summary);
        for (size_t k = 0; s && k < sizeof keys / sizeof keys[0]; ++k)
            CHECK_MSG(strstr(s, keys[k]) != NULL, "%s: no '%s' in:\n%s", *name, keys[k], s);
        free(s);
    }
    char *s = printed_text("softmax-mnist", gt_model_recipe_summary);
    if (s) {
        CHECK(strstr(s, "  data:          mnist\n") != NULL);
        CHECK(strstr(s, "  optimizer:     sgd, learning rate 0.25\n") != NULL);
        CHECK(strstr(s, "  batch size:    50\n") != NULL);
        CHECK(strstr(s, "  epochs:        10\n") != NULL);
        CHECK(strstr(s, "  loss:          cross-entropy -log(p + 1e-10), summed over the batch\n"));
        CHECK(strstr(s, "  shuffle:       no: batches in file order every epoch") != NULL);
        CHECK(strstr(s, "  validation:    the test set, after every epoch\n") != NULL);
        CHECK(strstr(s, "  preprocessing: pixels / 255\n") != NULL);
        free(s);
    }
    s = printed_text("cnn-mnist", gt_model_recipe_summary);
    if (s) {
        CHECK(strstr(s, "  optimizer:     adam, learning rate 0.0001\n") != NULL);
        CHECK(strstr(s, "  epochs:        1\n") != NULL);
        CHECK(strstr(s, "  shuffle:       no: batches in file order every epoch") != NULL);
        free(s);
    }
    s = printed_text("vgg16", gt_model_recipe_summary);
    if (s) {
        CHECK(strstr(s, "  loss:          cross-entropy, mean over the batch\n") != NULL);
        CHECK(strstr(s, "  shuffle:       yes: a new order every epoch\n") != NULL);
        CHECK(strstr(s, "  preprocessing: repeat channels x3, resize to 32x32 (bilinear), no "
                        "rescale (pixels 0..255)\n") != NULL);
        free(s);
    }
    s = printed_text("mlp-300-100", gt_model_recipe_summary);
    if (s) {
        CHECK(strstr(s, "  validation:    the first 1000 training examples (not trained on)"));
        free(s);
    }
}

static void test_summary(void)
{
    char *s = summary_text("vgg16");
    if (s) {
        CHECK(strstr(s, "Model: \"vgg16\"\n") != NULL);
        CHECK(strstr(s, "\n Layer (type)                Output Shape              Param #   \n") !=
              NULL);
        CHECK(strstr(s, "\n block1_conv1 (Conv2D)       (None, 32, 32, 64)        1792      \n") !=
              NULL);
        CHECK(strstr(s, "\n block5_pool (MaxPooling2D)  (None, 1, 1, 512)         0         \n") !=
              NULL);
        CHECK(strstr(s, "\n flatten (Flatten)           (None, 512)               0         \n") !=
              NULL);
        CHECK(strstr(s, "\n fc2 (Dense)                 (None, 4096)              16781312  \n") !=
              NULL);
        CHECK(strstr(s, "Total params: 33,638,218\n") != NULL);
        CHECK(strstr(s, "Trainable params: 33,638,218\n") != NULL);
        CHECK(strstr(s, "Non-trainable params: 0\n") != NULL);
        /* every line of the table is exactly 65 wide */
        const char *line = strstr(s, "\n") + 1;
        while (*line && strncmp(line, "Total", 5) != 0) {
            const char *end = strchr(line, '\n');
            CHECK_MSG(end - line == 65, "summary line of width %d: '%.*s'", (int)(end - line),
                      (int)(end - line), line);
            line = end + 1;
        }
        free(s);
    }
    s = summary_text("mlp-fmnist");
    if (s) {
        CHECK(strstr(s, "\n dense (Dense)               (None, 784)               615440    \n") !=
              NULL);
        CHECK(strstr(s, "Total params: 7,735,322\n") != NULL);
        free(s);
    }
    s = summary_text("cnn-signs");
    if (s) {
        /* a name longer than the column wraps onto the next line */
        CHECK(strstr(s, "\n max_pooling2d_1 (MaxPooling (None, 14, 14, 16)        0         \n"
                        " 2D)                                                             \n") !=
              NULL);
        free(s);
    }
}

static gt_model *model_of(gt_shape3 input, const gt_layer *layers, int n)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_new("test", input, &m));
    for (int i = 0; m && i < n; ++i)
        CHECK_OK(gt_model_add(m, &layers[i]));
    return m;
}

static void test_default_names_and_recipe(void)
{
    gt_shape3 in = {28, 28, 1};
    gt_layer layers[] = {gt_layer_repeat_channels(1),
                         gt_layer_rescaling(0.5f, 0.0f),
                         gt_layer_conv2d(4, 3, 1, GT_PAD_VALID, GT_ACT_RELU),
                         gt_layer_conv2d(4, 3, 1, GT_PAD_VALID, GT_ACT_RELU),
                         gt_layer_maxpool2d(2, 0, GT_PAD_VALID),
                         gt_layer_flatten(),
                         gt_layer_dense(8, GT_ACT_RELU),
                         gt_layer_dropout(0.25f),
                         gt_layer_dense(3, GT_ACT_LINEAR),
                         gt_layer_activation(GT_ACT_SOFTMAX)};
    gt_model *m = model_of(in, layers, 10);
    if (!m) return;
    static const char *const names[] = {"repeat_channels", "rescaling", "conv2d", "conv2d_1",
                                        "max_pooling2d",   "flatten",   "dense",  "dense_1",
                                        "dropout",         "activation"};
    static const int order[] = {0, 1, 2, 3, 4, 5, 6, 8, 7, 9};
    for (int i = 0; i < 10; ++i)
        CHECK_MSG(strcmp(m->layers[order[i]].name, names[i]) == 0,
                  "layer %d is '%s', expected '%s'", order[i], m->layers[order[i]].name, names[i]);
    const gt_recipe *r = gt_model_recipe(m);
    CHECK(strcmp(r->dataset, "fashion-mnist") == 0 && r->batch_size == 32 && r->epochs == 1);
    CHECK(r->optimizer == GT_OPT_ADAM && r->learning_rate == 1e-3f && r->momentum == 0.0f);
    CHECK(r->validation == GT_VAL_NONE && r->reduction == GT_REDUCE_MEAN);
    CHECK_OK(gt_model_build(m));
    CHECK(m->layers[4].stride_h == 2 && m->layers[4].out.h == 12);
    CHECK(m->logits_output == 1 && m->num_classes == 3);
    CHECK(m->first_compute == 2);
    gt_model_free(m);
}

static void test_padding_rules(void)
{
    /* same: out = ceil(in / s), pad_top = total / 2, the odd row at the bottom */
    gt_layer layers[] = {gt_layer_conv2d(2, 2, 2, GT_PAD_SAME, GT_ACT_LINEAR),
                         gt_layer_maxpool2d(3, 2, GT_PAD_SAME),
                         gt_layer_conv2d(2, 4, 1, GT_PAD_SAME, GT_ACT_LINEAR),
                         gt_layer_conv2d(2, 2, 3, GT_PAD_VALID, GT_ACT_LINEAR)};
    gt_shape3 in = {5, 8, 1};
    gt_model *m = model_of(in, layers, 4);
    if (!m) return;
    CHECK_OK(gt_model_build(m));
    /* 5 -> 3, total (3-1)*2+2-5 = 1 -> top 0; 8 -> 4, total 0 */
    CHECK(m->layers[0].out.h == 3 && m->layers[0].out.w == 4 && m->layers[0].pad_top == 0);
    /* pool 3/2 same: 3 -> 2, total (2-1)*2+3-3 = 2 -> 1; 4 -> 2, total 1 -> 0 */
    CHECK(m->layers[1].out.h == 2 && m->layers[1].pad_top == 1);
    CHECK(m->layers[1].out.w == 2 && m->layers[1].pad_left == 0);
    /* k 4 s 1 same: total 3 -> top 1 */
    CHECK(m->layers[2].out.h == 2 && m->layers[2].pad_top == 1 && m->layers[2].pad_left == 1);
    /* valid 2/3 on 2x2: floor((2-2)/3)+1 = 1 */
    CHECK(m->layers[3].out.h == 1 && m->layers[3].out.w == 1 && m->layers[3].out.c == 2);
    CHECK(m->logits_output == 0);
    gt_model_free(m);
}

static void test_preprocessing_folding(void)
{
    gt_shape3 in = {28, 28, 1};
    gt_layer layers[] = {gt_layer_rescaling(1.0f / 255.0f, 0.0f),
                         gt_layer_resizing(28, 28),
                         gt_layer_rescaling(2.0f, -1.0f),
                         gt_layer_repeat_channels(3),
                         gt_layer_flatten(),
                         gt_layer_dense(10, GT_ACT_SOFTMAX)};
    gt_model *m = model_of(in, layers, 6);
    if (m) {
        CHECK_OK(gt_model_build(m));
        CHECK_NEAR(m->preprocess.scale, 2.0 / 255.0, 1e-8);
        CHECK_NEAR(m->preprocess.offset, -1.0, 1e-8);
        CHECK(m->preprocess.out_h == 28 && m->preprocess.out_c == 3 && m->first_compute == 4);
        CHECK(m->layers[4].out.c == 28 * 28 * 3);
        CHECK_OK(gt_model_strip_preprocessing(m));
        CHECK(m->n_layers == 2 && m->input.c == 3 && m->preprocess.scale == 1.0f);
        gt_model_free(m);
    }
    gt_layer two_resizes[] = {gt_layer_resizing(32, 32), gt_layer_resizing(64, 64),
                              gt_layer_flatten(), gt_layer_dense(10, GT_ACT_SOFTMAX)};
    m = model_of(in, two_resizes, 4);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_UNSUPPORTED,
                         "layer 'resizing_1' (Resizing): a second resize");
        gt_model_free(m);
    }
    gt_shape3 rgb = {8, 8, 3};
    gt_layer repeat_rgb[] = {gt_layer_repeat_channels(2), gt_layer_flatten(),
                             gt_layer_dense(10, GT_ACT_SOFTMAX)};
    m = model_of(rgb, repeat_rgb, 3);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_UNSUPPORTED, "repeating a 3-channel input");
        gt_model_free(m);
    }
}

static void test_build_errors(void)
{
    gt_shape3 small = {2, 2, 512};
    gt_layer too_big[] = {gt_layer_conv2d(8, 3, 1, GT_PAD_VALID, GT_ACT_RELU)};
    snprintf(too_big[0].name, sizeof too_big[0].name, "conv2d_3");
    gt_model *m = model_of(small, too_big, 1);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_SHAPE,
                         "layer 'conv2d_3' (Conv2D): kernel 3x3 does not fit input 2x2x512 with "
                         "padding valid");
        gt_model_free(m);
    }
    gt_shape3 in = {28, 28, 1};
    gt_layer dense_on_image[] = {gt_layer_dense(10, GT_ACT_SOFTMAX)};
    m = model_of(in, dense_on_image, 1);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_UNSUPPORTED,
                         "layer 'dense' (Dense): needs a flat input (None, n) but gets 28x28x1");
        gt_model_free(m);
    }
    gt_layer late_rescale[] = {gt_layer_flatten(), gt_layer_rescaling(0.5f, 0.0f),
                               gt_layer_dense(10, GT_ACT_SOFTMAX)};
    m = model_of(in, late_rescale, 3);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_UNSUPPORTED,
                         "layer 'rescaling' (Rescaling): preprocessing layers run in the data "
                         "pipeline");
        gt_model_free(m);
    }
    gt_layer mid_softmax[] = {gt_layer_flatten(), gt_layer_dense(10, GT_ACT_SOFTMAX),
                              gt_layer_dense(10, GT_ACT_SOFTMAX)};
    m = model_of(in, mid_softmax, 3);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_UNSUPPORTED,
                         "layer 'dense' (Dense): softmax is supported only on the last layer");
        gt_model_free(m);
    }
    gt_layer pre_only[] = {gt_layer_rescaling(0.5f, 0.0f)};
    m = model_of(in, pre_only, 1);
    if (m) {
        CHECK_FAILS_WITH(gt_model_build(m), GT_ERR_INVALID_ARGUMENT, "only preprocessing layers");
        gt_model_free(m);
    }
    gt_layer dup[] = {gt_layer_flatten()};
    m = model_of(in, dup, 1);
    if (m) {
        gt_layer copy = m->layers[0];
        CHECK_FAILS_WITH(gt_model_add(m, &copy), GT_ERR_INVALID_ARGUMENT,
                         "layer name 'flatten' is used twice");
        gt_model_free(m);
    }
}

int main(void)
{
    test_param_counts();
    test_vgg16_layers();
    test_other_shapes_and_recipes();
    test_summary();
    test_recipe_summary();
    test_default_names_and_recipe();
    test_padding_rules();
    test_preprocessing_folding();
    test_build_errors();
    TEST_EXIT();
}
