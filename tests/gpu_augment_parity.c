/* augment_gather on the GPU against the CPU reference: random chains of 1
 * to 4 stages (flip, translate, zoom, crop; every fill mode and
 * interpolation; training and inference) with a channel repeat, a resize
 * and a scale give the same bits on both (the kernel runs augment_math.h's
 * element math, compiled without FMA contraction), and the same labels. */
#include "gpu_util.h"
#include "test_util.h"

static uint64_t rng = 2024;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void random_chain(gt_augment *a, int rh, int rw, int *h, int *w)
{
    memset(a, 0, sizeof *a);
    a->n_stages = 1 + (int)(next() % GT_AUGMENT_MAX_STAGES);
    a->in_h = *h = rh;
    a->in_w = *w = rw;
    a->training = (int)(next() % 4) != 0;
    a->seed = next();
    a->epoch = (uint32_t)(next() % 7);
    a->first = next() % 100000;
    for (int k = 0; k < a->n_stages; ++k) {
        gt_augment_stage *st = &a->stages[k];
        st->kind = (int)(next() % 4);
        st->horizontal = (int)(next() % 2);
        st->vertical = (int)(next() % 2);
        float lo = (float)(next() % 100) / 200.0f - 0.4f;
        st->height_lower = lo;
        st->height_upper = lo + (float)(next() % 100) / 250.0f;
        st->width_lower = -0.3f;
        st->width_upper = 0.3f;
        st->width_from_height = (int)(next() % 2);
        st->fill_mode = (int)(next() % 4);
        st->interpolation = (int)(next() % 2);
        st->fill_value = (float)(next() % 256);
        if (st->kind == GT_AUG_CROP) {
            st->out_h = *h = 1 + (int)(next() % (unsigned)(*h + 4));
            st->out_w = *w = 1 + (int)(next() % (unsigned)(*w + 4));
        }
    }
}

int main(void)
{
    gt_backend *gpu = NULL, *cpu = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &gpu);
    if (code >= 0) return code;
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &cpu));
    enum { COUNT = 16, N = 24 };
    for (int trial = 0; trial < 200 && cpu; ++trial) {
        int in_h = 2 + (int)(next() % 40), in_w = 2 + (int)(next() % 40);
        int in_c = next() % 2 ? 1 : 3, out_c = 3;
        int h, w;
        gt_augment a;
        random_chain(&a, 2 + (int)(next() % 48), 2 + (int)(next() % 48), &h, &w);
        gt_preprocess p = {in_h, in_w, in_c, h, w, out_c, 1.0f / 255.0f, (float)(next() % 3) - 1};
        size_t per = (size_t)in_h * in_w * in_c, nout = (size_t)N * h * w * out_c;
        uint8_t *images = malloc(COUNT * per);
        int32_t labels[COUNT], idx[N], y_cpu[N], y_gpu[N];
        for (size_t i = 0; i < COUNT * per; ++i)
            images[i] = (uint8_t)next();
        for (int i = 0; i < COUNT; ++i)
            labels[i] = i * 3;
        for (int i = 0; i < N; ++i)
            idx[i] = (int32_t)(next() % COUNT);
        float *x_cpu = malloc(nout * sizeof(float)), *x_gpu = malloc(nout * sizeof(float));
        CHECK_OK(cpu->augment_gather(cpu, &p, &a, x_cpu, y_cpu, images, labels, idx, N));
        void *d_img = NULL, *d_lab = NULL, *d_idx = NULL, *d_x = NULL, *d_y = NULL;
        CHECK_OK(gpu->alloc(gpu, COUNT * per, &d_img));
        CHECK_OK(gpu->alloc(gpu, sizeof labels, &d_lab));
        CHECK_OK(gpu->alloc(gpu, sizeof idx, &d_idx));
        CHECK_OK(gpu->alloc(gpu, nout * sizeof(float), &d_x));
        CHECK_OK(gpu->alloc(gpu, sizeof y_gpu, &d_y));
        CHECK_OK(gpu->upload(gpu, d_img, images, COUNT * per));
        CHECK_OK(gpu->upload(gpu, d_lab, labels, sizeof labels));
        CHECK_OK(gpu->upload(gpu, d_idx, idx, sizeof idx));
        CHECK_OK(gpu->augment_gather(gpu, &p, &a, d_x, d_y, d_img, d_lab, d_idx, N));
        CHECK_OK(gpu->download(gpu, x_gpu, d_x, nout * sizeof(float)));
        CHECK_OK(gpu->download(gpu, y_gpu, d_y, sizeof y_gpu));
        size_t bad = 0, first_bad = 0;
        for (size_t i = 0; i < nout; ++i)
            if (memcmp(&x_cpu[i], &x_gpu[i], sizeof(float)) != 0 && bad++ == 0) first_bad = i;
        CHECK_MSG(bad == 0,
                  "trial %d (%d stages): %zu of %zu values differ, first at %zu: %.9g vs %.9g",
                  trial, a.n_stages, bad, nout, first_bad, (double)x_cpu[first_bad],
                  (double)x_gpu[first_bad]);
        CHECK(memcmp(y_cpu, y_gpu, sizeof y_cpu) == 0);
        gpu->free(gpu, d_img);
        gpu->free(gpu, d_lab);
        gpu->free(gpu, d_idx);
        gpu->free(gpu, d_x);
        gpu->free(gpu, d_y);
        free(images);
        free(x_cpu);
        free(x_gpu);
    }
    gt_backend_destroy(cpu);
    gt_backend_destroy(gpu);
    TEST_EXIT();
}
