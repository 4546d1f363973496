/* The augmentation stages of the gather (RandomFlip, RandomTranslation,
 * RandomZoom, RandomCrop, with TF's fill modes and interpolations):
 *  - hand-worked cases: a mirror, integer and half-pixel shifts with each
 *    fill mode, a centred zoom, crop windows, smart_resize in inference,
 *    the identity in inference;
 *  - the draws: per example and epoch, independent of the batch, flips
 *    about half the time, crop offsets over the whole range;
 *  - exactness: the fast op (stages nested per pixel) equals the reference
 *    (stage by stage on whole images) bit for bit on random chains;
 *  - refusals of bad stages;
 *  - in the trainer: active in training only, and a streamed run augments
 *    exactly as the resident one. */
#include "elem_math.h"
#include "test_util.h"
#include "test_util_data.h"
#include "test_util_files.h"
#include "trainer_internal.h"

static gt_backend *ref_be, *fast_be;

/* One image of h x w x 1 pixels 10, 20, 30, ... row-major. */
static void ramp(uint8_t *img, int h, int w)
{
    for (int i = 0; i < h * w; ++i)
        img[i] = (uint8_t)(10 * (i + 1));
}

static gt_preprocess plain(int h, int w, int out_h, int out_w)
{
    gt_preprocess p = {h, w, 1, out_h, out_w, 1, 1.0f, 0.0f};
    return p;
}

static gt_augment one_stage(gt_augment_stage st, int h, int w)
{
    gt_augment a;
    memset(&a, 0, sizeof a);
    a.n_stages = 1;
    a.in_h = h;
    a.in_w = w;
    a.stages[0] = st;
    a.training = 1;
    a.seed = 77;
    a.epoch = 1;
    return a;
}

static gt_augment_stage translate(float dy_frac, float dx_frac, int fill, int interp)
{
    gt_augment_stage st;
    memset(&st, 0, sizeof st);
    st.kind = GT_AUG_TRANSLATE;
    st.height_lower = st.height_upper = dy_frac;
    st.width_lower = st.width_upper = dx_frac;
    st.fill_mode = fill;
    st.interpolation = interp;
    st.fill_value = -1.0f;
    return st;
}

/* Runs both CPU ops on one example; checks they agree; out gets the reference. */
static void run1(const gt_preprocess *p, const gt_augment *a, const uint8_t *img, float *out)
{
    int32_t idx = 0, lab = 0, y = -1;
    size_t nout = (size_t)p->out_h * p->out_w * p->out_c;
    float *fast = malloc(nout * sizeof *fast);
    CHECK_OK(ref_be->augment_gather(ref_be, p, a, out, &y, img, &lab, &idx, 1));
    CHECK_OK(fast_be->augment_gather(fast_be, p, a, fast, &y, img, &lab, &idx, 1));
    CHECK(memcmp(out, fast, nout * sizeof *out) == 0);
    CHECK(y == 0);
    free(fast);
}

static void expect_row(const float *got, const float *want, int n, const char *what)
{
    for (int i = 0; i < n; ++i)
        CHECK_MSG(got[i] == want[i], "%s: pixel %d is %g, expected %g", what, i, (double)got[i],
                  (double)want[i]);
}

