/* Column-matrix packing for the fast convolution (single-threaded: each
 * worker of cpu_fast_conv.c calls these on its own rows or images).
 *
 * A column row is one output pixel; its K = k_h k_w in_c entries are the
 * filter taps in OHWI order. For one kernel row kh, the k_w taps of a pixel
 * are k_w adjacent input pixels, i.e. k_w * in_c contiguous floats of x. So
 * both directions move whole runs of k_w * in_c floats per (pixel, kh)
 * instead of one in_c-float piece per tap: with in_c = 1 to 16 (the first
 * layers of every small CNN) the per-tap copies were the cost, not the data. */
#include <string.h>

#include "cpu/cpu_internal.h"

static inline void copy_run(float *restrict dst, const float *restrict src, int len)
{
    memcpy(dst, src, (size_t)len * sizeof *dst);
}

static inline void zero_run(float *dst, int len)
{
    memset(dst, 0, (size_t)len * sizeof *dst);
}

/* `count` runs of `run` floats: run p from src + p * src_step to dst + p * dst_step. */
static inline void copy_runs_fixed(float *restrict dst, size_t dst_step, const float *restrict src,
                                   size_t src_step, int count, int run)
{
    for (int p = 0; p < count; ++p) memcpy(dst + p * dst_step, src + p * src_step, (size_t)run * 4);
}

/* The zoo's short runs (k_w * in_c = 3, 5, 9, 24, 48) get a copy whose length
 * is a compile-time constant, so it becomes a few vector moves instead of a
 * libc call per run: im2col was 23% of a cnn-signs step before. */
static void copy_runs(float *dst, size_t dst_step, const float *src, size_t src_step, int count,
                      int run)
{
    switch (run) {
    case 3: copy_runs_fixed(dst, dst_step, src, src_step, count, 3); break;
    case 5: copy_runs_fixed(dst, dst_step, src, src_step, count, 5); break;
    case 9: copy_runs_fixed(dst, dst_step, src, src_step, count, 9); break;
    case 24: copy_runs_fixed(dst, dst_step, src, src_step, count, 24); break;
    case 48: copy_runs_fixed(dst, dst_step, src, src_step, count, 48); break;
    default: copy_runs_fixed(dst, dst_step, src, src_step, count, run); break;
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

/* One column row's kh block for output column ow when some taps are padding. */
static void border_block(const gt_conv_geom *g, float *dst, const float *line, int ow)
{
    int in_c = g->in_c, iw0 = ow * g->stride_w - g->pad_left;
    for (int kw = 0; kw < g->k_w; ++kw) {
        int iw = iw0 + kw;
        if (iw < 0 || iw >= g->in_w)
            zero_run(dst + kw * in_c, in_c);
        else
            copy_run(dst + kw * in_c, line + (size_t)iw * in_c, in_c);
    }
}

void gt_cpu_im2col_rows(const gt_conv_geom *g, float *col, const float *x, size_t row0,
                        size_t count)
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
        float *seg = col + r * k_all;
        /* [ow, a) left border, [a, b) interior, [b, ow_end) right border */
        int a = in_lo > ow ? in_lo : ow;
        if (a > ow_end) a = ow_end;
        int b = in_hi < ow_end ? in_hi : ow_end;
        if (b < a) b = a;
        for (int kh = 0; kh < g->k_h; ++kh) {
            int ih = oh * g->stride_h - g->pad_top + kh;
            float *dst = seg + (size_t)kh * run;
            if (ih < 0 || ih >= g->in_h) {
                for (int o = ow; o < ow_end; ++o) zero_run(dst + (size_t)(o - ow) * k_all, run);
                continue;
            }
            const float *line = image + (size_t)ih * g->in_w * in_c;
            for (int o = ow; o < a; ++o) border_block(g, dst + (size_t)(o - ow) * k_all, line, o);
            if (b > a)
                copy_runs(dst + (size_t)(a - ow) * k_all, k_all,
                          line + (size_t)(a * g->stride_w - g->pad_left) * in_c, src_step, b - a,
                          run);
            for (int o = b; o < ow_end; ++o)
                border_block(g, dst + (size_t)(o - ow) * k_all, line, o);
        }
        r += (size_t)(ow_end - ow);
        ow = 0;
        if (++oh == g->out_h) {
            oh = 0;
            ++img;
        }
    }
}

/* dst[0 .. len) += src[0 .. len) */
static inline void add_run(float *restrict dst, const float *restrict src, int len)
{
    for (int j = 0; j < len; ++j) dst[j] += src[j];
}

void gt_cpu_col2im_image(const gt_conv_geom *g, float *dx_image, const float *col)
{
    const int in_c = g->in_c, k_w = g->k_w, run = k_w * in_c;
    const size_t k_all = (size_t)g->k_h * run;
    memset(dx_image, 0, (size_t)g->in_h * g->in_w * in_c * sizeof *dx_image);
    /* Scatter in (oh, ow, kh, kw) order: a fixed order, so the result is the
     * same whichever thread handles the image. */
    for (int oh = 0; oh < g->out_h; ++oh)
        for (int ow = 0; ow < g->out_w; ++ow) {
            const float *src = col + ((size_t)oh * g->out_w + ow) * k_all;
            int iw0 = ow * g->stride_w - g->pad_left;
            int inside_w = iw0 >= 0 && iw0 + k_w <= g->in_w;
            for (int kh = 0; kh < g->k_h; ++kh, src += run) {
                int ih = oh * g->stride_h - g->pad_top + kh;
                if (ih < 0 || ih >= g->in_h) continue;
                float *line = dx_image + (size_t)ih * g->in_w * in_c;
                if (inside_w) {
                    add_run(line + (size_t)iw0 * in_c, src, run);
                    continue;
                }
                for (int kw = 0; kw < k_w; ++kw) {
                    int iw = iw0 + kw;
                    if (iw >= 0 && iw < g->in_w)
                        add_run(line + (size_t)iw * in_c, src + kw * in_c, in_c);
                }
            }
        }
}
