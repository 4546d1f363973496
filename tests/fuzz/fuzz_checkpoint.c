/* Fuzz target: the checkpoint reader (gt_checkpoint_read_info,
 * gt_checkpoint_load_model, gt_checkpoint_restore with the run state). An
 * input that starts with gtrain's seal gets its checksum recomputed, so that
 * mutations reach the HDF5 parser instead of stopping at the checksum (the
 * seal itself is checked by the unit tests). Models above 10^6 parameters
 * are not given a trainer: their memory, not the reader, would be tested. */
#include <string.h>

#include "checkpoint_seal.h"
#include "fuzz_file.h"
#include "gtrain/gtrain.h"

static gt_backend *backend(void)
{
    static gt_backend *be;
    if (!be) gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be);
    return be;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    if (size >= GT_SEAL_BYTES && memcmp(copy, "\211GTCKPT\n", 8) == 0)
        gt_seal_make(copy, copy + GT_SEAL_BYTES, size - GT_SEAL_BYTES);
    char path[512];
    int written = gt_fuzz_write_file("ckpt", ".h5", copy, size, path, sizeof path);
    free(copy);
    if (!written) return 0;
    gt_checkpoint_info info;
    if (gt_checkpoint_read_info(path, &info) == GT_OK) free(info.run_info);
    gt_model *m = NULL;
    if (gt_checkpoint_load_model(path, &m) == GT_OK && gt_model_param_count(m) <= 1000000 &&
        backend()) {
        gt_train_config cfg = gt_train_config_for(m);
        cfg.batch_size = 2;
        if (info.has_state) {
            cfg.optimizer = info.config.optimizer;
            cfg.seed = info.config.seed;
        }
        gt_trainer *tr = NULL;
        if (gt_trainer_create(m, backend(), &cfg, &tr) == GT_OK) {
            gt_checkpoint_restore(tr, path, info.has_state);
            gt_trainer_destroy(tr);
        }
    }
    gt_model_free(m);
    remove(path);
    return 0;
}