static void test_translations(void)
{
    /* a 1 x 5 row a..e = 10..50, shifted right by 2 (0.4 x 5) */
    uint8_t img[5];
    ramp(img, 1, 5);
    gt_preprocess p = plain(1, 5, 1, 5);
    float out[5];
    struct {
        int fill;
        float want[5];
    } shifts[] = {{GT_FILL_CONSTANT, {-1, -1, 10, 20, 30}},
                  {GT_FILL_REFLECT, {20, 10, 10, 20, 30}}, /* b a | a b c */
                  {GT_FILL_WRAP, {40, 50, 10, 20, 30}},    /* d e | a b c */
                  {GT_FILL_NEAREST, {10, 10, 10, 20, 30}}};
    for (size_t k = 0; k < sizeof shifts / sizeof shifts[0]; ++k) {
        for (int interp = 0; interp <= 1; ++interp) {
            gt_augment a = one_stage(translate(0.0f, 0.4f, shifts[k].fill, interp), 1, 5);
            run1(&p, &a, img, out);
            expect_row(out, shifts[k].want, 5, "shift by 2");
        }
    }
    /* half a pixel to the left (-0.1 x 5): bilinear halves, nearest rounds half away */
    gt_augment a = one_stage(translate(0.0f, -0.1f, GT_FILL_CONSTANT, GT_INTERP_BILINEAR), 1, 5);
    run1(&p, &a, img, out);
    /* 4.5 is half past the last pixel: TF mixes the fill into it (its taps
     * read the fill where they fall outside) */
    float half[5] = {15, 25, 35, 45, 0.5f * 50 + 0.5f * -1};
    expect_row(out, half, 5, "half-pixel bilinear");
    a.stages[0].interpolation = GT_INTERP_NEAREST;
    a.stages[0].fill_mode = GT_FILL_NEAREST;
    run1(&p, &a, img, out);
    float near[5] = {20, 30, 40, 50, 50};
    expect_row(out, near, 5, "half-pixel nearest");
    /* vertically on a 5 x 1 column: down by 1 (0.2 x 5), reflect */
    gt_preprocess pv = plain(5, 1, 5, 1);
    a = one_stage(translate(0.2f, 0.0f, GT_FILL_REFLECT, GT_INTERP_BILINEAR), 5, 1);
    run1(&pv, &a, img, out);
    float down[5] = {10, 10, 20, 30, 40};
    expect_row(out, down, 5, "down by 1");
}

