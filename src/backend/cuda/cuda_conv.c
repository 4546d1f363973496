/* Conv2D through cuDNN, NHWC data and NHWC (= OHWI = KRSC) filters, which is
 * gtrain's own layout, so no transposes.
 *
 * One plan per geometry, made on first use and kept: descriptors, and per
 * op (forward, backward-data, backward-filter) an ordered list of algorithms.
 *
 * Algorithm choice: cudnnGet*Algorithm_v7 heuristics, not cudnnFind*Ex.
 * - The plan is made when the trainer asks conv2d_workspace_bytes, at plan
 *   time, before any activation buffer exists; Find needs real x, w, y and
 *   scratch buffers to time on.
 * - Heuristics are a pure function of the geometry, so every run picks the
 *   same algorithms and a seeded run reproduces bit for bit; Find's choice
 *   depends on timing noise.
 * - Deterministic algorithms come first (no atomics: backward-filter algos 0
 *   and 3 and backward-data algo 0 are not), then the rest as a fallback.
 * - Math type follows the precision: fp32 runs CUDNN_FMA_MATH (no tensor
 *   cores, so no TF32: IEEE fp32); tf32 runs CUDNN_DEFAULT_MATH, which lets
 *   cuDNN use TF32 tensor cores; algorithms that would convert to fp16
 *   (TENSOR_OP_MATH_ALLOW_CONVERSION) are refused in both.
 * Up to GT_CONV_CANDIDATES algorithms are kept per op and the reported
 * workspace is the maximum over all of them, so when one fails at its first
 * call the next runs in the same workspace (cuda_conv_candidates.h says when
 * they switch and what a failure reports).
 *
 * Workspace (from the trainer, never allocated here): [padded input buffer |
 * cuDNN scratch]. The padded buffer exists only for geometries cuDNN's
 * symmetric padding cannot express: TensorFlow 'same' puts the odd extra row
 * at the bottom (stride 2 on an even size: pad_top 0, pad_bottom 1). Those
 * run on an explicitly zero-padded copy of x with cuDNN padding 0, and
 * backward-data's result on that copy is cropped back into dx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_check.h"
#include "cuda/cuda_conv_candidates.h"
#include "cuda/cuda_internal.h"
#include "kernels.h"
#include "op_checks.h"

/* Algorithms that want more scratch than this per geometry are skipped. */
#define GT_CONV_WORKSPACE_CAP ((size_t)1 << 30)
#define GT_ALIGN(x) (((x) + 255) & ~(size_t)255)

struct gt_cuda_conv_plan {
    gt_conv_geom g;
    int padded;                     /* run on an explicitly padded copy of x */
    int hp, wp;                     /* extent of that copy */
    size_t pad_bytes;               /* its bytes at the start of the workspace, aligned */
    size_t cudnn_bytes;             /* max cuDNN scratch over all candidates */
    cudnnTensorDescriptor_t x_desc; /* x, or the padded copy */
    cudnnTensorDescriptor_t y_desc;
    cudnnFilterDescriptor_t w_desc;
    cudnnConvolutionDescriptor_t conv_desc;
    gt_conv_candidates fwd, bwd_data, bwd_filter;
};

static int geom_equal(const gt_conv_geom *a, const gt_conv_geom *b)
{
    return a->n == b->n && a->in_h == b->in_h && a->in_w == b->in_w && a->in_c == b->in_c &&
           a->out_h == b->out_h && a->out_w == b->out_w && a->out_c == b->out_c &&
           a->k_h == b->k_h && a->k_w == b->k_w && a->stride_h == b->stride_h &&
           a->stride_w == b->stride_w && a->pad_top == b->pad_top && a->pad_left == b->pad_left;
}

static void plan_release(gt_cuda_conv_plan *p)
{
    if (p->x_desc) (void)cudnnDestroyTensorDescriptor(p->x_desc);
    if (p->y_desc) (void)cudnnDestroyTensorDescriptor(p->y_desc);
    if (p->w_desc) (void)cudnnDestroyFilterDescriptor(p->w_desc);
    if (p->conv_desc) (void)cudnnDestroyConvolutionDescriptor(p->conv_desc);
    memset(p, 0, sizeof *p);
}

