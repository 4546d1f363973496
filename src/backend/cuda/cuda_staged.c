/* Staged uploads of the streaming input pipeline (backend.h): copies on a
 * stream of their own, ordered against the compute stream by two events
 * per slot, so that the copy of the next batch runs while the current step
 * computes and no one waits on the host:
 *
 *   compute: ... gather(slot k) | release(k): record released[k] ...
 *   upload:  wait released[k] | copy batch into slot k | record copied[k]
 *   compute: wait copied[k] | gather(slot k) ...
 *
 * The host learns that a pinned host buffer may be refilled from copied[k]
 * (upload_query). The waits are queued outside any graph capture: the
 * trainer prepares a batch before it captures the step that uses it. */
#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"

gt_status gt_cuda_staged_init(gt_cuda *cu)
{
    GT_CUDA_CHECK(cudaStreamCreateWithFlags(&cu->upload_stream, cudaStreamNonBlocking));
    for (int i = 0; i < GT_BACKEND_UPLOAD_SLOTS; ++i) {
        GT_CUDA_CHECK(cudaEventCreateWithFlags(&cu->upload_copied[i], cudaEventDisableTiming));
        GT_CUDA_CHECK(cudaEventCreateWithFlags(&cu->upload_released[i], cudaEventDisableTiming));
    }
    return GT_OK;
}

void gt_cuda_staged_free(gt_cuda *cu)
{
    /* teardown: statuses cannot be reported and must not stop the releases */
    if (cu->upload_stream) (void)cudaStreamSynchronize(cu->upload_stream);
    for (int i = 0; i < GT_BACKEND_UPLOAD_SLOTS; ++i) {
        if (cu->upload_copied[i]) (void)cudaEventDestroy(cu->upload_copied[i]);
        if (cu->upload_released[i]) (void)cudaEventDestroy(cu->upload_released[i]);
    }
    if (cu->upload_stream) (void)cudaStreamDestroy(cu->upload_stream);
}

static gt_status check_slot(const char *op, int slot)
{
    if (slot < 0 || slot >= GT_BACKEND_UPLOAD_SLOTS)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "cuda %s: slot %d outside [0, %d)", op, slot,
                       GT_BACKEND_UPLOAD_SLOTS);
    return GT_OK;
}

static gt_status cuda_upload_async(gt_backend *be, void *dst, const void *host_src, size_t bytes,
                                   int slot)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(check_slot("upload_async", slot));
    if (cu->capturing)
        return gt_fail(GT_ERR_INTERNAL,
                       "cuda upload_async inside a graph capture: stage the batch before the "
                       "step is captured");
    /* an event never recorded is complete: the first use of a slot waits for nothing */
    GT_CUDA_CHECK(cudaStreamWaitEvent(cu->upload_stream, cu->upload_released[slot], 0));
    if (bytes > 0)
        GT_CUDA_CHECK(
            cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, cu->upload_stream));
    GT_CUDA_CHECK(cudaEventRecord(cu->upload_copied[slot], cu->upload_stream));
    GT_CUDA_CHECK(cudaStreamWaitEvent(cu->stream, cu->upload_copied[slot], 0));
    return GT_OK;
}

static gt_status cuda_upload_release(gt_backend *be, int slot)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(check_slot("upload_release", slot));
    GT_CUDA_CHECK(cudaEventRecord(cu->upload_released[slot], cu->stream));
    return GT_OK;
}

static gt_status cuda_upload_query(gt_backend *be, int slot, int *done)
{
    gt_cuda *cu = gt_cuda_of(be);
    *done = 0;
    GT_TRY(check_slot("upload_query", slot));
    cudaError_t err = cudaEventQuery(cu->upload_copied[slot]);
    if (err == cudaErrorNotReady) {
        (void)cudaGetLastError(); /* not an error: still in flight */
        return GT_OK;
    }
    if (err != cudaSuccess)
        return gt_cuda_fail(err, "cudaEventQuery(upload_copied)", __FILE__, __LINE__);
    *done = 1;
    return GT_OK;
}

void gt_cuda_install_staged(gt_backend *be)
{
    be->upload_async = cuda_upload_async;
    be->upload_release = cuda_upload_release;
    be->upload_query = cuda_upload_query;
}
