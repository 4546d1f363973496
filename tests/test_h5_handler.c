/* gtrain silences HDF5's error printing only while it works: a host program
 * that installed its own HDF5 error handler finds it again after gtrain read
 * or wrote a file, whether that succeeded or failed. */
#include "test_util.h"

#ifndef GTRAIN_HAVE_HDF5
int main(void)
{
    (void)gt_test_failures;
    printf("SKIPPED: built without HDF5\n");
    return 77;
}
#else
#include <hdf5.h>
#include <unistd.h>

#include "checkpoint.h"

static int calls;

static herr_t host_handler(hid_t stack, void *data)
{
    (void)stack;
    (void)data;
    ++calls;
    return 0;
}

static void check_handler_kept(const char *what)
{
    H5E_auto2_t func = NULL;
    void *data = NULL;
    CHECK(H5Eget_auto2(H5E_DEFAULT, &func, &data) >= 0);
    CHECK_MSG(func == host_handler && data == &calls, "%s: the host's HDF5 handler was replaced",
              what);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, host_handler, &calls);
    char dir[] = "/tmp/gtrain_h5_handler_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/m.h5", dir);
    snprintf(bad, sizeof bad, "%s/not.h5", dir);
    FILE *f = fopen(bad, "wb");
    if (f) {
        fputs("not an HDF5 file", f);
        fclose(f);
    }
    gt_model *m = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_model_from_zoo("mlp-128", &m));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    gt_train_config cfg = gt_train_config_for(m);
    if (m && be) CHECK_OK(gt_trainer_create(m, be, &cfg, &tr));
    if (tr) {
        CHECK_OK(gt_checkpoint_save(tr, path, NULL));
        check_handler_kept("after a save");
        CHECK_OK(gt_checkpoint_restore(tr, path, 1));
        check_handler_kept("after a restore");
        gt_checkpoint_info info;
        CHECK(gt_checkpoint_read_info(bad, &info) != GT_OK);
        check_handler_kept("after a failed read");
    }
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_model_free(m);
    remove(path);
    remove(bad);
    rmdir(dir);
    TEST_EXIT();
}
#endif
