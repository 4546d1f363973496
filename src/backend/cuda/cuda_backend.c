/* The CUDA backend: device choice, handles, the compute stream, memory and
 * fences. The ops live in cuda_gemm.c, cuda_conv.c and cuda_ops.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_backend.h"
#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"

/* cuBLAS' workspace: NVIDIA recommends 32 MiB on Hopper. */
#define GT_CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)
/* Deterministic-reduction scratch: 1 Mi floats covers 256 chunks of 4096 columns. */
#define GT_REDUCE_SCRATCH_FLOATS ((size_t)1 << 20)

static const char *precision_text(gt_precision p)
{
    return p == GT_PRECISION_TF32 ? "tf32 (TF32 tensor cores for conv and GEMM)"
                                  : "fp32 (IEEE fp32, TF32 off)";
}

static void cuda_destroy(gt_backend *be)
{
    if (!be) return;
    gt_cuda *cu = gt_cuda_of(be);
    if (cu) {
        /* Teardown: errors cannot be reported from here and must not stop
         * the remaining releases, so their statuses are deliberately dropped. */
        if (cu->stream) (void)cudaStreamSynchronize(cu->stream);
        gt_cuda_graph_free(cu);
        gt_cuda_conv_plans_free(cu);
        gt_cuda_staged_free(cu);
        for (int i = 0; i < GT_BACKEND_FENCES; ++i)
            if (cu->fences[i]) (void)cudaEventDestroy(cu->fences[i]);
        for (int i = 0; i < GT_CUDA_STAGING_SLOTS; ++i) {
            if (cu->staging_done[i]) (void)cudaEventDestroy(cu->staging_done[i]);
            if (cu->staging[i]) (void)cudaFreeHost(cu->staging[i]);
        }
        if (cu->reduce_scratch) (void)cudaFree(cu->reduce_scratch);
        if (cu->cublas) (void)cublasDestroy(cu->cublas);
        if (cu->cublas_workspace) (void)cudaFree(cu->cublas_workspace);
        if (cu->cudnn) (void)cudnnDestroy(cu->cudnn);
        if (cu->stream) (void)cudaStreamDestroy(cu->stream);
        free(cu);
    }
    free(be);
}

static const char *cuda_describe(gt_backend *be)
{
    return gt_cuda_of(be)->description;
}

/* ---- memory ---- */

static gt_status cuda_alloc(gt_backend *be, size_t bytes, void **out)
{
    gt_cuda *cu = gt_cuda_of(be);
    *out = NULL;
    if (bytes == 0) return GT_OK;
    cudaError_t err = cudaMalloc(out, bytes);
    if (err == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) (void)cudaGetLastError();
        *out = NULL;
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "out of GPU memory: cudaMalloc of %zu bytes (%.1f MiB) failed with %.1f MiB "
                       "free of %.1f MiB on device %d",
                       bytes, (double)bytes / 1048576.0, (double)free_b / 1048576.0,
                       (double)total_b / 1048576.0, cu->device);
    }
    if (err != cudaSuccess) *out = NULL;
    GT_CUDA_CHECK(err);
    return GT_OK;
}

/* Ops queued on the stream may still read or write the block (a dataset
 * evicted right after the epoch that gathered from it, a workspace regrown
 * for a partial batch). cudaFree happens to synchronize in practice, but the
 * runtime documents no ordering with a non-blocking stream, so wait for the
 * stream first (frees are rare: setup, regrowth, teardown). */
static void cuda_free(gt_backend *be, void *ptr)
{
    if (!ptr) return;
    /* Failures here are sticky device errors, which the next checked call
     * reports; free cannot return a status. */
    if (cudaStreamSynchronize(gt_cuda_of(be)->stream) != cudaSuccess) (void)cudaGetLastError();
    (void)cudaFree(ptr);
}

/* 1 when `p` is page-locked host memory (cudaHostAlloc'd or registered). */
static int is_pinned(const void *p)
{
    struct cudaPointerAttributes attr;
    if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return attr.type == cudaMemoryTypeHost;
}

/* Upload contract (backend.h): the caller may reuse or free host_src as soon
 * as upload returns, and the copy is ordered on the compute stream after
 * every op queued before it (an op still reading dst sees the old bytes).
 * - Small uploads (a step's index list): copied on the host into a pinned
 *   staging slot and the DMA queued from there, without waiting for the GPU.
 *   Not a plain cudaMemcpyAsync from the caller's buffer: from pinned memory
 *   the DMA reads it later, and from pageable memory the CUDA docs only say
 *   the call "might be synchronous" (the "returns once staged" promise is
 *   for synchronous cudaMemcpy, which runs on the legacy default stream and
 *   so is not ordered after this non-blocking stream).
 * - Large uploads (datasets, parameters, checkpoints): queued on the stream,
 *   then waited for. */
