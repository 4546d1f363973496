/* A build without the HDF5 library (a bare GPU machine): the HDF5 dataset
 * loader and the checkpoint functions exist and say why they cannot work. */
#ifndef GTRAIN_HAVE_HDF5

#include <string.h>

#include "gtrain/status.h"
#include "gtrain/data.h"
#include "gtrain/train.h"

#define GT_NO_HDF5 "gtrain was built without HDF5 (install libhdf5-dev and reconfigure with cmake)"

gt_status gt_dataset_load_hdf5(const char *path, const char *x_key, const char *y_key,
                               gt_dataset **out)
{
    (void)x_key;
    (void)y_key;
    if (out) *out = NULL;
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: cannot read HDF5 data: " GT_NO_HDF5,
                   path ? path : "(null)");
}

gt_status gt_checkpoint_save(gt_trainer *tr, const char *path, const char *run_info)
{
    (void)tr;
    (void)run_info;
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: cannot write a checkpoint: " GT_NO_HDF5,
                   path ? path : "(null)");
}

gt_status gt_checkpoint_check_target(const char *path)
{
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: cannot write a checkpoint: " GT_NO_HDF5,
                   path ? path : "(null)");
}

gt_status gt_checkpoint_load_model(const char *path, gt_model **out)
{
    if (out) *out = NULL;
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: cannot read a checkpoint: " GT_NO_HDF5,
                   path ? path : "(null)");
}

gt_status gt_checkpoint_read_info(const char *path, gt_checkpoint_info *info)
{
    if (info) memset(info, 0, sizeof *info);
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: cannot read a checkpoint: " GT_NO_HDF5,
                   path ? path : "(null)");
}

gt_status gt_checkpoint_restore(gt_trainer *tr, const char *path, int with_state)
{
    (void)tr;
    (void)with_state;
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: cannot read a checkpoint: " GT_NO_HDF5,
                   path ? path : "(null)");
}

#endif /* !GTRAIN_HAVE_HDF5 */
