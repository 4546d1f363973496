/* Gradient checks of the reference CPU ops: every analytic gradient against a
 * central finite difference (f(p + h) - f(p - h)) / (2h) of a scalar
 * objective accumulated in double. For the layer ops the objective is
 * L = sum(y * r) with a fixed random r, so the analytic gradient is the
 * backward op fed dy = r; for the losses it is the loss itself. Kinks are kept
 * away from the perturbation (ReLU inputs away from 0, distinct pooling
 * values), and each parameter is checked with
 *     |fd - analytic| <= ATOL + RTOL |analytic|.
 * Then the fast backend's gradients are compared with the reference's. */
#include "cpu_ops_common.h"
#include "elem_math.h"
#include "model_internal.h" /* gt_activation_name */

/* Float outputs rounded once (the reference sums in double): a perturbation
 * changes a few outputs, each off by ~1e-7 of its size, so with h = 1e-2 the
 * difference quotient is good to ~1e-5; the truncation error of a central
 * difference is zero for the linear ops. 1e-4 + 1e-3 relative: 10x margin. */
#define ATOL 1e-4
#define RTOL 1e-3
/* Fast vs reference gradients: float GEMM sums against double, as in test_cpu_ops. */
#define FAST_TOL 2e-5

static gt_backend *ref_be, *fast_be;

typedef double (*objective_fn)(void *ctx);

static void fd_check(const char *what, float *param, size_t n, const float *analytic,
                     objective_fn f, void *ctx, float h, double atol, double rtol)
{
    int reported = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; ++i) {
        float saved = param[i];
        float up = saved + h, down = saved - h;
        param[i] = up;
        double f_up = f(ctx);
        param[i] = down;
        double f_down = f(ctx);
        param[i] = saved;
        /* Divide by the step actually taken in float. */
        double fd = (f_up - f_down) / ((double)up - (double)down);
        double err = fabs(fd - (double)analytic[i]);
        double allowed = atol + rtol * fabs((double)analytic[i]);
        if (err / allowed > worst) worst = err / allowed;
        if (!(err <= allowed) && reported++ < 5)
            CHECK_MSG(0, "%s[%zu]: finite difference %.6g, analytic %.6g", what, i, fd,
                      (double)analytic[i]);
    }
    if (reported) CHECK_MSG(0, "%s: %d of %zu gradients off", what, reported, n);
    printf("%-22s %5zu params, worst error %.2f of the tolerance\n", what, n, worst);
}

static double dot(const float *y, const float *r, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; ++i)
        s += (double)y[i] * (double)r[i];
    return s;
}

/* ---- convolution ---- */

typedef struct conv_ctx {
    gt_conv_geom g;
    float *x, *w, *b, *y, *r;
} conv_ctx;

static double conv_objective(void *p)
{
    conv_ctx *c = p;
    CHECK_OK(ref_be->conv2d_forward(ref_be, &c->g, c->y, c->x, c->w, c->b, GT_ACT_LINEAR, NULL));
    return dot(c->y, c->r, conv_y_size(&c->g));
}

