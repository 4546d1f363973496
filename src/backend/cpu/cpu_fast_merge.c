/* Fast merge ops (axpby, mul, channel_copy): the reference's arithmetic
 * (elem_math.h) split over OpenMP threads, one element or row per
 * iteration, so every thread count gives the same bits. */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

/* Below this many elements a parallel region costs more than it saves. */
#define GT_MERGE_PARALLEL_MIN 16384

gt_status gt_cpu_fast_axpby(gt_backend *be, float *y, const float *x, size_t count, float alpha,
                            float beta)
{
    int threads = count >= GT_MERGE_PARALLEL_MIN ? gt_cpu_threads(be) : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < count; ++i)
        y[i] = gt_axpby_elem(alpha, x[i], beta, y[i]);
    return GT_OK;
}

gt_status gt_cpu_fast_mul(gt_backend *be, float *y, const float *a, const float *b, size_t count)
{
    int threads = count >= GT_MERGE_PARALLEL_MIN ? gt_cpu_threads(be) : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < count; ++i)
        y[i] = a[i] * b[i];
    return GT_OK;
}

gt_status gt_cpu_fast_channel_copy(gt_backend *be, float *dst, int dst_stride, int dst_offset,
                                   const float *src, int src_stride, int src_offset, size_t rows,
                                   int channels)
{
    GT_TRY(gt_check_channel_copy(dst_stride, dst_offset, src_stride, src_offset, channels));
    size_t bytes = (size_t)channels * sizeof(float);
    int threads = rows * (size_t)channels >= GT_MERGE_PARALLEL_MIN ? gt_cpu_threads(be) : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t r = 0; r < rows; ++r)
        memcpy(dst + r * (size_t)dst_stride + (size_t)dst_offset,
               src + r * (size_t)src_stride + (size_t)src_offset, bytes);
    return GT_OK;
}
