/* Internal: state of the CUDA backend and the functions its table points to,
 * split by op family over cuda_backend.c (device, memory, fences),
 * cuda_gemm.c (cuBLAS), cuda_conv.c (cuDNN) and cuda_ops.c (own kernels). */
#ifndef GT_CUDA_INTERNAL_H
#define GT_CUDA_INTERNAL_H

#include <stddef.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "gtrain/backend.h"

typedef struct gt_cuda_conv_plan gt_cuda_conv_plan;

/* Upload staging: slots of pinned memory used round-robin. */
#define GT_CUDA_STAGING_SLOTS 4
#define GT_CUDA_STAGING_BYTES ((size_t)1 << 20)

typedef struct gt_cuda {
    int device;
    gt_precision precision;
    /* The one compute stream: every op, copy and fence is queued on it, so
     * ops run in call order without any synchronization between them. */
    cudaStream_t stream;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    /* cuBLAS' workspace, given once so that cuBLAS never allocates inside
     * a step (and the step stays capturable as a CUDA graph). */
    void *cublas_workspace;
    /* Events tagging download_async copies, one per fence. */
    cudaEvent_t fences[GT_BACKEND_FENCES];
    /* Pinned staging for uploads from pageable memory: the caller's buffer
     * is copied here on the host, so upload can return before the DMA runs
     * without relying on the runtime having staged pageable memory (which
     * the CUDA docs do not promise for cudaMemcpyAsync). One event per slot
     * says when the slot's last DMA has read it. */
    unsigned char *staging[GT_CUDA_STAGING_SLOTS];
    cudaEvent_t staging_done[GT_CUDA_STAGING_SLOTS];
    int staging_next;
    /* Staged uploads (cuda_staged.c): a stream of their own, and per slot
     * the events "the copy landed" (the compute stream waits on it) and
     * "the compute stream is done reading the slot's buffer" (the next
     * copy into it waits on that). */
    cudaStream_t upload_stream;
    cudaEvent_t upload_copied[GT_BACKEND_UPLOAD_SLOTS];
    cudaEvent_t upload_released[GT_BACKEND_UPLOAD_SLOTS];
    /* Partial sums of deterministic reductions (bias gradients). */
    float *reduce_scratch;
    size_t reduce_scratch_floats;
    /* Convolution plans (descriptors, algorithms, workspace), one per geometry. */
    gt_cuda_conv_plan *conv_plans;
    size_t conv_plan_count, conv_plan_capacity;
    /* Largest size conv2d_workspace_bytes has reported: the workspace the
     * caller can be assumed to hold for a geometry it never asked about. */
    size_t conv_workspace_reported;
    /* The executable graph of the last captured step, updated in place with
     * each new capture of the same shape (see cuda_graph.c). */
    cudaGraphExec_t graph_exec;
    int capturing;
    /* --deterministic: no non-deterministic conv algorithm even as a fallback */
    int deterministic_only;
    char description[512];
} gt_cuda;

static inline gt_cuda *gt_cuda_of(gt_backend *be)
{
    return (gt_cuda *)be->impl;
}

/* cuda_graph.c */
gt_status gt_cuda_capture_begin(gt_backend *be);
gt_status gt_cuda_capture_end(gt_backend *be, int launch);
void gt_cuda_graph_free(gt_cuda *cu);
gt_status gt_cuda_set_deterministic(gt_backend *be, int on);

/* cuda_gemm.c */
gt_status gt_cuda_gemm(gt_backend *be, int trans_a, int trans_b, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc);

/* cuda_conv.c */
size_t gt_cuda_conv2d_workspace_bytes(gt_backend *be, const gt_conv_geom *g);
gt_status gt_cuda_conv2d_forward(gt_backend *be, const gt_conv_geom *g, float *y, const float *x,
                                 const float *w, const float *bias, gt_activation act,
                                 void *workspace);
gt_status gt_cuda_conv2d_backward_data(gt_backend *be, const gt_conv_geom *g, float *dx,
                                       const float *dy, const float *w, void *workspace);
gt_status gt_cuda_conv2d_backward_filter(gt_backend *be, const gt_conv_geom *g, float *dw,
                                         float *db, const float *dy, const float *x,
                                         void *workspace);
void gt_cuda_conv_plans_free(gt_cuda *cu);

/* cuda_staged.c */
gt_status gt_cuda_staged_init(gt_cuda *cu);
void gt_cuda_staged_free(gt_cuda *cu);
void gt_cuda_install_staged(gt_backend *be);

/* cuda_ops.c */
void gt_cuda_install_ops(gt_backend *be);
/* cuda_optim.c: AdamW, RMSprop */
void gt_cuda_install_optim_ops(gt_backend *be);

#endif