static void gradcheck_conv(const gt_conv_geom *g, unsigned long long *rng)
{
    conv_ctx c = {*g, NULL, NULL, NULL, NULL, NULL};
    size_t xn = conv_x_size(g), yn = conv_y_size(g), wn = conv_w_size(g), bn = (size_t)g->out_c;
    c.x = rand_buf(xn, rng, -1, 1);
    c.w = rand_buf(wn, rng, -1, 1);
    c.b = rand_buf(bn, rng, -1, 1);
    c.y = zero_buf(yn);
    c.r = rand_buf(yn, rng, -1, 1);
    float *dx = zero_buf(xn), *dw = zero_buf(wn), *db = zero_buf(bn);
    CHECK_OK(ref_be->conv2d_backward_data(ref_be, g, dx, c.r, c.w, NULL));
    CHECK_OK(ref_be->conv2d_backward_filter(ref_be, g, dw, db, c.r, c.x, NULL));
    fd_check("conv dx", c.x, xn, dx, conv_objective, &c, 1e-2f, ATOL, RTOL);
    fd_check("conv dw", c.w, wn, dw, conv_objective, &c, 1e-2f, ATOL, RTOL);
    fd_check("conv db", c.b, bn, db, conv_objective, &c, 1e-2f, ATOL, RTOL);

    float *fdx = zero_buf(xn), *fdw = zero_buf(wn), *fdb = zero_buf(bn);
    void *ws = conv_workspace(fast_be, g);
    CHECK_OK(fast_be->conv2d_backward_data(fast_be, g, fdx, c.r, c.w, ws));
    CHECK_OK(fast_be->conv2d_backward_filter(fast_be, g, fdw, fdb, c.r, c.x, ws));
    CHECK_CLOSE("fast conv dx", fdx, dx, xn, FAST_TOL);
    CHECK_CLOSE("fast conv dw", fdw, dw, wn, FAST_TOL);
    CHECK_CLOSE("fast conv db", fdb, db, bn, FAST_TOL);
    fast_be->free(fast_be, ws);
    free(c.x);
    free(c.w);
    free(c.b);
    free(c.y);
    free(c.r);
    free(dx);
    free(dw);
    free(db);
    free(fdx);
    free(fdw);
    free(fdb);
}

/* ---- dense: y = relu(x W + b), W in Keras' (in, out) layout ---- */

typedef struct dense_ctx {
    gt_backend *be;
    int n, in, out;
    float *x, *w, *b, *y, *r;
} dense_ctx;

static void dense_forward(dense_ctx *c)
{
    gt_backend *be = c->be;
    CHECK_OK(be->gemm(be, 0, 0, c->n, c->out, c->in, 1.0f, c->x, c->in, c->w, c->out, 0.0f, c->y,
                      c->out));
    CHECK_OK(be->bias_act_forward(be, c->y, c->b, c->n, c->out, GT_ACT_RELU));
}

static double dense_objective(void *p)
{
    dense_ctx *c = p;
    dense_forward(c);
    return dot(c->y, c->r, (size_t)c->n * c->out);
}

/* The dense layer's backward pass as the trainer runs it. */
static void dense_backward(dense_ctx *c, float *dx, float *dw, float *db, float *dpre)
{
    gt_backend *be = c->be;
    dense_forward(c);
    CHECK_OK(be->relu_backward(be, dpre, c->r, c->y, (size_t)c->n * c->out));
    CHECK_OK(
        be->gemm(be, 1, 0, c->in, c->out, c->n, 1.0f, c->x, c->in, dpre, c->out, 0.0f, dw, c->out));
    CHECK_OK(
        be->gemm(be, 0, 1, c->n, c->in, c->out, 1.0f, dpre, c->out, c->w, c->out, 0.0f, dx, c->in));
    CHECK_OK(be->bias_backward(be, db, dpre, c->n, c->out));
}

static void gradcheck_dense(unsigned long long *rng)
{
    dense_ctx c = {ref_be, 3, 7, 5, NULL, NULL, NULL, NULL, NULL};
    size_t xn = (size_t)c.n * c.in, wn = (size_t)c.in * c.out, yn = (size_t)c.n * c.out;
    c.x = rand_buf(xn, rng, -1, 1);
    c.w = rand_buf(wn, rng, -1, 1);
    c.b = rand_buf((size_t)c.out, rng, -0.5f, 0.5f);
    c.y = zero_buf(yn);
    c.r = rand_buf(yn, rng, -1, 1);
    /* Keep pre-activations away from the ReLU kink (a step of h moves them
     * by ~h |W|); both signs stay represented. */
    dense_forward(&c);
    for (int it = 0; it < 4; ++it) {
        CHECK_OK(ref_be->gemm(ref_be, 0, 0, c.n, c.out, c.in, 1.0f, c.x, c.in, c.w, c.out, 0.0f,
                              c.y, c.out));
        int moved = 0;
        for (size_t i = 0; i < yn; ++i) {
            float pre = c.y[i] + c.b[i % (size_t)c.out];
            if (fabsf(pre) < 0.05f) {
                c.b[i % (size_t)c.out] += 0.2f;
                moved = 1;
            }
        }
        if (!moved) break;
    }
    float *dx = zero_buf(xn), *dw = zero_buf(wn), *db = zero_buf((size_t)c.out),
          *dpre = zero_buf(yn);
    dense_backward(&c, dx, dw, db, dpre);
    fd_check("dense dx", c.x, xn, dx, dense_objective, &c, 1e-2f, ATOL, RTOL);
    fd_check("dense dW", c.w, wn, dw, dense_objective, &c, 1e-2f, ATOL, RTOL);
    fd_check("dense db", c.b, (size_t)c.out, db, dense_objective, &c, 1e-2f, ATOL, RTOL);

    float *fdx = zero_buf(xn), *fdw = zero_buf(wn), *fdb = zero_buf((size_t)c.out);
    c.be = fast_be;
    dense_backward(&c, fdx, fdw, fdb, dpre);
    CHECK_CLOSE("fast dense dx", fdx, dx, xn, FAST_TOL);
    CHECK_CLOSE("fast dense dW", fdw, dw, wn, FAST_TOL);
    CHECK_CLOSE("fast dense db", fdb, db, (size_t)c.out, FAST_TOL);
    free(c.x);
    free(c.w);
    free(c.b);
    free(c.y);
    free(c.r);
    free(dx);
    free(dw);
    free(db);
    free(dpre);
    free(fdx);
    free(fdw);
    free(fdb);
}

