/* The augmentation layers of a model JSON (RandomFlip, RandomTranslation,
 * RandomZoom, RandomCrop):
 *  - read from Keras 2 JSON into the gather's stages (model->augment) with
 *    Keras' config keys, shapes and 0 parameters;
 *  - written back and read again to the same stages and the same text;
 *  - Keras 3's JSON as real Keras 3.15 wrote it (tests/data/keras3_augment.json);
 *  - refusals that name the layer, the key, the value found and the accepted ones;
 *  - the trainer takes the model's stages when it is created, augments in
 *    training only, and RandomCrop's inference form is what evaluate sees. */
#include "test_util.h"
#include "test_util_data.h"

#include "model_internal.h"
#include "trainer_internal.h"

#ifndef GTRAIN_SOURCE_DIR
#error "GTRAIN_SOURCE_DIR must be defined by the build"
#endif

/* A Keras 2 model: input 12x12x1, the given preprocessing layers, then a
 * small network. */
static char *model_with(const char *pre)
{
    static const char fmt[] =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"aug\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 12, 12, 1], "
        "\"dtype\": \"float32\", \"name\": \"in\"}}, %s"
        "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"filters\": 2, "
        "\"kernel_size\": [3, 3], \"activation\": \"relu\"}}, "
        "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\"}}, "
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 5, "
        "\"activation\": \"softmax\"}}]}, \"keras_version\": \"2.11.0\"}";
    size_t n = sizeof fmt + strlen(pre);
    char *text = malloc(n);
    if (text) snprintf(text, n, fmt, pre);
    return text;
}

#define RESCALE                                                                                    \
    "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"rescaling\", \"scale\": 0.5, "       \
    "\"offset\": 1}}, "
#define FLIP_NAMED(name, mode)                                                                     \
    "{\"class_name\": \"RandomFlip\", \"config\": {\"name\": \"" name "\", \"mode\": " mode ", "   \
    "\"seed\": 12}}, "
#define FLIP(mode) FLIP_NAMED("flip", mode)
#define TRANSLATE(h, w, extra)                                                                     \
    "{\"class_name\": \"RandomTranslation\", \"config\": {\"name\": \"shift\", "                   \
    "\"height_factor\": " h ", \"width_factor\": " w extra "}}, "
#define ZOOM(h, w, extra)                                                                          \
    "{\"class_name\": \"RandomZoom\", \"config\": {\"name\": \"zoom\", \"height_factor\": " h      \
    ", \"width_factor\": " w extra "}}, "
#define CROP(h, w)                                                                                 \
    "{\"class_name\": \"RandomCrop\", \"config\": {\"name\": \"crop\", \"height\": " h             \
    ", \"width\": " w ", \"seed\": null}}, "

static const char all_four[] = RESCALE FLIP("\"horizontal\"")
    TRANSLATE("0.1", "[-0.2, 0.3]",
              ", \"fill_mode\": \"constant\", \"fill_value\": 3, \"interpolation\": "
              "\"nearest\"") ZOOM("[-0.25, 0.5]", "null", ", \"fill_mode\": \"wrap\"")
        CROP("10", "8");

static gt_model *read_text(const char *pre)
{
    char *text = model_with(pre);
    gt_model *m = NULL;
    if (text) CHECK_OK(gt_model_from_json_text(text, "aug.json", &m));
    free(text);
    return m;
}

static void check_all_four(const gt_model *m)
{
    const gt_augment *a = &m->augment;
    CHECK(m->first_compute == 5 && a->n_stages == 4);
    CHECK(a->in_h == 12 && a->in_w == 12);
    const gt_augment_stage *s = a->stages;
    CHECK(s[0].kind == GT_AUG_FLIP && s[0].horizontal == 1 && s[0].vertical == 0);
    CHECK(s[1].kind == GT_AUG_TRANSLATE && s[1].height_lower == -0.1f &&
          s[1].height_upper == 0.1f && s[1].width_lower == -0.2f && s[1].width_upper == 0.3f);
    CHECK(s[1].fill_mode == GT_FILL_CONSTANT && s[1].interpolation == GT_INTERP_NEAREST);
    /* 3 after x * 0.5 + 1: 4 in the gather's unscaled domain */
    CHECK(s[1].fill_value == 4.0f);
    CHECK(m->layers[2].augment.fill_value == 3.0f);
    CHECK(s[2].kind == GT_AUG_ZOOM && s[2].height_lower == -0.25f && s[2].height_upper == 0.5f);
    CHECK(s[2].width_from_height == 1 && s[2].fill_mode == GT_FILL_WRAP &&
          s[2].interpolation == GT_INTERP_BILINEAR);
    CHECK(s[3].kind == GT_AUG_CROP && s[3].out_h == 10 && s[3].out_w == 8);
    CHECK(m->layers[1].has_seed == 1 && m->layers[1].seed == 12 && m->layers[4].has_seed == 0);
    /* the crop sets the network's input; the gather writes 10x8 */
    CHECK(m->layers[5].in.h == 10 && m->layers[5].in.w == 8);
    CHECK(m->preprocess.out_h == 10 && m->preprocess.out_w == 8 && m->preprocess.out_c == 1);
    CHECK(m->preprocess.scale == 0.5f && m->preprocess.offset == 1.0f);
    for (int i = 1; i <= 4; ++i)
        CHECK(gt_layer_weight_floats(&m->layers[i]) == 0);
    CHECK(gt_model_param_count(m) == (3 * 3 * 2 + 2) + (8 * 6 * 2 * 5 + 5));
}

