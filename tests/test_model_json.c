/* Keras model JSON: the shipped tests/models/<name>.json equal the zoo, to_json
 * round-trips, Keras 3's layout parses, and bad files fail with messages that
 * say where and what. */
#include "test_layers.h"
#include "test_util.h"

#include "model_internal.h"

#ifndef GTRAIN_SOURCE_DIR
#error "GTRAIN_SOURCE_DIR must be defined by the build"
#endif

static int same_shape(gt_shape3 a, gt_shape3 b)
{
    return a.h == b.h && a.w == b.w && a.c == b.c;
}

/* Compares everything the engine uses; initializer parameters only where the
 * kind reads them (an unused field may differ). */
static int same_used_init(const gt_initializer *a, const gt_initializer *b)
{
    if (a->kind != b->kind) return 0;
    switch (a->kind) {
    case GT_INIT_RANDOM_NORMAL:
    case GT_INIT_TRUNCATED_NORMAL:
        return a->mean == b->mean && a->stddev == b->stddev;
    case GT_INIT_RANDOM_UNIFORM:
        return a->minval == b->minval && a->maxval == b->maxval;
    case GT_INIT_CONSTANT:
        return a->value == b->value;
    default:
        return 1;
    }
}

static void check_same_model(const gt_model *a, const gt_model *b, const char *what)
{
    CHECK_MSG(strcmp(a->name, b->name) == 0, "%s: name '%s' vs '%s'", what, a->name, b->name);
    CHECK_MSG(same_shape(a->input, b->input), "%s: input %dx%dx%d vs %dx%dx%d", what, a->input.h,
              a->input.w, a->input.c, b->input.h, b->input.w, b->input.c);
    CHECK_MSG(a->n_layers == b->n_layers, "%s: %d vs %d layers", what, a->n_layers, b->n_layers);
    CHECK_MSG(gt_model_param_count(a) == gt_model_param_count(b), "%s: %zu vs %zu params", what,
              gt_model_param_count(a), gt_model_param_count(b));
    CHECK(a->first_compute == b->first_compute && a->num_classes == b->num_classes);
    CHECK(a->logits_output == b->logits_output && a->built && b->built);
    CHECK(a->functional == b->functional && a->chain == b->chain);
    CHECK(memcmp(&a->preprocess, &b->preprocess, sizeof a->preprocess) == 0);
    for (int i = 0; i < a->n_layers && i < b->n_layers; ++i) {
        const gt_layer *x = &a->layers[i], *y = &b->layers[i];
        int same =
            x->kind == y->kind && strcmp(x->name, y->name) == 0 && x->activation == y->activation &&
            x->filters == y->filters && x->kernel_h == y->kernel_h && x->kernel_w == y->kernel_w &&
            x->stride_h == y->stride_h && x->stride_w == y->stride_w && x->padding == y->padding &&
            x->units == y->units && x->use_bias == y->use_bias && x->rate == y->rate &&
            x->scale == y->scale && x->offset == y->offset && x->height == y->height &&
            x->width == y->width && x->repeats == y->repeats && same_shape(x->in, y->in) &&
            same_shape(x->out, y->out) && x->pad_top == y->pad_top && x->pad_left == y->pad_left &&
            x->alpha == y->alpha && memcmp(x->pad, y->pad, sizeof x->pad) == 0 &&
            x->keepdims == y->keepdims && x->momentum == y->momentum && x->epsilon == y->epsilon &&
            x->n_inputs == y->n_inputs &&
            memcmp(x->inputs, y->inputs, sizeof x->inputs[0] * (size_t)x->n_inputs) == 0 &&
            x->axis == y->axis && x->center == y->center && x->scale_bn == y->scale_bn &&
            x->n_weights == y->n_weights &&
            memcmp(x->weights, y->weights, sizeof x->weights[0] * (size_t)x->n_weights) == 0;
        same = same && same_used_init(&x->kernel_init, &y->kernel_init) &&
               same_used_init(&x->bias_init, &y->bias_init) &&
               same_used_init(&x->gamma_init, &y->gamma_init) &&
               same_used_init(&x->beta_init, &y->beta_init) &&
               same_used_init(&x->mean_init, &y->mean_init) &&
               same_used_init(&x->var_init, &y->var_init);
        CHECK_MSG(same, "%s: layer %d '%s' differs from '%s'", what, i, x->name, y->name);
    }
}