void gt_cuda_conv_plans_free(gt_cuda *cu)
{
    for (size_t i = 0; i < cu->conv_plan_count; ++i)
        plan_release(&cu->conv_plans[i]);
    free(cu->conv_plans);
    cu->conv_plans = NULL;
    cu->conv_plan_count = cu->conv_plan_capacity = 0;
}

/* The math type cuDNN may use at this precision (see the top of the file). */
static cudnnMathType_t base_math(const gt_cuda *cu)
{
    return cu->precision == GT_PRECISION_TF32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

static int math_allowed(const gt_cuda *cu, cudnnMathType_t m)
{
    if (m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return 0;
    if (cu->precision == GT_PRECISION_FP32) return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH;
    return 1;
}

/* The math type an algorithm runs with: fp32 always pins FMA math, even
 * when the heuristic reported DEFAULT (which could mean TF32 on Ampere+). */
static cudnnMathType_t run_math(const gt_cuda *cu, cudnnMathType_t reported)
{
    return cu->precision == GT_PRECISION_FP32 ? CUDNN_FMA_MATH : reported;
}

typedef enum conv_op { CONV_FWD, CONV_BWD_DATA, CONV_BWD_FILTER } conv_op;

static const char *op_name(conv_op op)
{
    return op == CONV_FWD ? "forward" : op == CONV_BWD_DATA ? "backward-data" : "backward-filter";
}

static cudnnStatus_t workspace_size(gt_cuda *cu, gt_cuda_conv_plan *p, conv_op op, int algo,
                                    size_t *bytes)
{
    switch (op) {
    case CONV_FWD:
        return cudnnGetConvolutionForwardWorkspaceSize(cu->cudnn, p->x_desc, p->w_desc,
                                                       p->conv_desc, p->y_desc,
                                                       (cudnnConvolutionFwdAlgo_t)algo, bytes);
    case CONV_BWD_DATA:
        return cudnnGetConvolutionBackwardDataWorkspaceSize(
            cu->cudnn, p->w_desc, p->y_desc, p->conv_desc, p->x_desc,
            (cudnnConvolutionBwdDataAlgo_t)algo, bytes);
    default:
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(
            cu->cudnn, p->x_desc, p->y_desc, p->conv_desc, p->w_desc,
            (cudnnConvolutionBwdFilterAlgo_t)algo, bytes);
    }
}

static gt_status query_heuristics(gt_cuda *cu, gt_cuda_conv_plan *p, conv_op op,
                                  gt_conv_heuristic *res, int *count)
{
    *count = 0;
    if (op == CONV_FWD) {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        GT_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(
            cu->cudnn, p->x_desc, p->w_desc, p->conv_desc, p->y_desc,
            CUDNN_CONVOLUTION_FWD_ALGO_COUNT, count, perf));
        for (int i = 0; i < *count; ++i)
            res[i] = (gt_conv_heuristic){(int)perf[i].algo, perf[i].status,
                                         perf[i].determinism == CUDNN_DETERMINISTIC, perf[i].memory,
                                         perf[i].mathType};
    } else if (op == CONV_BWD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        GT_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
            cu->cudnn, p->w_desc, p->y_desc, p->conv_desc, p->x_desc,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, count, perf));
        for (int i = 0; i < *count; ++i)
            res[i] = (gt_conv_heuristic){(int)perf[i].algo, perf[i].status,
                                         perf[i].determinism == CUDNN_DETERMINISTIC, perf[i].memory,
                                         perf[i].mathType};
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        GT_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            cu->cudnn, p->x_desc, p->y_desc, p->conv_desc, p->w_desc,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, count, perf));
        for (int i = 0; i < *count; ++i)
            res[i] = (gt_conv_heuristic){(int)perf[i].algo, perf[i].status,
                                         perf[i].determinism == CUDNN_DETERMINISTIC, perf[i].memory,
                                         perf[i].mathType};
    }
    return GT_OK;
}

