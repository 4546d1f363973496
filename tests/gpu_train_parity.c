/* Whole training steps, CPU vs GPU, for every zoo model through the public
 * trainer API: the same seed must give the same initial weights on both
 * backends, and three steps on the same examples must give the same losses
 * and parameters up to fp32 rounding.
 *
 * The oracle is the fast "cpu" backend (itself checked against
 * "cpu-reference" by the unit tests): VGG-16 on the single-threaded plain
 * loops would take minutes. GTRAIN_PARITY_ORACLE=cpu-reference selects the
 * reference instead. fp32 on the GPU (IEEE, TF32 off). */
#include <stdint.h>

#include "gpu_util.h"
#include "test_util.h"

#define BATCH 8
#define STEPS 3
#define EXAMPLES 24

typedef struct model_data {
    gt_dataset *ds;
    uint8_t *images;
    int32_t *labels;
} model_data;

static int make_data(const gt_model *m, unsigned long long seed, model_data *out)
{
    gt_shape3 shape = gt_model_input_shape(m);
    int classes = gt_model_num_classes(m);
    size_t image = gt_shape3_size(shape);
    out->images = malloc(image * EXAMPLES);
    out->labels = malloc(EXAMPLES * sizeof(int32_t));
    out->ds = NULL;
    if (!out->images || !out->labels) return 0;
    for (size_t i = 0; i < image * EXAMPLES; ++i)
        out->images[i] = (uint8_t)(gt_test_rng_next(&seed) >> 56);
    for (int i = 0; i < EXAMPLES; ++i)
        out->labels[i] = (int32_t)(gt_test_rng_next(&seed) % (unsigned)classes);
    gt_status st =
        gt_dataset_from_memory(out->images, out->labels, EXAMPLES, shape, classes, &out->ds);
    CHECK_OK(st);
    return st == GT_OK;
}

static void free_data(model_data *d)
{
    gt_dataset_free(d->ds);
    free(d->images);
    free(d->labels);
}

/* Parameters after training may differ by fp32 rounding amplified through the
 * steps. Each element passes within 2e-5 absolute + 1e-4 relative (an Adam
 * step moves a weight by ~lr = 1e-3, so this is ~2% of one update). A few
 * outliers are tolerated — a gradient within rounding of zero can flip the
 * sign of an Adam step, and a ReLU input within rounding of zero can switch
 * a unit's gradient — but never more than 1 in 10,000 parameters nor a
 * difference beyond what STEPS Adam updates can move a weight (~lr each). A
 * broken op moves a large share of the parameters and fails. */
static void compare_params(const char *model, const float *gpu, const float *cpu, size_t n,
                           float lr)
{
    size_t outliers = 0, worst = 0;
    double worst_d = 0.0;
    for (size_t i = 0; i < n; ++i) {
        double d = fabs((double)gpu[i] - (double)cpu[i]);
        if (!(d <= 2e-5 + 1e-4 * fabs((double)cpu[i]))) ++outliers;
        if (!(d <= worst_d)) {
            worst_d = d;
            worst = i;
        }
    }
    size_t allowed = n / 10000 > 2 ? n / 10000 : 2;
    double cap = 2.0 * STEPS * (double)lr;
    CHECK_MSG(outliers <= allowed && worst_d <= cap,
              "%s: %zu of %zu parameters outside 2e-5 + 1e-4|p| (allowed %zu); largest "
              "difference %.3g at %zu (gpu %.9g cpu %.9g, cap %.3g)",
              model, outliers, n, allowed, worst_d, worst, (double)gpu[worst], (double)cpu[worst],
              cap);
    printf("  %-14s params %10zu  outliers %zu  max |diff| %.3g\n", model, n, outliers, worst_d);
}

static void parity_for(const char *name, gt_backend *oracle, gt_backend *gpu)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo(name, &m));
    if (!m) return;
    model_data data;
    if (!make_data(m, 0x5eed0000ULL + (unsigned long long)strlen(name), &data)) {
        free_data(&data);
        gt_model_free(m);
        return;
    }
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = BATCH;
    cfg.seed = 20240601;
    gt_trainer *tr[2] = {NULL, NULL};
    gt_backend *bes[2] = {gpu, oracle};
    for (int e = 0; e < 2; ++e) {
        gt_status st = gt_trainer_create(m, bes[e], &cfg, &tr[e]);
        CHECK_MSG(st == GT_OK, "%s: gt_trainer_create on %s: %s", name, bes[e]->name,
                  gt_last_error());
    }
    size_t np = gt_model_param_count(m);
    float *params[2] = {calloc(np ? np : 1, sizeof(float)), calloc(np ? np : 1, sizeof(float))};
    if (tr[0] && tr[1] && params[0] && params[1]) {
        /* Initial weights come from the seed on the host: identical bits. */
        for (int e = 0; e < 2; ++e)
            CHECK_OK(gt_trainer_get_params(tr[e], params[e], np));
        CHECK_MSG(memcmp(params[0], params[1], np * sizeof(float)) == 0,
                  "%s: initial weights differ between %s and %s for the same seed", name, gpu->name,
                  oracle->name);
        for (int step = 0; step < STEPS; ++step) {
            int32_t idx[BATCH];
            for (int i = 0; i < BATCH; ++i)
                idx[i] = (int32_t)((step * BATCH + 5 * i) % EXAMPLES);
            double loss[2] = {0, 0}, correct[2] = {0, 0};
            for (int e = 0; e < 2; ++e)
                CHECK_OK(gt_trainer_step(tr[e], data.ds, idx, BATCH, &loss[e], &correct[e]));
            /* Step 1 runs identical weights: only forward rounding differs
             * (1e-4 relative through 16 VGG layers). Later steps also carry
             * the parameter differences: 1e-3. */
            double rel = step == 0 ? 1e-4 : 1e-3;
            CHECK_MSG(fabs(loss[0] - loss[1]) <= rel * fabs(loss[1]) + 1e-6,
                      "%s step %d: loss gpu %.9g cpu %.9g (rel tol %.0e)", name, step + 1, loss[0],
                      loss[1], rel);
            /* A logit pair within rounding of a tie may flip one argmax. */
            CHECK_MSG(fabs(correct[0] - correct[1]) <= 1.0, "%s step %d: correct gpu %g cpu %g",
                      name, step + 1, correct[0], correct[1]);
        }
        for (int e = 0; e < 2; ++e)
            CHECK_OK(gt_trainer_get_params(tr[e], params[e], np));
        compare_params(name, params[0], params[1], np, cfg.learning_rate);
    }
    for (int e = 0; e < 2; ++e) {
        if (tr[e]) gt_trainer_destroy(tr[e]);
        free(params[e]);
    }
    free_data(&data);
    gt_model_free(m);
}

int main(void)
{
    gt_backend *gpu = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &gpu);
    if (code >= 0) return code;

    const char *oracle_name = getenv("GTRAIN_PARITY_ORACLE");
    if (!oracle_name || !*oracle_name) oracle_name = "cpu";
    gt_backend *oracle = NULL;
    CHECK_OK(gt_backend_create(oracle_name, 0, GT_PRECISION_FP32, &oracle));
    if (!oracle) {
        gt_backend_destroy(gpu);
        TEST_EXIT();
    }
    printf("gpu: %s\noracle: %s\n", gpu->describe(gpu), oracle->describe(oracle));
    for (const char *const *name = gt_zoo_names(); *name; ++name)
        parity_for(*name, oracle, gpu);
    gt_backend_destroy(oracle);
    gt_backend_destroy(gpu);
    TEST_EXIT();
}
