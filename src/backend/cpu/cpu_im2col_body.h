/* The column packing loop of the fast convolution, included by
 * cpu_fast_im2col.c (fp32 columns) and cpu_fast_im2col_bf16.c (bf16 columns,
 * compiled for AVX-512). The includer defines IM2COL_ROUND_RUN(dst, src, len):
 * dst[0 .. len) = bf16(src[0 .. len)), as gt_f32_to_bf16 rounds. */
#ifndef GT_CPU_IM2COL_BODY_H
#define GT_CPU_IM2COL_BODY_H

#include <string.h>

#include "cpu/cpu_internal.h"

/* Both element types share one packing routine: `bf16` is a compile-time
 * constant in each caller below (always inlined), so the fp32 path compiles
 * to the plain copies it always was, and the bf16 path rounds while it packs
 * (gt_f32_to_bf16) instead of writing fp32 columns and converting them in a
 * second pass. Offsets are in elements of the column type. */
#define IM2COL_INLINE static inline __attribute__((always_inline))

IM2COL_INLINE void put_run(void *col, size_t at, const float *restrict src, int len, int bf16)
{
    if (bf16) {
        IM2COL_ROUND_RUN((uint16_t *)col + at, src, len);
    } else {
        memcpy((float *)col + at, src, (size_t)len * sizeof(float));
    }
}

IM2COL_INLINE void zero_run(void *col, size_t at, int len, int bf16)
{
    if (bf16)
        memset((uint16_t *)col + at, 0, (size_t)len * sizeof(uint16_t));
    else
        memset((float *)col + at, 0, (size_t)len * sizeof(float));
}

/* `count` runs of `run` floats: run p from src + p * src_step to col + at + p * dst_step. */
IM2COL_INLINE void copy_runs_fixed(void *col, size_t at, size_t dst_step, const float *restrict src,
                                   size_t src_step, int count, int run, int bf16)
{
    for (int p = 0; p < count; ++p)
        put_run(col, at + p * dst_step, src + p * src_step, run, bf16);
}

/* The zoo's short runs (k_w * in_c = 3, 5, 9, 12, 16, 24, 48) get a copy whose
 * length is a compile-time constant, so it becomes a few vector moves instead
 * of a libc call per run: im2col was 23% of a cnn-signs step before. For bf16
 * it matters more: the rounding loop of a runtime length was 43% of a
 * cnn-signs bf16 step (runs of 12 and 16). */
IM2COL_INLINE void copy_runs(void *col, size_t at, size_t dst_step, const float *src,
                             size_t src_step, int count, int run, int bf16)
{
    switch (run) {
    case 3:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 3, bf16);
        break;
    case 5:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 5, bf16);
        break;
    case 9:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 9, bf16);
        break;
    case 12:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 12, bf16);
        break;
    case 16:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 16, bf16);
        break;
    case 24:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 24, bf16);
        break;
    case 48:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, 48, bf16);
        break;
    default:
        copy_runs_fixed(col, at, dst_step, src, src_step, count, run, bf16);
        break;
    }
}

/* Output pixels [*lo, *hi) of a row whose k_w taps all fall inside the input. */
static void interior_columns(const gt_conv_geom *g, int *lo, int *hi)
{
    int s = g->stride_w;
    *lo = (g->pad_left + s - 1) / s;
    int last = g->in_w - g->k_w + g->pad_left; /* ow * s <= last */
    *hi = last < 0 ? 0 : last / s + 1;
    if (*hi > g->out_w) *hi = g->out_w;
    if (*lo > *hi) *lo = *hi;
}

/* One column row's kh block (at element `at`) for output column ow when some taps are padding. */
IM2COL_INLINE void border_block(const gt_conv_geom *g, void *col, size_t at, const float *line,
                                int ow, int bf16)
{
    int in_c = g->in_c, iw0 = ow * g->stride_w - g->pad_left;
    for (int kw = 0; kw < g->k_w; ++kw) {
        int iw = iw0 + kw;
        if (iw < 0 || iw >= g->in_w)
            zero_run(col, at + (size_t)kw * in_c, in_c, bf16);
        else
            put_run(col, at + (size_t)kw * in_c, line + (size_t)iw * in_c, in_c, bf16);
    }
}

IM2COL_INLINE void im2col_rows(const gt_conv_geom *g, void *col, const float *x, size_t row0,
                               size_t count, int bf16)
{
    const int in_c = g->in_c, run = g->k_w * in_c;
    const size_t k_all = (size_t)g->k_h * run;
    const size_t out_pix = (size_t)g->out_h * g->out_w;
    const size_t image_floats = (size_t)g->in_h * g->in_w * in_c;
    const size_t src_step = (size_t)g->stride_w * in_c;
    int in_lo, in_hi;
    interior_columns(g, &in_lo, &in_hi);
    size_t img = row0 / out_pix, p = row0 % out_pix;
    int oh = (int)(p / (size_t)g->out_w), ow = (int)(p % (size_t)g->out_w);
    /* A segment is the part of one output row that lies in [row0, row0 + count). */
    for (size_t r = 0; r < count;) {
        int ow_end = g->out_w;
        if ((size_t)(ow_end - ow) > count - r) ow_end = ow + (int)(count - r);
        const float *image = x + img * image_floats;
        size_t seg = r * k_all;
        /* [ow, a) left border, [a, b) interior, [b, ow_end) right border */
        int a = in_lo > ow ? in_lo : ow;
        if (a > ow_end) a = ow_end;
        int b = in_hi < ow_end ? in_hi : ow_end;
        if (b < a) b = a;
        for (int kh = 0; kh < g->k_h; ++kh) {
            int ih = oh * g->stride_h - g->pad_top + kh;
            size_t dst = seg + (size_t)kh * run;
            if (ih < 0 || ih >= g->in_h) {
                for (int o = ow; o < ow_end; ++o)
                    zero_run(col, dst + (size_t)(o - ow) * k_all, run, bf16);
                continue;
            }
            const float *line = image + (size_t)ih * g->in_w * in_c;
            for (int o = ow; o < a; ++o)
                border_block(g, col, dst + (size_t)(o - ow) * k_all, line, o, bf16);
            if (b > a)
                copy_runs(col, dst + (size_t)(a - ow) * k_all, k_all,
                          line + (size_t)(a * g->stride_w - g->pad_left) * in_c, src_step, b - a,
                          run, bf16);
            for (int o = b; o < ow_end; ++o)
                border_block(g, col, dst + (size_t)(o - ow) * k_all, line, o, bf16);
        }
        r += (size_t)(ow_end - ow);
        ow = 0;
        if (++oh == g->out_h) {
            oh = 0;
            ++img;
        }
    }
}

#endif