/* ---- element-wise layers: maxpool, relu, bias, dropout ---- */

typedef struct unary_ctx {
    int op; /* 0 maxpool, 1 relu, 2 bias, 3 dropout */
    gt_pool_geom pg;
    int rows, cols;
    float *x, *b, *y, *r;
    size_t yn;
} unary_ctx;

static void unary_forward(gt_backend *be, unary_ctx *c)
{
    size_t xn = (size_t)c->rows * c->cols;
    switch (c->op) {
    case 0:
        CHECK_OK(be->maxpool_forward(be, &c->pg, c->y, c->x));
        break;
    case 1:
        memcpy(c->y, c->x, xn * sizeof *c->y);
        CHECK_OK(be->bias_act_forward(be, c->y, NULL, c->rows, c->cols, GT_ACT_RELU));
        break;
    case 2:
        memcpy(c->y, c->x, xn * sizeof *c->y);
        CHECK_OK(be->bias_act_forward(be, c->y, c->b, c->rows, c->cols, GT_ACT_LINEAR));
        break;
    default:
        CHECK_OK(be->dropout_forward(be, c->y, c->x, xn, 0.5f, 99, 3));
        break;
    }
}

static double unary_objective(void *p)
{
    unary_ctx *c = p;
    unary_forward(ref_be, c);
    return dot(c->y, c->r, c->yn);
}

static void unary_backward(gt_backend *be, unary_ctx *c, float *dx, float *db)
{
    size_t xn = (size_t)c->rows * c->cols;
    unary_forward(be, c);
    switch (c->op) {
    case 0:
        CHECK_OK(be->maxpool_backward(be, &c->pg, dx, c->r, c->x));
        break;
    case 1:
        CHECK_OK(be->relu_backward(be, dx, c->r, c->y, xn));
        break;
    case 2:
        memcpy(dx, c->r, xn * sizeof *dx); /* y = x + b: dx = dy */
        CHECK_OK(be->bias_backward(be, db, c->r, c->rows, c->cols));
        break;
    default:
        /* the trainer's backward: the forward op on dy, same seed and offset */
        CHECK_OK(be->dropout_forward(be, dx, c->r, xn, 0.5f, 99, 3));
        break;
    }
}

