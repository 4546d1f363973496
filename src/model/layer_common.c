/* What the layer kinds share: their defaults' entry point, window
 * arithmetic, the geometry structs the backend ops take, and the activation
 * that follows a linear part. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elem_math.h"
#include "gtrain/status.h"
#include "layer.h"

gt_layer gt_layer_defaults(gt_layer_kind kind)
{
    gt_layer l;
    memset(&l, 0, sizeof l);
    l.kind = kind;
    l.activation = GT_ACT_LINEAR;
    l.stride_h = l.stride_w = 1;
    const gt_layer_class *c = gt_layer_class_of(kind);
    if (c && c->init_defaults) c->init_defaults(&l);
    return l;
}

size_t gt_layer_weight_floats(const gt_layer *l)
{
    size_t total = 0;
    for (int k = 0; k < l->n_weights; ++k)
        total += l->weights[k].count;
    return total;
}

gt_status gt_layer_fail(gt_status status, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gt_fail(status, "%s", msg);
}

int gt_window_dim(int in, int k, int s, gt_padding padding, int *out, int *pad_before)
{
    if (padding == GT_PAD_SAME) {
        *out = (in + s - 1) / s;
        long total = (long)(*out - 1) * s + k - in;
        if (total < 0) total = 0;
        *pad_before = (int)(total / 2);
        return 1;
    }
    *pad_before = 0;
    if (in < k) return 0;
    *out = (in - k) / s + 1;
    return 1;
}

gt_status gt_layer_infer_window(gt_layer *l, const char *what, int channels)
{
    if (l->kernel_h <= 0 || l->kernel_w <= 0 || l->stride_h <= 0 || l->stride_w <= 0)
        return gt_layer_fail(GT_ERR_SHAPE, "%s %dx%d with strides %dx%d: sizes must be positive",
                             what, l->kernel_h, l->kernel_w, l->stride_h, l->stride_w);
    int oh, ow;
    if (!gt_window_dim(l->in.h, l->kernel_h, l->stride_h, l->padding, &oh, &l->pad_top) ||
        !gt_window_dim(l->in.w, l->kernel_w, l->stride_w, l->padding, &ow, &l->pad_left))
        return gt_layer_fail(GT_ERR_SHAPE, "%s %dx%d does not fit input %dx%dx%d with padding %s",
                             what, l->kernel_h, l->kernel_w, l->in.h, l->in.w, l->in.c,
                             l->padding == GT_PAD_SAME ? "same" : "valid");
    l->out.h = oh;
    l->out.w = ow;
    l->out.c = channels;
    return GT_OK;
}

gt_conv_geom gt_layer_conv_geom(const gt_layer *l, int n)
{
    gt_conv_geom g;
    g.n = n;
    g.in_h = l->in.h;
    g.in_w = l->in.w;
    g.in_c = l->in.c;
    g.out_h = l->out.h;
    g.out_w = l->out.w;
    g.out_c = l->out.c;
    g.k_h = l->kernel_h;
    g.k_w = l->kernel_w;
    g.stride_h = l->stride_h;
    g.stride_w = l->stride_w;
    g.pad_top = l->pad_top;
    g.pad_left = l->pad_left;
    return g;
}

gt_pool_geom gt_layer_pool_geom(const gt_layer *l, int n)
{
    gt_pool_geom g;
    g.n = n;
    g.in_h = l->in.h;
    g.in_w = l->in.w;
    g.c = l->in.c;
    g.out_h = l->out.h;
    g.out_w = l->out.w;
    g.k_h = l->kernel_h;
    g.k_w = l->kernel_w;
    g.stride_h = l->stride_h;
    g.stride_w = l->stride_w;
    g.pad_top = l->pad_top;
    g.pad_left = l->pad_left;
    return g;
}

/* ---- the activation after a linear part ---- */

static int handled_elsewhere(gt_activation act)
{
    /* linear: nothing; relu: fused into the op; softmax: fused into the loss */
    return act == GT_ACT_LINEAR || act == GT_ACT_RELU || act == GT_ACT_SOFTMAX;
}

float gt_activation_default_alpha(gt_activation act)
{
    return act == GT_ACT_ELU ? 1.0f : act == GT_ACT_LEAKY_RELU ? 0.2f : 0.0f;
}

size_t gt_activation_saved_floats(gt_activation act, size_t count)
{
    return handled_elsewhere(act) || !gt_act_grad_needs_x(act) ? 0 : count;
}

gt_status gt_layer_activation_forward(gt_layer_io *io, gt_activation act, float alpha, float *y,
                                      const float *pre, size_t count)
{
    if (handled_elsewhere(act)) return GT_OK;
    return io->be->act_forward(io->be, y, pre ? pre : y, count, act, alpha);
}

gt_status gt_layer_activation_backward(gt_layer_io *io, gt_activation act, float alpha, float *dy,
                                       const float *y, const float *pre, size_t count)
{
    gt_backend *be = io->be;
    if (act == GT_ACT_LINEAR || act == GT_ACT_SOFTMAX) return GT_OK; /* softmax: the loss's */
    if (act == GT_ACT_RELU) return be->relu_backward(be, dy, dy, y, count);
    return be->act_backward(be, dy, dy, gt_act_grad_needs_x(act) ? pre : NULL, y, count, act,
                            alpha);
}

int gt_activation_ops(gt_activation act, gt_op *out)
{
    if (act == GT_ACT_LINEAR || act == GT_ACT_SOFTMAX) return 0;
    if (act == GT_ACT_RELU) {
        out[0] = GT_OP_relu_backward;
        return 1;
    }
    out[0] = GT_OP_act_forward;
    out[1] = GT_OP_act_backward;
    return 2;
}

