/* Fast max pooling, NHWC. Same rule as the reference: row-major window scan,
 * padded cells skipped, only a strictly larger value replaces the maximum, so
 * the first maximum wins. The channel loop is innermost (contiguous in NHWC)
 * so it vectorises. Backward splits the work by (image, channel block): each
 * task owns its dx elements, and within one it adds the window gradients in
 * the reference's (oh, ow) order — bitwise the reference's result. */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "error.h"

/* Channels whose running maxima one backward task keeps on the stack. */
#define POOL_C_BLOCK 64

gt_status gt_cpu_fast_maxpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                      const float *x)
{
    GT_TRY(gt_cpu_check_pool("maxpool_forward", g));
    int c = g->c;
    int lines = g->n * g->out_h;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 1)
    for (int line = 0; line < lines; ++line) {
        int n = line / g->out_h, oh = line % g->out_h;
        const float *image = x + (size_t)n * g->in_h * g->in_w * c;
        for (int ow = 0; ow < g->out_w; ++ow) {
            float *out = y + ((size_t)line * g->out_w + ow) * c;
            int first = 1;
            for (int kh = 0; kh < g->k_h; ++kh) {
                int ih = oh * g->stride_h - g->pad_top + kh;
                if (ih < 0 || ih >= g->in_h) continue;
                for (int kw = 0; kw < g->k_w; ++kw) {
                    int iw = ow * g->stride_w - g->pad_left + kw;
                    if (iw < 0 || iw >= g->in_w) continue;
                    const float *cell = image + ((size_t)ih * g->in_w + iw) * c;
                    if (first) {
                        memcpy(out, cell, (size_t)c * sizeof *out);
                        first = 0;
                    } else {
                        for (int ch = 0; ch < c; ++ch) out[ch] = cell[ch] > out[ch] ? cell[ch] : out[ch];
                    }
                }
            }
        }
    }
    return GT_OK;
}

gt_status gt_cpu_fast_maxpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                       const float *dy, const float *x, const float *y)
{
    (void)y; /* the winner is found again from x, by the forward's own scan */
    GT_TRY(gt_cpu_check_pool("maxpool_backward", g));
    int c = g->c;
    int c_blocks = (c + POOL_C_BLOCK - 1) / POOL_C_BLOCK;
    int tasks = g->n * c_blocks;
    size_t image_floats = (size_t)g->in_h * g->in_w * c;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (tasks > 1)
    for (int t = 0; t < tasks; ++t) {
        int n = t / c_blocks;
        int c0 = (t % c_blocks) * POOL_C_BLOCK;
        int width = c - c0 < POOL_C_BLOCK ? c - c0 : POOL_C_BLOCK;
        const float *image = x + (size_t)n * image_floats;
        float *dimage = dx + (size_t)n * image_floats;
        for (size_t pix = 0; pix < (size_t)g->in_h * g->in_w; ++pix)
            memset(dimage + pix * c + c0, 0, (size_t)width * sizeof *dimage);
        for (int oh = 0; oh < g->out_h; ++oh)
            for (int ow = 0; ow < g->out_w; ++ow) {
                float best[POOL_C_BLOCK];
                size_t arg[POOL_C_BLOCK];
                int first = 1;
                for (int kh = 0; kh < g->k_h; ++kh) {
                    int ih = oh * g->stride_h - g->pad_top + kh;
                    if (ih < 0 || ih >= g->in_h) continue;
                    for (int kw = 0; kw < g->k_w; ++kw) {
                        int iw = ow * g->stride_w - g->pad_left + kw;
                        if (iw < 0 || iw >= g->in_w) continue;
                        size_t at = ((size_t)ih * g->in_w + iw) * c + c0;
                        for (int ch = 0; ch < width; ++ch)
                            if (first || image[at + ch] > best[ch]) {
                                best[ch] = image[at + ch];
                                arg[ch] = at + ch;
                            }
                        first = 0;
                    }
                }
                const float *grad = dy + (((size_t)n * g->out_h + oh) * g->out_w + ow) * c + c0;
                for (int ch = 0; ch < width; ++ch) dimage[arg[ch]] += grad[ch];
            }
    }
    return GT_OK;
}
