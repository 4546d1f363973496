/* Float32 datasets (gt_dataset_from_memory_f32), what notebooks feed Keras
 * after x / 255.0: the dataset calls, the preprocess_gather_f32 op (fast ==
 * reference bit for bit; on integer-valued floats == the uint8 gather bit
 * for bit, being the same arithmetic), and training: a float dataset
 * holding a uint8 dataset's values trains to the same weights bit for bit,
 * and one holding x / 255 without the model's Rescaling trains alike;
 * evaluate and predict read float datasets too. */
#include "cpu_ops_common.h"
#include "test_util_data.h"

static void check_dataset_calls(void)
{
    float img[8] = {0.0f, 0.5f, 1.0f, 0.25f, 0.125f, 1.5f, -1.0f, 2.0f};
    int32_t labels[2] = {1, 0};
    gt_shape3 shape = {2, 2, 1};
    gt_dataset *ds = NULL, *part = NULL;
    CHECK_OK(gt_dataset_from_memory_f32(img, labels, 2, shape, 2, &ds));
    if (!ds) return;
    CHECK(gt_dataset_is_float(ds) && gt_dataset_images(ds) == NULL);
    CHECK(gt_dataset_images_f32(ds) && gt_dataset_images_f32(ds)[5] == 1.5f);
    CHECK_OK(gt_dataset_slice(ds, 1, 1, &part));
    if (part) {
        CHECK(gt_dataset_is_float(part) && gt_dataset_count(part) == 1);
        CHECK(gt_dataset_images_f32(part)[3] == 2.0f && gt_dataset_labels(part)[0] == 0);
        gt_dataset_free(part);
    }
    gt_dataset_free(ds);
    img[6] = NAN;
    CHECK_FAILS_WITH(gt_dataset_from_memory_f32(img, labels, 2, shape, 2, &ds),
                     GT_ERR_INVALID_ARGUMENT, "image 1 holds nan at element 2");
    img[6] = 0.0f;
    labels[1] = 2;
    CHECK_FAILS_WITH(gt_dataset_from_memory_f32(img, labels, 2, shape, 2, &ds),
                     GT_ERR_INVALID_ARGUMENT, "out of range");
    gt_dataset *u8 = NULL;
    uint8_t pixels[4] = {1, 2, 3, 4};
    labels[1] = 0;
    CHECK_OK(gt_dataset_from_memory(pixels, labels, 1, shape, 2, &u8));
    CHECK(u8 && !gt_dataset_is_float(u8) && gt_dataset_images_f32(u8) == NULL);
    gt_dataset_free(u8);
}

static void check_gather(unsigned long long *rng)
{
    gt_backend *ref = NULL, *fast[2] = {NULL, NULL};
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &fast[0]));
    CHECK_OK(gt_backend_create("cpu", 3, GT_PRECISION_FP32, &fast[1]));
    /* in_h, in_w, in_c, out_h, out_w, out_c */
    static const int cases[][6] = {
        {28, 28, 1, 32, 32, 3}, {28, 28, 1, 28, 28, 1}, {5, 7, 3, 9, 4, 3}, {6, 6, 3, 6, 6, 3}};
    const int count = 4, n = 5;
    const int32_t indices[5] = {3, 0, 2, 2, 1};
    const int32_t labels[4] = {0, 1, 2, 3};
    for (size_t k = 0; ref && fast[0] && fast[1] && k < sizeof cases / sizeof *cases; ++k) {
        const int *c = cases[k];
        gt_preprocess p = {c[0], c[1], c[2], c[3], c[4], c[5], 1.0f / 255.0f, 0.25f};
        size_t image = (size_t)c[0] * c[1] * c[2], out = (size_t)n * c[3] * c[4] * c[5];
        uint8_t *u8 = malloc(image * count);
        float *f = malloc(image * count * sizeof *f);
        for (size_t i = 0; i < image * count; ++i) {
            u8[i] = (uint8_t)(gt_test_rng_next(rng) >> 56);
            f[i] = (float)u8[i];
        }
        float *want = zero_buf(out), *got = zero_buf(out);
        int32_t y[5], y2[5];
        CHECK_OK(ref->preprocess_gather(ref, &p, want, y, u8, labels, indices, n));
        for (int b = 0; b < 3; ++b) {
            gt_backend *be = b ? fast[b - 1] : ref;
            CHECK_OK(be->preprocess_gather_f32(be, &p, got, y2, f, labels, indices, n));
            CHECK_MSG(memcmp(got, want, out * sizeof *got) == 0 && memcmp(y, y2, sizeof y) == 0,
                      "case %zu, %s: float gather of integer values != uint8 gather", k,
                      be->describe(be));
        }
        /* fractional values: fast == reference */
        for (size_t i = 0; i < image * count; ++i)
            f[i] = f[i] / 255.0f * 2.0f - 0.7f;
        CHECK_OK(ref->preprocess_gather_f32(ref, &p, want, NULL, f, labels, indices, n));
        for (int b = 0; b < 2; ++b) {
            CHECK_OK(fast[b]->preprocess_gather_f32(fast[b], &p, got, NULL, f, labels, indices, n));
            CHECK_MSG(memcmp(got, want, out * sizeof *got) == 0, "case %zu: fast != reference", k);
        }
        free(u8);
        free(f);
        free(want);
        free(got);
    }
    gt_backend_destroy(ref);
    gt_backend_destroy(fast[0]);
    gt_backend_destroy(fast[1]);
}

