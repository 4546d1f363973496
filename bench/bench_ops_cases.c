/* bench_ops: the op cases of one training step, derived from a built model the
 * way the trainer (src/trainer_exec.c) calls the backend, so that the sum of
 * the op times is comparable with `gtrain bench`'s step time. Tolerances are
 * those of the gpu parity tests, widened where the shapes here are larger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ops.h"
#include "trainer_internal.h"

const char *bench_kind_name(bench_kind kind)
{
    static const char *const names[] = {
#define BENCH_KIND_NAME_(id, name) name,
        BENCH_KINDS(BENCH_KIND_NAME_)
#undef BENCH_KIND_NAME_
    };
    return (int)kind >= 0 && kind < BENCH_KIND_COUNT ? names[kind] : "?";
}

/* ---- tolerances ---- */

/* Conv and GEMM outputs. fp32: the fast backends sum k products in fp32 (the
 * reference in double); VGG's k reaches 4608 (3x3x512), so a few ulps times
 * sqrt(k) of max|out|: 1e-4 of max. tf32: 10-bit-mantissa inputs, ~1e-3 of
 * max after summation: 1e-2 (as gpu_conv_parity). bf16: 8-bit-mantissa
 * inputs, ~4e-3 of max: 2e-2 (test_cpu_bf16's FP32_TOL is 1.5e-2). */
static double matmul_of_max(gt_precision p)
{
    switch (p) {
    case GT_PRECISION_TF32:
        return 1e-2;
    case GT_PRECISION_BF16:
        return 2e-2;
    default:
        return 1e-4;
    }
}

/* ---- building ---- */

static bench_case *new_case(bench_cases *cs, const char *layer, const char *op, bench_kind kind,
                            bench_call_fn call)
{
    if (cs->count == cs->capacity) {
        int cap = cs->capacity ? cs->capacity * 2 : 64;
        bench_case *p = realloc(cs->items, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        cs->items = p;
        cs->capacity = cap;
    }
    bench_case *c = &cs->items[cs->count++];
    memset(c, 0, sizeof *c);
    snprintf(c->layer, sizeof c->layer, "%s", layer);
    c->op = op;
    c->kind = kind;
    c->call = call;
    return c;
}

static void add_buf(bench_case *c, const char *name, bench_elem elem, bench_role role,
                    bench_fill fill, float lo, float hi, size_t count, double of_max, double rel)
{
    bench_buf *b = &c->buf[c->nbuf++];
    b->name = name;
    b->elem = elem;
    b->role = role;
    b->fill = fill;
    b->lo = lo;
    b->hi = hi;
    b->count = count;
    b->of_max = of_max;
    b->rel = rel;
}

static void in_f32(bench_case *c, const char *name, size_t count, float lo, float hi)
{
    add_buf(c, name, ELEM_F32, ROLE_IN, FILL_UNIFORM, lo, hi, count, 0.0, 0.0);
}

static void out_f32(bench_case *c, const char *name, size_t count, double of_max, double rel)
{
    add_buf(c, name, ELEM_F32, ROLE_OUT, FILL_NONE, 0.0f, 0.0f, count, of_max, rel);
}

static size_t elem_size(bench_elem e)
{
    return e == ELEM_U8 ? 1 : 4;
}

double bench_case_bytes(const bench_case *c)
{
    double bytes = 0.0;
    for (int i = 0; i < c->nbuf; ++i) {
        double b = (double)c->buf[i].count * (double)elem_size(c->buf[i].elem);
        bytes += c->buf[i].role == ROLE_INOUT ? 2.0 * b : b;
    }
    return bytes;
}

/* ---- the op calls: buffers in the order the builders add them ---- */

static gt_status call_conv_forward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    return be->conv2d_forward(be, &c->cg, b[3], b[0], b[1], c->buf[2].count ? b[2] : NULL, c->act,
                              ws);
}

