/* Fast max pooling, NHWC. Same rule as the reference: row-major window scan,
 * padded cells skipped, only a strictly larger value replaces the maximum, so
 * the first maximum wins. The channel loop is innermost (contiguous in NHWC)
 * so it vectorises.
 *
 * Backward has two paths, both bitwise the reference's result:
 * - disjoint windows (stride >= window, every zoo model's 2x2/2 pools): each
 *   input cell gets at most one gradient, so a task per output row writes
 *   its windows' cells directly (winner 0 + dy, others 0) in one pass, with
 *   branch-free selects over a block of channels. The earlier general path
 *   below, memset then a scalar arg-max per channel, took 17-21% of a
 *   cnn-fmnist / cnn-signs step;
 * - overlapping windows: tasks per (image, channel block) own their dx
 *   elements and add the window gradients in the reference's (oh, ow) order. */
#include <stdint.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "gtrain/status.h"

/* Channels whose running maxima one backward task keeps on the stack. */
#define POOL_C_BLOCK 64
/* Most window cells the disjoint path handles (larger windows take the general path). */
#define POOL_MAX_CELLS 64

static int windows_disjoint(const gt_pool_geom *g)
{
    return g->stride_h >= g->k_h && g->stride_w >= g->k_w && g->k_h * g->k_w <= POOL_MAX_CELLS;
}

/* 1 when the disjoint windows also tile the whole input (no cell without a window). */
static int windows_cover(const gt_pool_geom *g)
{
    return g->stride_h == g->k_h && g->stride_w == g->k_w &&
           (g->out_h - 1) * g->stride_h - g->pad_top + g->k_h >= g->in_h &&
           (g->out_w - 1) * g->stride_w - g->pad_left + g->k_w >= g->in_w;
}

/* Four floats and their compare masks (GCC/Clang vector extensions: one SSE
 * or NEON register; wider types would change the ABI of these helpers on
 * baseline x86-64). */
typedef float pool_v4f __attribute__((vector_size(16)));
typedef int32_t pool_v4i __attribute__((vector_size(16)));

