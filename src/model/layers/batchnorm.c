/* BatchNormalization (Keras 3, axis -1): per channel,
 *   y = gamma (x - mean) / sqrt(var + epsilon) + beta,
 * in training with the batch's mean and (biased) variance, which also update
 * the moving statistics (moving = moving * momentum + batch * (1 - momentum));
 * in inference with the moving ones. gamma and beta are trainable (absent
 * with scale=False / center=False); moving_mean and moving_variance are
 * non-trainable state: saved with the weights, no gradient, no optimizer
 * slot. tf.keras 2 differs in one place: its fused kernel updates the
 * moving variance with the unbiased (Bessel-corrected) batch variance. */
#include "layer.h"

static void defaults(gt_layer *l)
{
    l->momentum = 0.99f;
    l->epsilon = 1e-3f;
    l->center = l->scale_bn = 1;
    l->gamma_init.kind = GT_INIT_ONES;
    l->beta_init.kind = GT_INIT_ZEROS;
    l->mean_init.kind = GT_INIT_ZEROS;
    l->var_init.kind = GT_INIT_ONES;
}

/* axis: -1, or the channel axis written out (3 for images, 1 for flat
 * inputs), as an integer or a one-element list (tf.keras 2 writes [3]). */
static gt_status read_axis(const cJSON *cfg, const gt_json_where *w)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(cfg, "axis");
    if (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 1) item = cJSON_GetArrayItem(item, 0);
    if (item == NULL || cJSON_IsNull(item)) return GT_OK;
    if (gt_json_is_integer(item)) {
        int axis = (int)item->valuedouble;
        if (axis == -1 || axis == 3 || axis == 1) return GT_OK;
    }
    char found[96];
    gt_json_found_text(cJSON_GetObjectItemCaseSensitive(cfg, "axis"), found, sizeof found);
    return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                        "axis %s is not supported (expected -1: the channels, channels_last)",
                        found);
}

static gt_status read_config(gt_layer *l, const cJSON *cfg, const gt_json_where *w)
{
    static const char *const neutral[] = {
        "beta_regularizer",   "gamma_regularizer", "beta_constraint", "gamma_constraint",
        "virtual_batch_size", "adjustment",        "renorm_clipping"};
    GT_TRY(read_axis(cfg, w));
    GT_TRY(gt_json_float(w, cfg, "momentum", 0, 0.99f, &l->momentum));
    GT_TRY(gt_json_float(w, cfg, "epsilon", 0, 1e-3f, &l->epsilon));
    GT_TRY(gt_json_bool(w, cfg, "center", 1, &l->center));
    GT_TRY(gt_json_bool(w, cfg, "scale", 1, &l->scale_bn));
    GT_TRY(gt_json_initializer(w, cfg, "beta_initializer", GT_INIT_ZEROS, &l->beta_init));
    GT_TRY(gt_json_initializer(w, cfg, "gamma_initializer", GT_INIT_ONES, &l->gamma_init));
    GT_TRY(gt_json_initializer(w, cfg, "moving_mean_initializer", GT_INIT_ZEROS, &l->mean_init));
    GT_TRY(gt_json_initializer(w, cfg, "moving_variance_initializer", GT_INIT_ONES, &l->var_init));
    for (size_t i = 0; i < sizeof neutral / sizeof neutral[0]; ++i)
        GT_TRY(gt_json_expect_null(w, cfg, neutral[i]));
    GT_TRY(gt_json_expect_false(w, cfg, "renorm"));
    /* synchronized (cross-replica statistics) only matters with several
     * devices, which gtrain does not split a batch over: either value trains
     * the same here */
    if (!(l->momentum >= 0.0f && l->momentum <= 1.0f))
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "momentum %g is not supported (expected 0..1)",
                            (double)l->momentum);
    if (!(l->epsilon > 0.0f))
        return gt_json_fail(w, GT_ERR_UNSUPPORTED, "epsilon %g is not supported (expected > 0)",
                            (double)l->epsilon);
    return GT_OK;
}