static gt_status call_conv_backward_data(gt_backend *be, const bench_case *c, void *const *b,
                                         void *ws)
{
    return be->conv2d_backward_data(be, &c->cg, b[2], b[0], b[1], ws);
}

static gt_status call_conv_backward_filter(gt_backend *be, const bench_case *c, void *const *b,
                                           void *ws)
{
    return be->conv2d_backward_filter(be, &c->cg, b[2], c->nbuf > 3 ? b[3] : NULL, b[0], b[1], ws);
}

static gt_status call_pool_forward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->maxpool_forward(be, &c->pg, b[1], b[0]);
}

static gt_status call_pool_backward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->maxpool_backward(be, &c->pg, b[2], b[1], b[0]);
}

/* C = op(A) op(B) with ld = the stored row length, as the trainer calls it. */
static gt_status call_gemm(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    int lda = c->ta ? c->m : c->k, ldb = c->tb ? c->k : c->n;
    return be->gemm(be, c->ta, c->tb, c->m, c->n, c->k, 1.0f, b[0], lda, b[1], ldb, 0.0f, b[2],
                    c->n);
}

static gt_status call_bias_act(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->bias_act_forward(be, b[1], c->buf[0].count ? b[0] : NULL, c->m, c->n, c->act);
}

static gt_status call_bias_backward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->bias_backward(be, b[1], b[0], c->m, c->n);
}

static gt_status call_relu_backward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->relu_backward(be, b[2], b[0], b[1], c->count);
}

static gt_status call_copy(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->copy(be, b[1], b[0], c->count * sizeof(float));
}

static gt_status call_dropout_forward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->dropout_forward(be, b[1], b[0], c->count, c->scale, c->seed, 0);
}

static gt_status call_softmax_xent(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->softmax_xent(be, b[3], b[2], b[0], b[1], c->m, c->classes, c->scale, 0.0f);
}

static gt_status call_prob_xent(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->prob_xent(be, b[3], b[2], b[0], b[1], c->m, c->classes, c->scale);
}

static gt_status call_adam(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->adam_update(be, b[1], b[0], b[2], b[3], c->count, &c->adam);
}

static gt_status call_sgd(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->sgd_update(be, b[1], b[0], c->nbuf > 2 ? b[2] : NULL, c->count, c->scale,
                          c->momentum, 0);
}

static gt_status call_gather(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    (void)ws;
    return be->preprocess_gather(be, &c->pre, b[3], b[4], b[0], b[1], b[2], c->m);
}

/* ---- per layer ---- */

static gt_activation fused_activation(gt_activation act)
{
    return act == GT_ACT_RELU ? GT_ACT_RELU : GT_ACT_LINEAR;
}

/* Buffers: dy, y (the ReLU output), dx. Out of place (the trainer works in
 * place) so that a rep never sees the previous rep's result; same bytes. */
static int add_relu_backward(bench_cases *cs, const char *layer, size_t count, unsigned mask)
{
    if (!(mask & (1u << BENCH_ACT))) return 1;
    bench_case *c = new_case(cs, layer, "relu_backward", BENCH_ACT, call_relu_backward);
    if (!c) return 0;
    snprintf(c->shape, sizeof c->shape, "%zu", count);
    c->count = count;
    in_f32(c, "dy", count, -1.0f, 1.0f);
    add_buf(c, "y", ELEM_F32, ROLE_IN, FILL_RELU, 0.0f, 0.0f, count, 0.0, 0.0);
    out_f32(c, "dx", count, 0.0, 0.0);
    return 1;
}

