/* Internal: the CUDA backend (device 0, or GTRAIN_CUDA_DEVICE). Fails with GT_ERR_NO_DEVICE and one
 * line of CUDA's own error text when no usable GPU is present. */
#ifndef GT_CUDA_BACKEND_H
#define GT_CUDA_BACKEND_H

#include "gtrain/backend.h"

gt_status gt_cuda_backend_create(gt_precision precision, gt_backend **out);
/* Its compute stream (a cudaStream_t), for backend_native.h. */
void *gt_cuda_backend_stream(gt_backend *be);

#endif
