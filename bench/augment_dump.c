/* augment_dump MODEL.json IMAGES.u8 N TRAINING OUT.f32
 *
 * The gather's output for N uint8 images of the model's input shape (raw,
 * row-major HWC, one after another) through the model's leading
 * preprocessing and augmentation layers, as gtrain trains (TRAINING 1: the
 * example at position q of epoch 1, seed 1) or evaluates (TRAINING 0), on the
 * CPU backend: OUT.f32 gets N x out_h x out_w x out_c float32. Prints, per
 * example and stage, what was drawn ("example 3 stage 0 flip_h 1 flip_v 0
 * ..."), so that a comparison with Keras' layers can force the same
 * transformation (bench/keras_augment_compare.py). */
#include <stdio.h>
#include <stdlib.h>

#include "elem_math.h"
#include "gtrain/gtrain.h"
#include "model_internal.h"

static int fail(const char *what)
{
    fprintf(stderr, "augment_dump: %s%s%s\n", what, gt_last_error()[0] ? ": " : "",
            gt_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: augment_dump MODEL.json IMAGES.u8 N TRAINING OUT.f32\n");
        return 2;
    }
    int n = atoi(argv[3]), training = atoi(argv[4]);
    gt_model *m = NULL;
    if (gt_model_from_json_file(argv[1], &m) != GT_OK) return fail("reading the model");
    const gt_preprocess *p = &m->preprocess;
    gt_augment a = m->augment;
    a.training = training;
    a.seed = 1;
    a.epoch = 1;
    a.first = 0;
    size_t in_per = (size_t)p->in_h * p->in_w * p->in_c;
    size_t out_per = (size_t)p->out_h * p->out_w * p->out_c;
    uint8_t *images = malloc((size_t)n * in_per);
    float *out = malloc((size_t)n * out_per * sizeof *out);
    int32_t *indices = malloc((size_t)n * sizeof *indices);
    FILE *f = fopen(argv[2], "rb");
    if (!images || !out || !indices || n <= 0 || !f ||
        fread(images, in_per, (size_t)n, f) != (size_t)n)
        return fail("reading the images");
    fclose(f);
    for (int i = 0; i < n; ++i) {
        indices[i] = i;
        gt_aug_example e = gt_augment_example(p, &a, images + (size_t)i * in_per, (uint64_t)i);
        for (int s = 0; s < a.n_stages; ++s)
            printf("example %d stage %d flip_h %d flip_v %d ax %.9g bx %.9g ay %.9g by %.9g top %d "
                   "left %d\n",
                   i, s, e.d[s].flip_h, e.d[s].flip_v, (double)e.d[s].ax, (double)e.d[s].bx,
                   (double)e.d[s].ay, (double)e.d[s].by, e.d[s].top, e.d[s].left);
    }
    gt_backend *be = NULL;
    void *d_images = NULL, *d_indices = NULL, *d_out = NULL;
    if (gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be) != GT_OK ||
        be->alloc(be, (size_t)n * in_per, &d_images) != GT_OK ||
        be->alloc(be, (size_t)n * sizeof *indices, &d_indices) != GT_OK ||
        be->alloc(be, (size_t)n * out_per * sizeof *out, &d_out) != GT_OK ||
        be->upload(be, d_images, images, (size_t)n * in_per) != GT_OK ||
        be->upload(be, d_indices, indices, (size_t)n * sizeof *indices) != GT_OK)
        return fail("setting up the backend");
    gt_status st = a.n_stages
                       ? be->augment_gather(be, p, &a, d_out, NULL, d_images, NULL, d_indices, n)
                       : be->preprocess_gather(be, p, d_out, NULL, d_images, NULL, d_indices, n);
    if (st != GT_OK || be->download(be, out, d_out, (size_t)n * out_per * sizeof *out) != GT_OK)
        return fail("the gather");
    f = fopen(argv[5], "wb");
    if (!f || fwrite(out, out_per * sizeof *out, (size_t)n, f) != (size_t)n || fclose(f) != 0)
        return fail("writing the output");
    be->free(be, d_images);
    be->free(be, d_indices);
    be->free(be, d_out);
    gt_backend_destroy(be);
    gt_model_free(m);
    free(images);
    free(out);
    free(indices);
    return 0;
}
