/* Same seed and same threads give bit-identical weights after fitting, with
 * shuffling and dropout active; another seed gives different weights. */
#include <stdint.h>

#include "test_util.h"
#include "test_util_data.h"

static gt_status train(const gt_model *model, const gt_dataset *data, uint64_t seed, int threads,
                       float *params)
{
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_status st = gt_backend_create("cpu", threads, GT_PRECISION_FP32, &be);
    gt_train_config cfg = gt_train_config_for(model);
    cfg.batch_size = 16;
    cfg.seed = seed;
    if (st == GT_OK) st = gt_trainer_create(model, be, &cfg, &tr);
    if (st == GT_OK) st = gt_trainer_fit(tr, data, NULL, 2, NULL);
    if (st == GT_OK) st = gt_trainer_get_params(tr, params, gt_model_param_count(model));
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    return st;
}

int main(void)
{
    gt_model *model = NULL;
    gt_dataset *data = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &model));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, 100, 5, 3, &data)); /* 100 = 6 full batches + 4 */
    if (!model || !data) TEST_EXIT();
    size_t np = gt_model_param_count(model);
    float *a = malloc(np * sizeof(float)), *b = malloc(np * sizeof(float)),
          *c = malloc(np * sizeof(float)), *init = malloc(np * sizeof(float));

    for (int threads = 1; threads <= 2; ++threads) {
        CHECK_OK(train(model, data, 42, threads, a));
        CHECK_OK(train(model, data, 42, threads, b));
        CHECK_MSG(memcmp(a, b, np * sizeof(float)) == 0,
                  "two runs with seed 42 and %d thread(s) differ", threads);
    }
    CHECK_OK(train(model, data, 43, 2, c));
    CHECK_MSG(memcmp(a, c, np * sizeof(float)) != 0, "seeds 42 and 43 gave identical weights");

    /* training moved the weights away from their initial values */
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_train_config cfg = gt_train_config_for(model);
    cfg.seed = 42;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    CHECK_OK(gt_trainer_create(model, be, &cfg, &tr));
    CHECK_OK(gt_trainer_get_params(tr, init, np));
    CHECK(memcmp(a, init, np * sizeof(float)) != 0);
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);

    /* CUDA graphs are a cuda-backend feature: the CPU refuses them clearly */
    gt_train_config graph_cfg = gt_train_config_for(model);
    graph_cfg.cuda_graph = 1;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    tr = NULL;
    CHECK_FAILS_WITH(gt_trainer_create(model, be, &graph_cfg, &tr), GT_ERR_UNSUPPORTED,
                     "CUDA graphs need the cuda backend");
    CHECK(tr == NULL);
    gt_backend_destroy(be);

    free(a);
    free(b);
    free(c);
    free(init);
    gt_dataset_free(data);
    gt_model_free(model);
    TEST_EXIT();
}
