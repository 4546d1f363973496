/* Element math shared by the CPU backend and the CUDA kernels. Each function
 * is the whole per-element arithmetic of an op; backends only add loops or
 * thread indexing around it. */
#ifndef GT_ELEM_MATH_H
#define GT_ELEM_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gt_hd.h"
#include "gtrain/backend.h"
#include "philox.h"

/* ---- merging (axpby) ---- */
/* alpha x + beta y, or alpha x alone when beta is 0 (y may be garbage then). */
GT_HD float gt_axpby_elem(float alpha, float x, float beta, float y)
{
    return beta == 0.0f ? alpha * x : alpha * x + beta * y;
}

/* ---- ReLU ---- */
GT_HD float gt_relu(float x)
{
    return x > 0.0f ? x : 0.0f;
}

/* y is the ReLU output: the gradient passes where the unit was active. */
GT_HD float gt_relu_grad(float dy, float y)
{
    return y > 0.0f ? dy : 0.0f;
}

/* ---- The other elementwise activations (Keras semantics) ----
 * Computed in double and rounded once to float, so the CPU and the GPU agree
 * to the last bit wherever their double exp/log/erf agree to within double
 * rounding (they round to the same float but in rare ties). */
#define GT_SELU_ALPHA 1.6732632423543772848170429916717
#define GT_SELU_SCALE 1.0507009873554804934193349852946

