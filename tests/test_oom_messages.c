/* Out-of-memory messages say what a smaller batch would change: nothing when
 * the parameters, gradients or optimizer state do not fit (a model of 2^38
 * parameters), a lot when the activations do (a batch of 2^20 4096x4096x3
 * images). Both requests are far beyond any machine, so they fail at once;
 * where the kernel overcommits without limit (vm.overcommit_memory = 1) they
 * might not, and the test skips. */
#include "test_util.h"

static int overcommit_unlimited(void)
{
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = 0;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1) mode = 0;
        fclose(f);
    }
    return mode == 1;
}

static gt_status trainer_for(const char *json, int batch, gt_backend *be)
{
    gt_model *m = NULL;
    gt_status st = gt_model_from_json_text(json, "<oom>", &m);
    if (st != GT_OK) return st;
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = batch;
    gt_trainer *tr = NULL;
    st = gt_trainer_create(m, be, &cfg, &tr);
    gt_trainer_destroy(tr);
    gt_model_free(m);
    return st;
}

int main(void)
{
    if (overcommit_unlimited()) {
        printf("SKIPPED: vm.overcommit_memory is 1: huge allocations may succeed here\n");
        return 77;
    }
    gt_backend *be = NULL;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    if (!be) TEST_EXIT();
    static const char big_params[] =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"wide\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 262144]}},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 1048576}}]}}";
    CHECK_FAILS_WITH(trainer_for(big_params, 1, be), GT_ERR_OUT_OF_MEMORY,
                     "does not depend on the batch size");
    CHECK(strstr(gt_last_error(), "smaller batch size") == NULL);
    printf("%s\n", gt_last_error());
    static const char big_images[] =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"tall\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 4096, 4096, "
        "3]}}, {\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv\", \"filters\": 3, "
        "\"kernel_size\": [1, 1]}}]}}";
    CHECK_FAILS_WITH(trainer_for(big_images, 1 << 20, be), GT_ERR_OUT_OF_MEMORY,
                     "try a smaller batch size");
    printf("%s\n", gt_last_error());
    gt_backend_destroy(be);
    TEST_EXIT();
}