static void test_flip_zoom_crop(void)
{
    uint8_t img[20];
    ramp(img, 4, 5);
    gt_preprocess p = plain(4, 5, 4, 5);
    float out[20];
    gt_augment_stage flip;
    memset(&flip, 0, sizeof flip);
    flip.kind = GT_AUG_FLIP;
    flip.horizontal = 1;
    /* which stream numbers flip is the draw's business; find one of each */
    int flipped = 0, kept = 0;
    for (uint64_t q = 0; q < 64; ++q) {
        gt_augment a = one_stage(flip, 4, 5);
        a.first = q;
        run1(&p, &a, img, out);
        int mirror = 1, same = 1;
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 5; ++c) {
                mirror &= out[r * 5 + c] == (float)img[r * 5 + 4 - c];
                same &= out[r * 5 + c] == (float)img[r * 5 + c];
            }
        CHECK(mirror != same);
        gt_aug_draw d = gt_augment_draw(&a, 0, q, 4, 5);
        CHECK(d.flip_h == mirror && d.flip_v == 0);
        flipped += mirror;
        kept += same;
    }
    CHECK(flipped > 16 && kept > 16);
    /* zoom in by 2 about the centre of a 5 x 5 ramp: in = 0.5 out + 1 */
    uint8_t sq[25];
    ramp(sq, 5, 5);
    gt_preprocess p5 = plain(5, 5, 5, 5);
    gt_augment_stage zoom;
    memset(&zoom, 0, sizeof zoom);
    zoom.kind = GT_AUG_ZOOM;
    zoom.height_lower = zoom.height_upper = -0.5f;
    zoom.width_from_height = 1;
    gt_augment a = one_stage(zoom, 5, 5);
    float z[25];
    run1(&p5, &a, sq, z);
    /* row 0 samples input row 1, row 1 row 1.5, ...; columns alike */
    CHECK(z[0] == (float)sq[6]);                      /* (1, 1) */
    CHECK(z[12] == (float)sq[12]);                    /* the centre stays */
    CHECK(z[24] == (float)sq[18]);                    /* (3, 3) */
    CHECK(z[1] == ((float)sq[6] + (float)sq[7]) / 2); /* (1, 1.5) */
    /* a zoom of exactly 1 is the identity */
    a.stages[0].height_lower = a.stages[0].height_upper = 0.0f;
    run1(&p5, &a, sq, z);
    for (int i = 0; i < 25; ++i)
        CHECK(z[i] == (float)sq[i]);

    /* crop 2 x 3 out of 4 x 5: a window at the drawn corner; corners cover the range */
    gt_augment_stage crop;
    memset(&crop, 0, sizeof crop);
    crop.kind = GT_AUG_CROP;
    crop.out_h = 2;
    crop.out_w = 3;
    gt_preprocess pc = plain(4, 5, 2, 3);
    int seen[3][3] = {{0}};
    for (uint64_t q = 0; q < 200; ++q) {
        a = one_stage(crop, 4, 5);
        a.first = q;
        float w[6];
        run1(&pc, &a, img, w);
        gt_aug_draw d = gt_augment_draw(&a, 0, q, 4, 5);
        CHECK(d.top >= 0 && d.top <= 2 && d.left >= 0 && d.left <= 2 && !d.resize);
        for (int r = 0; r < 2; ++r)
            for (int c = 0; c < 3; ++c)
                CHECK(w[r * 3 + c] == (float)img[(d.top + r) * 5 + d.left + c]);
        if (d.top <= 2 && d.left <= 2) seen[d.top][d.left] = 1;
    }
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c)
            CHECK_MSG(seen[r][c], "crop corner (%d, %d) never drawn", r, c);
    /* inference: smart_resize of 6 x 4 to 2 x 2: the centred 4 x 4 box
     * (rows 1..4), halved: each output averages a 2 x 2 block */
    uint8_t tall[24];
    ramp(tall, 6, 4);
    gt_preprocess pt = plain(6, 4, 2, 2);
    crop.out_h = crop.out_w = 2;
    a = one_stage(crop, 6, 4);
    a.training = 0;
    float s[4];
    run1(&pt, &a, tall, s);
    float tl = gt_bilinear_mix(tall[4], tall[5], tall[8], tall[9], 0.5f, 0.5f);
    float br = gt_bilinear_mix(tall[14], tall[15], tall[18], tall[19], 0.5f, 0.5f);
    CHECK_MSG(s[0] == tl && s[3] == br, "smart_resize: %g %g, expected %g %g", (double)s[0],
              (double)s[3], (double)tl, (double)br);
    /* training on an image smaller than the target also resizes */
    gt_preprocess small = plain(1, 5, 2, 2);
    a = one_stage(crop, 1, 5);
    float r2[4];
    run1(&small, &a, img, r2);
    CHECK(gt_augment_draw(&a, 0, 0, 1, 5).resize == 1);
    /* inference: translations and flips pass the image through */
    a = one_stage(translate(0.0f, 0.4f, GT_FILL_CONSTANT, GT_INTERP_BILINEAR), 4, 5);
    a.training = 0;
    run1(&p, &a, img, out);
    for (int i = 0; i < 20; ++i)
        CHECK(out[i] == (float)img[i]);
}

/* A random chain of 1..4 stages of every kind on random images, with a
 * channel repeat, a resize and a scale, both CPU ops, bit for bit. */