static void geom_text(const gt_cuda *cu, const gt_conv_geom *g, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "conv n=%d in=%dx%dx%d out=%dx%dx%d kernel %dx%d stride %dx%d pad %d,%d "
             "(precision %s%s)",
             g->n, g->in_h, g->in_w, g->in_c, g->out_h, g->out_w, g->out_c, g->k_h, g->k_w,
             g->stride_h, g->stride_w, g->pad_top, g->pad_left,
             cu->precision == GT_PRECISION_TF32 ? "tf32" : "fp32",
             cu->deterministic_only ? ", deterministic only" : "");
}

/* Fills plan->{fwd,bwd_data,bwd_filter}: heuristic order, deterministic
 * algorithms first, allowed math, workspace within the cap. */
static gt_status choose_algorithms(gt_cuda *cu, gt_cuda_conv_plan *p, conv_op op,
                                   gt_conv_candidates *out)
{
    memset(out, 0, sizeof *out);
    gt_conv_heuristic *res = out->offered;
    int count = 0;
    GT_CUDNN_CHECK(cudnnSetConvolutionMathType(p->conv_desc, base_math(cu)));
    GT_TRY(query_heuristics(cu, p, op, res, &count));
    out->offered_count = count;
    /* pass 0: deterministic algorithms; pass 1: the others, unless forbidden */
    for (int pass = 0; pass < (cu->deterministic_only ? 1 : 2); ++pass) {
        for (int i = 0; i < count && out->count < GT_CONV_CANDIDATES; ++i) {
            const gt_conv_heuristic *r = &res[i];
            if (r->status != CUDNN_STATUS_SUCCESS || !math_allowed(cu, r->math)) continue;
            if (r->deterministic != (pass == 0)) continue;
            cudnnMathType_t math = run_math(cu, r->math);
            size_t bytes = 0;
            GT_CUDNN_CHECK(cudnnSetConvolutionMathType(p->conv_desc, math));
            if (workspace_size(cu, p, op, r->algo, &bytes) != CUDNN_STATUS_SUCCESS) continue;
            if (r->memory > bytes) bytes = r->memory;
            if (bytes > GT_CONV_WORKSPACE_CAP) continue;
            out->algo[out->count] = r->algo;
            out->math[out->count] = math;
            out->bytes[out->count] = bytes;
            out->count++;
            if (bytes > p->cudnn_bytes) p->cudnn_bytes = bytes;
        }
    }
    if (out->count == 0) {
        char geom[256], offer[640];
        geom_text(cu, &p->g, geom, sizeof geom);
        gt_conv_candidates_describe(out, 0, offer, sizeof offer);
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "cuDNN offers no usable %s algorithm (allowed math, workspace <= %zu B) "
                       "for %s; %s",
                       op_name(op), (size_t)GT_CONV_WORKSPACE_CAP, geom, offer);
    }
    return GT_OK;
}

/* Descriptors for the plan. cuDNN pads symmetrically: run cuDNN with pad
 * (pad_top, pad_left) when that yields exactly out_h x out_w, else pad
 * explicitly to the extent the windows cover and run with pad 0. */
static gt_status make_descriptors(gt_cuda *cu, gt_cuda_conv_plan *p)
{
    (void)cu;
    const gt_conv_geom *g = &p->g;
    GT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->x_desc));
    GT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->y_desc));
    GT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p->w_desc));
    GT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p->conv_desc));
    GT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w_desc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC,
                                              g->out_c, g->in_c, g->k_h, g->k_w));
    GT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->y_desc, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, g->n,
                                              g->out_c, g->out_h, g->out_w));

    int sym_h = g->in_h + 2 * g->pad_top - g->k_h, sym_w = g->in_w + 2 * g->pad_left - g->k_w;
    int direct = sym_h >= 0 && sym_w >= 0 && sym_h / g->stride_h + 1 == g->out_h &&
                 sym_w / g->stride_w + 1 == g->out_w;
    p->padded = !direct;
    if (direct) {
        GT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x_desc, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT,
                                                  g->n, g->in_c, g->in_h, g->in_w));
        GT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p->conv_desc, g->pad_top, g->pad_left,
                                                       g->stride_h, g->stride_w, 1, 1,
                                                       CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    } else {
        /* Exactly the rows and columns the windows read: (out - 1) * stride + k. */
        p->hp = (g->out_h - 1) * g->stride_h + g->k_h;
        p->wp = (g->out_w - 1) * g->stride_w + g->k_w;
        p->pad_bytes = GT_ALIGN((size_t)g->n * p->hp * p->wp * g->in_c * sizeof(float));
        GT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x_desc, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT,
                                                  g->n, g->in_c, p->hp, p->wp));
        GT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p->conv_desc, 0, 0, g->stride_h, g->stride_w,
                                                       1, 1, CUDNN_CROSS_CORRELATION,
                                                       CUDNN_DATA_FLOAT));
    }
    /* Cross-check with cuDNN's own arithmetic before trusting the plan. */
    int on, oc, oh, ow;
    GT_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p->conv_desc, p->x_desc, p->w_desc, &on,
                                                         &oc, &oh, &ow));
    if (on != g->n || oc != g->out_c || oh != g->out_h || ow != g->out_w)
        return gt_fail(GT_ERR_INTERNAL,
                       "conv2d plan: cuDNN computes output %dx%dx%dx%d, the geometry says "
                       "%dx%dx%dx%d",
                       on, oh, ow, oc, g->n, g->out_h, g->out_w, g->out_c);
    return GT_OK;
}

