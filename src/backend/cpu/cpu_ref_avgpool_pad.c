/* Reference average pooling and zero padding, NHWC: plain loops over
 * elem_math.h's per-cell functions (the fast ops and the CUDA kernels run the
 * same functions, so all three agree bit for bit). */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

gt_status gt_cpu_ref_avgpool_forward(gt_backend *be, const gt_pool_geom *g, float *y,
                                     const float *x)
{
    (void)be;
    GT_TRY(gt_check_pool("avgpool_forward", g));
    size_t at = 0;
    for (int n = 0; n < g->n; ++n)
        for (int oh = 0; oh < g->out_h; ++oh)
            for (int ow = 0; ow < g->out_w; ++ow)
                for (int c = 0; c < g->c; ++c)
                    y[at++] = gt_avgpool_at(g, x, n, oh, ow, c);
    return GT_OK;
}

gt_status gt_cpu_ref_avgpool_backward(gt_backend *be, const gt_pool_geom *g, float *dx,
                                      const float *dy)
{
    (void)be;
    GT_TRY(gt_check_pool("avgpool_backward", g));
    size_t at = 0;
    for (int n = 0; n < g->n; ++n)
        for (int ih = 0; ih < g->in_h; ++ih)
            for (int iw = 0; iw < g->in_w; ++iw)
                for (int c = 0; c < g->c; ++c)
                    dx[at++] = gt_avgpool_grad_at(g, dy, n, ih, iw, c);
    return GT_OK;
}

gt_status gt_cpu_ref_pad2d_forward(gt_backend *be, const gt_pad_geom *g, float *y, const float *x)
{
    (void)be;
    GT_TRY(gt_check_pad("pad2d_forward", g));
    int oh_n = g->top + g->in_h + g->bottom, ow_n = g->left + g->in_w + g->right;
    size_t at = 0;
    for (int n = 0; n < g->n; ++n)
        for (int oh = 0; oh < oh_n; ++oh)
            for (int ow = 0; ow < ow_n; ++ow)
                for (int c = 0; c < g->c; ++c)
                    y[at++] = gt_pad_at(g, x, n, oh, ow, c);
    return GT_OK;
}

gt_status gt_cpu_ref_pad2d_backward(gt_backend *be, const gt_pad_geom *g, float *dx,
                                    const float *dy)
{
    (void)be;
    GT_TRY(gt_check_pad("pad2d_backward", g));
    int oh_n = g->top + g->in_h + g->bottom, ow_n = g->left + g->in_w + g->right;
    size_t at = 0;
    for (int n = 0; n < g->n; ++n)
        for (int ih = 0; ih < g->in_h; ++ih)
            for (int iw = 0; iw < g->in_w; ++iw)
                for (int c = 0; c < g->c; ++c)
                    dx[at++] =
                        dy[(((size_t)n * oh_n + ih + g->top) * ow_n + iw + g->left) * g->c + c];
    return GT_OK;
}
