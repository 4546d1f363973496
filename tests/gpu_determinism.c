/* --deterministic on the GPU: two runs from the same seed give bit-identical
 * weights, for every zoo model with convolutions, in fp32 and tf32. */
#include "gpu_util.h"
#include "test_util.h"
#include "test_util_data.h"

static gt_status run(const gt_model *m, gt_precision precision, const gt_dataset *data,
                     float *params)
{
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_status st = gt_backend_create("cuda", 0, precision, &be);
    if (st == GT_OK) st = gt_backend_set_deterministic(be, 1);
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = 16;
    cfg.seed = 23;
    if (st == GT_OK) st = gt_trainer_create(m, be, &cfg, &tr);
    if (st == GT_OK) st = gt_trainer_fit(tr, data, NULL, 2, NULL);
    if (st == GT_OK) st = gt_trainer_get_params(tr, params, gt_model_param_count(m));
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    return st;
}

int main(void)
{
    gt_backend *probe = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &probe);
    if (code >= 0) return code;
    gt_backend_destroy(probe);
    const char *names[] = {"cnn-fmnist", "cnn-mnist", "cnn-signs", "vgg16"};
    const gt_precision precisions[] = {GT_PRECISION_FP32, GT_PRECISION_TF32};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k) {
        gt_model *m = NULL;
        gt_dataset *data = NULL;
        CHECK_OK(gt_model_from_zoo(names[k], &m));
        if (!m) continue;
        CHECK_OK(gt_test_synthetic_dataset(gt_model_input_shape(m), 40, gt_model_num_classes(m), 8,
                                           &data));
        size_t np = gt_model_param_count(m);
        float *first = malloc(np * sizeof(float)), *second = malloc(np * sizeof(float));
        for (int p = 0; p < 2; ++p) {
            CHECK_OK(run(m, precisions[p], data, first));
            CHECK_OK(run(m, precisions[p], data, second));
            CHECK_MSG(memcmp(first, second, np * sizeof(float)) == 0,
                      "%s (%s): two deterministic runs differ", names[k], p ? "tf32" : "fp32");
        }
        free(first);
        free(second);
        gt_dataset_free(data);
        gt_model_free(m);
    }
    TEST_EXIT();
}
