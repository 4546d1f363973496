/* Batch normalization over the rows of an NHWC tensor, per channel (the
 * column). The sums are those of elem_math.h's terms in double, reduced in a
 * fixed order: a block of 32 columns x 8 row lanes sums one chunk of rows
 * (lane l takes rows l, l + 8, ...; then lane 0 adds the 8 lanes in order),
 * and a second pass adds the chunks in order. The chunking depends only on
 * the row count and the scratch size, so a run repeats bit for bit. */
#include "elem_math.h"
#include "kernels.h"
#include "launch_util.cuh"

#define GT_BN_COLS 32
#define GT_BN_LANES 8

typedef enum bn_term { BN_X, BN_SQ, BN_DY, BN_DY_XHAT } bn_term;

typedef struct bn_args {
    const float *x, *dy, *mean, *var;
    float epsilon;
    size_t rows;
    int cols;
} bn_args;

static __device__ double term_at(const bn_args &a, bn_term t, size_t r, int c)
{
    size_t i = r * (size_t)a.cols + c;
    switch (t) {
    case BN_X:
        return (double)a.x[i];
    case BN_SQ:
        return gt_bn_sq_term(a.x[i], a.mean[c]);
    case BN_DY:
        return (double)a.dy[i];
    case BN_DY_XHAT:
        return gt_bn_dy_xhat_term(a.dy[i], a.x[i], a.mean[c], gt_bn_inv_std(a.var[c], a.epsilon));
    }
    return 0.0;
}

static __global__ void bn_partial_kernel(double *partial, const bn_args a, bn_term t,
                                         size_t rows_per_chunk)
{
    __shared__ double lane_sum[GT_BN_LANES][GT_BN_COLS + 1];
    int col = blockIdx.x * GT_BN_COLS + threadIdx.x;
    size_t begin = (size_t)blockIdx.y * rows_per_chunk;
    size_t end = begin + rows_per_chunk < a.rows ? begin + rows_per_chunk : a.rows;
    double s = 0.0;
    if (col < a.cols)
        for (size_t r = begin + threadIdx.y; r < end; r += GT_BN_LANES)
            s += term_at(a, t, r, col);
    lane_sum[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && col < a.cols) {
        double total = 0.0;
        for (int l = 0; l < GT_BN_LANES; ++l)
            total += lane_sum[l][threadIdx.x];
        partial[(size_t)blockIdx.y * a.cols + col] = total;
    }
}

/* sum[col] = the chunks' partials added in chunk order; stat (if not NULL)
 * = sum / rows as float, copy (if not NULL) = sum as float. */
static __global__ void bn_finish_kernel(double *sum, float *stat, float *copy,
                                        const double *partial, int chunks, int cols, double rows)
{
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= cols) return;
    double total = 0.0;
    for (int k = 0; k < chunks; ++k)
        total += partial[(size_t)k * cols + col];
    sum[col] = total;
    if (stat) stat[col] = (float)(total / rows);
    if (copy) copy[col] = (float)total;
}

/* One column sum of term t into sum[0..cols), via the scratch's partials. */
static cudaError_t column_sum(const bn_args &a, bn_term t, double *sum, float *stat, float *copy,
                              double *partial, size_t partial_doubles, cudaStream_t stream)
{
    size_t chunks = (a.rows + 511) / 512;
    if (chunks > 256) chunks = 256;
    if (chunks * (size_t)a.cols > partial_doubles) chunks = partial_doubles / (size_t)a.cols;
    if (chunks < 1) return cudaErrorInvalidValue; /* the caller checked the scratch size */
    size_t rows_per_chunk = (a.rows + chunks - 1) / chunks;
    chunks = (a.rows + rows_per_chunk - 1) / rows_per_chunk;
    dim3 block(GT_BN_COLS, GT_BN_LANES);
    dim3 grid((unsigned)((a.cols + GT_BN_COLS - 1) / GT_BN_COLS), (unsigned)chunks);
    bn_partial_kernel<<<grid, block, 0, stream>>>(partial, a, t, rows_per_chunk);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    bn_finish_kernel<<<(a.cols + GT_THREADS - 1) / GT_THREADS, GT_THREADS, 0, stream>>>(
        sum, stat, copy, partial, (int)chunks, a.cols, (double)a.rows);
    return cudaGetLastError();
}

