/* Reference 2D convolution, NHWC input, OHWI filter, explicit top/left
 * padding: the definition written out as loops, each output a double sum.
 *
 *   y[n,oh,ow,oc] = sum_{kh,kw,ic} x[n, oh*sh - pad_top + kh, ow*sw - pad_left + kw, ic]
 *                                  * w[oc,kh,kw,ic]          (outside the image: 0)
 *
 * The backward ops differentiate that sum; backward-data is written in gather
 * form (each dx element sums the outputs it fed) so it too is one double sum. */
#include "cpu/cpu_internal.h"
#include "elem_math.h"
#include "gtrain/status.h"

static size_t x_at(const gt_conv_geom *g, int n, int h, int w, int c)
{
    return (((size_t)n * g->in_h + h) * g->in_w + w) * g->in_c + c;
}

static size_t y_at(const gt_conv_geom *g, int n, int h, int w, int c)
{
    return (((size_t)n * g->out_h + h) * g->out_w + w) * g->out_c + c;
}

static size_t w_at(const gt_conv_geom *g, int oc, int kh, int kw, int ic)
{
    return (((size_t)oc * g->k_h + kh) * g->k_w + kw) * g->in_c + ic;
}

size_t gt_cpu_ref_conv2d_workspace_bytes(gt_backend *be, const gt_conv_geom *g)
{
    (void)be;
    (void)g;
    return 0; /* the loops need no scratch */
}

gt_status gt_cpu_ref_conv2d_forward(gt_backend *be, const gt_conv_geom *g, float *y, const float *x,
                                    const float *w, const float *bias, gt_activation act,
                                    void *workspace)
{
    (void)be;
    (void)workspace;
    GT_TRY(gt_check_conv("conv2d_forward", g));
    GT_TRY(gt_check_act("conv2d_forward", act));
    for (int n = 0; n < g->n; ++n)
        for (int oh = 0; oh < g->out_h; ++oh)
            for (int ow = 0; ow < g->out_w; ++ow)
                for (int oc = 0; oc < g->out_c; ++oc) {
                    double sum = bias ? (double)bias[oc] : 0.0;
                    for (int kh = 0; kh < g->k_h; ++kh) {
                        int ih = oh * g->stride_h - g->pad_top + kh;
                        if (ih < 0 || ih >= g->in_h) continue;
                        for (int kw = 0; kw < g->k_w; ++kw) {
                            int iw = ow * g->stride_w - g->pad_left + kw;
                            if (iw < 0 || iw >= g->in_w) continue;
                            for (int ic = 0; ic < g->in_c; ++ic)
                                sum += (double)x[x_at(g, n, ih, iw, ic)] *
                                       (double)w[w_at(g, oc, kh, kw, ic)];
                        }
                    }
                    float v = (float)sum;
                    y[y_at(g, n, oh, ow, oc)] = act == GT_ACT_RELU ? gt_relu(v) : v;
                }
    return GT_OK;
}

/* Output index o along one axis whose window covers input index i through
 * filter tap k: o * stride - pad + k == i. Returns -1 when there is none. */
static int source_output(int i, int k, int stride, int pad, int out_size)
{
    int t = i + pad - k;
    if (t < 0 || t % stride != 0) return -1;
    int o = t / stride;
    return o < out_size ? o : -1;
}

gt_status gt_cpu_ref_conv2d_backward_data(gt_backend *be, const gt_conv_geom *g, float *dx,
                                          const float *dy, const float *w, void *workspace)
{
    (void)be;
    (void)workspace;
    GT_TRY(gt_check_conv("conv2d_backward_data", g));
    for (int n = 0; n < g->n; ++n)
        for (int ih = 0; ih < g->in_h; ++ih)
            for (int iw = 0; iw < g->in_w; ++iw)
                for (int ic = 0; ic < g->in_c; ++ic) {
                    double sum = 0.0;
                    for (int kh = 0; kh < g->k_h; ++kh) {
                        int oh = source_output(ih, kh, g->stride_h, g->pad_top, g->out_h);
                        if (oh < 0) continue;
                        for (int kw = 0; kw < g->k_w; ++kw) {
                            int ow = source_output(iw, kw, g->stride_w, g->pad_left, g->out_w);
                            if (ow < 0) continue;
                            for (int oc = 0; oc < g->out_c; ++oc)
                                sum += (double)dy[y_at(g, n, oh, ow, oc)] *
                                       (double)w[w_at(g, oc, kh, kw, ic)];
                        }
                    }
                    dx[x_at(g, n, ih, iw, ic)] = (float)sum;
                }
    return GT_OK;
}

gt_status gt_cpu_ref_conv2d_backward_filter(gt_backend *be, const gt_conv_geom *g, float *dw,
                                            float *db, const float *dy, const float *x,
                                            void *workspace)
{
    (void)be;
    (void)workspace;
    GT_TRY(gt_check_conv("conv2d_backward_filter", g));
    for (int oc = 0; oc < g->out_c; ++oc)
        for (int kh = 0; kh < g->k_h; ++kh)
            for (int kw = 0; kw < g->k_w; ++kw)
                for (int ic = 0; ic < g->in_c; ++ic) {
                    double sum = 0.0;
                    for (int n = 0; n < g->n; ++n)
                        for (int oh = 0; oh < g->out_h; ++oh) {
                            int ih = oh * g->stride_h - g->pad_top + kh;
                            if (ih < 0 || ih >= g->in_h) continue;
                            for (int ow = 0; ow < g->out_w; ++ow) {
                                int iw = ow * g->stride_w - g->pad_left + kw;
                                if (iw < 0 || iw >= g->in_w) continue;
                                sum += (double)dy[y_at(g, n, oh, ow, oc)] *
                                       (double)x[x_at(g, n, ih, iw, ic)];
                            }
                        }
                    dw[w_at(g, oc, kh, kw, ic)] = (float)sum;
                }
    if (db) {
        for (int oc = 0; oc < g->out_c; ++oc) {
            double sum = 0.0;
            for (int n = 0; n < g->n; ++n)
                for (int oh = 0; oh < g->out_h; ++oh)
                    for (int ow = 0; ow < g->out_w; ++ow)
                        sum += (double)dy[y_at(g, n, oh, ow, oc)];
            db[oc] = (float)sum;
        }
    }
    return GT_OK;
}