static void gradcheck_unary(int op, unsigned long long *rng)
{
    static const char *names[] = {"maxpool dx", "relu dx", "bias dx", "dropout dx"};
    unary_ctx c = {0};
    c.op = op;
    /* 3x3 windows, stride 2, 'same' on 7x7: windows overlap, so some inputs
     * collect the gradient of two outputs, and padding is involved. */
    c.pg = pool_geom(2, 7, 7, 3, 3, 2, 1);
    c.rows = op == 0 ? 2 * 7 * 7 : 9;
    c.cols = op == 0 ? 3 : 11;
    size_t xn = (size_t)c.rows * c.cols;
    c.yn = op == 0 ? (size_t)2 * c.pg.out_h * c.pg.out_w * 3 : xn;
    c.x = rand_buf(xn, rng, -1, 1);
    c.b = rand_buf((size_t)c.cols, rng, -1, 1);
    c.y = zero_buf(xn);
    c.r = rand_buf(c.yn, rng, -1, 1);
    if (op == 0) /* distinct values 0.01 apart: a step of 1e-3 never changes a winner */
        for (size_t i = 0; i < xn; ++i)
            c.x[i] = (float)((i * 37) % xn) * 0.01f - 1.0f;
    if (op == 1) /* ReLU inputs at least 0.05 from the kink */
        for (size_t i = 0; i < xn; ++i)
            c.x[i] += c.x[i] >= 0 ? 0.05f : -0.05f;
    float *dx = zero_buf(xn), *db = zero_buf((size_t)c.cols);
    unary_backward(ref_be, &c, dx, db);
    fd_check(names[op], c.x, xn, dx, unary_objective, &c, 1e-3f, ATOL, RTOL);
    if (op == 2)
        fd_check("bias db", c.b, (size_t)c.cols, db, unary_objective, &c, 1e-2f, ATOL, RTOL);

    float *fdx = zero_buf(xn), *fdb = zero_buf((size_t)c.cols);
    unary_backward(fast_be, &c, fdx, fdb);
    CHECK_CLOSE(names[op], fdx, dx, xn, 0.0); /* no sums beyond the bias: exact */
    if (op == 2) CHECK_CLOSE("fast bias db", fdb, db, (size_t)c.cols, 0.0);
    free(c.x);
    free(c.b);
    free(c.y);
    free(c.r);
    free(dx);
    free(db);
    free(fdx);
    free(fdb);
}

/* ---- elementwise activations: every one of GT_ACTIVATIONS but softmax ---- */

typedef struct act_ctx {
    gt_activation act;
    float alpha;
    float *x, *y, *r;
    size_t n;
} act_ctx;

static double act_objective(void *p)
{
    act_ctx *c = p;
    CHECK_OK(ref_be->act_forward(ref_be, c->y, c->x, c->n, c->act, c->alpha));
    return dot(c->y, c->r, c->n);
}

static void act_gradient(gt_backend *be, act_ctx *c, float *dx)
{
    CHECK_OK(be->act_forward(be, c->y, c->x, c->n, c->act, c->alpha));
    /* x only where the gradient needs it: the others must work from y alone */
    const float *x = gt_act_grad_needs_x(c->act) ? c->x : NULL;
    CHECK_OK(be->act_backward(be, dx, c->r, x, c->y, c->n, c->act, c->alpha));
}

static void gradcheck_activations(unsigned long long *rng)
{
    for (int a = 0; a < GT_ACT_COUNT; ++a) {
        if (a == GT_ACT_SOFTMAX) continue; /* fused into the loss, checked there */
        act_ctx c = {(gt_activation)a, a == GT_ACT_LEAKY_RELU ? 0.2f : 1.3f, NULL, NULL, NULL, 60};
        /* inputs over [-3, 3], at least 0.05 from the kink at 0 */
        c.x = rand_buf(c.n, rng, -3, 3);
        for (size_t i = 0; i < c.n; ++i)
            c.x[i] += c.x[i] >= 0 ? 0.05f : -0.05f;
        c.y = zero_buf(c.n);
        c.r = rand_buf(c.n, rng, -1, 1);
        float *dx = zero_buf(c.n), *fdx = zero_buf(c.n);
        act_gradient(ref_be, &c, dx);
        char what[48];
        snprintf(what, sizeof what, "%s dx", gt_activation_name((gt_activation)a));
        fd_check(what, c.x, c.n, dx, act_objective, &c, 1e-3f, ATOL, RTOL);
        act_gradient(fast_be, &c, fdx);
        CHECK_CLOSE(what, fdx, dx, c.n, 0.0); /* the same element math: exact */
        free(c.x);
        free(c.y);
        free(c.r);
        free(dx);
        free(fdx);
    }
    /* softmax is not elementwise; gelu's gradient without x cannot be had */
    float v[4] = {0}, out[4];
    CHECK_FAILS_WITH(ref_be->act_forward(ref_be, out, v, 4, GT_ACT_SOFTMAX, 0.0f),
                     GT_ERR_INVALID_ARGUMENT, "not elementwise");
    CHECK_FAILS_WITH(ref_be->act_backward(ref_be, out, v, NULL, v, 4, GT_ACT_GELU, 0.0f),
                     GT_ERR_INVALID_ARGUMENT, "needs its input x");
}