static int add_conv(bench_cases *cs, const gt_layer *l, int n, int need_dx, int backward,
                    gt_precision prec)
{
    gt_conv_geom g = gt_layer_conv_geom(l, n);
    size_t nx = (size_t)n * gt_shape3_size(l->in), ny = (size_t)n * gt_shape3_size(l->out);
    double macs = (double)ny * g.k_h * g.k_w * g.in_c, tol = matmul_of_max(prec);
    char shape[96];
    snprintf(shape, sizeof shape, "n%d %dx%dx%d->%dx%dx%d k%dx%d s%d", n, g.in_h, g.in_w, g.in_c,
             g.out_h, g.out_w, g.out_c, g.k_h, g.k_w, g.stride_h);
    bench_case *c;
    if (!backward) {
        if (!(c = new_case(cs, l->name, "conv2d_forward", BENCH_CONV, call_conv_forward))) return 0;
        in_f32(c, "x", nx, -1.0f, 1.0f);
        in_f32(c, "w", l->kernel_count, -0.5f, 0.5f);
        in_f32(c, "bias", l->bias_count, -0.5f, 0.5f);
        out_f32(c, "y", ny, tol, 0.0);
    } else {
        if (!(c = new_case(cs, l->name, "conv2d_backward_filter", BENCH_CONV,
                           call_conv_backward_filter)))
            return 0;
        in_f32(c, "dy", ny, -1.0f, 1.0f);
        in_f32(c, "x", nx, -1.0f, 1.0f);
        out_f32(c, "dw", l->kernel_count, tol, 0.0);
        /* the bias gradient is gtrain's own fp32 reduction in every precision */
        if (l->bias_count) out_f32(c, "db", l->bias_count, 1e-5, 1e-5);
    }
    c->cg = g;
    c->act = fused_activation(l->activation);
    c->flops = 2.0 * macs;
    c->needs_workspace = 1;
    memcpy(c->shape, shape, sizeof shape);
    if (backward && need_dx) {
        if (!(c = new_case(cs, l->name, "conv2d_backward_data", BENCH_CONV,
                           call_conv_backward_data)))
            return 0;
        in_f32(c, "dy", ny, -1.0f, 1.0f);
        in_f32(c, "w", l->kernel_count, -0.5f, 0.5f);
        out_f32(c, "dx", nx, tol, 0.0);
        c->cg = g;
        c->flops = 2.0 * macs;
        c->needs_workspace = 1;
        memcpy(c->shape, shape, sizeof shape);
    }
    return 1;
}

static int add_pool(bench_cases *cs, const gt_layer *l, int n, int backward)
{
    gt_pool_geom g = gt_layer_pool_geom(l, n);
    size_t nx = (size_t)n * gt_shape3_size(l->in), ny = (size_t)n * gt_shape3_size(l->out);
    bench_case *c = backward
                        ? new_case(cs, l->name, "maxpool_backward", BENCH_POOL, call_pool_backward)
                        : new_case(cs, l->name, "maxpool_forward", BENCH_POOL, call_pool_forward);
    if (!c) return 0;
    snprintf(c->shape, sizeof c->shape, "n%d %dx%dx%d->%dx%d k%d s%d", n, g.in_h, g.in_w, g.c,
             g.out_h, g.out_w, g.k_h, g.stride_h);
    c->pg = g;
    in_f32(c, "x", nx, -1.0f, 1.0f);
    if (backward) {
        in_f32(c, "dy", ny, -1.0f, 1.0f);
        out_f32(c, "dx", nx, 0.0, 0.0); /* a routing op: exact */
    } else {
        out_f32(c, "y", ny, 0.0, 0.0);
    }
    return 1;
}

/* GEMM case C(m, n) = op(A) op(B) (shapes as the trainer's dense layers). */
static bench_case *add_gemm(bench_cases *cs, const char *layer, const char *op, int ta, int tb,
                            int m, int n, int k, gt_precision prec)
{
    bench_case *c = new_case(cs, layer, op, BENCH_DENSE, call_gemm);
    if (!c) return NULL;
    c->ta = ta;
    c->tb = tb;
    c->m = m;
    c->n = n;
    c->k = k;
    c->flops = 2.0 * m * (double)n * k;
    snprintf(c->shape, sizeof c->shape, "gemm%s%s m%d n%d k%d", ta ? " At" : "", tb ? " Bt" : "", m,
             n, k);
    in_f32(c, "a", (size_t)m * k, -1.0f, 1.0f);
    in_f32(c, "b", (size_t)k * n, -1.0f, 1.0f);
    /* the relative term covers entries far below max|C| (as gpu_ops_parity) */
    out_f32(c, "c", (size_t)m * n, matmul_of_max(prec), matmul_of_max(prec));
    return c;
}