static void write_config(const gt_layer *l, cJSON *cfg, gt_json_writer *wr)
{
    static const char *const nulls[] = {"beta_regularizer", "gamma_regularizer", "beta_constraint",
                                        "gamma_constraint"};
    cJSON *axis = cJSON_CreateArray();
    if (axis && !cJSON_AddItemToArray(axis, cJSON_CreateNumber(3))) wr->failed = 1;
    gt_jw_put(wr, cfg, "axis", axis);
    gt_jw_put(wr, cfg, "momentum", gt_jw_float(l->momentum));
    gt_jw_put(wr, cfg, "epsilon", gt_jw_float(l->epsilon));
    gt_jw_put(wr, cfg, "center", cJSON_CreateBool(l->center));
    gt_jw_put(wr, cfg, "scale", cJSON_CreateBool(l->scale_bn));
    gt_jw_put(wr, cfg, "beta_initializer", gt_jw_initializer(wr, &l->beta_init));
    gt_jw_put(wr, cfg, "gamma_initializer", gt_jw_initializer(wr, &l->gamma_init));
    gt_jw_put(wr, cfg, "moving_mean_initializer", gt_jw_initializer(wr, &l->mean_init));
    gt_jw_put(wr, cfg, "moving_variance_initializer", gt_jw_initializer(wr, &l->var_init));
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; ++i)
        gt_jw_put(wr, cfg, nulls[i], cJSON_CreateNull());
}

/* The weights in Keras' order: gamma, beta, moving_mean, moving_variance
 * (the first two only when present). */
typedef struct bn_slots {
    int gamma, beta, mean, var; /* indices, -1 when absent */
} bn_slots;

static bn_slots slots_of(const gt_layer *l)
{
    bn_slots s;
    int k = 0;
    s.gamma = l->scale_bn ? k++ : -1;
    s.beta = l->center ? k++ : -1;
    s.mean = k++;
    s.var = k;
    return s;
}

static int weights(const gt_layer *l, gt_weight_spec out[GT_LAYER_MAX_WEIGHTS])
{
    unsigned long long c = (unsigned long long)l->in.c;
    bn_slots s = slots_of(l);
    if (s.gamma >= 0) out[s.gamma] = (gt_weight_spec){"gamma", 1, 1, {c}, 0, l->gamma_init, 1, 1};
    if (s.beta >= 0) out[s.beta] = (gt_weight_spec){"beta", 1, 1, {c}, 0, l->beta_init, 1, 1};
    out[s.mean] = (gt_weight_spec){"moving_mean", 0, 1, {c}, 0, l->mean_init, 1, 1};
    out[s.var] = (gt_weight_spec){"moving_variance", 0, 1, {c}, 0, l->var_init, 1, 1};
    return s.var + 1;
}

/* the batch's mean and variance, from the forward to the backward; over
 * several ranks, then the backward's sums of dy and dy * xhat */
static size_t saved_floats(const gt_layer *l, int n)
{
    (void)n;
    return 4 * (size_t)l->in.c;
}

static int ops(const gt_layer *l, gt_op out[8])
{
    (void)l;
    out[0] = GT_OP_batchnorm_forward_train;
    out[1] = GT_OP_batchnorm_forward_infer;
    out[2] = GT_OP_batchnorm_backward;
    out[3] = GT_OP_batchnorm_update_moving;
    out[4] = GT_OP_batchnorm_sums;
    out[5] = GT_OP_batchnorm_backward_sums;
    out[6] = GT_OP_batchnorm_backward_apply;
    out[7] = GT_OP_axpby;
    return 8;
}

/* The statistics of the whole batch that the ranks share (synchronized
 * batch normalization): each rank's sums of x, added over the ranks, give
 * the mean; then its sums of (x - mean)^2 the biased variance, the two
 * passes one process makes over the whole batch. A rank without examples
 * adds zeros and still updates the moving statistics, which stay the same
 * on every rank. */
static gt_status forward_shared(const gt_layer *l, gt_layer_io *io, const float *gamma,
                                const float *beta)
{
    gt_backend *be = io->be;
    bn_slots s = slots_of(l);
    int c = l->in.c, rows = io->n * l->in.h * l->in.w;
    float total = (float)((size_t)io->batch_total * l->in.h * l->in.w);
    float *mean = io->saved, *var = io->saved + c;
    GT_TRY(be->batchnorm_sums(be, mean, io->x, NULL, rows, c));
    GT_TRY(io->sum_over_ranks(io->sum_ctx, mean, (size_t)c));
    GT_TRY(be->axpby(be, mean, mean, (size_t)c, 1.0f / total, 0.0f));
    GT_TRY(be->batchnorm_sums(be, var, io->x, mean, rows, c));
    GT_TRY(io->sum_over_ranks(io->sum_ctx, var, (size_t)c));
    GT_TRY(be->axpby(be, var, var, (size_t)c, 1.0f / total, 0.0f));
    if (rows > 0)
        GT_TRY(be->batchnorm_forward_infer(be, io->y, io->x, gamma, beta, mean, var, rows, c,
                                           l->epsilon));
    return be->batchnorm_update_moving(be, io->w[s.mean], io->w[s.var], mean, var, c, l->momentum);
}

