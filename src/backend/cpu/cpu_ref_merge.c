/* Reference merge ops (axpby, mul, channel_copy): the plain loops over
 * elem_math.h's arithmetic. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_axpby(gt_backend *be, float *y, const float *x, size_t count, float alpha,
                           float beta)
{
    (void)be;
    for (size_t i = 0; i < count; ++i)
        y[i] = gt_axpby_elem(alpha, x[i], beta, y[i]);
    return GT_OK;
}

gt_status gt_cpu_ref_mul(gt_backend *be, float *y, const float *a, const float *b, size_t count)
{
    (void)be;
    for (size_t i = 0; i < count; ++i)
        y[i] = a[i] * b[i];
    return GT_OK;
}

gt_status gt_cpu_ref_channel_copy(gt_backend *be, float *dst, int dst_stride, int dst_offset,
                                  const float *src, int src_stride, int src_offset, size_t rows,
                                  int channels)
{
    (void)be;
    GT_TRY(gt_check_channel_copy(dst_stride, dst_offset, src_stride, src_offset, channels));
    for (size_t r = 0; r < rows; ++r)
        for (int c = 0; c < channels; ++c)
            dst[r * (size_t)dst_stride + (size_t)dst_offset + (size_t)c] =
                src[r * (size_t)src_stride + (size_t)src_offset + (size_t)c];
    return GT_OK;
}