static __global__ void bn_forward_kernel(float *y, const float *x, const float *mean,
                                         const float *var, const float *gamma, const float *beta,
                                         float epsilon, size_t count, int cols)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        int c = (int)(i % (size_t)cols);
        y[i] = gt_bn_forward_elem(x[i], mean[c], gt_bn_inv_std(var[c], epsilon), gamma, beta, c);
    }
}

static __global__ void bn_backward_kernel(float *dx, const float *dy, const float *x,
                                          const float *gamma, const float *mean, const float *var,
                                          float epsilon, const double *sum_dy,
                                          const double *sum_dy_xhat, size_t count, int cols,
                                          double rows)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        int c = (int)(i % (size_t)cols);
        dx[i] = gt_bn_backward_elem(dy[i], x[i], mean[c], gt_bn_inv_std(var[c], epsilon), gamma, c,
                                    sum_dy[c] / rows, sum_dy_xhat[c] / rows);
    }
}

static __global__ void bn_moving_kernel(float *moving_mean, float *moving_var,
                                        const float *batch_mean, const float *batch_var, int cols,
                                        float momentum)
{
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    moving_mean[c] = gt_bn_moving_elem(moving_mean[c], batch_mean[c], momentum);
    moving_var[c] = gt_bn_moving_elem(moving_var[c], batch_var[c], momentum);
}

extern "C" size_t gt_batchnorm_scratch_min_doubles(int cols)
{
    return (size_t)3 * (size_t)cols; /* two column sums and one chunk of partials */
}