static void test_read_and_write_back(void)
{
    gt_model *m = read_text(all_four);
    if (!m) return;
    check_all_four(m);
    char *text = NULL, *again = NULL;
    CHECK_OK(gt_model_to_json(m, &text));
    gt_model *back = NULL;
    if (text) {
        CHECK_OK(gt_model_from_json_text(text, "<round trip>", &back));
        /* Keras' keys and forms: a symmetric factor as a number, else a pair */
        CHECK(strstr(text, "\"mode\":\"horizontal\"") || strstr(text, "\"mode\": \"horizontal\""));
        CHECK(strstr(text, "RandomTranslation") && strstr(text, "RandomZoom") &&
              strstr(text, "RandomCrop") && strstr(text, "RandomFlip"));
    }
    if (back) {
        check_all_four(back);
        CHECK(memcmp(&m->augment, &back->augment, sizeof m->augment) == 0);
        CHECK_OK(gt_model_to_json(back, &again));
        if (again) CHECK(strcmp(text, again) == 0);
    }
    /* the summary lists them with 0 params and the recipe describes them */
    FILE *f = tmpfile();
    if (f) {
        CHECK_OK(gt_model_summary(m, f));
        CHECK_OK(gt_model_recipe_summary(m, f));
        char buf[8192];
        rewind(f);
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        buf[got] = '\0';
        fclose(f);
        CHECK_MSG(strstr(buf, "flip (RandomFlip)") != NULL, "summary: %s", buf);
        CHECK(strstr(buf, "random flip horizontal (training only)") != NULL);
        CHECK(strstr(buf, "random crop to 10x8") != NULL);
    }
    free(again);
    free(text);
    gt_model_free(back);
    gt_model_free(m);
}

/* Flip modes and zoom width factors read as Keras does. */
static void test_forms(void)
{
    static const struct {
        const char *pre;
        int h, v;
    } flips[] = {{FLIP("\"vertical\""), 0, 1},
                 {FLIP("\"horizontal_and_vertical\""), 1, 1},
                 {FLIP("null"), 1, 1}};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; ++i) {
        gt_model *m = read_text(flips[i].pre);
        if (!m) continue;
        CHECK(m->augment.n_stages == 1 && m->augment.stages[0].horizontal == flips[i].h &&
              m->augment.stages[0].vertical == flips[i].v);
        gt_model_free(m);
    }
    gt_model *m = read_text(ZOOM("0.2", "[0.1, 0.3]", "") CROP("16", "16"));
    if (m) {
        const gt_augment_stage *s = &m->augment.stages[0];
        CHECK(s->width_from_height == 0 && s->width_lower == 0.1f && s->width_upper == 0.3f);
        CHECK(s->height_lower == -0.2f && s->fill_mode == GT_FILL_REFLECT);
        /* a crop larger than the image: smart_resize, the network sees 16x16 */
        CHECK(m->preprocess.out_h == 16 && m->layers[2].in.h == 16);
        gt_model_free(m);
    }
}

static void expect_failure(const char *pre, const char *const *needles, int line)
{
    char *text = model_with(pre);
    if (!text) return;
    gt_model *m = NULL;
    gt_clear_error();
    gt_status st = gt_model_from_json_text(text, "aug.json", &m);
    int ok = st != GT_OK && m == NULL;
    for (int i = 0; ok && needles[i]; ++i)
        ok = strstr(gt_last_error(), needles[i]) != NULL;
    if (!ok) {
        fprintf(stderr, "%s:%d: expected a failure naming", __FILE__, line);
        for (int i = 0; needles[i]; ++i)
            fprintf(stderr, " \"%s\"", needles[i]);
        fprintf(stderr, "; got %s: \"%s\"\n", gt_status_name(st), gt_last_error());
        ++gt_test_failures;
    }
    gt_model_free(m);
    free(text);
}