static gt_status build_plan(gt_cuda *cu, gt_cuda_conv_plan *p)
{
    GT_TRY(make_descriptors(cu, p));
    GT_TRY(choose_algorithms(cu, p, CONV_FWD, &p->fwd));
    GT_TRY(choose_algorithms(cu, p, CONV_BWD_DATA, &p->bwd_data));
    GT_TRY(choose_algorithms(cu, p, CONV_BWD_FILTER, &p->bwd_filter));
    return GT_OK;
}

/* A plan made by an op call for a geometry the caller never sized the
 * workspace for (a partial last batch, say) keeps only the algorithms that
 * fit in the largest workspace reported so far, so cuDNN never writes past
 * the caller's buffer. */
static gt_status fit_reported_workspace(gt_cuda *cu, gt_cuda_conv_plan *p)
{
    size_t limit = cu->conv_workspace_reported;
    gt_conv_candidates *ops[3] = {&p->fwd, &p->bwd_data, &p->bwd_filter};
    p->cudnn_bytes = 0;
    for (int o = 0; o < 3; ++o) {
        gt_conv_candidates *op = ops[o];
        int kept = 0;
        for (int i = 0; i < op->count; ++i) {
            if (p->pad_bytes + op->bytes[i] > limit) continue;
            op->algo[kept] = op->algo[i];
            op->math[kept] = op->math[i];
            op->bytes[kept] = op->bytes[i];
            if (op->bytes[kept] > p->cudnn_bytes) p->cudnn_bytes = op->bytes[kept];
            kept++;
        }
        op->count = kept;
        if (kept == 0) {
            const gt_conv_geom *g = &p->g;
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "conv2d %s: geometry n=%d in=%dx%dx%d out=%dx%dx%d was never sized "
                           "with conv2d_workspace_bytes and needs more than the %zu bytes "
                           "reported so far; ask conv2d_workspace_bytes for every geometry "
                           "(including partial batches) when sizing the workspace",
                           op_name((conv_op)o), g->n, g->in_h, g->in_w, g->in_c, g->out_h, g->out_w,
                           g->out_c, limit);
        }
    }
    return GT_OK;
}

/* The plan of geometry g, made on first use. `reporting` is set when the
 * caller is conv2d_workspace_bytes (it will size the workspace from it). */
static gt_status get_plan(gt_cuda *cu, const gt_conv_geom *g, int reporting,
                          gt_cuda_conv_plan **out)
{
    *out = NULL;
    GT_TRY(gt_check_conv("conv2d", g));
    for (size_t i = 0; i < cu->conv_plan_count; ++i)
        if (geom_equal(&cu->conv_plans[i].g, g)) {
            *out = &cu->conv_plans[i];
            return GT_OK;
        }
    if (cu->conv_plan_count == cu->conv_plan_capacity) {
        size_t cap = cu->conv_plan_capacity ? 2 * cu->conv_plan_capacity : 16;
        gt_cuda_conv_plan *grown = realloc(cu->conv_plans, cap * sizeof *grown);
        if (!grown) return gt_fail(GT_ERR_OUT_OF_MEMORY, "conv2d: out of host memory for plans");
        cu->conv_plans = grown;
        cu->conv_plan_capacity = cap;
    }
    gt_cuda_conv_plan *p = &cu->conv_plans[cu->conv_plan_count];
    memset(p, 0, sizeof *p);
    p->g = *g;
    gt_status st = build_plan(cu, p);
    if (st == GT_OK && !reporting) st = fit_reported_workspace(cu, p);
    if (st != GT_OK) {
        plan_release(p);
        return st;
    }
    cu->conv_plan_count++;
    *out = p;
    return GT_OK;
}