/* ---- average pooling and zero padding (linear ops: the objective's
 * finite difference is exact but for rounding) ---- */

typedef struct shape_ctx {
    int pad; /* 0: avgpool, 1: pad2d */
    gt_pool_geom pg;
    gt_pad_geom zg;
    float *x, *y, *r;
    size_t xn, yn;
} shape_ctx;

static void shape_forward(gt_backend *be, shape_ctx *c)
{
    if (c->pad)
        CHECK_OK(be->pad2d_forward(be, &c->zg, c->y, c->x));
    else
        CHECK_OK(be->avgpool_forward(be, &c->pg, c->y, c->x));
}

static double shape_objective(void *p)
{
    shape_ctx *c = p;
    shape_forward(ref_be, c);
    return dot(c->y, c->r, c->yn);
}

static void shape_backward(gt_backend *be, shape_ctx *c, float *dx)
{
    if (c->pad)
        CHECK_OK(be->pad2d_backward(be, &c->zg, dx, c->r));
    else
        CHECK_OK(be->avgpool_backward(be, &c->pg, dx, c->r));
}

static void gradcheck_shape_op(const char *what, shape_ctx c, unsigned long long *rng)
{
    c.x = rand_buf(c.xn, rng, -1, 1);
    c.y = zero_buf(c.yn);
    c.r = rand_buf(c.yn, rng, -1, 1);
    float *dx = zero_buf(c.xn), *fdx = zero_buf(c.xn);
    shape_backward(ref_be, &c, dx);
    fd_check(what, c.x, c.xn, dx, shape_objective, &c, 1e-2f, ATOL, RTOL);
    shape_backward(fast_be, &c, fdx);
    CHECK_CLOSE(what, fdx, dx, c.xn, 0.0); /* the same per-cell functions: exact */
    float *y_fast = zero_buf(c.yn);
    float *y_ref = c.y;
    c.y = y_fast;
    shape_forward(fast_be, &c);
    c.y = y_ref;
    shape_forward(ref_be, &c);
    CHECK_CLOSE(what, y_fast, y_ref, c.yn, 0.0);
    free(c.x);
    free(c.y);
    free(c.r);
    free(dx);
    free(fdx);
    free(y_fast);
}

static void gradcheck_pool_pad(unsigned long long *rng)
{
    /* overlapping 3x3 windows, stride 2, 'same' (padded cells not counted) */
    shape_ctx a = {0};
    a.pg = pool_geom(2, 7, 6, 3, 3, 2, 1);
    a.xn = (size_t)2 * 7 * 6 * 3;
    a.yn = (size_t)2 * a.pg.out_h * a.pg.out_w * 3;
    gradcheck_shape_op("avgpool same dx", a, rng);
    /* 2x2 stride 2 'valid' on an odd size: the last row and column unused */
    shape_ctx b = {0};
    b.pg = pool_geom(1, 5, 5, 4, 2, 2, 0);
    b.xn = (size_t)5 * 5 * 4;
    b.yn = (size_t)b.pg.out_h * b.pg.out_w * 4;
    gradcheck_shape_op("avgpool valid dx", b, rng);
    /* global average pooling: one window of the whole image */
    shape_ctx gl = {0};
    gl.pg = pool_geom(3, 4, 5, 2, 1, 1, 0);
    gl.pg.k_h = 4;
    gl.pg.k_w = 5;
    gl.pg.out_h = gl.pg.out_w = 1;
    gl.xn = (size_t)3 * 4 * 5 * 2;
    gl.yn = (size_t)3 * 2;
    gradcheck_shape_op("global avgpool dx", gl, rng);
    shape_ctx z = {0};
    z.pad = 1;
    z.zg = (gt_pad_geom){2, 3, 4, 3, 1, 2, 0, 3};
    z.xn = (size_t)2 * 3 * 4 * 3;
    z.yn = (size_t)2 * (1 + 3 + 2) * (0 + 4 + 3) * 3;
    gradcheck_shape_op("pad2d dx", z, rng);
}