static gt_model *load_model_file(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/models/%s", GTRAIN_SOURCE_DIR, file);
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_json_file(path, &m));
    return m;
}

static void test_zoo_files_match_zoo(void)
{
    for (const char *const *name = gt_zoo_names(); *name; ++name) {
        char file[128];
        snprintf(file, sizeof file, "%s.json", *name);
        gt_model *zoo = NULL, *json = load_model_file(file);
        CHECK_OK(gt_model_from_zoo(*name, &zoo));
        if (zoo && json) check_same_model(zoo, json, file);
        /* the zoo model written by gtrain reads back identical */
        char *text = NULL;
        if (zoo) CHECK_OK(gt_model_to_json(zoo, &text));
        gt_model *back = NULL;
        if (text) CHECK_OK(gt_model_from_json_text(text, "<round trip>", &back));
        if (back) {
            check_same_model(zoo, back, *name);
            /* and writing it again gives the same text */
            char *again = NULL;
            CHECK_OK(gt_model_to_json(back, &again));
            if (again) CHECK(strcmp(again, text) == 0);
            free(again);
        }
        free(text);
        gt_model_free(back);
        gt_model_free(zoo);
        gt_model_free(json);
    }
}

static void test_exercise_files(void)
{
    static const struct {
        const char *file;
        size_t params;
        int logits;
    } files[] = {
        {"cnn-fmnist-16.json", 55098, 1},
        {"cnn-fmnist-64.json", 243786, 1},
        {"cnn-fmnist-3conv.json", 24330, 1},
        {"mlp-fmnist-relu-output.json", 7735322, 0},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
        gt_model *m = load_model_file(files[i].file);
        if (!m) continue;
        CHECK_MSG(gt_model_param_count(m) == files[i].params, "%s: %zu params, expected %zu",
                  files[i].file, gt_model_param_count(m), files[i].params);
        CHECK(m->logits_output == files[i].logits && m->num_classes == 10);
        CHECK_NEAR(m->preprocess.scale, 1.0 / 255.0, 1e-9);
        gt_model_free(m);
    }
}

/* Keras 3 writes "module"/"registered_name", InputLayer's batch_shape, and a
 * DTypePolicy object for dtype. */
