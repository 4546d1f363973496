/* --cuda-graph: training with each full step captured and launched as a CUDA
 * graph gives bit-identical weights to training op by op, on models with
 * dropout and with a partial last batch (which runs eagerly). */
#include "gpu_util.h"
#include "test_util.h"
#include "test_util_data.h"

static gt_status fit(const gt_model *m, gt_backend *be, const gt_dataset *data, int graph,
                     float *params)
{
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = 8;
    cfg.seed = 17;
    cfg.cuda_graph = graph;
    gt_trainer *tr = NULL;
    gt_status st = gt_trainer_create(m, be, &cfg, &tr);
    if (st == GT_OK) st = gt_trainer_fit(tr, data, data, 2, NULL);
    if (st == GT_OK) st = gt_trainer_get_params(tr, params, gt_model_param_count(m));
    gt_trainer_destroy(tr);
    return st;
}

int main(void)
{
    gt_backend *gpu = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &gpu);
    if (code >= 0) return code;
    /* bit-identical weights need deterministic algorithms (no atomics in
     * cuDNN's backward passes): ask for them, as --deterministic does */
    CHECK_OK(gt_backend_set_deterministic(gpu, 1));
    const char *names[] = {"cnn-mnist", "cnn-fmnist", "mlp-128", "cnn-signs"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k) {
        gt_model *m = NULL;
        gt_dataset *data = NULL;
        CHECK_OK(gt_model_from_zoo(names[k], &m));
        if (!m) continue;
        /* 43 examples: 5 full batches of 8 (captured after the first) and one of 3 */
        CHECK_OK(gt_test_synthetic_dataset(gt_model_input_shape(m), 43, gt_model_num_classes(m), 5,
                                           &data));
        size_t np = gt_model_param_count(m);
        float *eager = malloc(np * sizeof(float)), *graph = malloc(np * sizeof(float));
        CHECK_OK(fit(m, gpu, data, 0, eager));
        CHECK_OK(fit(m, gpu, data, 1, graph));
        CHECK_MSG(memcmp(eager, graph, np * sizeof(float)) == 0,
                  "%s: weights after 2 epochs differ with and without CUDA graphs", names[k]);
        free(eager);
        free(graph);
        gt_dataset_free(data);
        gt_model_free(m);
    }
    gt_backend_destroy(gpu);
    TEST_EXIT();
}
