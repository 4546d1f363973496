/* Models that are graphs, not chains (merge layers, tensors read by several
 * layers), through the trainer's graph path:
 * - Keras 3's own weights and predictions of two graphs (every merge layer;
 *   a residual block with BatchNormalization, a tensor read three times and
 *   Add of a tensor with itself: tests/data, tests/make_functional_fixtures.py)
 *   are predicted by gtrain from the .h5;
 * - the liveness plan places the buffers of resnet-fmnist in less memory
 *   than one buffer per output and per gradient would take, and planning
 *   never places two live buffers on the same bytes (every output intact
 *   after the forward, the backward's gradients correct: gradcheck_model);
 * - training a graph (every merge layer) is deterministic (same seed and
 *   threads, same bits) and learns (accuracy well above chance). */
#include "test_util.h"
#include "test_util_data.h"
#include "trainer_internal.h"

#ifndef GTRAIN_SOURCE_DIR
#error "GTRAIN_SOURCE_DIR must be defined by the build"
#endif

static gt_dataset *pattern_images(int count, gt_shape3 s, int classes)
{
    size_t per = gt_shape3_size(s);
    uint8_t *px = malloc((size_t)count * per);
    int32_t *labels = calloc((size_t)count, sizeof *labels);
    for (int i = 0; i < count; ++i)
        for (int y = 0; y < s.h; ++y)
            for (int x = 0; x < s.w; ++x)
                for (int c = 0; c < s.c; ++c)
                    px[(size_t)i * per + ((size_t)y * s.w + x) * s.c + c] =
                        (uint8_t)((i * 131 + y * 31 + x * 17 + c * 7) % 256);
    gt_dataset *ds = NULL;
    CHECK_OK(gt_dataset_from_memory(px, labels, (size_t)count, s, classes, &ds));
    free(px);
    free(labels);
    return ds;
}

static void check_keras_predictions(const char *name)
{
#ifdef GTRAIN_HAVE_HDF5
    char h5[1024], csv[1024];
    snprintf(h5, sizeof h5, "%s/tests/data/keras3_functional_%s.h5", GTRAIN_SOURCE_DIR, name);
    snprintf(csv, sizeof csv, "%s/tests/data/keras3_functional_%s_predictions.csv",
             GTRAIN_SOURCE_DIR, name);
    gt_model *m = NULL;
    CHECK_OK(gt_checkpoint_load_model(h5, &m));
    if (!m) return;
    CHECK(!m->chain);
    int classes = gt_model_num_classes(m);
    gt_dataset *ds = pattern_images(8, gt_model_input_shape(m), classes);
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be));
    if (be) CHECK_OK(gt_trainer_create_json(m, be, "{\"batch_size\": 8}", &tr));
    if (tr) CHECK_OK(gt_checkpoint_restore(tr, h5, 0));
    float got[8 * 16];
    if (tr && ds) CHECK_OK(gt_trainer_predict(tr, ds, 0, 8, got));
    FILE *f = fopen(csv, "r");
    CHECK(f != NULL);
    double worst = 0;
    for (int i = 0; f && i < 8 * classes; ++i) {
        double want = 0;
        CHECK(fscanf(f, " %lf ,", &want) == 1);
        if (fabs(want - got[i]) > worst) worst = fabs(want - got[i]);
    }
    if (f) fclose(f);
    printf("%s: gtrain predicts Keras' probabilities to %.2e\n", name, worst);
    /* float32 forward passes in different orders: a few ulps of the outputs */
    CHECK(worst <= 2e-6);
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_dataset_free(ds);
    gt_model_free(m);
#else
    (void)name;
    (void)pattern_images;
    printf("built without HDF5: Keras' predictions not checked\n");
#endif
}

/* One buffer per output, per saved tensor and per gradient: what the plan
 * would take without liveness. */
static size_t naive_bytes(const gt_model *m, int n)
{
    size_t total = 0;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        const gt_layer *l = &m->layers[i];
        const gt_layer_class *c = gt_layer_class_of(l->kind);
        size_t out = (size_t)n * gt_shape3_size(l->out) * sizeof(float);
        total += out; /* its gradient */
        if (c->writes_output(l)) total += out;
        if (c->saved_floats) total += c->saved_floats(l, n) * sizeof(float);
    }
    return total;
}

