/* Internal: a device backend's native handles, for the library parts that
 * drive the device beside the backend's own ops (the NCCL all-reduce of
 * src/dist queues its sums on the backend's compute stream). The registry
 * (backend.c) answers, so that no folder but this one knows cuda/. */
#ifndef GT_BACKEND_NATIVE_H
#define GT_BACKEND_NATIVE_H

#include "gtrain/backend.h"

/* The cudaStream_t the CUDA backend queues its work on; NULL for another
 * backend or a build without CUDA. */
void *gt_backend_cuda_stream(gt_backend *be);

#endif