static gt_status cuda_upload(gt_backend *be, void *dst, const void *host_src, size_t bytes)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (bytes == 0) return GT_OK;
    if (bytes <= GT_CUDA_STAGING_BYTES) {
        int slot = cu->staging_next;
        cu->staging_next = (slot + 1) % GT_CUDA_STAGING_SLOTS;
        /* The slot's previous DMA must have read it before it is refilled. */
        GT_CUDA_CHECK(cudaEventSynchronize(cu->staging_done[slot]));
        memcpy(cu->staging[slot], host_src, bytes);
        GT_CUDA_CHECK(
            cudaMemcpyAsync(dst, cu->staging[slot], bytes, cudaMemcpyHostToDevice, cu->stream));
        GT_CUDA_CHECK(cudaEventRecord(cu->staging_done[slot], cu->stream));
        return GT_OK;
    }
    GT_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, cu->stream));
    GT_CUDA_CHECK(cudaStreamSynchronize(cu->stream));
    return GT_OK;
}

static gt_status cuda_download(gt_backend *be, void *host_dst, const void *src, size_t bytes)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (bytes == 0) return GT_OK;
    GT_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, cu->stream));
    GT_CUDA_CHECK(cudaStreamSynchronize(cu->stream));
    return GT_OK;
}

static gt_status cuda_zero(gt_backend *be, void *dst, size_t bytes)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (bytes == 0) return GT_OK;
    GT_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, cu->stream));
    return GT_OK;
}

static gt_status cuda_copy(gt_backend *be, void *dst, const void *src, size_t bytes)
{
    if (bytes == 0) return GT_OK;
    GT_CUDA_CHECK(
        cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_synchronize(gt_backend *be)
{
    GT_CUDA_CHECK(cudaStreamSynchronize(gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_host_alloc(gt_backend *be, size_t bytes, void **out)
{
    (void)be;
    *out = NULL;
    if (bytes == 0) return GT_OK;
    cudaError_t err = cudaHostAlloc(out, bytes, cudaHostAllocDefault);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        *out = NULL;
        return gt_fail(err == cudaErrorMemoryAllocation ? GT_ERR_OUT_OF_MEMORY : GT_ERR_DEVICE,
                       "cudaHostAlloc of %zu bytes of pinned host memory failed: %s: %s", bytes,
                       cudaGetErrorName(err), cudaGetErrorString(err));
    }
    return GT_OK;
}

static void cuda_host_free(gt_backend *be, void *ptr)
{
    if (!ptr) return;
    /* A download_async into this block may still be in flight. */
    if (cudaStreamSynchronize(gt_cuda_of(be)->stream) != cudaSuccess) (void)cudaGetLastError();
    (void)cudaFreeHost(ptr);
}

static gt_status cuda_download_async(gt_backend *be, void *host_dst, const void *src, size_t bytes,
                                     int fence)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (fence < 0 || fence >= GT_BACKEND_FENCES)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "download_async: fence %d is outside 0..%d", fence,
                       GT_BACKEND_FENCES - 1);
    /* A pageable destination would make the copy synchronous (and a
     * never-blocking promise false): insist on host_alloc memory. */
    if (bytes > 0 && !is_pinned(host_dst))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "download_async: the destination is not pinned host memory; allocate it "
                       "with the backend's host_alloc");
    if (bytes > 0)
        GT_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, cu->stream));
    GT_CUDA_CHECK(cudaEventRecord(cu->fences[fence], cu->stream));
    return GT_OK;
}

static gt_status cuda_fence_query(gt_backend *be, int fence, int *done)
{
    gt_cuda *cu = gt_cuda_of(be);
    *done = 0;
    if (fence < 0 || fence >= GT_BACKEND_FENCES)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "fence_query: fence %d is outside 0..%d", fence,
                       GT_BACKEND_FENCES - 1);
    cudaError_t err = cudaEventQuery(cu->fences[fence]);
    if (err == cudaErrorNotReady) {
        (void)cudaGetLastError(); /* not an error: still in flight */
        return GT_OK;
    }
    /* Any other failure (a kernel fault, a lost device) means the copy never
     * landed: report it here, with CUDA's text, rather than let the caller
     * read the stale statistics in the slot (which could surface as "loss
     * became nan"). */
    if (err != cudaSuccess) return gt_cuda_fail(err, "cudaEventQuery(fence)", __FILE__, __LINE__);
    *done = 1;
    return GT_OK;
}

/* ---- creation ---- */

