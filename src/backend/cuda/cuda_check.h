/* Internal: checking macros for CUDA runtime, cuDNN and cuBLAS calls. Each
 * wraps one call in a function returning gt_status; on failure it records
 * "<call> failed at <file>:<line>: <library's error name and text>" and
 * returns GT_ERR_DEVICE (GT_ERR_OUT_OF_MEMORY for allocation failures). */
#ifndef GT_CUDA_CHECK_H
#define GT_CUDA_CHECK_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "gtrain/status.h"

gt_status gt_cuda_fail(cudaError_t err, const char *call, const char *file, int line);
gt_status gt_cudnn_fail(cudnnStatus_t st, const char *call, const char *file, int line);
gt_status gt_cublas_fail(cublasStatus_t st, const char *call, const char *file, int line);

#define GT_CUDA_CHECK(call)                                                                        \
    do {                                                                                           \
        cudaError_t gt_cuda_err_ = (call);                                                         \
        if (gt_cuda_err_ != cudaSuccess)                                                           \
            return gt_cuda_fail(gt_cuda_err_, #call, __FILE__, __LINE__);                          \
    } while (0)

#define GT_CUDNN_CHECK(call)                                                                       \
    do {                                                                                           \
        cudnnStatus_t gt_cudnn_st_ = (call);                                                       \
        if (gt_cudnn_st_ != CUDNN_STATUS_SUCCESS)                                                  \
            return gt_cudnn_fail(gt_cudnn_st_, #call, __FILE__, __LINE__);                         \
    } while (0)

#define GT_CUBLAS_CHECK(call)                                                                      \
    do {                                                                                           \
        cublasStatus_t gt_cublas_st_ = (call);                                                     \
        if (gt_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                                \
            return gt_cublas_fail(gt_cublas_st_, #call, __FILE__, __LINE__);                       \
    } while (0)

#endif
