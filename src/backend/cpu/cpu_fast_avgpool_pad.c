/* Fast average pooling and zero padding: the reference's per-cell functions
 * (elem_math.h) with OpenMP over output (or input) rows, and whole-row copies
 * for padding. Bit-identical to the reference. */
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_fast_avgpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                      const float *x)
{
    GT_TRY(gt_check_pool("avgpool_forward", g));
    int lines = g->n * g->out_h;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 1)
    for (int line = 0; line < lines; ++line) {
        int n = line / g->out_h, oh = line % g->out_h;
        float *row = y + (size_t)line * g->out_w * g->c;
        for (int ow = 0; ow < g->out_w; ++ow)
            for (int c = 0; c < g->c; ++c)
                row[(size_t)ow * g->c + c] = gt_avgpool_at(g, x, n, oh, ow, c);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_avgpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                       const float *dy)
{
    GT_TRY(gt_check_pool("avgpool_backward", g));
    int lines = g->n * g->in_h;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 1)
    for (int line = 0; line < lines; ++line) {
        int n = line / g->in_h, ih = line % g->in_h;
        float *row = dx + (size_t)line * g->in_w * g->c;
        for (int iw = 0; iw < g->in_w; ++iw)
            for (int c = 0; c < g->c; ++c)
                row[(size_t)iw * g->c + c] = gt_avgpool_grad_at(g, dy, n, ih, iw, c);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_pad2d_forward(gt_backend *be, const gt_pad_geom *g, float *y, const float *x)
{
    GT_TRY(gt_check_pad("pad2d_forward", g));
    int oh_n = g->top + g->in_h + g->bottom, ow_n = g->left + g->in_w + g->right;
    size_t in_row = (size_t)g->in_w * g->c, out_row = (size_t)ow_n * g->c;
    int lines = g->n * oh_n;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 64)
    for (int line = 0; line < lines; ++line) {
        int n = line / oh_n, ih = line % oh_n - g->top;
        float *out = y + (size_t)line * out_row;
        if (ih < 0 || ih >= g->in_h) {
            memset(out, 0, out_row * sizeof *out);
            continue;
        }
        size_t left = (size_t)g->left * g->c, right = (size_t)g->right * g->c;
        memset(out, 0, left * sizeof *out);
        memcpy(out + left, x + ((size_t)n * g->in_h + ih) * in_row, in_row * sizeof *out);
        memset(out + left + in_row, 0, right * sizeof *out);
    }
    return GT_OK;
}

gt_status gt_cpu_fast_pad2d_backward(gt_backend *be, const gt_pad_geom *g, float *dx,
                                     const float *dy)
{
    GT_TRY(gt_check_pad("pad2d_backward", g));
    int oh_n = g->top + g->in_h + g->bottom, ow_n = g->left + g->in_w + g->right;
    size_t in_row = (size_t)g->in_w * g->c, out_row = (size_t)ow_n * g->c;
    int lines = g->n * g->in_h;
#pragma omp parallel for num_threads(gt_cpu_threads(be)) schedule(static) if (lines > 64)
    for (int line = 0; line < lines; ++line) {
        int n = line / g->in_h, ih = line % g->in_h;
        memcpy(dx + (size_t)line * in_row,
               dy + ((size_t)n * oh_n + ih + g->top) * out_row + (size_t)g->left * g->c,
               in_row * sizeof *dx);
    }
    return GT_OK;
}
