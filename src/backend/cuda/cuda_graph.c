/* Step capture as a CUDA graph. The trainer brackets one training step
 * (gather, forward, loss, backward, update) with capture_begin/capture_end;
 * the ops are recorded from the compute stream into a graph and launched as
 * one unit, so the GPU runs the step without the gaps between separately
 * launched kernels.
 *
 * Consecutive steps differ only in kernel arguments (the batch's slice of the
 * shuffled order, Adam's step size, the dropout offset, the statistics slot),
 * never in the graph's shape, so the executable graph is instantiated once and
 * then updated in place with cudaGraphExecUpdate; a capture of another shape
 * (say evaluation after training) fails the update and is instantiated anew.
 * The recorded work is exactly the work the ops would have queued, so results
 * are identical to running without graphs. */
#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"

gt_status gt_cuda_capture_begin(gt_backend *be)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (cu->capturing) return gt_fail(GT_ERR_INTERNAL, "capture_begin: already capturing");
    /* thread-local mode: only this thread's unsafe calls (synchronizing or
     * allocating) are refused during capture, which is what would break it */
    GT_CUDA_CHECK(cudaStreamBeginCapture(cu->stream, cudaStreamCaptureModeThreadLocal));
    cu->capturing = 1;
    return GT_OK;
}

/* Makes cu->graph_exec run `graph`: update in place when the shapes match,
 * else instantiate a new one. */
static gt_status bind_graph(gt_cuda *cu, cudaGraph_t graph)
{
    if (cu->graph_exec) {
        cudaGraphExecUpdateResultInfo info;
        if (cudaGraphExecUpdate(cu->graph_exec, graph, &info) == cudaSuccess) return GT_OK;
        (void)cudaGetLastError(); /* a failed update is not sticky: clear it and rebuild */
        GT_CUDA_CHECK(cudaGraphExecDestroy(cu->graph_exec));
        cu->graph_exec = NULL;
    }
    GT_CUDA_CHECK(cudaGraphInstantiate(&cu->graph_exec, graph, 0));
    return GT_OK;
}

gt_status gt_cuda_capture_end(gt_backend *be, int launch)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (!cu->capturing) return gt_fail(GT_ERR_INTERNAL, "capture_end: not capturing");
    cu->capturing = 0;
    cudaGraph_t graph = NULL;
    GT_CUDA_CHECK(cudaStreamEndCapture(cu->stream, &graph));
    gt_status st = GT_OK;
    if (launch) {
        st = bind_graph(cu, graph);
        if (st == GT_OK) {
            cudaError_t err = cudaGraphLaunch(cu->graph_exec, cu->stream);
            if (err != cudaSuccess)
                st = gt_cuda_fail(err, "cudaGraphLaunch(cu->graph_exec, cu->stream)", __FILE__,
                                  __LINE__);
        }
    }
    cudaError_t err = cudaGraphDestroy(graph);
    if (st == GT_OK && err != cudaSuccess)
        st = gt_cuda_fail(err, "cudaGraphDestroy(graph)", __FILE__, __LINE__);
    return st;
}

void gt_cuda_graph_free(gt_cuda *cu)
{
    if (cu->capturing) {
        cudaGraph_t graph = NULL;
        if (cudaStreamEndCapture(cu->stream, &graph) == cudaSuccess && graph)
            (void)cudaGraphDestroy(graph);
        cu->capturing = 0;
    }
    if (cu->graph_exec) (void)cudaGraphExecDestroy(cu->graph_exec);
    cu->graph_exec = NULL;
}

gt_status gt_cuda_set_deterministic(gt_backend *be, int on)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (cu->conv_plan_count > 0 && cu->deterministic_only != (on != 0))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "set_deterministic must come before the first convolution is planned");
    cu->deterministic_only = on != 0;
    return GT_OK;
}