static gt_status no_device(cudaError_t err, const char *call)
{
    (void)cudaGetLastError();
    /* The commonest failure on a machine that has a GPU: its driver is older
     * than the runtime this build links (CUDA 13 needs driver 580 or newer).
     * Say both versions, so it is not mistaken for "no GPU here". */
    int driver = 0;
    if (cudaDriverGetVersion(&driver) != cudaSuccess) {
        (void)cudaGetLastError();
        driver = 0;
    }
    if (err == cudaErrorInsufficientDriver && driver == 0)
        return gt_fail(GT_ERR_NO_DEVICE,
                       "no usable GPU: %s failed: %s (%s); no CUDA driver is installed", call,
                       cudaGetErrorString(err), cudaGetErrorName(err));
    if (err == cudaErrorInsufficientDriver || err == cudaErrorCompatNotSupportedOnDevice)
        return gt_fail(GT_ERR_NO_DEVICE,
                       "no usable GPU: %s failed: %s (%s); the installed driver supports CUDA "
                       "%d.%d, this build uses the CUDA %d.%d runtime",
                       call, cudaGetErrorString(err), cudaGetErrorName(err), driver / 1000,
                       (driver % 1000) / 10, CUDART_VERSION / 1000, (CUDART_VERSION % 1000) / 10);
    return gt_fail(GT_ERR_NO_DEVICE, "no usable GPU: %s failed: %s (%s)", call,
                   cudaGetErrorString(err), cudaGetErrorName(err));
}

/* The device to open: GTRAIN_CUDA_DEVICE (a data-parallel rank's GPU, set
 * from its local rank by src/dist), else 0. */
static gt_status device_index(int count, int *device)
{
    *device = 0;
    const char *v = getenv("GTRAIN_CUDA_DEVICE");
    if (!v || !*v) return GT_OK;
    char *end = NULL;
    long d = strtol(v, &end, 10);
    if (*end || d < 0 || d >= count)
        return gt_fail(GT_ERR_NO_DEVICE,
                       "no usable GPU: GTRAIN_CUDA_DEVICE is '%s' but CUDA sees %d device%s "
                       "(0..%d); with mpirun, start at most one rank per GPU on each node",
                       v, count, count == 1 ? "" : "s", count - 1);
    *device = (int)d;
    return GT_OK;
}

/* Finds the device (device_index) and checks that it can run this build. Any
 * failure here means "no GPU", never a crash: CI machines have the toolkit
 * but no driver. */
static gt_status pick_device(struct cudaDeviceProp *prop, int *device)
{
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) return no_device(err, "cudaGetDeviceCount");
    if (count <= 0) return gt_fail(GT_ERR_NO_DEVICE, "no usable GPU: CUDA reports no device");
    GT_TRY(device_index(count, device));
    err = cudaGetDeviceProperties(prop, *device);
    if (err != cudaSuccess) return no_device(err, "cudaGetDeviceProperties");
    /* The kernels are built for sm_80 and sm_90 (PTX for newer GPUs). */
    if (prop->major < 8)
        return gt_fail(GT_ERR_NO_DEVICE,
                       "no usable GPU: %s has compute capability %d.%d; gtrain's CUDA kernels "
                       "need 8.0 (Ampere) or newer",
                       prop->name, prop->major, prop->minor);
    err = cudaSetDevice(*device);
    if (err != cudaSuccess) return no_device(err, "cudaSetDevice");
    /* Creates the context now, so that a broken driver shows up here. */
    err = cudaFree(NULL);
    if (err != cudaSuccess) return no_device(err, "cudaFree(NULL) (context creation)");
    return GT_OK;
}

static void describe_device(gt_cuda *cu, const struct cudaDeviceProp *prop)
{
    int driver = 0, runtime = 0, cublas_v = 0;
    if (cudaDriverGetVersion(&driver) != cudaSuccess) (void)cudaGetLastError();
    if (cudaRuntimeGetVersion(&runtime) != cudaSuccess) (void)cudaGetLastError();
    if (cublasGetVersion(cu->cublas, &cublas_v) != CUBLAS_STATUS_SUCCESS) cublas_v = 0;
    size_t cudnn_v = cudnnGetVersion();
    snprintf(cu->description, sizeof cu->description,
             "cuda: %s (compute %d.%d, %d SMs, %.1f GiB), driver %d.%d, runtime %d.%d, "
             "cuDNN %zu.%zu.%zu, cuBLAS %d.%d.%d, precision %s",
             prop->name, prop->major, prop->minor, prop->multiProcessorCount,
             (double)prop->totalGlobalMem / (1024.0 * 1024.0 * 1024.0), driver / 1000,
             (driver % 1000) / 10, runtime / 1000, (runtime % 1000) / 10, cudnn_v / 10000,
             (cudnn_v % 10000) / 100, cudnn_v % 100, cublas_v / 10000, (cublas_v % 10000) / 100,
             cublas_v % 100, precision_text(cu->precision));
}

