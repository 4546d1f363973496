/* gt_trainer_layer_output: one example's layer outputs from the forward pass
 * (cnn-fmnist: Rescaling, Conv2D 3x3x32 relu, MaxPooling2D 2x2, ...) equal a
 * direct computation from the trainer's parameters, and bad requests fail
 * with clear messages. */
#include <stdint.h>

#include "test_util.h"

enum { N = 3, S = 28, C = 32, OS = 26, PS = 13 };

int main(void)
{
    gt_model *m = NULL;
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    gt_dataset *ds = NULL;
    static uint8_t images[N * S * S];
    int32_t labels[N] = {1, 2, 3};
    for (int i = 0; i < N * S * S; ++i)
        images[i] = (uint8_t)((i * 37 + i / 29) & 0xff);
    CHECK_OK(gt_model_from_zoo("cnn-fmnist", &m));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    gt_train_config cfg = gt_train_config_for(m);
    cfg.batch_size = 4; /* more than one: the single-example path reserves its own workspace */
    CHECK_OK(gt_trainer_create(m, be, &cfg, &tr));
    gt_shape3 shape = {S, S, 1};
    CHECK_OK(gt_dataset_from_memory(images, labels, N, shape, 10, &ds));
    if (!tr || !ds) return 1;

    size_t np = gt_model_param_count(m);
    float *params = malloc(np * sizeof *params);
    float *in = malloc(S * S * sizeof *in), *conv = malloc(OS * OS * C * sizeof *conv);
    float *pool = malloc(PS * PS * C * sizeof *pool);
    CHECK_OK(gt_trainer_get_params(tr, params, np));
    const int ex = 2;
    const uint8_t *img = images + ex * S * S;

    /* the preprocessed input, by layer -1 and by the Rescaling layer */
    gt_shape3 s;
    CHECK_OK(gt_trainer_layer_output(tr, ds, ex, -1, NULL, 0, &s));
    CHECK(s.h == S && s.w == S && s.c == 1);
    for (int layer = -1; layer <= 0; ++layer) {
        CHECK_OK(gt_trainer_layer_output(tr, ds, ex, layer, in, S * S, &s));
        for (int i = 0; i < S * S; ++i)
            CHECK_NEAR(in[i], img[i] / 255.0, 1e-6);
    }

    /* Conv2D: valid 3x3, kernel OHWI then bias, relu */
    CHECK_OK(gt_trainer_layer_output(tr, ds, ex, 1, conv, OS * OS * C, &s));
    CHECK(s.h == OS && s.w == OS && s.c == C);
    double worst = 0.0;
    for (int y = 0; y < OS; ++y)
        for (int x = 0; x < OS; ++x)
            for (int o = 0; o < C; ++o) {
                double acc = params[C * 9 + o];
                for (int ky = 0; ky < 3; ++ky)
                    for (int kx = 0; kx < 3; ++kx)
                        acc += (double)params[o * 9 + ky * 3 + kx] * in[(y + ky) * S + x + kx];
                if (acc < 0) acc = 0;
                double d = fabs(acc - conv[(y * OS + x) * C + o]);
                if (d > worst) worst = d;
            }
    CHECK_MSG(worst < 1e-5, "conv output differs by %g", worst);

    /* MaxPooling2D 2x2 of it */
    CHECK_OK(gt_trainer_layer_output(tr, ds, ex, 2, pool, PS * PS * C, &s));
    CHECK(s.h == PS && s.w == PS && s.c == C);
    int pool_ok = 1;
    for (int y = 0; y < PS; ++y)
        for (int x = 0; x < PS; ++x)
            for (int o = 0; o < C; ++o) {
                float best = conv[((2 * y) * OS + 2 * x) * C + o];
                for (int d = 1; d < 4; ++d) {
                    float v = conv[((2 * y + d / 2) * OS + 2 * x + d % 2) * C + o];
                    if (v > best) best = v;
                }
                if (best != pool[(y * PS + x) * C + o]) pool_ok = 0;
            }
    CHECK(pool_ok);

    /* the accessors the CLI lists layers with */
    CHECK(gt_model_layer_count(m) >= 5);
    CHECK(strcmp(gt_model_layer_name(m, 1), "conv2d") == 0);
    CHECK(strcmp(gt_model_layer_kind(m, 2), "MaxPooling2D") == 0);
    CHECK(gt_model_layer_output_shape(m, 2).h == PS);
    CHECK(gt_model_layer_name(m, 99) == NULL && gt_model_layer_kind(m, -1) == NULL);

    CHECK_FAILS_WITH(gt_trainer_layer_output(tr, ds, ex, 99, pool, 1, &s), GT_ERR_INVALID_ARGUMENT,
                     "asked for layer 99");
    CHECK_FAILS_WITH(gt_trainer_layer_output(tr, ds, ex, 1, pool, 10, &s), GT_ERR_INVALID_ARGUMENT,
                     "the buffer holds 10");
    CHECK_FAILS_WITH(gt_trainer_layer_output(tr, ds, N, 1, conv, OS * OS * C, &s),
                     GT_ERR_INVALID_ARGUMENT, "example 3 requested");

    free(params);
    free(in);
    free(conv);
    free(pool);
    gt_trainer_destroy(tr);
    gt_dataset_free(ds);
    gt_backend_destroy(be);
    gt_model_free(m);
    TEST_EXIT();
}