static int add_dense(bench_cases *cs, const gt_layer *l, int n, int need_dx, int backward,
                     gt_precision prec)
{
    int in = (int)gt_shape3_size(l->in), units = l->units;
    bench_case *c;
    if (!backward) {
        if (!add_gemm(cs, l->name, "gemm forward", 0, 0, n, units, in, prec)) return 0;
        if (!(c = new_case(cs, l->name, "bias_act_forward", BENCH_DENSE, call_bias_act))) return 0;
        c->m = n;
        c->n = units;
        c->act = fused_activation(l->activation);
        snprintf(c->shape, sizeof c->shape, "%dx%d %s", n, units, gt_activation_name(c->act));
        in_f32(c, "bias", l->bias_count, -0.5f, 0.5f);
        /* in place on y: y + bias rounds once, the same on every backend */
        add_buf(c, "y", ELEM_F32, ROLE_INOUT, FILL_UNIFORM, -1.0f, 1.0f, (size_t)n * units, 0.0,
                1e-7);
        return 1;
    }
    if (!add_gemm(cs, l->name, "gemm dW = x^T dy", 1, 0, in, units, n, prec)) return 0;
    if (l->bias_count) {
        if (!(c = new_case(cs, l->name, "bias_backward", BENCH_DENSE, call_bias_backward)))
            return 0;
        c->m = n;
        c->n = units;
        snprintf(c->shape, sizeof c->shape, "%dx%d", n, units);
        in_f32(c, "dy", (size_t)n * units, -1.0f, 1.0f);
        out_f32(c, "db", (size_t)units, 1e-5, 1e-5);
    }
    if (need_dx && !add_gemm(cs, l->name, "gemm dx = dy W^T", 0, 1, n, in, units, prec)) return 0;
    return 1;
}

static int add_activation(bench_cases *cs, const gt_layer *l, int n, int need_dx, int backward,
                          unsigned mask)
{
    size_t count = (size_t)n * gt_shape3_size(l->out);
    if (l->activation != GT_ACT_RELU) return 1; /* linear, or softmax fused into the loss */
    if (backward) return need_dx ? add_relu_backward(cs, l->name, count, mask) : 1;
    if (!(mask & (1u << BENCH_ACT))) return 1;
    bench_case *c = new_case(cs, l->name, "copy", BENCH_ACT, call_copy);
    if (!c) return 0;
    c->count = count;
    snprintf(c->shape, sizeof c->shape, "%zu", count);
    in_f32(c, "x", count, -1.0f, 1.0f);
    out_f32(c, "y", count, 0.0, 0.0);
    if (!(c = new_case(cs, l->name, "bias_act_forward", BENCH_ACT, call_bias_act))) return 0;
    c->m = n;
    c->n = (int)gt_shape3_size(l->out);
    c->act = GT_ACT_RELU;
    snprintf(c->shape, sizeof c->shape, "%dx%d relu", n, c->n);
    in_f32(c, "bias", 0, 0.0f, 0.0f);
    add_buf(c, "y", ELEM_F32, ROLE_INOUT, FILL_UNIFORM, -1.0f, 1.0f, count, 0.0, 0.0);
    return 1;
}