static const char keras3_text[] =
    "{\"module\": \"keras\", \"class_name\": \"Sequential\", \"config\": {\"name\": \"k3\", "
    "\"trainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", "
    "\"config\": {\"name\": \"float32\"}, \"registered_name\": null}, \"layers\": ["
    "{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\", \"config\": {\"batch_shape\": "
    "[null, 28, 28, 1], \"dtype\": \"float32\", \"sparse\": false, \"name\": \"input_layer\"}, "
    "\"registered_name\": null},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", "
    "\"trainable\": true, \"dtype\": {\"module\": \"keras\", \"class_name\": \"DTypePolicy\", "
    "\"config\": {\"name\": \"float32\"}, \"registered_name\": null}, \"filters\": 16, "
    "\"kernel_size\": [3, 3], \"strides\": [1, 1], \"padding\": \"same\", \"data_format\": "
    "\"channels_last\", \"dilation_rate\": [1, 1], \"groups\": 1, \"activation\": \"relu\", "
    "\"use_bias\": true, \"kernel_initializer\": {\"module\": \"keras.initializers\", "
    "\"class_name\": \"HeNormal\", \"config\": {\"seed\": null}, \"registered_name\": null}, "
    "\"bias_initializer\": {\"module\": \"keras.initializers\", \"class_name\": \"Constant\", "
    "\"config\": {\"value\": 0.25}, \"registered_name\": null}, \"kernel_regularizer\": null, "
    "\"bias_regularizer\": null, \"activity_regularizer\": null, \"kernel_constraint\": null, "
    "\"bias_constraint\": null}, \"registered_name\": null, \"build_config\": {\"input_shape\": "
    "[null, 28, 28, 1]}},"
    "{\"module\": \"keras.layers\", \"class_name\": \"MaxPooling2D\", \"config\": {\"name\": "
    "\"max_pooling2d\", \"trainable\": true, \"dtype\": \"float32\", \"pool_size\": [2, 2], "
    "\"padding\": \"valid\", \"strides\": null, \"data_format\": \"channels_last\"}, "
    "\"registered_name\": null},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Flatten\", \"config\": {\"name\": "
    "\"flatten\", \"trainable\": true, \"dtype\": \"float32\", \"data_format\": "
    "\"channels_last\"}, \"registered_name\": null},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", "
    "\"trainable\": true, \"dtype\": \"float32\", \"units\": 10, \"activation\": \"linear\", "
    "\"use_bias\": false, \"kernel_initializer\": {\"module\": \"keras.initializers\", "
    "\"class_name\": \"RandomUniform\", \"config\": {\"minval\": -0.1, \"maxval\": 0.2, \"seed\": "
    "null}, \"registered_name\": null}, \"bias_initializer\": {\"module\": "
    "\"keras.initializers\", \"class_name\": \"Zeros\", \"config\": {}, \"registered_name\": "
    "null}, \"kernel_regularizer\": null, \"bias_regularizer\": null, \"kernel_constraint\": "
    "null, \"bias_constraint\": null, \"lora_rank\": null}, \"registered_name\": null},"
    "{\"module\": \"keras.layers\", \"class_name\": \"Activation\", \"config\": {\"name\": "
    "\"activation\", \"trainable\": true, \"dtype\": \"float32\", \"activation\": \"softmax\"}, "
    "\"registered_name\": null}"
    "], \"build_input_shape\": [null, 28, 28, 1]}, \"registered_name\": null, \"build_config\": "
    "{\"input_shape\": [null, 28, 28, 1]}}";

static void test_keras3(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_json_text(keras3_text, "k3.json", &m));
    if (!m) return;
    CHECK(strcmp(m->name, "k3") == 0 && m->n_layers == 5);
    CHECK(m->layers[0].out.h == 28 && m->layers[0].out.c == 16 && m->layers[0].pad_top == 1);
    CHECK(m->layers[0].kernel_init.kind == GT_INIT_HE_NORMAL);
    CHECK(m->layers[0].bias_init.kind == GT_INIT_CONSTANT && m->layers[0].bias_init.value == 0.25f);
    CHECK(m->layers[1].stride_h == 2 && m->layers[1].out.h == 14);
    CHECK(m->layers[3].use_bias == 0 && BIAS_COUNT(&m->layers[3]) == 0);
    CHECK(m->layers[3].kernel_init.kind == GT_INIT_RANDOM_UNIFORM);
    CHECK(m->layers[3].kernel_init.minval == -0.1f && m->layers[3].kernel_init.maxval == 0.2f);
    CHECK(m->logits_output == 1 && m->num_classes == 10);
    CHECK(gt_model_param_count(m) == 16 * 9 + 16 + 14 * 14 * 16 * 10);
    gt_model_free(m);
}

/* A small Keras 2 model with one layer's config spliced in. */
static char *model_with(const char *input_shape, const char *layers)
{
    static const char head[] = "{\"class_name\": \"Sequential\", \"config\": {\"name\": "
                               "\"bad\", \"layers\": [";
    static const char input_fmt[] =
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": %s, \"dtype\": "
        "\"float32\", \"name\": \"in\"}}, ";
    size_t n = strlen(head) + strlen(input_fmt) + strlen(input_shape) + strlen(layers) + 64;
    char *text = malloc(n);
    if (!text) return NULL;
    int used = snprintf(text, n, "%s", head);
    if (input_shape[0]) used += snprintf(text + used, n - (size_t)used, input_fmt, input_shape);
    snprintf(text + used, n - (size_t)used, "%s]}, \"keras_version\": \"2.11.0\"}", layers);
    return text;
}

