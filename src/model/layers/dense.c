/* Dense (Keras): y = act(x W + b) on a flat input, W (in, units) as Keras
 * stores it; relu is fused into the bias op. */
#include "layer.h"

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_int(w, cfg, "units", 1, 0, &l->units));
    return gt_json_kernel_bias(w, cfg, l);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "units", cJSON_CreateNumber(l->units));
    gt_jw_kernel_bias(wr, cfg, l);
}

static gt_status infer(gt_layer *l)
{
    if (l->in.h != 1 || l->in.w != 1)
        return gt_layer_fail(GT_ERR_UNSUPPORTED,
                             "needs a flat input (None, n) but gets %dx%dx%d; gtrain does not "
                             "apply Dense to the last axis of an image as Keras would: add a "
                             "Flatten layer before it",
                             l->in.h, l->in.w, l->in.c);
    if (l->units <= 0)
        return gt_layer_fail(GT_ERR_INVALID_ARGUMENT, "units %d must be positive", l->units);
    l->out.c = l->units;
    return GT_OK;
}

static int weights(const gt_layer *l, gt_weight_spec out[GT_LAYER_MAX_WEIGHTS])
{
    out[0] = (gt_weight_spec){"kernel", 1,
                              2,        {(unsigned long long)l->in.c, (unsigned long long)l->units},
                              0,        l->kernel_init,
                              l->in.c,  l->units};
    if (!l->use_bias) return 1;
    out[1] = (gt_weight_spec){"bias",       1,        1,       {(unsigned long long)l->units}, 0,
                              l->bias_init, l->units, l->units};
    return 2;
}

static int writes_output(const gt_layer *l)
{
    (void)l;
    return 1;
}

static size_t saved_floats(const gt_layer *l, int n)
{
    return gt_activation_saved_floats(l->activation, (size_t)n * (size_t)l->units);
}

static int ops(const gt_layer *l, gt_op out[8])
{
    out[0] = GT_OP_gemm;
    out[1] = GT_OP_bias_act_forward;
    out[2] = GT_OP_bias_backward;
    return 3 + gt_activation_ops(l->activation, out + 3);
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    int n = io->n, in = l->in.c, units = l->units;
    float *lin = saved_floats(l, n) ? io->saved : io->y;
    GT_TRY(be->gemm(be, 0, 0, n, units, in, 1.0f, io->x, in, io->w[0], units, 0.0f, lin, units));
    GT_TRY(be->bias_act_forward(be, lin, l->use_bias ? io->w[1] : NULL, n, units,
                                l->activation == GT_ACT_RELU ? GT_ACT_RELU : GT_ACT_LINEAR));
    GT_TRY(gt_layer_activation_forward(io, l->activation,
                                       gt_activation_default_alpha(l->activation), io->y,
                                       lin == io->y ? NULL : lin, (size_t)n * units));
    io->out = io->y;
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    int n = io->n, in = l->in.c, units = l->units;
    GT_TRY(gt_layer_activation_backward(io, l->activation,
                                        gt_activation_default_alpha(l->activation), io->dy,
                                        io->y_seen, io->saved, (size_t)n * units));
    /* dW(in, units) = x^T dy; db = column sums of dy; dx(n, in) = dy W^T */
    GT_TRY(
        be->gemm(be, 1, 0, in, units, n, 1.0f, io->x, in, io->dy, units, 0.0f, io->dw[0], units));
    if (l->use_bias) GT_TRY(be->bias_backward(be, io->dw[1], io->dy, n, units));
    io->dx_out = io->dy;
    if (io->need_dx) {
        GT_TRY(be->gemm(be, 0, 1, n, in, units, 1.0f, io->dy, units, io->w[0], units, 0.0f, io->dx,
                        in));
        io->dx_out = io->dx;
    }
    return GT_OK;
}

static double flops(const gt_layer *l, int n, int backward_pass)
{
    double f = 2.0 * n * (double)l->in.c * l->units;
    return backward_pass ? 2.0 * f : f;
}

const gt_layer_class gt_dense_class = {
    .keras_name = "Dense",
    .category = GT_CATEGORY_DENSE,
    .output_rank = GT_RANK_FLAT,
    .init_defaults = gt_kernel_bias_defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .weights = weights,
    .writes_output = writes_output,
    .saved_floats = saved_floats,
    .ops = ops,
    .forward = forward,
    .backward = backward,
    .flops = flops,
};