static gt_status init_handles(gt_cuda *cu)
{
    GT_CUDA_CHECK(cudaStreamCreateWithFlags(&cu->stream, cudaStreamNonBlocking));
    GT_CUDNN_CHECK(cudnnCreate(&cu->cudnn));
    GT_CUDNN_CHECK(cudnnSetStream(cu->cudnn, cu->stream));
    GT_CUBLAS_CHECK(cublasCreate(&cu->cublas));
    GT_CUBLAS_CHECK(cublasSetStream(cu->cublas, cu->stream));
    GT_CUDA_CHECK(cudaMalloc(&cu->cublas_workspace, GT_CUBLAS_WORKSPACE_BYTES));
    GT_CUBLAS_CHECK(
        cublasSetWorkspace(cu->cublas, cu->cublas_workspace, GT_CUBLAS_WORKSPACE_BYTES));
    /* DEFAULT_MATH never lowers the precision the compute type asks for:
     * CUBLAS_COMPUTE_32F is IEEE fp32 and TF32 comes only from the explicit
     * CUBLAS_COMPUTE_32F_FAST_TF32 in cuda_gemm.c. */
    GT_CUBLAS_CHECK(cublasSetMathMode(cu->cublas, CUBLAS_DEFAULT_MATH));
    GT_CUBLAS_CHECK(cublasSetPointerMode(cu->cublas, CUBLAS_POINTER_MODE_HOST));
    for (int i = 0; i < GT_BACKEND_FENCES; ++i)
        GT_CUDA_CHECK(cudaEventCreateWithFlags(&cu->fences[i], cudaEventDisableTiming));
    for (int i = 0; i < GT_CUDA_STAGING_SLOTS; ++i) {
        GT_CUDA_CHECK(
            cudaHostAlloc((void **)&cu->staging[i], GT_CUDA_STAGING_BYTES, cudaHostAllocDefault));
        GT_CUDA_CHECK(cudaEventCreateWithFlags(&cu->staging_done[i], cudaEventDisableTiming));
    }
    GT_TRY(gt_cuda_staged_init(cu));
    cu->reduce_scratch_floats = GT_REDUCE_SCRATCH_FLOATS;
    GT_CUDA_CHECK(
        cudaMalloc((void **)&cu->reduce_scratch, cu->reduce_scratch_floats * sizeof(float)));
    return GT_OK;
}

gt_status gt_cuda_backend_create(gt_precision precision, gt_backend **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_cuda_backend_create: NULL out");
    *out = NULL;
    if (precision == GT_PRECISION_BF16)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "precision bf16 is not supported by the CUDA backend yet; use fp32 or tf32");
    if (precision != GT_PRECISION_FP32 && precision != GT_PRECISION_TF32)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown precision %d", (int)precision);

    struct cudaDeviceProp prop;
    int device = 0;
    GT_TRY(pick_device(&prop, &device));

    gt_backend *be = calloc(1, sizeof *be);
    gt_cuda *cu = calloc(1, sizeof *cu);
    if (!be || !cu) {
        free(be);
        free(cu);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "gt_cuda_backend_create: out of host memory");
    }
    be->impl = cu;
    cu->device = device;
    cu->precision = precision;
    gt_status st = init_handles(cu);
    if (st != GT_OK) {
        gt_fail_context(st, "creating the CUDA backend on %s", prop.name);
        cuda_destroy(be);
        return st;
    }
    describe_device(cu, &prop);

    be->name = "cuda";
    be->destroy = cuda_destroy;
    be->describe = cuda_describe;
    be->alloc = cuda_alloc;
    be->free = cuda_free;
    be->upload = cuda_upload;
    be->download = cuda_download;
    be->zero = cuda_zero;
    be->copy = cuda_copy;
    be->synchronize = cuda_synchronize;
    be->host_alloc = cuda_host_alloc;
    be->host_free = cuda_host_free;
    be->download_async = cuda_download_async;
    be->fence_query = cuda_fence_query;
    gt_cuda_install_staged(be);
    be->set_deterministic = gt_cuda_set_deterministic;
    be->capture_begin = gt_cuda_capture_begin;
    be->capture_end = gt_cuda_capture_end;
    be->gemm = gt_cuda_gemm;
    be->conv2d_workspace_bytes = gt_cuda_conv2d_workspace_bytes;
    be->conv2d_forward = gt_cuda_conv2d_forward;
    be->conv2d_backward_data = gt_cuda_conv2d_backward_data;
    be->conv2d_backward_filter = gt_cuda_conv2d_backward_filter;
    gt_cuda_install_ops(be);
    gt_cuda_install_optim_ops(be);
    *out = be;
    return GT_OK;
}

void *gt_cuda_backend_stream(gt_backend *be)
{
    return (void *)gt_cuda_of(be)->stream;
}
