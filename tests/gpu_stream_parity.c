/* The streaming path on the GPU (prefetch thread, pinned buffers, the
 * upload stream ordered by events): deterministic training on a streamed
 * file gives the weights of the resident dataset bit for bit, with CUDA
 * graphs too, and evaluate agrees.
 */
#include "gpu_util.h"
#include "test_util.h"
#include "test_util_data.h"
#include "test_util_files.h"

#define COUNT 203

static gt_status train(const gt_model *m, const gt_dataset *data, int graph, int shuffle_buffer,
                       float *params, double *loss, double *acc)
{
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_status st = gt_backend_create("cuda", 0, GT_PRECISION_FP32, &be);
    if (st == GT_OK) st = gt_backend_set_deterministic(be, 1);
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = 16;
    cfg.seed = 5;
    cfg.cuda_graph = graph;
    cfg.shuffle_buffer = shuffle_buffer;
    if (st == GT_OK) st = gt_trainer_create(m, be, &cfg, &tr);
    if (st == GT_OK) st = gt_trainer_fit(tr, data, NULL, 3, NULL);
    if (st == GT_OK) st = gt_trainer_get_params(tr, params, gt_model_param_count(m));
    if (st == GT_OK) st = gt_trainer_evaluate(tr, data, loss, acc);
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
    char dir[4096];
    if (!gt_test_tmpdir(dir, sizeof dir)) TEST_SKIP("no temporary directory");
    gt_model *m = NULL;
    gt_dataset *ref = NULL, *streamed = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &m));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, COUNT, 5, 4, &ref));
    char img[4200], lab[4200];
    snprintf(img, sizeof img, "%s/img", dir);
    snprintf(lab, sizeof lab, "%s/lab", dir);
    if (ref && gt_test_write_idx(ref, img, lab, 0))
        CHECK_OK(gt_dataset_open_idx(img, lab, 5, &streamed));
    if (m && ref && streamed) {
        size_t np = gt_model_param_count(m);
        float *a = malloc(np * sizeof(float)), *b = malloc(np * sizeof(float));
        for (int graph = 0; graph <= 1; ++graph) {
            for (int buffer = 0; buffer <= 40; buffer += 40) {
                double la = 0, aa = 0, lb = 1, ab = 1;
                CHECK_OK(train(m, ref, graph, buffer, a, &la, &aa));
                CHECK_OK(train(m, streamed, graph, buffer, b, &lb, &ab));
                CHECK_MSG(memcmp(a, b, np * sizeof(float)) == 0,
                          "graph %d, shuffle buffer %d: streamed weights differ from resident",
                          graph, buffer);
                CHECK_MSG(la == lb && aa == ab, "evaluate: %.9g %.9g vs %.9g %.9g", la, aa, lb, ab);
            }
        }
        free(a);
        free(b);
    }
    gt_dataset_free(streamed);
    gt_dataset_free(ref);
    gt_model_free(m);
    gt_test_rmdir(dir);
    TEST_EXIT();
}
