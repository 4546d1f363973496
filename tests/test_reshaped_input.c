/* Data fed as a reshape of itself: 6x6x1 images into a model whose input is
 * (None, 36) train exactly as the same bytes shaped (1, 1, 36) (numpy's
 * reshape: examples are contiguous either way); data whose examples have
 * another element count is refused with the shapes named, as before. */
#include "test_util.h"
#include "test_util_data.h"

static const char *const flat_model =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"flat\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 36]}},"
    "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"rescaling\", \"scale\": "
    "0.00392156862745098, \"offset\": 0.0}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 12, "
    "\"activation\": \"relu\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense_1\", \"units\": 3, "
    "\"activation\": \"softmax\"}}]}}";

int main(void)
{
    gt_model *m = NULL;
    gt_dataset *images = NULL, *flat = NULL, *other = NULL;
    CHECK_OK(gt_model_from_json_text(flat_model, "<flat>", &m));
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){6, 6, 1}, 96, 3, 5, &images));
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){5, 7, 1}, 16, 3, 5, &other));
    if (!m || !images || !other) return 1;
    CHECK_OK(gt_dataset_from_memory(gt_dataset_images(images), gt_dataset_labels(images), 96,
                                    (gt_shape3){1, 1, 36}, 3, &flat));
    double acc_images = 0, acc_flat = 0;
    const char *cfg = "{\"batch_size\": 8, \"seed\": 3}";
    float *w_images = gt_test_train_weights(m, images, images, 2, cfg, &acc_images);
    float *w_flat = flat ? gt_test_train_weights(m, flat, flat, 2, cfg, &acc_flat) : NULL;
    size_t np = gt_model_param_count(m);
    CHECK(w_images && w_flat && memcmp(w_images, w_flat, np * sizeof(float)) == 0);
    CHECK(acc_images == acc_flat);
    printf("6x6x1 images and the same bytes as (1, 1, 36): accuracy %.4f, weights identical\n",
           acc_images);

    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    if (be) CHECK_OK(gt_trainer_create_json(m, be, "{\"batch_size\": 8}", &tr));
    if (tr)
        CHECK_FAILS_WITH(gt_trainer_check_data(tr, other), GT_ERR_SHAPE,
                         "model 'flat' expects input shape (None, 1, 1, 36), found shape (16, 5, "
                         "7, 1)");
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    free(w_images);
    free(w_flat);
    gt_dataset_free(images);
    gt_dataset_free(flat);
    gt_dataset_free(other);
    gt_model_free(m);
    TEST_EXIT();
}