/* ---- batch normalization, training mode: the batch statistics depend on x,
 * so dx carries the mean's and the variance's terms ---- */

typedef struct bn_ctx {
    int rows, channels;
    float *x, *gamma, *beta, *y, *mean, *var, *r;
} bn_ctx;

static double bn_objective(void *p)
{
    bn_ctx *c = p;
    CHECK_OK(ref_be->batchnorm_forward_train(ref_be, c->y, c->mean, c->var, c->x, c->gamma, c->beta,
                                             c->rows, c->channels, 1e-3f));
    return dot(c->y, c->r, (size_t)c->rows * c->channels);
}

static void bn_gradient(gt_backend *be, bn_ctx *c, float *dx, float *dgamma, float *dbeta)
{
    CHECK_OK(be->batchnorm_forward_train(be, c->y, c->mean, c->var, c->x, c->gamma, c->beta,
                                         c->rows, c->channels, 1e-3f));
    CHECK_OK(be->batchnorm_backward(be, dx, dgamma, dbeta, c->r, c->x, c->gamma, c->mean, c->var,
                                    c->rows, c->channels, 1e-3f));
}

static void gradcheck_batchnorm(unsigned long long *rng)
{
    bn_ctx c = {12, 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t n = (size_t)c.rows * c.channels, ch = (size_t)c.channels;
    c.x = rand_buf(n, rng, -2, 3);
    c.gamma = rand_buf(ch, rng, 0.5f, 1.5f);
    c.beta = rand_buf(ch, rng, -1, 1);
    c.y = zero_buf(n);
    c.mean = zero_buf(ch);
    c.var = zero_buf(ch);
    c.r = rand_buf(n, rng, -1, 1);
    float *dx = zero_buf(n), *dg = zero_buf(ch), *db = zero_buf(ch);
    bn_gradient(ref_be, &c, dx, dg, db);
    fd_check("batchnorm dx", c.x, n, dx, bn_objective, &c, 1e-2f, ATOL, RTOL);
    fd_check("batchnorm dgamma", c.gamma, ch, dg, bn_objective, &c, 1e-2f, ATOL, RTOL);
    fd_check("batchnorm dbeta", c.beta, ch, db, bn_objective, &c, 1e-2f, ATOL, RTOL);
    float *fdx = zero_buf(n), *fdg = zero_buf(ch), *fdb = zero_buf(ch);
    bn_gradient(fast_be, &c, fdx, fdg, fdb);
    CHECK_CLOSE("fast batchnorm dx", fdx, dx, n, 0.0); /* the same sums in the same order */
    CHECK_CLOSE("fast batchnorm dgamma", fdg, dg, ch, 0.0);
    CHECK_CLOSE("fast batchnorm dbeta", fdb, db, ch, 0.0);
    float *bufs[] = {c.x, c.gamma, c.beta, c.y, c.mean, c.var, c.r, dx, dg, db, fdx, fdg, fdb};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
        free(bufs[i]);
}

/* ---- losses: the objective is one row's loss (stats[0] for n = 1), so the
 * float rounding of the sum is that of a single O(1) loss ---- */

typedef struct loss_ctx {
    int prob;          /* 0 softmax_xent on logits, 1 prob_xent on probabilities */
    float log_epsilon; /* softmax_xent's: -log(p + it) */
    int classes, row;
    float *in;
    int32_t *labels;
} loss_ctx;

static double loss_objective(void *p)
{
    loss_ctx *c = p;
    float stats[2];
    const float *row = c->in + (size_t)c->row * c->classes;
    if (c->prob)
        CHECK_OK(
            ref_be->prob_xent(ref_be, NULL, stats, row, c->labels + c->row, 1, c->classes, 1.0f));
    else
        CHECK_OK(ref_be->softmax_xent(ref_be, NULL, stats, row, c->labels + c->row, 1, c->classes,
                                      1.0f, c->log_epsilon));
    return (double)stats[0];
}

/* log_epsilon 0.05, far above the 1e-10 notebook 004 uses, so that the
 * factor p / (p + epsilon) of its gradient is well away from 1 for the
 * label probabilities here (~0.03..0.4) and the check can see it. */
static void gradcheck_loss(int prob, float log_epsilon, unsigned long long *rng)
{
    const int n = 4, classes = 6;
    size_t total = (size_t)n * classes;
    loss_ctx c = {prob, log_epsilon, classes, 0, NULL, NULL};
    /* Probabilities in [0.2, 1] (normalised inside: p_label ~ 0.03..0.4, far
     * from the clip bounds); logits in [-3, 3]. */
    c.in = prob ? rand_buf(total, rng, 0.2f, 1.0f) : rand_buf(total, rng, -3, 3);
    c.labels = malloc((size_t)n * sizeof *c.labels);
    for (int i = 0; i < n; ++i)
        c.labels[i] = (int32_t)(gt_test_rng_next(rng) % (unsigned)classes);
    float *d = zero_buf(total), *fd = zero_buf(total), stats[2], fstats[2];
    if (prob)
        CHECK_OK(ref_be->prob_xent(ref_be, d, stats, c.in, c.labels, n, classes, 1.0f));
    else
        CHECK_OK(
            ref_be->softmax_xent(ref_be, d, stats, c.in, c.labels, n, classes, 1.0f, log_epsilon));
    const char *what =
        prob ? "prob_xent dout"
             : (log_epsilon > 0 ? "softmax_xent (log epsilon) dlogits" : "softmax_xent dlogits");
    for (c.row = 0; c.row < n; ++c.row) {
        size_t at = (size_t)c.row * classes;
        /* Smooth functions: h = 1e-2 (logits) or 1e-3 (probabilities, whose
         * third derivative 2/out^3 reaches 250) keeps truncation < 1e-4. */
        fd_check(what, c.in + at, (size_t)classes, d + at, loss_objective, &c, prob ? 1e-3f : 1e-2f,
                 prob ? 5e-4 : ATOL, RTOL);
    }
    if (prob)
        CHECK_OK(fast_be->prob_xent(fast_be, fd, fstats, c.in, c.labels, n, classes, 1.0f));
    else
        CHECK_OK(fast_be->softmax_xent(fast_be, fd, fstats, c.in, c.labels, n, classes, 1.0f,
                                       log_epsilon));
    CHECK_CLOSE(what, fd, d, total, 1e-5);
    CHECK_NEAR(fstats[0], stats[0], 1e-5 * (1.0 + fabs(stats[0])));
    free(c.in);
    free(c.labels);
    free(d);
    free(fd);
}

int main(void)
{
    unsigned long long rng = 0x2545F4914F6CDD1Dull;
    ref_be = make_backend("cpu-reference", 1);
    fast_be = make_backend("cpu", 2);
    gt_conv_geom asym = conv_geom(2, 6, 5, 3, 4, 3, 2, 1); /* same, stride 2: pad 0/1, 1/1 */
    gt_conv_geom valid5 = conv_geom(1, 7, 6, 2, 3, 5, 1, 0);
    gt_conv_geom point = conv_geom(2, 3, 4, 5, 3, 1, 1, 0);
    gradcheck_conv(&asym, &rng);
    gradcheck_conv(&valid5, &rng);
    gradcheck_conv(&point, &rng);
    gradcheck_dense(&rng);
    for (int op = 0; op < 4; ++op)
        gradcheck_unary(op, &rng);
    gradcheck_activations(&rng);
    gradcheck_pool_pad(&rng);
    gradcheck_batchnorm(&rng);
    gradcheck_loss(0, 0.0f, &rng);
    gradcheck_loss(1, 0.0f, &rng);
    gradcheck_loss(0, 0.05f, &rng);
    gt_backend_destroy(ref_be);
    gt_backend_destroy(fast_be);
    TEST_EXIT();
}