static void test_fast_equals_reference(void)
{
    uint64_t s = 12345;
#define NEXT() (s ^= s << 13, s ^= s >> 7, s ^= s << 17, s)
    for (int trial = 0; trial < 60; ++trial) {
        int in_h = 3 + (int)(NEXT() % 10), in_w = 3 + (int)(NEXT() % 10);
        int rh = 4 + (int)(NEXT() % 12), rw = 4 + (int)(NEXT() % 12);
        gt_augment a;
        memset(&a, 0, sizeof a);
        a.n_stages = 1 + (int)(NEXT() % GT_AUGMENT_MAX_STAGES);
        a.in_h = rh;
        a.in_w = rw;
        a.training = (int)(NEXT() % 4) != 0;
        a.seed = NEXT();
        a.epoch = (uint32_t)(NEXT() % 5);
        a.first = NEXT() % 1000;
        int h = rh, w = rw;
        for (int k = 0; k < a.n_stages; ++k) {
            gt_augment_stage *st = &a.stages[k];
            st->kind = (int)(NEXT() % 4);
            st->horizontal = (int)(NEXT() % 2);
            st->vertical = (int)(NEXT() % 2);
            float f1 = (float)(NEXT() % 100) / 125.0f - 0.4f, f2 = (float)(NEXT() % 100) / 250.0f;
            st->height_lower = f1;
            st->height_upper = f1 + f2;
            st->width_lower = -f2;
            st->width_upper = f2;
            st->width_from_height = (int)(NEXT() % 2);
            st->fill_mode = (int)(NEXT() % 4);
            st->interpolation = (int)(NEXT() % 2);
            st->fill_value = (float)(NEXT() % 256);
            if (st->kind == GT_AUG_CROP) {
                st->out_h = 1 + (int)(NEXT() % (unsigned)(h + 3));
                st->out_w = 1 + (int)(NEXT() % (unsigned)(w + 3));
                h = st->out_h;
                w = st->out_w;
            }
        }
        int out_c = 3, n = 5, in_c = NEXT() % 2 ? 1 : 3;
        gt_preprocess p = {in_h, in_w, in_c, h, w, out_c, 1.0f / 255.0f, -0.5f};
        size_t per = (size_t)in_h * in_w * in_c;
        uint8_t *images = malloc(8 * per);
        for (size_t i = 0; i < 8 * per; ++i)
            images[i] = (uint8_t)NEXT();
        int32_t idx[5] = {3, 0, 7, 3, 1}, labels[8] = {0, 1, 2, 3, 4, 5, 6, 7}, ya[5], yb[5];
        size_t nout = (size_t)n * h * w * out_c;
        float *xa = malloc(nout * sizeof *xa), *xb = malloc(nout * sizeof *xb);
        CHECK_OK(ref_be->augment_gather(ref_be, &p, &a, xa, ya, images, labels, idx, n));
        CHECK_OK(fast_be->augment_gather(fast_be, &p, &a, xb, yb, images, labels, idx, n));
        CHECK_MSG(memcmp(xa, xb, nout * sizeof *xa) == 0, "trial %d: fast differs from reference",
                  trial);
        CHECK(memcmp(ya, yb, sizeof ya) == 0 && ya[2] == 7);
        /* example i of a batch is the example alone at stream number first + i */
        gt_augment solo = a;
        solo.first = a.first + 2;
        float *one = malloc((size_t)h * w * out_c * sizeof *one);
        CHECK_OK(
            fast_be->augment_gather(fast_be, &p, &solo, one, NULL, images, labels, idx + 2, 1));
        CHECK(memcmp(one, xa + 2 * (size_t)h * w * out_c, (size_t)h * w * out_c * sizeof *one) ==
              0);
        free(one);
        free(images);
        free(xa);
        free(xb);
    }
#undef NEXT
}

static void test_refusals(void)
{
    gt_preprocess p = plain(4, 5, 4, 5);
    float out[20];
    uint8_t img[20] = {0};
    int32_t idx = 0, lab = 0;
    gt_augment a = one_stage(translate(0.0f, 0.4f, 9, GT_INTERP_BILINEAR), 4, 5);
    CHECK_FAILS_WITH(fast_be->augment_gather(fast_be, &p, &a, out, NULL, img, &lab, &idx, 1),
                     GT_ERR_INVALID_ARGUMENT, "fill mode 9");
    a = one_stage(translate(0.0f, 1.5f, GT_FILL_REFLECT, GT_INTERP_BILINEAR), 4, 5);
    CHECK_FAILS_WITH(ref_be->augment_gather(ref_be, &p, &a, out, NULL, img, &lab, &idx, 1),
                     GT_ERR_INVALID_ARGUMENT, "width factor [1.5, 1.5]");
    gt_augment_stage crop;
    memset(&crop, 0, sizeof crop);
    crop.kind = GT_AUG_CROP;
    crop.out_h = 2;
    crop.out_w = 2;
    a = one_stage(crop, 4, 5);
    CHECK_FAILS_WITH(fast_be->augment_gather(fast_be, &p, &a, out, NULL, img, &lab, &idx, 1),
                     GT_ERR_SHAPE, "the stages turn 4x5 into 2x2, the output is 4x5");
    a.stages[0].kind = 7;
    CHECK_FAILS_WITH(fast_be->augment_gather(fast_be, &p, &a, out, NULL, img, &lab, &idx, 1),
                     GT_ERR_INVALID_ARGUMENT, "kind 7");
    a.n_stages = GT_AUGMENT_MAX_STAGES + 1;
    CHECK_FAILS_WITH(fast_be->augment_gather(fast_be, &p, &a, out, NULL, img, &lab, &idx, 1),
                     GT_ERR_INVALID_ARGUMENT, "stages, expected 0..4");
}