/* Four epochs from the same seed; returns the weights (malloc'd). */
static float *train(gt_model *model, const gt_dataset *ds, const gt_dataset *val, double *val_acc)
{
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be));
    if (be) CHECK_OK(gt_trainer_create_json(model, be, "{\"batch_size\": 16, \"seed\": 7}", &tr));
    float *w = NULL;
    if (tr) {
        CHECK_OK(gt_trainer_fit(tr, ds, val, 4, NULL));
        double loss = 0;
        CHECK_OK(gt_trainer_evaluate(tr, val, &loss, val_acc));
        size_t np = gt_model_param_count(model);
        w = malloc(np * sizeof *w);
        CHECK_OK(gt_trainer_get_params(tr, w, np));
        float probs[5 * 5];
        CHECK_OK(gt_trainer_predict(tr, val, 0, 5, probs));
        for (int j = 0; j < 5; ++j) {
            double sum = 0;
            for (int c = 0; c < 5; ++c)
                sum += probs[j * 5 + c];
            CHECK_NEAR(sum, 1.0, 1e-5);
        }
    }
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    return w;
}

/* The uint8 dataset's images as floats, each value times `scale`. */
static gt_dataset *as_float(const gt_dataset *ds, float scale)
{
    size_t n = gt_dataset_count(ds) * gt_shape3_size(gt_dataset_shape(ds));
    float *f = malloc(n * sizeof *f);
    for (size_t i = 0; i < n; ++i)
        f[i] = (float)gt_dataset_images(ds)[i] * scale;
    gt_dataset *out = NULL;
    CHECK_OK(gt_dataset_from_memory_f32(f, gt_dataset_labels(ds), gt_dataset_count(ds),
                                        gt_dataset_shape(ds), gt_dataset_num_classes(ds), &out));
    free(f);
    return out;
}

static void check_training(void)
{
    gt_shape3 shape = {12, 12, 1};
    gt_dataset *train_u8 = NULL, *val_u8 = NULL;
    gt_model *model = NULL, *bare = NULL;
    CHECK_OK(gt_test_synthetic_dataset(shape, 480, 5, 21, &train_u8));
    CHECK_OK(gt_test_synthetic_dataset(shape, 100, 5, 22, &val_u8));
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &bare));
    if (!train_u8 || !val_u8 || !model || !bare) return;
    CHECK_OK(gt_model_strip_preprocessing(bare)); /* no Rescaling: the data is x / 255 */
    gt_dataset *train_f = as_float(train_u8, 1.0f), *val_f = as_float(val_u8, 1.0f);
    gt_dataset *train_s = as_float(train_u8, 1.0f / 255.0f),
               *val_s = as_float(val_u8, 1.0f / 255.0f);
    double acc_u8 = 0, acc_f = 0, acc_s = 0;
    float *w_u8 = train(model, train_u8, val_u8, &acc_u8);
    float *w_f = train(model, train_f, val_f, &acc_f);
    float *w_s = train(bare, train_s, val_s, &acc_s);
    size_t np = gt_model_param_count(model);
    CHECK(w_u8 && w_f && memcmp(w_u8, w_f, np * sizeof(float)) == 0);
    CHECK(acc_u8 == acc_f);
    /* x * (1/255) in the gather and x / 255 in the data round differently in
     * the last bit; after four epochs the accuracy is the same to a few
     * examples of 100 (and well above chance, 0.2, so training happened) */
    printf("val accuracy: uint8 %.4f, float %.4f, float / 255 without Rescaling %.4f\n", acc_u8,
           acc_f, acc_s);
    CHECK(acc_u8 > 0.5 && fabs(acc_s - acc_u8) <= 0.1);
    free(w_u8);
    free(w_f);
    free(w_s);
    gt_dataset_free(train_u8);
    gt_dataset_free(val_u8);
    gt_dataset_free(train_f);
    gt_dataset_free(val_f);
    gt_dataset_free(train_s);
    gt_dataset_free(val_s);
    gt_model_free(model);
    gt_model_free(bare);
}

int main(void)
{
    unsigned long long rng = 99;
    check_dataset_calls();
    check_gather(&rng);
    check_training();
    TEST_EXIT();
}
