/* Conv2D (Keras): filters x kernel_size windows, strides, 'valid' or TF's
 * 'same' padding, a bias, and an activation (relu fused into the op). The
 * kernel is stored OHWI (cuDNN's NHWC filter layout), HWIO in Keras files. */
#include "layer.h"

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_int(w, cfg, "filters", 1, 0, &l->filters));
    GT_TRY(gt_json_pair(w, cfg, "kernel_size", 1, 0, &l->kernel_h, &l->kernel_w));
    GT_TRY(gt_json_pair(w, cfg, "strides", 0, 1, &l->stride_h, &l->stride_w));
    GT_TRY(gt_json_padding(w, cfg, &l->padding));
    GT_TRY(gt_json_data_format(w, cfg));
    GT_TRY(gt_json_expect_pair(w, cfg, "dilation_rate", 1));
    int groups;
    GT_TRY(gt_json_int(w, cfg, "groups", 0, 1, &groups));
    if (groups != 1)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "groups %d is not supported (expected 1)",
                            groups);
    return gt_json_kernel_bias(w, cfg, l);
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "filters", cJSON_CreateNumber(l->filters));
    gt_jw_put(wr, cfg, "kernel_size", gt_jw_pair(l->kernel_h, l->kernel_w));
    gt_jw_put(wr, cfg, "strides", gt_jw_pair(l->stride_h, l->stride_w));
    gt_jw_put(wr, cfg, "padding", cJSON_CreateString(gt_jw_padding_name(l->padding)));
    gt_jw_put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
    gt_jw_put(wr, cfg, "dilation_rate", gt_jw_pair(1, 1));
    gt_jw_put(wr, cfg, "groups", cJSON_CreateNumber(1));
    gt_jw_kernel_bias(wr, cfg, l);
}

static gt_status infer(gt_layer *l)
{
    if (l->filters <= 0)
        return gt_layer_fail(GT_ERR_INVALID_ARGUMENT, "filters %d must be positive", l->filters);
    return gt_layer_infer_window(l, "kernel", l->filters);
}

static int weights(const gt_layer *l, gt_weight_spec out[GT_LAYER_MAX_WEIGHTS])
{
    double receptive = (double)l->kernel_h * l->kernel_w;
    out[0] = (gt_weight_spec){"kernel",
                              1,
                              4,
                              {(unsigned long long)l->kernel_h, (unsigned long long)l->kernel_w,
                               (unsigned long long)l->in.c, (unsigned long long)l->filters},
                              1,
                              l->kernel_init,
                              receptive * l->in.c,
                              receptive * l->filters};
    if (!l->use_bias) return 1;
    out[1] = (gt_weight_spec){
        "bias", 1, 1, {(unsigned long long)l->filters}, 0, l->bias_init, l->filters, l->filters};
    return 2;
}

static int writes_output(const gt_layer *l)
{
    (void)l;
    return 1;
}

static size_t saved_floats(const gt_layer *l, int n)
{
    return gt_activation_saved_floats(l->activation, (size_t)n * gt_shape3_size(l->out));
}

static size_t workspace_bytes(const gt_layer *l, gt_backend *be, int n)
{
    gt_conv_geom g = gt_layer_conv_geom(l, n);
    return be->conv2d_workspace_bytes(be, &g);
}

static int ops(const gt_layer *l, gt_op out[8])
{
    out[0] = GT_OP_conv2d_workspace_bytes;
    out[1] = GT_OP_conv2d_forward;
    out[2] = GT_OP_conv2d_backward_data;
    out[3] = GT_OP_conv2d_backward_filter;
    return 4 + gt_activation_ops(l->activation, out + 4);
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    gt_conv_geom g = gt_layer_conv_geom(l, io->n);
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    float *lin = saved_floats(l, io->n) ? io->saved : io->y; /* gelu, silu keep their input */
    GT_TRY(be->conv2d_forward(be, &g, lin, io->x, io->w[0], l->use_bias ? io->w[1] : NULL,
                              l->activation == GT_ACT_RELU ? GT_ACT_RELU : GT_ACT_LINEAR,
                              io->workspace));
    GT_TRY(gt_layer_activation_forward(io, l->activation,
                                       gt_activation_default_alpha(l->activation), io->y,
                                       lin == io->y ? NULL : lin, count));
    io->out = io->y;
    return GT_OK;
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    gt_conv_geom g = gt_layer_conv_geom(l, io->n);
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    GT_TRY(gt_layer_activation_backward(io, l->activation,
                                        gt_activation_default_alpha(l->activation), io->dy,
                                        io->y_seen, io->saved, count));
    GT_TRY(be->conv2d_backward_filter(be, &g, io->dw[0], l->use_bias ? io->dw[1] : NULL, io->dy,
                                      io->x, io->workspace));
    io->dx_out = io->dy;
    if (io->need_dx) {
        GT_TRY(be->conv2d_backward_data(be, &g, io->dx, io->dy, io->w[0], io->workspace));
        io->dx_out = io->dx;
    }
    return GT_OK;
}

static double flops(const gt_layer *l, int n, int backward_pass)
{
    double f = 2.0 * n * gt_shape3_size(l->out) * l->kernel_h * l->kernel_w * l->in.c;
    return backward_pass ? 2.0 * f : f;
}

const gt_layer_class gt_conv2d_class = {
    .keras_name = "Conv2D",
    .aliases = (const char *const[]){"Convolution2D", NULL},
    .category = GT_CATEGORY_CONV,
    .output_rank = GT_RANK_IMAGE,
    .drawable = 1,
    .init_defaults = gt_kernel_bias_defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = infer,
    .weights = weights,
    .writes_output = writes_output,
    .saved_floats = saved_floats,
    .workspace_bytes = workspace_bytes,
    .ops = ops,
    .forward = forward,
    .backward = backward,
    .flops = flops,
};