#define CONV(extra)                                                                                \
    "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"filters\": 4, "             \
    "\"kernel_size\": [3, 3], \"activation\": \"relu\"" extra "}}"
#define FLATTEN "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\"}}"
#define DENSE(name, act)                                                                           \
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"" name "\", \"units\": 10, "             \
    "\"activation\": \"" act "\"}}"
#define RESCALE                                                                                    \
    "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"rescaling\", \"scale\": 2}}"

static void expect_failure(const char *input_shape, const char *layers, gt_status status,
                           const char *needle, int line)
{
    char *text = model_with(input_shape, layers);
    if (!text) return;
    gt_model *m = NULL;
    gt_clear_error();
    gt_status st = gt_model_from_json_text(text, "model.json", &m);
    if (st != status || strstr(gt_last_error(), needle) == NULL) {
        fprintf(stderr, "%s:%d: expected %s with \"%s\", got %s: \"%s\"\n", __FILE__, line,
                gt_status_name(status), needle, gt_status_name(st), gt_last_error());
        ++gt_test_failures;
    }
    CHECK(m == NULL);
    gt_model_free(m);
    free(text);
}

#define EXPECT_FAIL(shape, layers, status, needle)                                                 \
    expect_failure(shape, layers, status, needle, __LINE__)

static void test_bad_inputs(void)
{
    const char *img = "[null, 8, 8, 1]";
    gt_model *m = NULL;
    CHECK_FAILS_WITH(gt_model_from_json_text("{\"class_name\": \"Sequential\", ", "model.json", &m),
                     GT_ERR_FORMAT, "model.json: not valid JSON");
    CHECK_FAILS_WITH(gt_model_from_json_text("[1, 2]", "model.json", &m), GT_ERR_FORMAT,
                     "model.json: not a Keras model JSON");
    CHECK_FAILS_WITH(gt_model_from_json_text("{\"class_name\": \"Functional\", \"config\": {}}",
                                             "model.json", &m),
                     GT_ERR_FORMAT, "model.json: config.layers is missing or empty");
    CHECK_FAILS_WITH(gt_model_from_json_text("{\"class_name\": \"Subclassed\", \"config\": {}}",
                                             "model.json", &m),
                     GT_ERR_UNSUPPORTED,
                     "model.json: model class_name \"Subclassed\" is not supported (expected "
                     "\"Sequential\" or \"Functional\")");
    CHECK_FAILS_WITH(gt_model_from_json_file("/nonexistent/model.json", &m), GT_ERR_IO,
                     "/nonexistent/model.json: cannot open");
    CHECK(m == NULL);

    EXPECT_FAIL(img, "{\"class_name\": \"LSTM\", \"config\": {\"name\": \"lstm\"}}",
                GT_ERR_UNSUPPORTED,
                "model.json: layer 1 'lstm' (LSTM): class_name \"LSTM\" is not a supported layer "
                "(supported: InputLayer, Rescaling, Resizing, RandomFlip, RandomTranslation, "
                "RandomZoom, RandomCrop, RepeatChannels, Conv2D, "
                "MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, "
                "ZeroPadding2D, BatchNormalization, Flatten, Dense, Dropout, Activation, ReLU, "
                "LeakyReLU, ELU, Add, Subtract, Multiply, Average, Concatenate)");
    EXPECT_FAIL(img, CONV(", \"data_format\": \"channels_first\""), GT_ERR_UNSUPPORTED,
                "model.json: layer 1 'conv2d' (Conv2D): data_format \"channels_first\" is not "
                "supported (expected \"channels_last\")");
    EXPECT_FAIL(img, RESCALE ", " CONV(", \"dilation_rate\": [2, 2]"), GT_ERR_UNSUPPORTED,
                "model.json: layer 2 'conv2d' (Conv2D): dilation_rate [2,2] is not supported "
                "(expected [1,1])");
    EXPECT_FAIL(img, CONV(", \"groups\": 2"), GT_ERR_UNSUPPORTED,
                "layer 1 'conv2d' (Conv2D): groups 2 is not supported (expected 1)");
    EXPECT_FAIL(img, CONV(", \"padding\": \"causal\""), GT_ERR_UNSUPPORTED,
                "padding \"causal\" is not supported (expected \"valid\" or \"same\")");
    EXPECT_FAIL(img, CONV(", \"kernel_regularizer\": {\"class_name\": \"L2\"}"), GT_ERR_UNSUPPORTED,
                "kernel_regularizer {\"class_name\":\"L2\"} is not supported");
    EXPECT_FAIL(img, CONV(", \"kernel_initializer\": {\"class_name\": \"Orthogonal\"}"),
                GT_ERR_UNSUPPORTED,
                "kernel_initializer {\"class_name\":\"Orthogonal\"} is not supported (expected "
                "one of GlorotUniform");
    EXPECT_FAIL(img, CONV(", \"trainable\": false"), GT_ERR_UNSUPPORTED,
                "trainable false is not supported");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Activation\", \"config\": {\"name\": \"activation\", "
                "\"activation\": \"hard_sigmoid\"}}",
                GT_ERR_UNSUPPORTED,
                "layer 1 'activation' (Activation): activation \"hard_sigmoid\" is not supported "
                "(expected one of linear, relu, softmax, sigmoid, tanh, elu, selu, gelu, silu, "
                "softplus, leaky_relu)");
    EXPECT_FAIL(
        img, "{\"class_name\": \"ReLU\", \"config\": {\"name\": \"re_lu\", \"max_value\": 6}}",
        GT_ERR_UNSUPPORTED, "layer 1 're_lu' (ReLU): max_value 6 is not supported (expected null)");
    EXPECT_FAIL(img,
                "{\"class_name\": \"BatchNormalization\", \"config\": {\"name\": \"bn\", "
                "\"axis\": 2}}",
                GT_ERR_UNSUPPORTED, "layer 1 'bn' (BatchNormalization): axis 2 is not supported");
    EXPECT_FAIL(img,
                "{\"class_name\": \"BatchNormalization\", \"config\": {\"name\": \"bn\", "
                "\"renorm\": true}}",
                GT_ERR_UNSUPPORTED, "renorm true is not supported (expected false)");
    EXPECT_FAIL(img,
                "{\"class_name\": \"ZeroPadding2D\", \"config\": {\"name\": \"zp\", "
                "\"padding\": [[1, 2], [3]]}}",
                GT_ERR_UNSUPPORTED, "padding [[1,2],[3]] is not supported");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"filters\": 4}}",
                GT_ERR_FORMAT, "layer 1 'conv2d' (Conv2D): kernel_size is missing");
    EXPECT_FAIL(img, FLATTEN ", " DENSE("dense", "softmax") ", " DENSE("dense_1", "softmax"),
                GT_ERR_UNSUPPORTED,
                "layer 'dense' (Dense): softmax is supported only on the last layer");
    EXPECT_FAIL(img, FLATTEN ", " RESCALE ", " DENSE("dense", "softmax"), GT_ERR_UNSUPPORTED,
                "model.json: model 'bad': layer 'rescaling' (Rescaling): preprocessing layers run "
                "in the data pipeline");
    EXPECT_FAIL("[null, 2, 2, 512]",
                "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d_3\", \"filters\": "
                "512, \"kernel_size\": [3, 3]}}",
                GT_ERR_SHAPE,
                "layer 'conv2d_3' (Conv2D): kernel 3x3 does not fit input 2x2x512 with padding "
                "valid");
    EXPECT_FAIL("", FLATTEN ", " DENSE("dense", "softmax"), GT_ERR_FORMAT,
                "model.json: the model has no input shape");
    EXPECT_FAIL("[null, 8, 8, 1, 1]", FLATTEN, GT_ERR_UNSUPPORTED,
                "batch_input_shape [null,8,8,1,1] is not supported");
    EXPECT_FAIL(img, DENSE("dense", "softmax"), GT_ERR_UNSUPPORTED,
                "layer 'dense' (Dense): needs a flat input (None, n) but gets 8x8x1");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Resizing\", \"config\": {\"name\": \"resizing\", \"height\": "
                "4, \"width\": 4, \"interpolation\": \"nearest\"}}, " FLATTEN,
                GT_ERR_UNSUPPORTED,
                "layer 1 'resizing' (Resizing): interpolation \"nearest\" is not supported "
                "(expected \"bilinear\")");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Resizing\", \"config\": {\"name\": \"resizing\", \"height\": "
                "4, \"width\": 4, \"crop_to_aspect_ratio\": true}}, " FLATTEN,
                GT_ERR_UNSUPPORTED, "crop_to_aspect_ratio true is not supported (expected false)");
    EXPECT_FAIL(img, FLATTEN ", {\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\"}}",
                GT_ERR_FORMAT, "layer 2 'x' (InputLayer): an InputLayer may only be the first");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": "
                "\"ten\"}}",
                GT_ERR_FORMAT, "units \"ten\" is not an integer");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Dropout\", \"config\": {\"name\": \"d\", \"rate\": 0.5, "
                "\"dtype\": \"mixed_float16\"}}",
                GT_ERR_UNSUPPORTED, "dtype \"mixed_float16\" is not supported");
}