static int add_dropout(bench_cases *cs, const gt_layer *l, int n, int need_dx, int backward)
{
    if (l->rate <= 0.0f || (backward && !need_dx)) return 1;
    size_t count = (size_t)n * gt_shape3_size(l->out);
    bench_case *c =
        /* the backward pass is the forward op on dy (the same Philox mask) */
        new_case(cs, l->name, backward ? "dropout_forward on dy" : "dropout_forward", BENCH_DROPOUT,
                 call_dropout_forward);
    if (!c) return 0;
    c->count = count;
    c->scale = l->rate;
    c->seed = 1;
    snprintf(c->shape, sizeof c->shape, "%zu rate %g", count, (double)l->rate);
    in_f32(c, backward ? "dy" : "x", count, -1.0f, 1.0f);
    out_f32(c, backward ? "dx" : "y", count, 0.0, 0.0); /* the same Philox mask: exact */
    return 1;
}

static int add_layer(bench_cases *cs, const gt_model *m, int i, int n, int backward,
                     gt_precision prec, unsigned mask)
{
    const gt_layer *l = &m->layers[i];
    int need_dx = i > m->first_compute;
    size_t out_count = (size_t)n * gt_shape3_size(l->out);
    switch (l->kind) {
    case GT_LAYER_CONV2D:
        if (backward && l->activation == GT_ACT_RELU &&
            !add_relu_backward(cs, l->name, out_count, mask))
            return 0;
        return !(mask & (1u << BENCH_CONV)) || add_conv(cs, l, n, need_dx, backward, prec);
    case GT_LAYER_DENSE:
        if (backward && l->activation == GT_ACT_RELU &&
            !add_relu_backward(cs, l->name, out_count, mask))
            return 0;
        return !(mask & (1u << BENCH_DENSE)) || add_dense(cs, l, n, need_dx, backward, prec);
    case GT_LAYER_MAXPOOL2D:
        if (backward && !need_dx) return 1;
        return !(mask & (1u << BENCH_POOL)) || add_pool(cs, l, n, backward);
    case GT_LAYER_ACTIVATION:
        return add_activation(cs, l, n, need_dx, backward, mask);
    case GT_LAYER_DROPOUT:
        return !(mask & (1u << BENCH_DROPOUT)) || add_dropout(cs, l, n, need_dx, backward);
    default:
        return 1; /* Flatten: no op (NHWC flatten is the same memory) */
    }
}

static int add_gather(bench_cases *cs, const gt_model *m, int n)
{
    const gt_preprocess *p = &m->preprocess;
    bench_case *c = new_case(cs, "input", "preprocess_gather", BENCH_GATHER, call_gather);
    if (!c) return 0;
    c->pre = *p;
    c->m = n;
    snprintf(c->shape, sizeof c->shape, "n%d %dx%dx%d->%dx%dx%d", n, p->in_h, p->in_w, p->in_c,
             p->out_h, p->out_w, p->out_c);
    /* a resident "dataset" of n images, gathered in a random order */
    add_buf(c, "images", ELEM_U8, ROLE_IN, FILL_BYTES, 0.0f, 0.0f,
            (size_t)n * p->in_h * p->in_w * p->in_c, 0.0, 0.0);
    add_buf(c, "labels", ELEM_I32, ROLE_IN, FILL_CLASSES, 0.0f, (float)m->num_classes, (size_t)n,
            0.0, 0.0);
    add_buf(c, "indices", ELEM_I32, ROLE_IN, FILL_CLASSES, 0.0f, (float)n, (size_t)n, 0.0, 0.0);
    out_f32(c, "x", (size_t)n * p->out_h * p->out_w * p->out_c, 1e-6, 1e-6);
    add_buf(c, "y", ELEM_I32, ROLE_OUT, FILL_NONE, 0.0f, 0.0f, (size_t)n, 0.0, 0.0);
    return 1;
}