size_t gt_cuda_conv2d_workspace_bytes(gt_backend *be, const gt_conv_geom *g)
{
    gt_cuda *cu = gt_cuda_of(be);
    gt_cuda_conv_plan *p;
    /* On failure the message stays in gt_last_error and the conv ops, which
     * build the same plan, return the status; 0 is the only honest size. */
    if (get_plan(cu, g, 1, &p) != GT_OK) return 0;
    size_t bytes = p->pad_bytes + p->cudnn_bytes;
    if (bytes > cu->conv_workspace_reported) cu->conv_workspace_reported = bytes;
    return bytes;
}

static gt_status workspace_for(const gt_cuda_conv_plan *p, void *workspace, void **cudnn_ws)
{
    *cudnn_ws = NULL;
    if (p->pad_bytes + p->cudnn_bytes > 0 && workspace == NULL)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "conv2d: this geometry needs %zu bytes of workspace and none was passed "
                       "(size it with conv2d_workspace_bytes)",
                       p->pad_bytes + p->cudnn_bytes);
    if (workspace) *cudnn_ws = (char *)workspace + p->pad_bytes;
    return GT_OK;
}

/* One cuDNN convolution call of kind `which`, output overwritten (beta 0):
 *   CONV_FWD         out = y  from a = x, b = w
 *   CONV_BWD_DATA    out = dx from a = w, b = dy
 *   CONV_BWD_FILTER  out = dw from a = x, b = dy */
typedef struct conv_call {
    gt_cuda *cu;
    gt_cuda_conv_plan *p;
    conv_op which;
    void *ws;
    const float *a, *b;
    float *out;
} conv_call;

static cudnnStatus_t conv_call_run(void *ctx, int algo, cudnnMathType_t math, size_t ws_bytes)
{
    const conv_call *c = ctx;
    gt_cuda_conv_plan *p = c->p;
    cudnnHandle_t h = c->cu->cudnn;
    const float one = 1.0f, zero = 0.0f;
    cudnnStatus_t st = cudnnSetConvolutionMathType(p->conv_desc, math);
    if (st != CUDNN_STATUS_SUCCESS) return st;
    switch (c->which) {
    case CONV_FWD:
        return cudnnConvolutionForward(h, &one, p->x_desc, c->a, p->w_desc, c->b, p->conv_desc,
                                       (cudnnConvolutionFwdAlgo_t)algo, c->ws, ws_bytes, &zero,
                                       p->y_desc, c->out);
    case CONV_BWD_DATA:
        return cudnnConvolutionBackwardData(h, &one, p->w_desc, c->a, p->y_desc, c->b, p->conv_desc,
                                            (cudnnConvolutionBwdDataAlgo_t)algo, c->ws, ws_bytes,
                                            &zero, p->x_desc, c->out);
    case CONV_BWD_FILTER:
        return cudnnConvolutionBackwardFilter(h, &one, p->x_desc, c->a, p->y_desc, c->b,
                                              p->conv_desc, (cudnnConvolutionBwdFilterAlgo_t)algo,
                                              c->ws, ws_bytes, &zero, p->w_desc, c->out);
    }
    return CUDNN_STATUS_BAD_PARAM;
}