#define EXPECT_FAIL(pre, ...)                                                                      \
    do {                                                                                           \
        const char *const needles_[] = {__VA_ARGS__, NULL};                                        \
        expect_failure(pre, needles_, __LINE__);                                                   \
    } while (0)

static void test_refusals(void)
{
    EXPECT_FAIL(FLIP("\"diagonal\""), "'flip' (RandomFlip)", "mode \"diagonal\"",
                "\"horizontal_and_vertical\" or \"horizontal\" or \"vertical\"");
    EXPECT_FAIL(TRANSLATE("0.1", "0.1", ", \"fill_mode\": \"mirror\""), "(RandomTranslation)",
                "fill_mode \"mirror\"", "\"reflect\" or \"wrap\" or \"constant\" or \"nearest\"");
    EXPECT_FAIL(ZOOM("0.1", "null", ", \"interpolation\": \"bicubic\""), "(RandomZoom)",
                "interpolation \"bicubic\"", "\"bilinear\" or \"nearest\"");
    EXPECT_FAIL(TRANSLATE("1.5", "0.1", ""), "(RandomTranslation)", "height_factor 1.5",
                "[lower, upper]");
    EXPECT_FAIL(TRANSLATE("0.1", "[0.2, 0.1]", ""), "width_factor [0.2,0.1]");
    EXPECT_FAIL(TRANSLATE("-0.1", "0.1", ""), "height_factor -0.1");
    EXPECT_FAIL(TRANSLATE("0.1", "\"wide\"", ""), "width_factor \"wide\"");
    EXPECT_FAIL(ZOOM("[-1, 0.5]", "null", ""), "(RandomZoom)", "height_factor [-1,0.5]",
                "-1 < lower");
    EXPECT_FAIL("{\"class_name\": \"RandomTranslation\", \"config\": {\"name\": \"t\", "
                "\"width_factor\": 0.1}}, ",
                "height_factor is missing");
    EXPECT_FAIL("{\"class_name\": \"RandomCrop\", \"config\": {\"name\": \"c\", \"width\": 8}}, ",
                "(RandomCrop)", "height is missing");
    EXPECT_FAIL(CROP("0", "8"), "crop size 0x8 must be positive");
    EXPECT_FAIL("{\"class_name\": \"RandomFlip\", \"config\": {\"name\": \"f\", \"seed\": "
                "\"x\"}}, ",
                "seed \"x\"", "null or an integer");
    EXPECT_FAIL("{\"class_name\": \"RandomFlip\", \"config\": {\"name\": \"f\", \"data_format\": "
                "\"channels_first\"}}, ",
                "data_format \"channels_first\"");
    EXPECT_FAIL(FLIP("null") "{\"class_name\": \"Resizing\", \"config\": {\"name\": \"r\", "
                             "\"height\": 20, \"width\": 20, \"interpolation\": \"bilinear\"}}, ",
                "'r' (Resizing)", "move Resizing before the first Random* layer");
    EXPECT_FAIL(FLIP_NAMED("f1", "null") FLIP_NAMED("f2", "null") FLIP_NAMED("f3", "null")
                    FLIP_NAMED("f4", "null") FLIP_NAMED("f5", "null"),
                "at most 4 augmentation layers");
    /* after the network, as any preprocessing layer */
    EXPECT_FAIL("{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c0\", \"filters\": 1, "
                "\"kernel_size\": [1, 1]}}, " FLIP("null"),
                "'flip' (RandomFlip)", "move it before 'c0'");
}

/* Keras 3.15's own JSON of these layers (bench/keras_augment_fixture.py). */
static void test_keras3_file(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_json_file(GTRAIN_SOURCE_DIR "/tests/data/keras3_augment.json", &m));
    if (!m) return;
    const gt_augment *a = &m->augment;
    CHECK(a->n_stages == 4 && a->in_h == 28 && a->in_w == 28);
    CHECK(a->stages[0].kind == GT_AUG_FLIP && a->stages[0].horizontal && !a->stages[0].vertical);
    CHECK(m->layers[1].has_seed && m->layers[1].seed == 7);
    CHECK(a->stages[1].kind == GT_AUG_TRANSLATE && a->stages[1].height_lower == -0.1f &&
          a->stages[1].width_lower == -0.2f && a->stages[1].width_upper == 0.1f);
    CHECK(a->stages[1].fill_mode == GT_FILL_CONSTANT &&
          a->stages[1].interpolation == GT_INTERP_NEAREST && a->stages[1].fill_value == 0.0f);
    CHECK(a->stages[2].kind == GT_AUG_ZOOM && a->stages[2].height_lower == -0.1f &&
          a->stages[2].height_upper == 0.2f && a->stages[2].width_from_height);
    CHECK(a->stages[3].kind == GT_AUG_CROP && a->stages[3].out_h == 24 && a->stages[3].out_w == 24);
    CHECK(gt_model_param_count(m) == (9 * 8 + 8) + (11 * 11 * 8 * 10 + 10));
    gt_model_free(m);
}

