/* Error reporting for the checking macros in cuda_check.h. */
#include "cuda/cuda_check.h"

gt_status gt_cuda_fail(cudaError_t err, const char *call, const char *file, int line)
{
    /* Clear the runtime's last-error slot so that a recoverable failure (an
     * allocation) does not resurface in the next, unrelated check. Sticky
     * errors (a faulting kernel) stay and are reported again, as they should. */
    (void)cudaGetLastError();
    gt_status status = err == cudaErrorMemoryAllocation ? GT_ERR_OUT_OF_MEMORY : GT_ERR_DEVICE;
    return gt_fail(status, "%s failed at %s:%d: %s: %s", call, file, line, cudaGetErrorName(err),
                   cudaGetErrorString(err));
}

gt_status gt_cudnn_fail(cudnnStatus_t st, const char *call, const char *file, int line)
{
    /* cuDNN 9 keeps a more specific message of the last failure. */
    char detail[512];
    detail[0] = '\0';
    cudnnGetLastErrorString(detail, sizeof detail);
    /* cuDNN 9 splits the old ALLOC_FAILED into host and device allocation
     * failures; both mean "out of memory". */
    gt_status status = st == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
                               st == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED
                           ? GT_ERR_OUT_OF_MEMORY
                           : GT_ERR_DEVICE;
    return gt_fail(status, "%s failed at %s:%d: %s%s%s", call, file, line, cudnnGetErrorString(st),
                   detail[0] ? ": " : "", detail);
}

gt_status gt_cublas_fail(cublasStatus_t st, const char *call, const char *file, int line)
{
    gt_status status = st == CUBLAS_STATUS_ALLOC_FAILED ? GT_ERR_OUT_OF_MEMORY : GT_ERR_DEVICE;
    return gt_fail(status, "%s failed at %s:%d: %s: %s", call, file, line, cublasGetStatusName(st),
                   cublasGetStatusString(st));
}