/* dgamma and dbeta are this rank's sums (the gradient all-reduce adds the
 * ranks'); dx needs the whole batch's. */
static gt_status backward_shared(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    bn_slots s = slots_of(l);
    int c = l->in.c, rows = io->n * l->in.h * l->in.w;
    size_t total = (size_t)io->batch_total * l->in.h * l->in.w;
    float *mean = io->saved, *var = io->saved + c, *sums = io->saved + 2 * c;
    GT_TRY(be->batchnorm_backward_sums(be, sums, io->dy, io->x, mean, var, rows, c, l->epsilon));
    float *dbeta = s.beta >= 0 ? io->dw[s.beta] : NULL;
    float *dgamma = s.gamma >= 0 ? io->dw[s.gamma] : NULL;
    if (dbeta) GT_TRY(be->copy(be, dbeta, sums, (size_t)c * sizeof(float)));
    if (dgamma) GT_TRY(be->copy(be, dgamma, sums + c, (size_t)c * sizeof(float)));
    GT_TRY(io->sum_over_ranks(io->sum_ctx, sums, 2 * (size_t)c));
    if (rows > 0)
        GT_TRY(be->batchnorm_backward_apply(be, io->dx, io->dy, io->x,
                                            s.gamma >= 0 ? io->w[s.gamma] : NULL, mean, var, sums,
                                            rows, c, total, l->epsilon));
    io->dx_out = io->dx;
    return GT_OK;
}

static gt_status forward(const gt_layer *l, gt_layer_io *io)
{
    gt_backend *be = io->be;
    bn_slots s = slots_of(l);
    int c = l->in.c, rows = io->n * l->in.h * l->in.w;
    const float *gamma = s.gamma >= 0 ? io->w[s.gamma] : NULL;
    const float *beta = s.beta >= 0 ? io->w[s.beta] : NULL;
    io->out = io->y;
    if (!io->training)
        return be->batchnorm_forward_infer(be, io->y, io->x, gamma, beta, io->w[s.mean],
                                           io->w[s.var], rows, c, l->epsilon);
    if (io->sum_over_ranks) return forward_shared(l, io, gamma, beta);
    float *mean = io->saved, *var = io->saved + c;
    GT_TRY(
        be->batchnorm_forward_train(be, io->y, mean, var, io->x, gamma, beta, rows, c, l->epsilon));
    return be->batchnorm_update_moving(be, io->w[s.mean], io->w[s.var], mean, var, c, l->momentum);
}

static gt_status backward(const gt_layer *l, gt_layer_io *io)
{
    bn_slots s = slots_of(l);
    int c = l->in.c, rows = io->n * l->in.h * l->in.w;
    if (io->sum_over_ranks) return backward_shared(l, io);
    /* dx is computed even for a first layer: the op writes dgamma and dbeta with it */
    GT_TRY(io->be->batchnorm_backward(io->be, io->dx, s.gamma >= 0 ? io->dw[s.gamma] : NULL,
                                      s.beta >= 0 ? io->dw[s.beta] : NULL, io->dy, io->x,
                                      s.gamma >= 0 ? io->w[s.gamma] : NULL, io->saved,
                                      io->saved + c, rows, c, l->epsilon));
    io->dx_out = io->dx;
    return GT_OK;
}

const gt_layer_class gt_batchnorm_class = {
    .keras_name = "BatchNormalization",
    .category = GT_CATEGORY_NORM,
    .batch_wide = 1,
    .output_rank = GT_RANK_AS_INPUT,
    .drawable = 1,
    .init_defaults = defaults,
    .read_config = read_config,
    .write_config = write_config,
    .infer = gt_layer_keep_shape,
    .weights = weights,
    .writes_output = gt_layer_always_writes,
    .saved_floats = saved_floats,
    .ops = ops,
    .forward = forward,
    .backward = backward,
};
