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
#include "elem_math.h"

/* The bf16 columns are cpu_fast_im2col_bf16.c's; here the rounding branch of
 * the shared body is never taken (bf16 = 0), but it has to compile. */
#define IM2COL_ROUND_RUN(dst, src, len)                                                            \
    do {                                                                                           \
        for (int j_ = 0; j_ < (len); ++j_)                                                         \
            (dst)[j_] = gt_f32_to_bf16((src)[j_]);                                                 \
    } while (0)
#include "cpu/cpu_im2col_body.h"

void gt_cpu_im2col_rows(const gt_conv_geom *g, float *col, const float *x, size_t row0,
                        size_t count)
{
    im2col_rows(g, col, x, row0, count, 0);
}

/* dst[0 .. len) += src[0 .. len) */
static inline void add_run(float *restrict dst, const float *restrict src, int len)
{
    for (int j = 0; j < len; ++j)
        dst[j] += src[j];
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