/* The trainer augments with the model's stages from its creation, in
 * training only: a flip-and-shift model trains differently from the same
 * network without them, evaluates as it does (both are the identity then),
 * and a crop model evaluates through smart_resize. */
static void test_trainer(void)
{
    gt_backend *be = NULL;
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be));
    gt_model *aug = read_text(FLIP("null") TRANSLATE("0.2", "0.2", ""));
    gt_model *plain = read_text("");
    gt_model *crop = read_text(CROP("10", "10"));
    gt_dataset *ds = NULL;
    if (!be || !aug || !plain || !crop) goto done;
    uint8_t *images = malloc(64 * 144);
    int32_t *labels = malloc(64 * sizeof *labels);
    if (images && labels) {
        uint64_t s = 5;
        for (int i = 0; i < 64 * 144; ++i) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            images[i] = (uint8_t)(s >> 56);
        }
        for (int i = 0; i < 64; ++i)
            labels[i] = i % 5;
        CHECK_OK(gt_dataset_from_memory(images, labels, 64, (gt_shape3){12, 12, 1}, 5, &ds));
    }
    free(images);
    free(labels);
    if (!ds) goto done;
    /* both start from the same weights (the plain model's initialization) */
    size_t np = gt_model_param_count(aug);
    float *w[2] = {calloc(np, sizeof(float)), calloc(np, sizeof(float))};
    float *init = calloc(np, sizeof(float));
    double loss[2] = {0, 0}, acc[2] = {0, 0};
    const gt_model *models[2] = {plain, aug};
    for (int k = 0; k < 2 && w[0] && w[1] && init; ++k) {
        gt_train_config cfg = gt_train_config_for(models[k]);
        cfg.batch_size = 16;
        cfg.seed = 9;
        gt_trainer *tr = NULL;
        CHECK_OK(gt_trainer_create(models[k], be, &cfg, &tr));
        if (!tr) continue;
        CHECK(tr->augment.n_stages == 2 * k);
        if (k == 0) CHECK_OK(gt_trainer_get_params(tr, init, np));
        if (k == 1) {
            CHECK(memcmp(tr->augment.stages, aug->augment.stages, sizeof aug->augment.stages) == 0);
            CHECK_OK(gt_trainer_set_params(tr, init, np));
        }
        /* evaluation does not augment: the same loss on both */
        CHECK_OK(gt_trainer_evaluate(tr, ds, &loss[k], &acc[k]));
        CHECK_OK(gt_trainer_fit(tr, ds, NULL, 2, NULL));
        CHECK_OK(gt_trainer_get_params(tr, w[k], np));
        gt_trainer_destroy(tr);
    }
    CHECK_MSG(loss[0] == loss[1] && acc[0] == acc[1], "evaluate augmented: %g vs %g", loss[1],
              loss[0]);
    if (w[0] && w[1])
        CHECK_MSG(memcmp(w[0], w[1], np * sizeof(float)) != 0, "augmentation changed nothing");
    free(w[0]);
    free(w[1]);
    free(init);

    /* RandomCrop in evaluate: smart_resize of the 12x12 image to 10x10 (a
     * centred square of 12 resized), as Resizing to 10x10 would do */
    gt_model *resize = read_text("{\"class_name\": \"Resizing\", \"config\": {\"name\": \"r\", "
                                 "\"height\": 10, \"width\": 10}}, ");
    double cl = 0, ca = 0, rl = 1, ra = 1;
    gt_train_config cfg = gt_train_config_for(crop);
    gt_trainer *tc = NULL, *tz = NULL;
    if (resize) {
        CHECK_OK(gt_trainer_create(crop, be, &cfg, &tc));
        CHECK_OK(gt_trainer_create(resize, be, &cfg, &tz));
    }
    if (tc && tz) {
        CHECK_OK(gt_trainer_evaluate(tc, ds, &cl, &ca));
        CHECK_OK(gt_trainer_evaluate(tz, ds, &rl, &ra));
        CHECK_MSG(cl == rl && ca == ra, "crop inference %g vs resize %g", cl, rl);
    }
    gt_trainer_destroy(tc);
    gt_trainer_destroy(tz);
    gt_model_free(resize);
done:
    gt_dataset_free(ds);
    gt_model_free(aug);
    gt_model_free(plain);
    gt_model_free(crop);
    gt_backend_destroy(be);
}

int main(void)
{
    test_read_and_write_back();
    test_forms();
    test_refusals();
    test_keras3_file();
    test_trainer();
    TEST_EXIT();
}