/* 1 / (1 + e^-x), without overflow for large |x|. */
GT_HD double gt_sigmoid_d(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* log(1 + e^x) = max(x, 0) + log1p(e^-|x|). */
GT_HD double gt_softplus_d(double x)
{
    return (x > 0.0 ? x : 0.0) + log1p(exp(-fabs(x)));
}

/* act(x). alpha: ELU's alpha, LeakyReLU's negative slope. GELU is the exact
 * (erf) form, Keras' default (approximate=False). Softmax is not elementwise
 * (the loss fuses it): NaN. */
GT_HD float gt_act_elem(gt_activation act, float xf, float alpha)
{
    double x = (double)xf;
    switch (act) {
    case GT_ACT_LINEAR:
        return xf;
    case GT_ACT_RELU:
        return gt_relu(xf);
    case GT_ACT_SIGMOID:
        return (float)gt_sigmoid_d(x);
    case GT_ACT_TANH:
        return (float)tanh(x);
    case GT_ACT_ELU:
        return x > 0.0 ? xf : (float)((double)alpha * expm1(x));
    case GT_ACT_SELU:
        return (float)(x > 0.0 ? GT_SELU_SCALE * x : GT_SELU_SCALE * GT_SELU_ALPHA * expm1(x));
    case GT_ACT_GELU:
        return (float)(0.5 * x * (1.0 + erf(x * 0.70710678118654752440)));
    case GT_ACT_SWISH:
        return (float)(x * gt_sigmoid_d(x));
    case GT_ACT_SOFTPLUS:
        return (float)gt_softplus_d(x);
    case GT_ACT_LEAKY_RELU:
        return xf > 0.0f ? xf : (float)((double)alpha * x);
    case GT_ACT_SOFTMAX:
    case GT_ACT_COUNT:
        break;
    }
    return NAN;
}

/* 1 for the activations whose gradient needs the input x (the others derive
 * it from the output y alone). */
GT_HD int gt_act_grad_needs_x(gt_activation act)
{
    return act == GT_ACT_GELU || act == GT_ACT_SWISH;
}

/* dy * act'(x), from x (gelu, silu) or from y = act(x) (the others), as
 * TensorFlow's gradients do: at 0 relu passes nothing, leaky_relu its slope,
 * elu alpha, selu scale * alpha. */
GT_HD float gt_act_grad_elem(gt_activation act, float dyf, float xf, float yf, float alpha)
{
    double dy = (double)dyf, y = (double)yf, x = (double)xf, g = NAN;
    switch (act) {
    case GT_ACT_LINEAR:
        return dyf;
    case GT_ACT_RELU:
        return gt_relu_grad(dyf, yf);
    case GT_ACT_SIGMOID:
        g = y * (1.0 - y);
        break;
    case GT_ACT_TANH:
        g = 1.0 - y * y;
        break;
    case GT_ACT_ELU: /* y = alpha (e^x - 1) for x <= 0: act' = alpha e^x = y + alpha */
        g = y > 0.0 ? 1.0 : y + (double)alpha;
        break;
    case GT_ACT_SELU:
        g = y > 0.0 ? GT_SELU_SCALE : y + GT_SELU_SCALE * GT_SELU_ALPHA;
        break;
    case GT_ACT_GELU: /* Phi(x) + x phi(x) */
        g = 0.5 * (1.0 + erf(x * 0.70710678118654752440)) +
            x * 0.39894228040143267794 * exp(-0.5 * x * x);
        break;
    case GT_ACT_SWISH: {
        double s = gt_sigmoid_d(x);
        g = s * (1.0 + x * (1.0 - s));
        break;
    }
    case GT_ACT_SOFTPLUS: /* sigmoid(x) = 1 - e^-y, exact for tiny y through expm1 */
        g = -expm1(-y);
        break;
    case GT_ACT_LEAKY_RELU:
        g = y > 0.0 ? 1.0 : (double)alpha;
        break;
    case GT_ACT_SOFTMAX:
    case GT_ACT_COUNT:
        return NAN;
    }
    return (float)(dy * g);
}

/* ---- Adam (Keras): lr_t folds both bias corrections ---- */
GT_HD float gt_adam_lr_t(float lr, float beta1, float beta2, int64_t step)
{
    double b1t = pow((double)beta1, (double)step);
    double b2t = pow((double)beta2, (double)step);
    return (float)((double)lr * sqrt(1.0 - b2t) / (1.0 - b1t));
}

/* Updates m and v in place and returns the new parameter value. */
GT_HD float gt_adam_elem(float p, float g, float *m, float *v, float lr_t, float beta1, float beta2,
                         float epsilon)
{
    float m1 = beta1 * *m + (1.0f - beta1) * g;
    float v1 = beta2 * *v + (1.0f - beta2) * g * g;
    *m = m1;
    *v = v1;
    return p - lr_t * m1 / (sqrtf(v1) + epsilon);
}

/* ---- AdamW (Keras 3): the decoupled weight decay before Adam's step, as
 * base_optimizer._apply_weight_decay computes it: p - p * wd * lr ---- */
GT_HD float gt_adamw_elem(float p, float g, float *m, float *v, float lr, float weight_decay,
                          float lr_t, float beta1, float beta2, float epsilon)
{
    float decayed = p - p * weight_decay * lr;
    return gt_adam_elem(decayed, g, m, v, lr_t, beta1, beta2, epsilon);
}

/* ---- RMSprop (Keras 3, see gt_rmsprop_params): updates the moments in place
 * (momentum_buf and mean_grad may be NULL when unused) and returns the new
 * parameter value ---- */
GT_HD float gt_rmsprop_elem(float p, float g, float *velocity, float *momentum_buf,
                            float *mean_grad, float lr, float rho, float momentum, float epsilon)
{
    float v1 = rho * *velocity + (1.0f - rho) * (g * g);
    *velocity = v1;
    float denominator = v1 + epsilon;
    if (mean_grad) {
        float a1 = rho * *mean_grad + (1.0f - rho) * g;
        *mean_grad = a1;
        denominator = v1 - a1 * a1 + epsilon;
    }
    float increment = lr * g / sqrtf(denominator);
    if (momentum > 0.0f) {
        float m1 = momentum * *momentum_buf + increment;
        *momentum_buf = m1;
        return p - m1;
    }
    return p - increment;
}

/* ---- SGD (Keras): velocity = momentum * velocity - lr * g ---- */
GT_HD float gt_sgd_elem(float p, float g, float *velocity, float lr, float momentum, int nesterov)
{
    if (momentum == 0.0f) return p - lr * g;
    float v1 = momentum * *velocity - lr * g;
    *velocity = v1;
    return nesterov ? p + momentum * v1 - lr * g : p + v1;
}

/* ---- Dropout: element i keeps with probability 1 - rate, scaled by 1/(1-rate) ---- */
GT_HD float gt_dropout_factor(uint64_t seed, uint64_t offset, uint64_t i, float rate)
{
    uint64_t e = offset + i;
    float u = gt_u32_to_unit_float(gt_philox_word(seed, e >> 2, (unsigned)(e & 3u)));
    return u >= rate ? 1.0f / (1.0f - rate) : 0.0f;
}

/* ---- Bilinear resize, tf.image.resize (half-pixel centres, no antialias) ---- */
typedef struct gt_bilinear_tap {
    int lower, upper;
    float lerp;
} gt_bilinear_tap;

/* Source taps of output coordinate `out` when resizing in_size -> out_size. */
GT_HD gt_bilinear_tap gt_bilinear_tap_at(int out, int in_size, int out_size)
{
    float scale = (float)in_size / (float)out_size;
    float in = ((float)out + 0.5f) * scale - 0.5f;
    float in_floor = floorf(in);
    gt_bilinear_tap t;
    t.lower = (int)in_floor > 0 ? (int)in_floor : 0;
    int up = (int)ceilf(in);
    t.upper = up < in_size - 1 ? up : in_size - 1;
    t.lerp = in - in_floor;
    return t;
}

GT_HD float gt_bilinear_mix(float top_left, float top_right, float bottom_left, float bottom_right,
                            float x_lerp, float y_lerp)
{
    float top = top_left + (top_right - top_left) * x_lerp;
    float bottom = bottom_left + (bottom_right - bottom_left) * x_lerp;
    return top + (bottom - top) * y_lerp;
}

/* Unscaled value of pixel (oy, ox, c) of one image channel-repeated and
 * resized to out_h x out_w, from uint8 (gt_resize_pixel) or float32
 * (gt_resize_pixel_f32, the same arithmetic on float inputs): the channel
 * repeat picks the source channel; the bilinear taps run only when the size
 * differs (equal sizes are an exact copy). One definition for both types. */
#define GT_DEFINE_RESIZE_PIXEL(name, pixel_type)                                                   \
    GT_HD float name(const gt_preprocess *p, const pixel_type *image, int out_h, int out_w,        \
                     int oy, int ox, int c)                                                        \
    {                                                                                              \
        int sc = p->in_c == 1 ? 0 : c;                                                             \
        if (p->in_h == out_h && p->in_w == out_w)                                                  \
            return (float)image[((size_t)oy * p->in_w + ox) * p->in_c + sc];                       \
        gt_bilinear_tap ty = gt_bilinear_tap_at(oy, p->in_h, out_h);                               \
        gt_bilinear_tap tx = gt_bilinear_tap_at(ox, p->in_w, out_w);                               \
        size_t row_top = (size_t)ty.lower * p->in_w, row_bottom = (size_t)ty.upper * p->in_w;      \
        return gt_bilinear_mix((float)image[(row_top + tx.lower) * p->in_c + sc],                  \
                               (float)image[(row_top + tx.upper) * p->in_c + sc],                  \
                               (float)image[(row_bottom + tx.lower) * p->in_c + sc],               \
                               (float)image[(row_bottom + tx.upper) * p->in_c + sc], tx.lerp,      \
                               ty.lerp);                                                           \
    }

GT_DEFINE_RESIZE_PIXEL(gt_resize_pixel, uint8_t)
GT_DEFINE_RESIZE_PIXEL(gt_resize_pixel_f32, float)

/* Unscaled value of output pixel (oy, ox, c) of a preprocess-gather. */
GT_HD float gt_gather_pixel(const gt_preprocess *p, const uint8_t *image, int oy, int ox, int c)
{
    return gt_resize_pixel(p, image, p->out_h, p->out_w, oy, ox, c);
}

GT_HD float gt_gather_pixel_f32(const gt_preprocess *p, const float *image, int oy, int ox, int c)
{
    return gt_resize_pixel_f32(p, image, p->out_h, p->out_w, oy, ox, c);
}

/* ---- Cross-entropy ---- */
#define GT_KERAS_EPSILON 1e-7f

/* Keras categorical cross-entropy on probabilities: p = out/sum clipped to
 * [eps, 1-eps]; loss -log p. The gradient of -log(clip(out_label/sum)) w.r.t.
 * out_j is (1/sum) - [j == label] / out_label when unclipped, else only the
 * zero-gradient clip branch: clipped probabilities pass no gradient (as TF's
 * clip_by_value). */
GT_HD float gt_prob_xent_clip(float p)
{
    return p < GT_KERAS_EPSILON ? GT_KERAS_EPSILON
                                : (p > 1.0f - GT_KERAS_EPSILON ? 1.0f - GT_KERAS_EPSILON : p);
}

/* ---- Average pooling (Keras AveragePooling2D, TF semantics): a window's
 * padded cells are not counted, so 'same' windows at the border average over
 * their real cells only. Sums in double, in row-major window order, so every
 * backend gives the same bits. ---- */

/* The real cells [*lo, *hi) of window `o` along one axis. */
GT_HD void gt_pool_span(int o, int stride, int pad, int k, int in, int *lo, int *hi)
{
    int start = o * stride - pad;
    *lo = start > 0 ? start : 0;
    *hi = start + k < in ? start + k : in;
}

/* y(n, oh, ow, c). */
GT_HD float gt_avgpool_at(const gt_pool_geom *g, const float *x, int n, int oh, int ow, int c)
{
    int h0, h1, w0, w1;
    gt_pool_span(oh, g->stride_h, g->pad_top, g->k_h, g->in_h, &h0, &h1);
    gt_pool_span(ow, g->stride_w, g->pad_left, g->k_w, g->in_w, &w0, &w1);
    double sum = 0.0;
    for (int ih = h0; ih < h1; ++ih)
        for (int iw = w0; iw < w1; ++iw)
            sum += (double)x[(((size_t)n * g->in_h + ih) * g->in_w + iw) * g->c + c];
    return (float)(sum / (double)((h1 - h0) * (w1 - w0)));
}

/* The windows [*lo, *hi) along one axis that hold input cell i. */
GT_HD void gt_pool_covering(int i, int stride, int pad, int k, int out, int *lo, int *hi)
{
    /* o covers i when o*stride - pad <= i < o*stride - pad + k */
    int a = i + pad - k + 1;
    int first = a <= 0 ? 0 : (a + stride - 1) / stride;
    int last = (i + pad) / stride; /* i + pad >= 0 */
    *lo = first;
    *hi = last + 1 < out ? last + 1 : out;
}

/* dx(n, ih, iw, c): the sum of dy / cells over the windows holding the cell,
 * gathered (one writer per input cell: no atomics, no order to depend on). */
GT_HD float gt_avgpool_grad_at(const gt_pool_geom *g, const float *dy, int n, int ih, int iw, int c)
{
    int oh0, oh1, ow0, ow1;
    gt_pool_covering(ih, g->stride_h, g->pad_top, g->k_h, g->out_h, &oh0, &oh1);
    gt_pool_covering(iw, g->stride_w, g->pad_left, g->k_w, g->out_w, &ow0, &ow1);
    double sum = 0.0;
    for (int oh = oh0; oh < oh1; ++oh) {
        int h0, h1;
        gt_pool_span(oh, g->stride_h, g->pad_top, g->k_h, g->in_h, &h0, &h1);
        for (int ow = ow0; ow < ow1; ++ow) {
            int w0, w1;
            gt_pool_span(ow, g->stride_w, g->pad_left, g->k_w, g->in_w, &w0, &w1);
            sum += (double)dy[(((size_t)n * g->out_h + oh) * g->out_w + ow) * g->c + c] /
                   (double)((h1 - h0) * (w1 - w0));
        }
    }
    return (float)sum;
}

/* ---- Zero padding (Keras ZeroPadding2D): y(n, oh, ow, c) ---- */
GT_HD float gt_pad_at(const gt_pad_geom *g, const float *x, int n, int oh, int ow, int c)
{
    int ih = oh - g->top, iw = ow - g->left;
    if (ih < 0 || ih >= g->in_h || iw < 0 || iw >= g->in_w) return 0.0f;
    return x[(((size_t)n * g->in_h + ih) * g->in_w + iw) * g->c + c];
}

/* ---- Batch normalization (Keras BatchNormalization, axis -1): per channel
 * c over the rows (n*h*w) of an NHWC tensor,
 *   y = gamma (x - mean) / sqrt(var + epsilon) + beta
 * with the batch's mean and biased variance in training, the moving ones in
 * inference. The reductions are sums in double of these terms; the backends
 * only order them (the CPU: row order; CUDA: fixed chunks). gamma/beta NULL:
 * scale=False / center=False. ---- */
GT_HD double gt_bn_inv_std(float var, float epsilon)
{
    return 1.0 / sqrt((double)var + (double)epsilon);
}

/* The term of the variance sum: (x - mean)^2, with the mean as stored (float). */
GT_HD double gt_bn_sq_term(float x, float mean)
{
    double d = (double)x - (double)mean;
    return d * d;
}

/* dy * xhat, the term of dgamma's sum. */
GT_HD double gt_bn_dy_xhat_term(float dy, float x, float mean, double inv_std)
{
    return (double)dy * ((double)x - (double)mean) * inv_std;
}

GT_HD float gt_bn_forward_elem(float x, float mean, double inv_std, const float *gamma,
                               const float *beta, int c)
{
    double xhat = ((double)x - (double)mean) * inv_std;
    double g = gamma ? (double)gamma[c] : 1.0, b = beta ? (double)beta[c] : 0.0;
    return (float)(g * xhat + b);
}

/* dx of training mode, where mean and var depend on x:
 * gamma inv_std (dy - mean_dy - xhat mean_dy_xhat), with mean_dy = sum(dy) / N
 * and mean_dy_xhat = sum(dy xhat) / N (in double, once per channel: two
 * divisions per element were most of the pass's time on the CPU). */
GT_HD float gt_bn_backward_elem(float dy, float x, float mean, double inv_std, const float *gamma,
                                int c, double mean_dy, double mean_dy_xhat)
{
    double xhat = ((double)x - (double)mean) * inv_std;
    double g = gamma ? (double)gamma[c] : 1.0;
    return (float)(g * inv_std * ((double)dy - mean_dy - xhat * mean_dy_xhat));
}

/* Keras 3's update, in float as Keras does: moving * momentum + batch * (1 - momentum). */
GT_HD float gt_bn_moving_elem(float moving, float batch, float momentum)
{
    return moving * momentum + batch * (1.0f - momentum);
}

/* ---- One row of a classifier's output (the CPU reference and the CUDA
 * kernels run these per row; rows are computed in double) ---- */

/* Index of the first maximum of row[0..classes). */
GT_HD int gt_row_argmax(const float *row, int classes)
{
    int best = 0;
    for (int j = 1; j < classes; ++j)
        if (row[j] > row[best]) best = j;
    return best;
}

/* probs = softmax(row), the maximum subtracted so exp() cannot overflow. */
GT_HD void gt_softmax_row(float *probs, const float *row, int classes)
{
    double mx = (double)row[gt_row_argmax(row, classes)];
    double sum = 0.0;
    for (int j = 0; j < classes; ++j)
        sum += exp((double)row[j] - mx);
    for (int j = 0; j < classes; ++j)
        probs[j] = (float)(exp((double)row[j] - mx) / sum);
}

/* Share of an example's gradient that -log(p + log_epsilon) keeps: TF's
 * gradient of that expression through the softmax is (softmax - onehot) *
 * p / (p + log_epsilon), p the label's probability, so a confidently wrong
 * example (p far below log_epsilon) passes almost none. */
GT_HD double gt_log_epsilon_share(double p, double log_epsilon)
{
    return p / (p + log_epsilon);
}

/* Fused softmax + cross-entropy of one row of logits: returns the loss, sets
 * *top to the row's first maximum, and writes drow = (softmax - onehot) *
 * grad_scale unless drow is NULL. log_epsilon 0: the loss is log-sum-exp -
 * logit[label]; > 0: notebook 004's hand-written -log(softmax[label] +
 * log_epsilon), its gradient scaled by gt_log_epsilon_share. A label outside
 * [0, classes) gives a NaN loss (device code cannot report it). */
GT_HD double gt_softmax_xent_row(float *drow, const float *row, int classes, int label,
                                 float grad_scale, float log_epsilon, int *top)
{
    int best = gt_row_argmax(row, classes);
    double mx = (double)row[best];
    double sum = 0.0;
    for (int j = 0; j < classes; ++j)
        sum += exp((double)row[j] - mx);
    *top = best;
    int valid = label >= 0 && label < classes;
    double p_label = valid ? exp((double)row[label] - mx) / sum : (double)NAN;
    double scale = (double)grad_scale;
    if (log_epsilon > 0.0f) scale *= gt_log_epsilon_share(p_label, (double)log_epsilon);
    if (drow)
        for (int j = 0; j < classes; ++j) {
            double p = exp((double)row[j] - mx) / sum;
            drow[j] = (float)((p - (j == label ? 1.0 : 0.0)) * scale);
        }
    if (!valid) return (double)NAN;
    if (log_epsilon > 0.0f) return -log(p_label + (double)log_epsilon);
    return log(sum) + mx - (double)row[label];
}

/* Keras categorical cross-entropy on one row of probabilities-to-be: p =
 * out_label / sum(out) in float (as Keras normalises), clipped; returns
 * -log(clipped p) and writes drow unless NULL. The gradient of
 * -log(out_label / sum) w.r.t. out_j is 1/sum - [j == label] / out_label;
 * TF's clip_by_value passes none where it clipped (strict comparisons, so NaN
 * passes through as in TF). A zero sum gives NaN, as in Keras, and is not
 * guarded; a label outside [0, classes) gives NaN everywhere. */
GT_HD double gt_prob_xent_row(float *drow, const float *row, int classes, int label,
                              float grad_scale)
{
    if (label < 0 || label >= classes) {
        if (drow)
            for (int j = 0; j < classes; ++j)
                drow[j] = NAN;
        return (double)NAN;
    }
    double sum = 0.0;
    for (int j = 0; j < classes; ++j)
        sum += (double)row[j];
    float p = row[label] / (float)sum;
    if (drow) {
        int was_clipped = p < GT_KERAS_EPSILON || p > 1.0f - GT_KERAS_EPSILON;
        double inv_label = 1.0 / (double)row[label];
        for (int j = 0; j < classes; ++j) {
            double g = was_clipped ? 0.0 : 1.0 / sum - (j == label ? inv_label : 0.0);
            drow[j] = (float)(g * (double)grad_scale);
        }
    }
    return -log((double)gt_prob_xent_clip(p));
}

/* ---- bf16: the upper 16 bits of an fp32 (8-bit exponent, 8-bit mantissa) ---- */
/* fp32 -> bf16 bits, rounding to nearest with ties to even (what PyTorch and
 * oneDNN do): adding 0x7fff plus the lowest kept bit carries into the kept
 * half exactly when the dropped half is above one half, or equal to it with
 * an odd kept half. Finite values that round past the largest bf16 become
 * inf, as IEEE rounding requires. NaN is handled apart because the carry
 * could turn a NaN payload into inf; it stays a (quiet) NaN of the same sign. */
GT_HD uint16_t gt_f32_to_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    uint32_t quiet_nan = (u >> 16) | 0x0040u;
    /* a select, not an early return, so that loops over it vectorize */
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

/* bf16 bits -> fp32: exact (the low mantissa bits are zero). */
GT_HD float gt_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Augmentation stages of the gather (Keras' image preprocessing layers). */
#include "augment_math.h"

#endif