/* Training with a flip and a translation: it changes the run, evaluation is
 * unaffected, and the streamed path augments exactly as the resident one. */
static void test_in_trainer(void)
{
    gt_model *m = NULL;
    gt_dataset *ref = NULL, *streamed = NULL;
    CHECK_OK(gt_model_from_json_text(gt_test_tiny_model_json, "<tiny>", &m));
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, 150, 5, 6, &ref));
    char dir[4096], img[4200], lab[4200];
    if (!m || !ref || !gt_test_tmpdir(dir, sizeof dir)) return;
    snprintf(img, sizeof img, "%s/img", dir);
    snprintf(lab, sizeof lab, "%s/lab", dir);
    CHECK(gt_test_write_idx(ref, img, lab, 0));
    CHECK_OK(gt_dataset_open_idx(img, lab, 5, &streamed));
    gt_augment a;
    memset(&a, 0, sizeof a);
    a.n_stages = 2;
    a.in_h = a.in_w = 12;
    a.stages[0].kind = GT_AUG_FLIP;
    a.stages[0].horizontal = 1;
    a.stages[1] = translate(0.1f, -0.1f, GT_FILL_REFLECT, GT_INTERP_BILINEAR);
    a.stages[1].height_lower = -0.1f;
    size_t np = gt_model_param_count(m);
    float *w[3];
    double loss[3], acc[3];
    const gt_dataset *data[3] = {ref, ref, streamed};
    for (int k = 0; k < 3; ++k) {
        w[k] = calloc(np, sizeof(float));
        gt_train_config cfg = gt_train_config_for(m);
        cfg.batch_size = 16;
        cfg.seed = 4;
        gt_trainer *tr = NULL;
        CHECK_OK(gt_trainer_create(m, fast_be, &cfg, &tr));
        if (!tr || !data[k]) continue;
        if (k > 0) CHECK_OK(gt_trainer_set_augment(tr, &a));
        CHECK_OK(gt_trainer_fit(tr, data[k], NULL, 2, NULL));
        CHECK_OK(gt_trainer_get_params(tr, w[k], np));
        CHECK_OK(gt_trainer_evaluate(tr, data[k], &loss[k], &acc[k]));
        if (k == 1) {
            /* evaluation does not augment: the same as with the stages off */
            double l2 = 0, a2 = 0;
            CHECK_OK(gt_trainer_set_augment(tr, NULL));
            CHECK_OK(gt_trainer_evaluate(tr, ref, &l2, &a2));
            CHECK(l2 == loss[1] && a2 == acc[1]);
        }
        gt_trainer_destroy(tr);
    }
    CHECK_MSG(memcmp(w[0], w[1], np * sizeof(float)) != 0, "augmentation changed nothing");
    CHECK_MSG(memcmp(w[1], w[2], np * sizeof(float)) == 0,
              "streamed augmentation differs from resident");
    CHECK(loss[1] == loss[2] && acc[1] == acc[2]);
    for (int k = 0; k < 3; ++k)
        free(w[k]);
    gt_dataset_free(streamed);
    gt_dataset_free(ref);
    gt_model_free(m);
    gt_test_rmdir(dir);
}

int main(void)
{
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &ref_be));
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &fast_be));
    if (ref_be && fast_be) {
        test_translations();
        test_flip_zoom_crop();
        test_fast_equals_reference();
        test_refusals();
        test_in_trainer();
    }
    gt_backend_destroy(ref_be);
    gt_backend_destroy(fast_be);
    TEST_EXIT();
}