/* ---- pooling configs ---- */

void gt_pool_defaults(gt_layer *l)
{
    l->kernel_h = l->kernel_w = 2;
    l->stride_h = l->stride_w = 2;
    l->padding = GT_PAD_VALID;
}

gt_status gt_pool_read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_pair(w, cfg, "pool_size", 0, 2, &l->kernel_h, &l->kernel_w));
    /* strides null means strides = pool_size */
    GT_TRY(gt_json_pair(w, cfg, "strides", 0, -1, &l->stride_h, &l->stride_w));
    if (l->stride_h == -1 && l->stride_w == -1) {
        l->stride_h = l->kernel_h;
        l->stride_w = l->kernel_w;
    }
    GT_TRY(gt_json_padding(w, cfg, &l->padding));
    return gt_json_data_format(w, cfg);
}

void gt_pool_write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "pool_size", gt_jw_pair(l->kernel_h, l->kernel_w));
    gt_jw_put(wr, cfg, "padding", cJSON_CreateString(gt_jw_padding_name(l->padding)));
    gt_jw_put(wr, cfg, "strides", gt_jw_pair(l->stride_h, l->stride_w));
    gt_jw_put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
}

gt_status gt_global_pool_read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    GT_TRY(gt_json_data_format(w, cfg));
    return gt_json_bool(w, cfg, "keepdims", 0, &l->keepdims);
}

void gt_global_pool_write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    gt_jw_put(wr, cfg, "data_format", cJSON_CreateString("channels_last"));
    gt_jw_put(wr, cfg, "keepdims", cJSON_CreateBool(l->keepdims));
}

gt_status gt_global_pool_infer(gt_layer *l)
{
    /* one window over the whole image: the pooling ops do the rest */
    l->kernel_h = l->in.h;
    l->kernel_w = l->in.w;
    l->stride_h = l->stride_w = 1;
    l->padding = GT_PAD_VALID;
    l->pad_top = l->pad_left = 0;
    l->out.h = l->out.w = 1;
    l->out.c = l->in.c;
    return GT_OK;
}

int gt_layer_always_writes(const gt_layer *l)
{
    (void)l;
    return 1;
}

/* ---- pooling passes ---- */

gt_status gt_pool_infer(gt_layer *l)
{
    return gt_layer_infer_window(l, "pool", l->in.c);
}

int gt_maxpool_ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_maxpool_forward;
    out[1] = GT_OP_maxpool_backward;
    return 2;
}

int gt_avgpool_ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_avgpool_forward;
    out[1] = GT_OP_avgpool_backward;
    return 2;
}

gt_status gt_maxpool_pass_forward(const gt_layer *l, gt_layer_io *io)
{
    gt_pool_geom g = gt_layer_pool_geom(l, io->n);
    GT_TRY(io->be->maxpool_forward(io->be, &g, io->y, io->x));
    io->out = io->y;
    return GT_OK;
}

gt_status gt_avgpool_pass_forward(const gt_layer *l, gt_layer_io *io)
{
    gt_pool_geom g = gt_layer_pool_geom(l, io->n);
    GT_TRY(io->be->avgpool_forward(io->be, &g, io->y, io->x));
    io->out = io->y;
    return GT_OK;
}

/* Pooling's backward (max finds its winners again from x). */
static gt_status pool_backward(const gt_layer *l, gt_layer_io *io, int average)
{
    io->dx_out = io->dy;
    if (!io->need_dx) return GT_OK;
    gt_pool_geom g = gt_layer_pool_geom(l, io->n);
    if (average)
        GT_TRY(io->be->avgpool_backward(io->be, &g, io->dx, io->dy));
    else
        GT_TRY(io->be->maxpool_backward(io->be, &g, io->dx, io->dy, io->x));
    io->dx_out = io->dx;
    return GT_OK;
}

gt_status gt_maxpool_pass_backward(const gt_layer *l, gt_layer_io *io)
{
    return pool_backward(l, io, 0);
}

gt_status gt_avgpool_pass_backward(const gt_layer *l, gt_layer_io *io)
{
    return pool_backward(l, io, 1);
}

/* ---- activation layers ---- */

int gt_act_layer_writes(const gt_layer *l)
{
    return l->activation != GT_ACT_LINEAR && l->activation != GT_ACT_SOFTMAX;
}

int gt_act_layer_ops(const gt_layer *l, gt_op out[8])
{
    if (!gt_act_layer_writes(l)) return 0;
    out[0] = GT_OP_act_forward;
    out[1] = GT_OP_act_backward;
    return 2;
}

gt_status gt_act_layer_forward(const gt_layer *l, gt_layer_io *io)
{
    io->out = io->x;
    if (!gt_act_layer_writes(l)) return GT_OK;
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    GT_TRY(io->be->act_forward(io->be, io->y, io->x, count, l->activation, l->alpha));
    io->out = io->y;
    return GT_OK;
}

gt_status gt_act_layer_backward(const gt_layer *l, gt_layer_io *io)
{
    io->dx_out = io->dy; /* in place */
    if (!gt_act_layer_writes(l) || !io->need_dx) return GT_OK;
    size_t count = (size_t)io->n * gt_shape3_size(l->out);
    return io->be->act_backward(io->be, io->dy, io->dy, io->x, io->y_seen, count, l->activation,
                                l->alpha);
}

gt_status gt_layer_keep_shape(gt_layer *l)
{
    (void)l;
    return GT_OK;
}

void gt_kernel_bias_defaults(gt_layer *l)
{
    l->use_bias = 1;
    l->kernel_init.kind = GT_INIT_GLOROT_UNIFORM;
    l->bias_init.kind = GT_INIT_ZEROS;
}
