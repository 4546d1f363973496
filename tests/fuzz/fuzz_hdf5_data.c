/* Fuzz target: the HDF5 dataset reader (gt_dataset_load_hdf5), keys found
 * automatically as for SIGNS. libhdf5's own crashes are contained by the
 * reader's child process (src/h5_guard.h); anything else is a finding. */
#include "fuzz_file.h"
#include "gtrain/gtrain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    if (!gt_fuzz_write_file("data", ".h5", data, size, path, sizeof path)) return 0;
    gt_dataset *ds = NULL;
    if (gt_dataset_load_hdf5(path, NULL, NULL, &ds) == GT_OK) gt_dataset_free(ds);
    remove(path);
    return 0;
}