static int add_loss(bench_cases *cs, const gt_model *m, int n, gt_loss_reduction reduction)
{
    int classes = m->num_classes;
    bench_case *c = m->logits_output
                        ? new_case(cs, "loss", "softmax_xent", BENCH_LOSS, call_softmax_xent)
                        : new_case(cs, "loss", "prob_xent", BENCH_LOSS, call_prob_xent);
    if (!c) return 0;
    c->m = n;
    c->classes = classes;
    c->scale = reduction == GT_REDUCE_MEAN ? 1.0f / (float)n : 1.0f;
    snprintf(c->shape, sizeof c->shape, "%dx%d", n, classes);
    if (m->logits_output)
        in_f32(c, "logits", (size_t)n * classes, -3.0f, 3.0f);
    else
        in_f32(c, "probs", (size_t)n * classes, 0.01f, 1.0f);
    add_buf(c, "labels", ELEM_I32, ROLE_IN, FILL_CLASSES, 0.0f, (float)classes, (size_t)n, 0.0,
            0.0);
    /* stats: the loss sum (fp32 rounding of the per-example terms) and the
     * hit count (an integer below 2^24, so the relative bound makes it exact) */
    out_f32(c, "stats", 2, 0.0, 1e-5);
    out_f32(c, "dlogits", (size_t)n * classes, 1e-6, 1e-6);
    return 1;
}

static int add_optimizer(bench_cases *cs, const gt_model *m, const gt_train_config *cfg)
{
    size_t np = m->n_params;
    bench_case *c;
    if (cfg->optimizer == GT_OPT_ADAM) {
        if (!(c = new_case(cs, "optimizer", "adam_update", BENCH_OPTIM, call_adam))) return 0;
        c->adam.learning_rate = cfg->learning_rate;
        c->adam.beta1 = cfg->beta1;
        c->adam.beta2 = cfg->beta2;
        c->adam.epsilon = cfg->epsilon;
        c->adam.step = 10;
    } else {
        if (!(c = new_case(cs, "optimizer", "sgd_update", BENCH_OPTIM, call_sgd))) return 0;
        c->scale = cfg->learning_rate;
        c->momentum = cfg->momentum;
    }
    c->count = np;
    snprintf(c->shape, sizeof c->shape, "%zu params", np);
    in_f32(c, "grads", np, -1.0f, 1.0f);
    /* element math with no sums: a few ulps (as gpu_ops_parity) */
    add_buf(c, "params", ELEM_F32, ROLE_INOUT, FILL_UNIFORM, -1.0f, 1.0f, np, 1e-6, 1e-6);
    if (cfg->optimizer == GT_OPT_ADAM) {
        add_buf(c, "m", ELEM_F32, ROLE_INOUT, FILL_UNIFORM, -0.1f, 0.1f, np, 1e-6, 1e-6);
        add_buf(c, "v", ELEM_F32, ROLE_INOUT, FILL_UNIFORM, 0.0f, 0.01f, np, 1e-6, 1e-6);
    } else if (cfg->momentum != 0.0f) {
        add_buf(c, "velocity", ELEM_F32, ROLE_INOUT, FILL_UNIFORM, -0.1f, 0.1f, np, 1e-6, 1e-6);
    }
    return 1;
}

gt_status bench_cases_for_model(const gt_model *model, int n, gt_precision prec, unsigned mask,
                                bench_cases *out)
{
    memset(out, 0, sizeof *out);
    gt_train_config cfg = gt_train_config_for(model);
    int ok = !(mask & (1u << BENCH_GATHER)) || add_gather(out, model, n);
    for (int i = model->first_compute; ok && i < model->n_layers; ++i)
        ok = add_layer(out, model, i, n, 0, prec, mask);
    if (ok && (mask & (1u << BENCH_LOSS))) ok = add_loss(out, model, n, cfg.reduction);
    for (int i = model->n_layers - 1; ok && i >= model->first_compute; --i)
        ok = add_layer(out, model, i, n, 1, prec, mask);
    if (ok && (mask & (1u << BENCH_OPTIM))) ok = add_optimizer(out, model, &cfg);
    if (ok) return GT_OK;
    bench_cases_free(out);
    return GT_ERR_OUT_OF_MEMORY;
}

void bench_cases_free(bench_cases *cases)
{
    free(cases->items);
    memset(cases, 0, sizeof *cases);
}