static void check_plan(void)
{
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_zoo("resnet-fmnist", &m));
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    if (m && be) CHECK_OK(gt_trainer_create_json(m, be, "{\"batch_size\": 64}", &tr));
    if (!tr) goto done;
    CHECK(tr->graph != NULL && !m->chain);
    size_t naive = naive_bytes(m, 64);
    printf("resnet-fmnist at batch 64: arena %.1f MiB, one buffer each would be %.1f MiB\n",
           (double)tr->arena_bytes / 1048576.0, (double)naive / 1048576.0);
    CHECK(tr->arena_bytes < naive * 3 / 4);
    /* every output survives the forward: the plan gave live buffers disjoint bytes */
    gt_dataset *ds = NULL;
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){28, 28, 1}, 64, 10, 4, &ds));
    int32_t idx[64];
    for (int i = 0; i < 64; ++i)
        idx[i] = i;
    gt_resident *res = NULL;
    if (ds) CHECK_OK(gt_trainer_make_resident(tr, ds, &res));
    if (res) {
        CHECK_OK(gt_trainer_set_step_index(tr, idx, 64));
        CHECK_OK(gt_trainer_gather(tr, res, tr->step_index, 64));
        CHECK_OK(gt_trainer_forward(tr, 64, 0));
        /* each output equals the reference backend's forward over the same
         * weights and input: two live buffers on the same bytes would corrupt one */
        gt_backend *ref = NULL;
        gt_trainer *rt = NULL;
        CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref));
        if (ref) CHECK_OK(gt_trainer_create_json(m, ref, "{\"batch_size\": 64}", &rt));
        gt_resident *rres = NULL;
        if (rt) CHECK_OK(gt_trainer_make_resident(rt, ds, &rres));
        if (rres) {
            CHECK_OK(gt_trainer_set_step_index(rt, idx, 64));
            CHECK_OK(gt_trainer_gather(rt, rres, rt->step_index, 64));
            CHECK_OK(gt_trainer_forward(rt, 64, 0));
            int differ = 0;
            for (int i = m->first_compute; i < m->n_layers; ++i) {
                size_t count = (size_t)64 * gt_shape3_size(m->layers[i].out);
                double worst = 0, top = 0;
                for (size_t e = 0; e < count; ++e) {
                    double d = fabs((double)tr->cur[i][e] - rt->cur[i][e]);
                    if (d > worst) worst = d;
                    if (fabs(rt->cur[i][e]) > top) top = fabs(rt->cur[i][e]);
                }
                if (worst > 1e-4 * (top + 1)) {
                    ++differ;
                    fprintf(stderr, "layer %s: output differs from the reference by %g\n",
                            m->layers[i].name, worst);
                }
            }
            CHECK(differ == 0);
        }
        gt_trainer_destroy(rt);
        gt_backend_destroy(ref);
    }
    gt_dataset_free(ds);
done:
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    gt_model_free(m);
}

static void check_training(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/keras3_functional_merge.json", GTRAIN_SOURCE_DIR);
    gt_model *m = NULL;
    gt_dataset *ds = NULL, *val = NULL;
    CHECK_OK(gt_model_from_json_file(path, &m));
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){8, 8, 2}, 480, 4, 41, &ds));
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){8, 8, 2}, 96, 4, 42, &val));
    if (!m || !ds || !val) return;
    double acc_a = 0, acc_b = 0;
    const char *cfg = "{\"batch_size\": 16, \"seed\": 9}";
    float *a = gt_test_train_weights(m, ds, val, 4, cfg, &acc_a);
    float *b = gt_test_train_weights(m, ds, val, 4, cfg, &acc_b);
    size_t np = gt_model_param_count(m);
    CHECK(a && b && memcmp(a, b, np * sizeof(float)) == 0);
    printf("merge graph: val accuracy %.4f after 4 epochs, twice the same weights\n", acc_a);
    CHECK(acc_a == acc_b);
    CHECK_MSG(acc_a > 0.5, "accuracy %.3f (chance 0.25): the graph did not learn", acc_a);
    free(a);
    free(b);
    gt_dataset_free(ds);
    gt_dataset_free(val);
    gt_model_free(m);
}

int main(void)
{
    check_keras_predictions("merge");
    check_keras_predictions("residual");
    check_plan();
    check_training();
    TEST_EXIT();
}
