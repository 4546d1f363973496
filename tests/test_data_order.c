/* The order of the training examples: GT_ORDER_FILE (--no-shuffle, Keras
 * shuffle=False) trains on batches 0..b-1, b..2b-1, ... every epoch, exactly
 * as the same steps taken by hand; the default shuffles, which trains
 * differently. The zoo's notebook-004 models default to file order and
 * notebook 004's loss; bad settings are refused. */
#include <string.h>

#include "test_util.h"
#include "test_util_data.h"

#define BATCH 16

static gt_trainer *new_trainer(const gt_model *m, gt_backend *be, gt_data_order order)
{
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = BATCH;
    cfg.seed = 3;
    cfg.order = order;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_trainer_create(m, be, &cfg, &tr));
    return tr;
}

/* One epoch of steps by hand over consecutive batches, the last one partial. */
static void epoch_by_hand(gt_trainer *tr, const gt_dataset *ds)
{
    size_t count = gt_dataset_count(ds);
    int32_t idx[BATCH];
    for (size_t first = 0; first < count; first += BATCH) {
        int n = (int)(count - first < BATCH ? count - first : BATCH);
        for (int i = 0; i < n; ++i)
            idx[i] = (int32_t)(first + (size_t)i);
        CHECK_OK(gt_trainer_step(tr, ds, idx, n, NULL, NULL));
    }
}

static void params_of(gt_trainer *tr, float *out, size_t n)
{
    CHECK_OK(gt_trainer_get_params(tr, out, n));
}

static void test_file_order_is_the_file(void)
{
    gt_model *model = NULL;
    gt_dataset *data = NULL;
    gt_backend *be = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, 90, 5, 4, &data));
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be));
    if (!model || !data || !be) return;
    size_t np = gt_model_param_count(model);
    float *fit = malloc(np * sizeof(float)), *hand = malloc(np * sizeof(float));
    float *shuffled = malloc(np * sizeof(float));

    for (int epochs = 1; epochs <= 2; ++epochs) {
        gt_trainer *a = new_trainer(model, be, GT_ORDER_FILE);
        gt_trainer *b = new_trainer(model, be, GT_ORDER_FILE);
        gt_trainer *c = new_trainer(model, be, GT_ORDER_SHUFFLED);
        if (!a || !b || !c) return;
        CHECK_OK(gt_trainer_fit(a, data, NULL, epochs, NULL));
        for (int e = 0; e < epochs; ++e)
            epoch_by_hand(b, data);
        CHECK_OK(gt_trainer_fit(c, data, NULL, epochs, NULL));
        params_of(a, fit, np);
        params_of(b, hand, np);
        params_of(c, shuffled, np);
        CHECK_MSG(memcmp(fit, hand, np * sizeof(float)) == 0,
                  "%d epoch(s) in file order differ from the same steps by hand", epochs);
        CHECK_MSG(memcmp(fit, shuffled, np * sizeof(float)) != 0,
                  "%d epoch(s): shuffled and file order trained alike", epochs);
        gt_trainer_destroy(a);
        gt_trainer_destroy(b);
        gt_trainer_destroy(c);
    }
    free(fit);
    free(hand);
    free(shuffled);
    gt_backend_destroy(be);
    gt_dataset_free(data);
    gt_model_free(model);
}

static void test_recipes_and_checks(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo("softmax-mnist", &m));
    if (m) {
        gt_train_config c = gt_train_config_for(m);
        CHECK(c.order == GT_ORDER_FILE && c.loss_log_epsilon == 1e-10f);
        CHECK(c.reduction == GT_REDUCE_SUM && c.batch_size == 50 && c.learning_rate == 0.25f);
        gt_model_free(m);
    }
    CHECK_OK(gt_model_from_zoo("cnn-fmnist", &m));
    gt_backend *be = NULL;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    if (m && be) {
        gt_train_config c = gt_train_config_for(m);
        CHECK(c.order == GT_ORDER_SHUFFLED && c.loss_log_epsilon == 0.0f);
        gt_trainer *tr = NULL;
        c.order = (gt_data_order)7;
        CHECK_FAILS_WITH(gt_trainer_create(m, be, &c, &tr), GT_ERR_INVALID_ARGUMENT,
                         "data order must be GT_ORDER_SHUFFLED (0) or GT_ORDER_FILE (1), found 7");
        c.order = GT_ORDER_FILE;
        c.loss_log_epsilon = -1e-3f;
        CHECK_FAILS_WITH(gt_trainer_create(m, be, &c, &tr), GT_ERR_INVALID_ARGUMENT,
                         "loss log epsilon must be in [0, 1)");
        CHECK(tr == NULL);
    }
    gt_model_free(m);
    m = NULL;
    /* Keras' clipped cross-entropy on a non-softmax output has no log epsilon */
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/models/mlp-fmnist-relu-output.json",
             getenv("GTRAIN_SOURCE_DIR") ? getenv("GTRAIN_SOURCE_DIR") : GTRAIN_SOURCE_DIR);
    CHECK_OK(gt_model_from_json_file(path, &m));
    if (m && be) {
        gt_train_config c = gt_train_config_for(m);
        c.loss_log_epsilon = 1e-10f;
        gt_trainer *tr = NULL;
        CHECK_FAILS_WITH(gt_trainer_create(m, be, &c, &tr), GT_ERR_INVALID_ARGUMENT,
                         "needs a softmax output layer");
    }
    gt_model_free(m);
    gt_backend_destroy(be);
    CHECK(strcmp(gt_data_order_name(GT_ORDER_SHUFFLED), "shuffled") == 0);
    CHECK(strcmp(gt_data_order_name(GT_ORDER_FILE), "file") == 0);
    CHECK(gt_data_order_name((gt_data_order)5) == NULL);
}

int main(void)
{
    test_file_order_is_the_file();
    test_recipes_and_checks();
    TEST_EXIT();
}