/* Sizes that would wrap size_t, names that cannot be saved, numbers beyond
 * double or float range: refused when the model is read, naming the layer. */
static void test_hostile_sizes_and_names(void)
{
    const char *img = "[null, 28, 28, 1]";
    EXPECT_FAIL(img,
                "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"huge\", \"filters\": "
                "3, \"kernel_size\": [1073741824, 1073741824], \"padding\": \"same\"}}",
                GT_ERR_SHAPE,
                "layer 'huge' (Conv2D): kernel 1073741824x1073741824x1x3 has more than 2^40 "
                "elements");
    EXPECT_FAIL("[null, 1048576, 1048576, 3]", FLATTEN, GT_ERR_SHAPE,
                "input shape 1048576x1048576x3 has more than 2^40 elements");
    EXPECT_FAIL("[null, 65536]",
                "{\"class_name\": \"Dense\", \"config\": {\"name\": \"d1\", \"units\": "
                "2147483646}}",
                GT_ERR_SHAPE, "layer 'd1' (Dense): kernel 65536x2147483646x1x1 has more than 2^40");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": "
                "1e400}}",
                GT_ERR_FORMAT, "units (a number beyond 1.8e308) is not an integer");
    EXPECT_FAIL(img,
                "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"r\", \"scale\": "
                "1e39}}, " FLATTEN,
                GT_ERR_FORMAT, "scale 1e+39 is out of range (expected a float32");
    EXPECT_FAIL(img, "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"conv/1\"}}",
                GT_ERR_FORMAT, "name \"conv/1\" contains '/'");
    EXPECT_FAIL(img, "{\"class_name\": \"Flatten\", \"config\": {\"name\": \".\"}}", GT_ERR_FORMAT,
                "name \".\" is a path component");
    EXPECT_FAIL(img, "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"a\\u001bb\"}}",
                GT_ERR_FORMAT, "name \"a?b\" contains a control character");
}

/* The input shape may come from the first layer (Keras 2 with input_shape=)
 * and a [null, n] shape is a flat vector. */
static void test_input_shape_forms(void)
{
    static const char flat[] =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"flat\", \"layers\": ["
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"batch_input_shape\": "
        "[null, 784], \"units\": 10, \"activation\": \"softmax\", \"kernel_initializer\": "
        "\"zeros\"}}]}}";
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_json_text(flat, "flat.json", &m));
    if (m) {
        CHECK(m->input.h == 1 && m->input.w == 1 && m->input.c == 784);
        CHECK(gt_model_param_count(m) == 7850 && m->layers[0].kernel_init.kind == GT_INIT_ZEROS);
        char *text = NULL;
        CHECK_OK(gt_model_to_json(m, &text));
        if (text) CHECK(strstr(text, "\"batch_input_shape\":[null,784]") != NULL);
        free(text);
        gt_model_free(m);
    }
}

int main(void)
{
    test_zoo_files_match_zoo();
    test_exercise_files();
    test_keras3();
    test_bad_inputs();
    test_hostile_sizes_and_names();
    test_input_shape_forms();
    TEST_EXIT();
}
