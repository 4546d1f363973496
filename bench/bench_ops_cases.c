/* bench_ops: the cases of one training step, derived from a built model the
 * way the trainer runs it: the gather, every layer's forward pass through its
 * class (src/model/layers), the loss, every backward pass, the optimizer; so the
 * sum of the times is comparable with `gtrain bench`'s step time.
 * Tolerances are those of the gpu parity tests, widened where the shapes here
 * are larger. */
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
        if (c->buf[i].role != ROLE_SCRATCH) bytes += c->buf[i].role == ROLE_INOUT ? 2.0 * b : b;
    }
    return bytes;
}

/* ---- the other ops of a step: buffers in the order the builders add them ---- */

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

/* ---- layer passes ----
 * Buffers, in this order: x, the layer's weights (up to 4), y and the saved
 * floats (the forward's outputs; a backward case's prepare runs the forward
 * to fill them), dy, the working copy of dy the pass may overwrite, dx, and
 * the gradients of the weights. A backward call first copies dy into its
 * working buffer, so that every rep starts from the same gradient (the
 * copy's bytes are counted). */
enum { B_X = 0, B_W = 1, B_Y = 5, B_SAVED = 6, B_DY = 7, B_DY_WORK = 8, B_DX = 9, B_DW = 10 };

static gt_layer_io pass_io(gt_backend *be, const bench_case *c, void *const *b, void *ws,
                           uint64_t *offset, uint64_t *counter)
{
    const gt_layer *l = c->pass_layer;
    gt_layer_io io;
    memset(&io, 0, sizeof io);
    io.be = be;
    io.n = c->m;
    io.training = 1;
    io.x = b[B_X];
    io.y = b[B_Y];
    io.saved = b[B_SAVED];
    for (int k = 0; k < l->n_weights; ++k) {
        io.w[k] = b[B_W + k];
        io.dw[k] = l->weights[k].trainable ? b[B_DW + k] : NULL;
    }
    io.workspace = ws;
    io.dropout_seed = 1;
    io.dropout_offset = offset;
    io.dropout_counter = counter;
    io.batch_total = c->m;
    return io;
}

static gt_status call_forward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    uint64_t offset = 0, counter = 0;
    gt_layer_io io = pass_io(be, c, b, ws, &offset, &counter);
    return gt_layer_class_of(c->pass_layer->kind)->forward(c->pass_layer, &io);
}

static gt_status call_backward(gt_backend *be, const bench_case *c, void *const *b, void *ws)
{
    const gt_layer *l = c->pass_layer;
    const gt_layer_class *cls = gt_layer_class_of(l->kind);
    uint64_t offset = 0, counter = 0;
    gt_layer_io io = pass_io(be, c, b, ws, &offset, &counter);
    GT_TRY(be->copy(be, b[B_DY_WORK], b[B_DY], c->buf[B_DY].count * sizeof(float)));
    io.y_seen = cls->writes_output(l) ? b[B_Y] : b[B_X];
    io.dy = b[B_DY_WORK];
    io.dx = b[B_DX];
    io.need_dx = c->need_dx;
    return cls->backward(l, &io);
}

static int add_pass(bench_cases *cs, const gt_model *m, int i, int n, int backward,
                    gt_precision prec, unsigned mask)
{
    const gt_layer *l = &m->layers[i];
    const gt_layer_class *cls = gt_layer_class_of(l->kind);
    int need_dx = i > m->first_compute, trainable = 0;
    for (int k = 0; k < l->n_weights; ++k)
        trainable |= l->weights[k].trainable;
    bench_kind kind = (bench_kind)cls->category;
    if (!(mask & (1u << kind))) return 1;
    /* passes that do nothing: Flatten, a linear Activation, a first layer's
     * backward without weights */
    if (!cls->writes_output(l) && !l->n_weights) return 1;
    if (backward && !need_dx && !trainable) return 1;
    /* merge layers read several tensors of the graph: not timed as a pass
     * here (memory-bound sums and copies; gtrain bench times them in steps) */
    if (cls->merge) return 1;
    bench_case *c = new_case(cs, l->name, backward ? "backward" : "forward", kind,
                             backward ? call_backward : call_forward);
    if (!c) return 0;
    c->pass_layer = l;
    c->backward = backward;
    c->need_dx = need_dx;
    c->m = n;
    c->prepare = backward ? call_forward : NULL;
    c->flops = cls->flops ? cls->flops(l, n, backward) : 0.0;
    snprintf(c->shape, sizeof c->shape, "n%d %dx%dx%d->%dx%dx%d", n, l->in.h, l->in.w, l->in.c,
             l->out.h, l->out.w, l->out.c);
    /* conv and GEMM sums: the matmul bound; the others' double sums and
     * element math: a few ulps */
    double of_max = c->flops > 0.0 ? matmul_of_max(prec) : 1e-5, rel = c->flops > 0.0 ? 0.0 : 1e-5;
    size_t xn = (size_t)n * gt_shape3_size(l->in), yn = (size_t)n * gt_shape3_size(l->out);
    size_t saved = cls->saved_floats ? cls->saved_floats(l, n) : 0;
    in_f32(c, "x", xn, -1.0f, 1.0f);
    static const char *const wnames[4] = {"w0", "w1", "w2", "w3"};
    for (int k = 0; k < 4; ++k) {
        int has = k < l->n_weights;
        /* moving statistics: positive, variance-like */
        int state = has && !l->weights[k].trainable;
        add_buf(c, wnames[k], ELEM_F32, ROLE_IN, FILL_UNIFORM, state ? 0.5f : -0.5f,
                state ? 1.5f : 0.5f, has ? l->weights[k].count : 0, 0.0, 0.0);
    }
    bench_role fwd_out = backward ? ROLE_SCRATCH : ROLE_OUT;
    add_buf(c, "y", ELEM_F32, fwd_out, FILL_NONE, 0.0f, 0.0f, cls->writes_output(l) ? yn : 0,
            of_max, rel);
    add_buf(c, "saved", ELEM_F32, fwd_out, FILL_NONE, 0.0f, 0.0f, saved, of_max, rel);
    in_f32(c, "dy", backward ? yn : 0, -1.0f, 1.0f);
    out_f32(c, "dy work", backward ? yn : 0, of_max, rel);
    /* dx also for a first layer: BatchNormalization's op writes it with dgamma */
    out_f32(c, "dx", backward ? xn : 0, of_max, rel);
    static const char *const gnames[4] = {"dw0", "dw1", "dw2", "dw3"};
    for (int k = 0; k < 4; ++k)
        out_f32(c, gnames[k],
                backward && k < l->n_weights && l->weights[k].trainable ? l->weights[k].count : 0,
                of_max, rel);
    return 1;
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
    size_t np = m->n_trainable;
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
        ok = add_pass(out, model, i, n, 0, prec, mask);
    if (ok && (mask & (1u << BENCH_LOSS))) ok = add_loss(out, model, n, cfg.reduction);
    for (int i = model->n_layers - 1; ok && i >= model->first_compute; --i)
        ok = add_pass(out, model, i, n, 1, prec, mask);
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
