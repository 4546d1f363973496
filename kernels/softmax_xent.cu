/* Softmax cross-entropy (fused with its gradient), Keras' cross-entropy on
 * probabilities, and softmax for prediction.
 *
 * The losses run as one block: each thread takes rows tid, tid + blockDim,
 * ... (a row is `classes` floats, small for classifiers), keeps its own loss
 * and correct count, and the block adds them in a fixed tree order. One
 * block makes the batch sums deterministic without atomics or scratch memory
 * and the stats never leave the device; for batches of a few hundred rows
 * and tens of classes it is a few microseconds. Rows are computed in double,
 * as in the CPU reference, so the two agree to rounding. */
#include <float.h>
#include <math.h>

#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

#define GT_XENT_THREADS 256

/* Adds each thread's (loss, correct) in a fixed tree order and writes stats. */
static __device__ void block_write_stats(float *stats, double loss, double correct)
{
    __shared__ double s_loss[GT_XENT_THREADS];
    __shared__ double s_correct[GT_XENT_THREADS];
    s_loss[threadIdx.x] = loss;
    s_correct[threadIdx.x] = correct;
    __syncthreads();
    for (int half = GT_XENT_THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            s_loss[threadIdx.x] += s_loss[threadIdx.x + half];
            s_correct[threadIdx.x] += s_correct[threadIdx.x + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0 && stats) {
        stats[0] = (float)s_loss[0];
        stats[1] = (float)s_correct[0];
    }
}

static __global__ void softmax_xent_kernel(float *dlogits, float *stats, const float *logits,
                                           const int32_t *labels, int n, int classes,
                                           float grad_scale, float log_epsilon)
{
    double loss = 0.0, correct = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        int top;
        /* a bad label (the trainer checks them up front) shows as a NaN loss */
        loss += gt_softmax_xent_row(dlogits ? dlogits + (size_t)i * classes : NULL,
                                    logits + (size_t)i * classes, classes, labels[i], grad_scale,
                                    log_epsilon, &top);
        correct += top == labels[i] ? 1.0 : 0.0;
    }
    block_write_stats(stats, loss, correct);
}

extern "C" cudaError_t gt_launch_softmax_xent(float *dlogits, float *stats, const float *logits,
                                              const int32_t *labels, int n, int classes,
                                              float grad_scale, float log_epsilon,
                                              cudaStream_t stream)
{
    softmax_xent_kernel<<<1, GT_XENT_THREADS, 0, stream>>>(dlogits, stats, logits, labels, n,
                                                           classes, grad_scale, log_epsilon);
    return cudaGetLastError();
}

static __global__ void prob_xent_kernel(float *dout, float *stats, const float *out,
                                        const int32_t *labels, int n, int classes, float grad_scale)
{
    double loss = 0.0, correct = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float *row = out + (size_t)i * classes;
        loss += gt_prob_xent_row(dout ? dout + (size_t)i * classes : NULL, row, classes, labels[i],
                                 grad_scale);
        correct += gt_row_argmax(row, classes) == labels[i] ? 1.0 : 0.0;
    }
    block_write_stats(stats, loss, correct);
}

extern "C" cudaError_t gt_launch_prob_xent(float *dout, float *stats, const float *out,
                                           const int32_t *labels, int n, int classes,
                                           float grad_scale, cudaStream_t stream)
{
    prob_xent_kernel<<<1, GT_XENT_THREADS, 0, stream>>>(dout, stats, out, labels, n, classes,
                                                        grad_scale);
    return cudaGetLastError();
}

/* One thread per row: classifier rows are short, and rows are independent.
 * Double inside the row, as the CPU reference. */
static __global__ void softmax_forward_kernel(float *probs, const float *logits, int n, int classes)
{
    GT_GRID_STRIDE_LOOP(i, (size_t)n)
    {
        gt_softmax_row(probs + i * (size_t)classes, logits + i * (size_t)classes, classes);
    }
}

extern "C" cudaError_t gt_launch_softmax_forward(float *probs, const float *logits, int n,
                                                 int classes, cudaStream_t stream)
{
    if (n <= 0) return cudaSuccess;
    softmax_forward_kernel<<<gt_grid_for((size_t)n), GT_THREADS, 0, stream>>>(probs, logits, n,
                                                                              classes);
    return cudaGetLastError();
}
