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

/* Index of the first maximum of row[0..classes). */
static __device__ int row_argmax(const float *row, int classes)
{
    int best = 0;
    for (int j = 1; j < classes; ++j)
        if (row[j] > row[best]) best = j;
    return best;
}

static __global__ void softmax_xent_kernel(float *dlogits, float *stats, const float *logits,
                                           const int32_t *labels, int n, int classes,
                                           float grad_scale)
{
    double loss = 0.0, correct = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float *row = logits + (size_t)i * classes;
        int label = labels[i];
        int best = row_argmax(row, classes);
        /* Subtracting the maximum keeps exp() from overflowing. */
        double mx = (double)row[best];
        double sum = 0.0;
        for (int j = 0; j < classes; ++j)
            sum += exp((double)row[j] - mx);
        if (label < 0 || label >= classes) {
            /* The trainer checks labels up front; a bad one shows as NaN. */
            loss += (double)NAN;
        } else {
            loss += log(sum) + mx - (double)row[label]; /* log-sum-exp - logit[label] */
            correct += best == label ? 1.0 : 0.0;
        }
        if (dlogits) {
            float *d = dlogits + (size_t)i * classes;
            for (int j = 0; j < classes; ++j) {
                double p = exp((double)row[j] - mx) / sum;
                d[j] = (float)((p - (j == label ? 1.0 : 0.0)) * (double)grad_scale);
            }
        }
    }
    block_write_stats(stats, loss, correct);
}

extern "C" cudaError_t gt_launch_softmax_xent(float *dlogits, float *stats, const float *logits,
                                              const int32_t *labels, int n, int classes,
                                              float grad_scale, cudaStream_t stream)
{
    softmax_xent_kernel<<<1, GT_XENT_THREADS, 0, stream>>>(dlogits, stats, logits, labels, n,
                                                           classes, grad_scale);
    return cudaGetLastError();
}

static __global__ void prob_xent_kernel(float *dout, float *stats, const float *out,
                                        const int32_t *labels, int n, int classes, float grad_scale)
{
    double loss = 0.0, correct = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float *row = out + (size_t)i * classes;
        int label = labels[i];
        if (label < 0 || label >= classes) {
            loss += (double)NAN;
            if (dout)
                for (int j = 0; j < classes; ++j)
                    dout[(size_t)i * classes + j] = NAN;
            continue;
        }
        double sum = 0.0;
        for (int j = 0; j < classes; ++j)
            sum += (double)row[j];
        /* Keras normalises in float: p = out / sum(out). */
        float p = row[label] / (float)sum;
        float clipped = gt_prob_xent_clip(p);
        loss += -log((double)clipped);
        correct += row_argmax(row, classes) == label ? 1.0 : 0.0;
        if (dout) {
            /* d(-log(out_label / sum)) / d out_j = 1/sum - [j == label] / out_label;
             * TF's clip_by_value passes no gradient where it clipped (strict
             * comparisons, so NaN passes through as in TF). */
            int was_clipped = p < GT_KERAS_EPSILON || p > 1.0f - GT_KERAS_EPSILON;
            double inv_label = 1.0 / (double)row[label];
            float *d = dout + (size_t)i * classes;
            for (int j = 0; j < classes; ++j) {
                double g = was_clipped ? 0.0 : 1.0 / sum - (j == label ? inv_label : 0.0);
                d[j] = (float)(g * (double)grad_scale);
            }
        }
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
        const float *row = logits + i * (size_t)classes;
        float *p = probs + i * (size_t)classes;
        double mx = (double)row[row_argmax(row, classes)];
        double sum = 0.0;
        for (int j = 0; j < classes; ++j)
            sum += exp((double)row[j] - mx);
        for (int j = 0; j < classes; ++j)
            p[j] = (float)(exp((double)row[j] - mx) / sum);
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