extern "C" cudaError_t gt_launch_batchnorm_forward_train(float *y, float *batch_mean,
                                                         float *batch_var, const float *x,
                                                         const float *gamma, const float *beta,
                                                         size_t rows, int cols, float epsilon,
                                                         double *scratch, size_t scratch_doubles,
                                                         cudaStream_t stream)
{
    if (scratch_doubles < gt_batchnorm_scratch_min_doubles(cols)) return cudaErrorInvalidValue;
    double *sum = scratch, *partial = scratch + 2 * (size_t)cols;
    size_t partial_doubles = scratch_doubles - 2 * (size_t)cols;
    bn_args a = {x, NULL, batch_mean, batch_var, epsilon, rows, cols};
    cudaError_t e = column_sum(a, BN_X, sum, batch_mean, NULL, partial, partial_doubles, stream);
    if (e == cudaSuccess)
        e = column_sum(a, BN_SQ, sum, batch_var, NULL, partial, partial_doubles, stream);
    if (e != cudaSuccess) return e;
    size_t count = rows * (size_t)cols;
    bn_forward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(
        y, x, batch_mean, batch_var, gamma, beta, epsilon, count, cols);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_batchnorm_forward_infer(float *y, const float *x,
                                                         const float *gamma, const float *beta,
                                                         const float *mean, const float *var,
                                                         size_t rows, int cols, float epsilon,
                                                         cudaStream_t stream)
{
    size_t count = rows * (size_t)cols;
    if (count == 0) return cudaSuccess;
    bn_forward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(y, x, mean, var, gamma, beta,
                                                                     epsilon, count, cols);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_batchnorm_backward(float *dx, float *dgamma, float *dbeta,
                                                    const float *dy, const float *x,
                                                    const float *gamma, const float *batch_mean,
                                                    const float *batch_var, size_t rows, int cols,
                                                    float epsilon, double *scratch,
                                                    size_t scratch_doubles, cudaStream_t stream)
{
    if (scratch_doubles < gt_batchnorm_scratch_min_doubles(cols)) return cudaErrorInvalidValue;
    double *sum_dy = scratch, *sum_dy_xhat = scratch + cols, *partial = scratch + 2 * (size_t)cols;
    size_t partial_doubles = scratch_doubles - 2 * (size_t)cols;
    bn_args a = {x, dy, batch_mean, batch_var, epsilon, rows, cols};
    cudaError_t e = column_sum(a, BN_DY, sum_dy, NULL, dbeta, partial, partial_doubles, stream);
    if (e == cudaSuccess)
        e = column_sum(a, BN_DY_XHAT, sum_dy_xhat, NULL, dgamma, partial, partial_doubles, stream);
    if (e != cudaSuccess) return e;
    size_t count = rows * (size_t)cols;
    bn_backward_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(
        dx, dy, x, gamma, batch_mean, batch_var, epsilon, sum_dy, sum_dy_xhat, count, cols,
        (double)rows);
    return cudaGetLastError();
}

extern "C" cudaError_t gt_launch_batchnorm_update_moving(float *moving_mean, float *moving_var,
                                                         const float *batch_mean,
                                                         const float *batch_var, int cols,
                                                         float momentum, cudaStream_t stream)
{
    bn_moving_kernel<<<(cols + GT_THREADS - 1) / GT_THREADS, GT_THREADS, 0, stream>>>(
        moving_mean, moving_var, batch_mean, batch_var, cols, momentum);
    return cudaGetLastError();
}

/* The batch-shared ops: column sums as floats (for the all-reduce over the
 * ranks), and dx from the whole batch's float sums. */
extern "C" cudaError_t gt_launch_batchnorm_sums(float *sums, const float *x, const float *center,
                                                size_t rows, int cols, double *scratch,
                                                size_t scratch_doubles, cudaStream_t stream)
{
    if (scratch_doubles < gt_batchnorm_scratch_min_doubles(cols)) return cudaErrorInvalidValue;
    if (rows == 0) return cudaMemsetAsync(sums, 0, (size_t)cols * sizeof(float), stream);
    double *sum = scratch, *partial = scratch + 2 * (size_t)cols;
    bn_args a = {x, NULL, center, NULL, 1.0f, rows, cols};
    return column_sum(a, center ? BN_SQ : BN_X, sum, NULL, sums, partial,
                      scratch_doubles - 2 * (size_t)cols, stream);
}

extern "C" cudaError_t
gt_launch_batchnorm_backward_sums(float *sums, const float *dy, const float *x, const float *mean,
                                  const float *var, size_t rows, int cols, float epsilon,
                                  double *scratch, size_t scratch_doubles, cudaStream_t stream)
{
    if (scratch_doubles < gt_batchnorm_scratch_min_doubles(cols)) return cudaErrorInvalidValue;
    if (rows == 0) return cudaMemsetAsync(sums, 0, 2 * (size_t)cols * sizeof(float), stream);
    double *sum = scratch, *partial = scratch + 2 * (size_t)cols;
    size_t partial_doubles = scratch_doubles - 2 * (size_t)cols;
    bn_args a = {x, dy, mean, var, epsilon, rows, cols};
    cudaError_t e = column_sum(a, BN_DY, sum, NULL, sums, partial, partial_doubles, stream);
    if (e != cudaSuccess) return e;
    return column_sum(a, BN_DY_XHAT, sum + cols, NULL, sums + cols, partial, partial_doubles,
                      stream);
}

static __global__ void bn_backward_apply_kernel(float *dx, const float *dy, const float *x,
                                                const float *gamma, const float *mean,
                                                const float *var, float epsilon, const float *sums,
                                                size_t count, int cols, double total_rows)
{
    GT_GRID_STRIDE_LOOP(i, count)
    {
        int c = (int)(i % (size_t)cols);
        dx[i] =
            gt_bn_backward_elem(dy[i], x[i], mean[c], gt_bn_inv_std(var[c], epsilon), gamma, c,
                                (double)sums[c] / total_rows, (double)sums[cols + c] / total_rows);
    }
}

extern "C" cudaError_t gt_launch_batchnorm_backward_apply(float *dx, const float *dy,
                                                          const float *x, const float *gamma,
                                                          const float *mean, const float *var,
                                                          const float *sums, size_t rows, int cols,
                                                          size_t total_rows, float epsilon,
                                                          cudaStream_t stream)
{
    size_t count = rows * (size_t)cols;
    if (count == 0) return cudaSuccess;
    bn_backward_apply_kernel<<<gt_grid_for(count), GT_THREADS, 0, stream>>>(
        dx, dy, x, gamma, mean, var, epsilon, sums, count, cols, (double)total_rows);
    return cudaGetLastError();
}
