/* Bias + activation forward, bias gradient and ReLU backward. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

static __global__ void bias_act_kernel(float *y, const float *bias, size_t count, int cols,
                                       int relu)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        float v = y[i];
        if (bias) v = v + bias[i % (size_t)cols];
        y[i] = relu ? gt_relu(v) : v;
    }
}

extern "C" cudaError_t gt_launch_bias_act_forward(float *y, const float *bias, size_t rows,
                                                  int cols, gt_activation act, cudaStream_t stream)
{
    size_t count = rows * (size_t)cols;
    if (count == 0) return cudaSuccess;
    bias_act_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(y, bias, count, cols,
                                                                   act == GT_ACT_RELU);
    return cudaGetLastError();
}

/* Bias gradient in a fixed order. A block is 32 columns x 8 row lanes: lane
 * `ty` sums rows chunk_begin + ty, + 8, ... of its column (coalesced across
 * the 32 columns), then lane 0 adds the 8 lane sums in lane order. With one
 * chunk the block writes db directly; otherwise it writes
 * partial[chunk * cols + col] and bias_sum_partials adds the chunks in order. */
#define GT_BIAS_COLS 32
#define GT_BIAS_LANES 8

static __global__ void bias_partial_kernel(float *out, const float *dy, size_t rows, int cols,
                                           size_t rows_per_chunk)
{
    __shared__ float lane_sum[GT_BIAS_LANES][GT_BIAS_COLS + 1];
    int col = blockIdx.x * GT_BIAS_COLS + threadIdx.x;
    size_t begin = (size_t)blockIdx.y * rows_per_chunk;
    size_t end = begin + rows_per_chunk < rows ? begin + rows_per_chunk : rows;
    float s = 0.0f;
    if (col < cols)
        for (size_t r = begin + threadIdx.y; r < end; r += GT_BIAS_LANES)
            s += dy[r * (size_t)cols + col];
    lane_sum[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && col < cols) {
        float total = 0.0f;
        for (int l = 0; l < GT_BIAS_LANES; ++l)
            total += lane_sum[l][threadIdx.x];
        out[(size_t)blockIdx.y * cols + col] = total;
    }
}

static __global__ void bias_sum_partials_kernel(float *db, const float *partial, int chunks,
                                                int cols)
{
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= cols) return;
    float total = 0.0f;
    for (int k = 0; k < chunks; ++k)
        total += partial[(size_t)k * cols + col];
    db[col] = total;
}

extern "C" cudaError_t gt_launch_bias_backward(float *db, const float *dy, size_t rows, int cols,
                                               float *scratch, size_t scratch_floats,
                                               cudaStream_t stream)
{
    if (cols <= 0) return cudaSuccess;
    if (rows == 0) return cudaMemsetAsync(db, 0, (size_t)cols * sizeof(float), stream);
    /* Aim for >= 512 rows per chunk (enough work per thread to hide latency)
     * and at most 256 chunks (the second pass stays short). */
    size_t chunks = (rows + 511) / 512;
    if (chunks > 256) chunks = 256;
    if (chunks * (size_t)cols > scratch_floats || scratch == NULL) chunks = scratch_floats / cols;
    if (chunks < 1 || scratch == NULL) chunks = 1;
    size_t rows_per_chunk = (rows + chunks - 1) / chunks;
    chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
    dim3 block(GT_BIAS_COLS, GT_BIAS_LANES);
    dim3 grid((unsigned)((cols + GT_BIAS_COLS - 1) / GT_BIAS_COLS), (unsigned)chunks);
    if (chunks == 1) {
        bias_partial_kernel<<<grid, block, 0, stream>>>(db, dy, rows, cols, rows_per_chunk);
        return cudaGetLastError();
    }
    bias_partial_kernel<<<grid, block, 0, stream>>>(scratch, dy, rows, cols, rows_per_chunk);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    bias_sum_partials_kernel<<<(cols + GT_THREADS - 1) / GT_THREADS, GT_THREADS, 0, stream>>>(
        db, scratch, (int)chunks, cols);
    return cudaGetLastError();
}

static __global__ void relu_backward_kernel(float *dx, const float *dy, const float *y,
                                            size_t count)
{
    GT_GRID_STRIDE_LOOP(i, count) dx[i] = gt_relu_grad(dy[i], y[i]);
}

extern "C" cudaError_t gt_launch_relu_backward(float *dx, const float *dy, const float *y,
                                               size_t count, cudaStream_t stream)
{
    if (count == 0) return cudaSuccess;
    relu_backward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(dx, dy, y, count);
    return cudaGetLastError();
}