static gt_status run_conv(gt_cuda *cu, gt_cuda_conv_plan *p, conv_op which, void *ws,
                          const float *a, const float *b, float *out)
{
    static const char *const calls[] = {"cudnnConvolutionForward", "cudnnConvolutionBackwardData",
                                        "cudnnConvolutionBackwardFilter"};
    gt_conv_candidates *op = which == CONV_FWD        ? &p->fwd
                             : which == CONV_BWD_DATA ? &p->bwd_data
                                                      : &p->bwd_filter;
    conv_call call = {cu, p, which, ws, a, b, out};
    gt_status st = gt_conv_candidates_run(op, conv_call_run, &call, calls[which], op_name(which));
    if (st == GT_OK) return GT_OK;
    char geom[256];
    geom_text(cu, &p->g, geom, sizeof geom);
    return gt_fail_context(st, "%s", geom);
}

/* x as cuDNN reads it: x itself, or its zero-padded copy at the start of the
 * workspace for geometries cuDNN's symmetric padding cannot express. */
static gt_status conv_input(gt_cuda *cu, const gt_cuda_conv_plan *p, const float *x,
                            void *workspace, const float **src)
{
    const gt_conv_geom *g = &p->g;
    *src = x;
    if (!p->padded) return GT_OK;
    float *xp = (float *)workspace;
    GT_CUDA_CHECK(gt_launch_pad_nhwc(xp, x, g->n, g->in_h, g->in_w, g->in_c, p->hp, p->wp,
                                     g->pad_top, g->pad_left, cu->stream));
    *src = xp;
    return GT_OK;
}

gt_status gt_cuda_conv2d_forward(gt_backend *be, const gt_conv_geom *g, float *y, const float *x,
                                 const float *w, const float *bias, gt_activation act,
                                 void *workspace)
{
    gt_cuda *cu = gt_cuda_of(be);
    GT_TRY(gt_check_act("conv2d_forward", act));
    gt_cuda_conv_plan *p;
    void *ws;
    const float *src;
    GT_TRY(get_plan(cu, g, 0, &p));
    GT_TRY(workspace_for(p, workspace, &ws));
    GT_TRY(conv_input(cu, p, x, workspace, &src));
    GT_TRY(run_conv(cu, p, CONV_FWD, ws, src, w, y));
    if (bias || act == GT_ACT_RELU)
        GT_CUDA_CHECK(gt_launch_bias_act_forward(y, bias, (size_t)g->n * g->out_h * g->out_w,
                                                 g->out_c, act, cu->stream));
    return GT_OK;
}

gt_status gt_cuda_conv2d_backward_data(gt_backend *be, const gt_conv_geom *g, float *dx,
                                       const float *dy, const float *w, void *workspace)
{
    gt_cuda *cu = gt_cuda_of(be);
    if (!dx) return GT_OK;
    gt_cuda_conv_plan *p;
    void *ws;
    GT_TRY(get_plan(cu, g, 0, &p));
    GT_TRY(workspace_for(p, workspace, &ws));
    /* Padded geometries: the gradient of the padded copy, cropped below. */
    float *dst = p->padded ? (float *)workspace : dx;
    GT_TRY(run_conv(cu, p, CONV_BWD_DATA, ws, w, dy, dst));
    if (p->padded)
        GT_CUDA_CHECK(gt_launch_crop_nhwc(dx, dst, g->n, g->in_h, g->in_w, g->in_c, p->hp, p->wp,
                                          g->pad_top, g->pad_left, cu->stream));
    return GT_OK;
}

gt_status gt_cuda_conv2d_backward_filter(gt_backend *be, const gt_conv_geom *g, float *dw,
                                         float *db, const float *dy, const float *x,
                                         void *workspace)
{
    gt_cuda *cu = gt_cuda_of(be);
    gt_cuda_conv_plan *p;
    void *ws;
    const float *src;
    GT_TRY(get_plan(cu, g, 0, &p));
    if (db)
        GT_CUDA_CHECK(gt_launch_bias_backward(db, dy, (size_t)g->n * g->out_h * g->out_w, g->out_c,
                                              cu->reduce_scratch, cu->reduce_scratch_floats,
                                              cu->stream));
    if (!dw) return GT_OK;
    GT_TRY(workspace_for(p, workspace, &ws));
    GT_TRY(conv_input(cu, p, x, workspace, &src));
    return run_conv(cu, p, CONV_BWD_FILTER, ws, src, dy, dw);
}