static inline pool_v4f load4(const float *p)
{
    pool_v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline pool_v4f select4(pool_v4i mask, pool_v4f yes, pool_v4f no)
{
    return (pool_v4f)(((pool_v4i)yes & mask) | ((pool_v4i)no & ~mask));
}

/* One window, channels [0, width): the first maximum over the cells (scan
 * order) gets 0 + dy, the other cells 0 (0 + dy: the reference's zeroed dx
 * plus one addition, so -0 becomes +0 there too). The winner's cell number
 * is tracked per channel with mask selects: GCC left the plain-C form of
 * these loops scalar and branchy ("control flow in loop"), which made this
 * pass slower than the memset + arg-max it replaces. */
static inline void window_block(float *dimage, const float *image, const float *grad,
                                const size_t *cell, int cells, int width)
{
    int ch = 0;
    for (; ch + 4 <= width; ch += 4) {
        pool_v4f best = load4(image + cell[0] + ch), win = {0};
        for (int k = 1; k < cells; ++k) {
            pool_v4f v = load4(image + cell[k] + ch);
            pool_v4i larger = v > best;
            best = select4(larger, v, best);
            win = select4(larger, (pool_v4f){0} + (float)k, win);
        }
        pool_v4f g = load4(grad + ch) + 0.0f;
        for (int k = 0; k < cells; ++k) {
            pool_v4f d = select4(win == (float)k, g, (pool_v4f){0});
            memcpy(dimage + cell[k] + ch, &d, sizeof d);
        }
    }
    for (; ch < width; ++ch) {
        float best = image[cell[0] + ch];
        int win = 0;
        for (int k = 1; k < cells; ++k)
            if (image[cell[k] + ch] > best) {
                best = image[cell[k] + ch];
                win = k;
            }
        for (int k = 0; k < cells; ++k)
            dimage[cell[k] + ch] = k == win ? 0.0f + grad[ch] : 0.0f;
    }
}

/* out = the first maximum over the cells, channels [0, width). */
static inline void window_max(float *out, const float *image, const size_t *cell, int cells,
                              int width)
{
    int ch = 0;
    for (; ch + 4 <= width; ch += 4) {
        pool_v4f best = load4(image + cell[0] + ch);
        for (int k = 1; k < cells; ++k) {
            pool_v4f v = load4(image + cell[k] + ch);
            best = select4(v > best, v, best);
        }
        memcpy(out + ch, &best, sizeof best);
    }
    for (; ch < width; ++ch) {
        float best = image[cell[0] + ch];
        for (int k = 1; k < cells; ++k)
            best = image[cell[k] + ch] > best ? image[cell[k] + ch] : best;
        out[ch] = best;
    }
}

/* Offsets (floats into the image) of window (oh, ow)'s real cells, in scan
 * order; returns how many (>= 1: the geometry check rules out empty windows). */
static inline int window_cells(const gt_pool_geom *g, int oh, int ow, size_t *cell)
{
    int cells = 0;
    for (int kh = 0; kh < g->k_h; ++kh) {
        int ih = oh * g->stride_h - g->pad_top + kh;
        if (ih < 0 || ih >= g->in_h) continue;
        for (int kw = 0; kw < g->k_w; ++kw) {
            int iw = ow * g->stride_w - g->pad_left + kw;
            if (iw < 0 || iw >= g->in_w) continue;
            cell[cells++] = ((size_t)ih * g->in_w + iw) * g->c;
        }
    }
    return cells;
}

/* dx for the input rows output row `line` (= image * out_h + oh) owns. */
static void backward_disjoint_line(const gt_pool_geom *g, float *dx, const float *dy,
                                   const float *x, int line, int cover)
{
    int c = g->c;
    int n = line / g->out_h, oh = line % g->out_h;
    size_t image_floats = (size_t)g->in_h * g->in_w * c;
    const float *image = x + (size_t)n * image_floats;
    float *dimage = dx + (size_t)n * image_floats;
    if (!cover) {
        /* Rows between this window row and the next (and the edges) have
         * cells no window reads: they get zeros. */
        int lo = oh == 0 ? 0 : oh * g->stride_h - g->pad_top;
        int hi = oh == g->out_h - 1 ? g->in_h : (oh + 1) * g->stride_h - g->pad_top;
        if (hi > g->in_h) hi = g->in_h;
        if (hi > lo)
            memset(dimage + (size_t)lo * g->in_w * c, 0,
                   (size_t)(hi - lo) * g->in_w * c * sizeof *dimage);
    }
    for (int ow = 0; ow < g->out_w; ++ow) {
        size_t cell[POOL_MAX_CELLS];
        int cells = window_cells(g, oh, ow, cell);
        const float *grad = dy + ((size_t)line * g->out_w + ow) * c;
        /* A constant 4 (2x2 windows) lets the compiler unroll the cell loops. */
        if (cells == 4)
            window_block(dimage, image, grad, cell, 4, c);
        else
            window_block(dimage, image, grad, cell, cells, c);
    }
}

/* Windows of more than POOL_MAX_CELLS cells: a running maximum per cell. */
static gt_status pool_forward_large(gt_backend *be, const gt_pool_geom *g, float *y, const float *x)
{
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
                        for (int ch = 0; ch < c; ++ch)
                            out[ch] = cell[ch] > out[ch] ? cell[ch] : out[ch];
                    }
                }
            }
        }
    }
    return GT_OK;
}

gt_status gt_cpu_fast_maxpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                      const float *x)
{
    GT_TRY(gt_check_pool("maxpool_forward", g));
    int c = g->c;
    int lines = g->n * g->out_h;
    if (g->k_h * g->k_w > POOL_MAX_CELLS) return pool_forward_large(be, g, y, x);
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 1)
    for (int line = 0; line < lines; ++line) {
        int n = line / g->out_h, oh = line % g->out_h;
        const float *image = x + (size_t)n * g->in_h * g->in_w * c;
        for (int ow = 0; ow < g->out_w; ++ow) {
            size_t cell[POOL_MAX_CELLS];
            int cells = window_cells(g, oh, ow, cell);
            float *out = y + ((size_t)line * g->out_w + ow) * c;
            if (cells == 4)
                window_max(out, image, cell, 4, c);
            else
                window_max(out, image, cell, cells, c);
        }
    }
    return GT_OK;
}

gt_status gt_cpu_fast_maxpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                       const float *dy, const float *x)
{
    GT_TRY(gt_check_pool("maxpool_backward", g));
    if (windows_disjoint(g)) {
        int lines = g->n * g->out_h, cover = windows_cover(g);
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 1)
        for (int line = 0; line < lines; ++line)
            backward_disjoint_line(g, dx, dy, x, line, cover);
        return GT_OK;
    }
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
                for (int ch = 0; ch < width; ++ch)
                    dimage[arg[ch]] += grad[ch];
            }
    }
    return GT_OK;
}
