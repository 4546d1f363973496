/* Element math of the augmentation stages (gt_augment, backend.h), shared
 * by the CPU reference and fast ops and the CUDA kernel, after Keras 2.11's
 * image preprocessing layers and the TensorFlow op they call
 * (ImageProjectiveTransformV3, tensorflow/core/kernels/image/image_ops.h):
 *
 *   RandomFlip         out(y, x) = in(y, W-1-x) and/or in(H-1-y, x), each with p = 1/2
 *   RandomTranslation  in = out - (dy, dx), dy = U[lower, upper) * H, dx likewise
 *   RandomZoom         in = z * out + (len - 1) / 2 * (1 - z), z = U[1 + lower, 1 + upper)
 *   RandomCrop         a window at a uniform integer offset; in inference (or
 *                      when the image is smaller) Keras' smart_resize
 *
 * with TF's fill modes and interpolations. Every value is computed with
 * TF's float expressions in TF's order, so a stage is exact to one
 * sequential application of the layer on float images (the reference op
 * materializes each stage; the fast op and the kernel evaluate the stages
 * nested per output pixel, reading the same values).
 *
 * Randomness: stage s of the example with stream number q (its position in
 * the epoch's order) in epoch e uses the four Philox words of counter (q low,
 * q high, e, s) under key seed, so it depends on neither the batch nor the
 * backend. Included by elem_math.h. */
#ifndef GT_AUGMENT_MATH_H
#define GT_AUGMENT_MATH_H

#include <math.h>
#include <stdint.h>

#include "gt_hd.h"
#include "gtrain/backend.h"
#include "philox.h"

/* The draw of stage `stage` for the example with stream number `stream`. */
GT_HD gt_u32x4 gt_augment_words(const gt_augment *a, uint64_t stream, int stage)
{
    return gt_philox4x32_10((uint32_t)stream, (uint32_t)(stream >> 32), a->epoch, (uint32_t)stage,
                            (uint32_t)a->seed, (uint32_t)(a->seed >> 32));
}

/* TF's random_uniform: minval + (maxval - minval) * U[0, 1). */
GT_HD float gt_augment_uniform(uint32_t word, float lo, float hi)
{
    return lo + (hi - lo) * gt_u32_to_unit_float(word);
}

/* TF's MapCoordinate (scipy's ndimage modes): an out-of-range coordinate
 * folded back into [0, len - 1] (constant mode leaves it outside). */
GT_HD float gt_map_coord(float out_coord, int len, int mode)
{
    float in_coord = out_coord;
    if (mode == GT_FILL_CONSTANT) return in_coord;
    if (mode == GT_FILL_REFLECT) {
        if (in_coord < 0) {
            if (len <= 1) {
                in_coord = 0;
            } else {
                const int64_t sz2 = 2 * (int64_t)len;
                if (in_coord < (float)sz2)
                    in_coord = (float)(sz2 * (int64_t)(-in_coord / (float)sz2)) + in_coord;
                in_coord = (in_coord < (float)-len) ? in_coord + (float)sz2 : -in_coord - 1;
            }
        } else if (in_coord > (float)(len - 1)) {
            if (len <= 1) {
                in_coord = 0;
            } else {
                const int64_t sz2 = 2 * (int64_t)len;
                in_coord -= (float)(sz2 * (int64_t)(in_coord / (float)sz2));
                if (in_coord >= (float)len) in_coord = (float)sz2 - in_coord - 1;
            }
        }
    } else if (mode == GT_FILL_WRAP) {
        if (in_coord < 0) {
            if (len <= 1) {
                in_coord = 0;
            } else {
                const int64_t sz = (int64_t)len - 1;
                in_coord += (float)((int64_t)len * ((int64_t)(-in_coord / (float)sz) + 1));
            }
        } else if (in_coord > (float)(len - 1)) {
            if (len <= 1) {
                in_coord = 0;
            } else {
                const int64_t sz = (int64_t)len - 1;
                in_coord -= (float)((int64_t)len * (int64_t)(in_coord / (float)sz));
            }
        }
    }
    /* nearest clamps; the others clamp too (3.5 in a length of 4 would round to 4) */
    float hi = (float)(len - 1);
    return in_coord < 0.0f ? 0.0f : (in_coord > hi ? hi : in_coord);
}

/* One stage as drawn for one example: sizes, and how its output samples its input. */
typedef struct gt_aug_draw {
    int kind;
    int in_h, in_w, out_h, out_w;
    int identity;       /* the stage passes its input through */
    int flip_h, flip_v; /* FLIP */
    /* TRANSLATE, ZOOM: TF's transform row [ax, 0, bx] for x, [0, ay, by] for y */
    float ax, bx, ay, by;
    int fill_mode, interpolation;
    float fill_value;
    int top, left;    /* CROP: the window's (or smart_resize box's) corner */
    int box_h, box_w; /* CROP by smart_resize: the box resized to out */
    int resize;
} gt_aug_draw;

GT_HD gt_aug_draw gt_augment_draw(const gt_augment *a, int stage, uint64_t stream, int in_h,
                                  int in_w)
{
    const gt_augment_stage *s = &a->stages[stage];
    gt_aug_draw d;
    d.kind = s->kind;
    d.in_h = d.out_h = d.box_h = in_h;
    d.in_w = d.out_w = d.box_w = in_w;
    d.identity = !a->training;
    d.flip_h = d.flip_v = 0;
    d.ax = d.ay = 1.0f;
    d.bx = d.by = 0.0f;
    d.fill_mode = s->fill_mode;
    d.interpolation = s->interpolation;
    d.fill_value = s->fill_value;
    d.top = d.left = 0;
    d.resize = 0;
    gt_u32x4 r = gt_augment_words(a, stream, stage);
    switch (s->kind) {
    case GT_AUG_FLIP:
        d.flip_h = a->training && s->horizontal && r.v[0] >= 0x80000000u;
        d.flip_v = a->training && s->vertical && r.v[1] >= 0x80000000u;
        d.identity = !d.flip_h && !d.flip_v;
        break;
    case GT_AUG_TRANSLATE: {
        float dy = gt_augment_uniform(r.v[0], s->height_lower, s->height_upper) * (float)in_h;
        float dx = gt_augment_uniform(r.v[1], s->width_lower, s->width_upper) * (float)in_w;
        d.bx = -dx;
        d.by = -dy;
        break;
    }
    case GT_AUG_ZOOM: {
        float zy = gt_augment_uniform(r.v[0], 1.0f + s->height_lower, 1.0f + s->height_upper);
        float zx = s->width_from_height
                       ? zy
                       : gt_augment_uniform(r.v[1], 1.0f + s->width_lower, 1.0f + s->width_upper);
        d.ax = zx;
        d.ay = zy;
        d.bx = ((float)(in_w - 1) / 2.0f) * (1.0f - zx);
        d.by = ((float)(in_h - 1) / 2.0f) * (1.0f - zy);
        break;
    }
    case GT_AUG_CROP:
        d.identity = 0;
        d.out_h = s->out_h;
        d.out_w = s->out_w;
        if (a->training && in_h >= s->out_h && in_w >= s->out_w) {
            d.top = (int)(r.v[0] % (uint32_t)(in_h - s->out_h + 1));
            d.left = (int)(r.v[1] % (uint32_t)(in_w - s->out_w + 1));
            d.box_h = s->out_h;
            d.box_w = s->out_w;
        } else {
            /* smart_resize: the largest centred box of the target's aspect ratio */
            int ch = (int)((float)(in_w * s->out_h) / (float)s->out_w);
            int cw = (int)((float)(in_h * s->out_w) / (float)s->out_h);
            d.box_h = ch < in_h ? ch : in_h;
            d.box_w = cw < in_w ? cw : in_w;
            d.top = (int)((float)(in_h - d.box_h) / 2.0f);
            d.left = (int)((float)(in_w - d.box_w) / 2.0f);
            d.resize = 1;
        }
        break;
    default:
        d.identity = 1;
        break;
    }
    return d;
}

/* Where one output pixel of a stage reads its input, and how it mixes what it reads. */
enum { GT_TAPS_COPY, GT_TAPS_PROJECTIVE, GT_TAPS_RESIZE };

typedef struct gt_aug_taps {
    int combine;
    int n; /* input pixels read */
    int y[4], x[4];
    int inside[4]; /* 0: outside the input: reads fill */
    float fy, fx;  /* PROJECTIVE: the mapped coordinate; RESIZE: the lerps */
    float fill;
} gt_aug_taps;

GT_HD void gt_aug_tap(gt_aug_taps *t, int y, int x, int h, int w)
{
    int k = t->n++;
    t->y[k] = y;
    t->x[k] = x;
    t->inside[k] = y >= 0 && y < h && x >= 0 && x < w;
}

GT_HD gt_aug_taps gt_augment_taps(const gt_aug_draw *d, int oy, int ox)
{
    gt_aug_taps t;
    t.combine = GT_TAPS_COPY;
    t.n = 0;
    t.fy = t.fx = 0.0f;
    t.fill = d->fill_value;
    int h = d->in_h, w = d->in_w;
    if (d->identity) {
        gt_aug_tap(&t, oy, ox, h, w);
    } else if (d->kind == GT_AUG_FLIP) {
        gt_aug_tap(&t, d->flip_v ? h - 1 - oy : oy, d->flip_h ? w - 1 - ox : ox, h, w);
    } else if (d->kind == GT_AUG_CROP && !d->resize) {
        gt_aug_tap(&t, oy + d->top, ox + d->left, h, w);
    } else if (d->kind == GT_AUG_CROP) {
        /* tf.image.resize of the box, bilinear, half-pixel centres */
        gt_bilinear_tap ty = gt_bilinear_tap_at(oy, d->box_h, d->out_h);
        gt_bilinear_tap tx = gt_bilinear_tap_at(ox, d->box_w, d->out_w);
        t.combine = GT_TAPS_RESIZE;
        gt_aug_tap(&t, d->top + ty.lower, d->left + tx.lower, h, w);
        gt_aug_tap(&t, d->top + ty.lower, d->left + tx.upper, h, w);
        gt_aug_tap(&t, d->top + ty.upper, d->left + tx.lower, h, w);
        gt_aug_tap(&t, d->top + ty.upper, d->left + tx.upper, h, w);
        t.fx = tx.lerp;
        t.fy = ty.lerp;
    } else {
        /* ProjectiveGenerator with the affine transform [ax 0 bx; 0 ay by; 0 0] */
        float projection = 0.0f * (float)ox + 0.0f * (float)oy + 1.f;
        float in_x = (d->ax * (float)ox + 0.0f * (float)oy + d->bx) / projection;
        float in_y = (0.0f * (float)ox + d->ay * (float)oy + d->by) / projection;
        float x = gt_map_coord(in_x, w, d->fill_mode);
        float y = gt_map_coord(in_y, h, d->fill_mode);
        /* Only constant mode leaves a coordinate outside; TF then reads
         * each tap with the fill value where it falls outside
         * (read_with_fill_value), so a pixel half outside mixes the fill in
         * (checked against Keras 3.15: bench/results/augment_vs_keras_*) */
        if (d->interpolation == GT_INTERP_NEAREST) {
            gt_aug_tap(&t, (int)roundf(y), (int)roundf(x), h, w);
        } else {
            float y_floor = floorf(y), x_floor = floorf(x);
            float y_ceil = y_floor + 1, x_ceil = x_floor + 1;
            t.combine = GT_TAPS_PROJECTIVE;
            gt_aug_tap(&t, (int)y_floor, (int)x_floor, h, w);
            gt_aug_tap(&t, (int)y_floor, (int)x_ceil, h, w);
            gt_aug_tap(&t, (int)y_ceil, (int)x_floor, h, w);
            gt_aug_tap(&t, (int)y_ceil, (int)x_ceil, h, w);
            t.fx = x;
            t.fy = y;
        }
    }
    return t;
}

/* The output pixel from the values read at its taps (outside ones: the fill). */
GT_HD float gt_augment_combine(const gt_aug_taps *t, const float *v)
{
    switch (t->combine) {
    case GT_TAPS_PROJECTIVE: {
        const float x = t->fx, y = t->fy;
        const float y_floor = floorf(y), x_floor = floorf(x);
        const float y_ceil = y_floor + 1, x_ceil = x_floor + 1;
        const float value_yfloor = (x_ceil - x) * v[0] + (x - x_floor) * v[1];
        const float value_yceil = (x_ceil - x) * v[2] + (x - x_floor) * v[3];
        return (y_ceil - y) * value_yfloor + (y - y_floor) * value_yceil;
    }
    case GT_TAPS_RESIZE:
        return gt_bilinear_mix(v[0], v[1], v[2], v[3], t->fx, t->fy);
    default:
        return v[0];
    }
}

/* One example's image and its drawn stages. */
typedef struct gt_aug_example {
    const gt_preprocess *p;
    const uint8_t *image;
    int rh, rw; /* the resize's output: the stages' input */
    int n_stages;
    gt_aug_draw d[GT_AUGMENT_MAX_STAGES];
} gt_aug_example;

GT_HD gt_aug_example gt_augment_example(const gt_preprocess *p, const gt_augment *a,
                                        const uint8_t *image, uint64_t stream)
{
    gt_aug_example e;
    e.p = p;
    e.image = image;
    e.rh = a->in_h;
    e.rw = a->in_w;
    e.n_stages = a->n_stages;
    int h = a->in_h, w = a->in_w;
    for (int s = 0; s < GT_AUGMENT_MAX_STAGES; ++s) {
        if (s >= a->n_stages) break;
        e.d[s] = gt_augment_draw(a, s, stream, h, w);
        h = e.d[s].out_h;
        w = e.d[s].out_w;
    }
    return e;
}

/* Stage outputs evaluated nested per pixel: level k is stage k - 1's output,
 * level 0 the resized image. Each level reads the one below at its taps
 * only, so the values are those of applying the stages one after another. */
GT_HD float gt_aug_level0(const gt_aug_example *e, int y, int x, int c)
{
    return gt_resize_pixel(e->p, e->image, e->rh, e->rw, y, x, c);
}

/* one level per stage: GT_AUGMENT_MAX_STAGES levels below */
typedef char gt_aug_levels_cover_the_stages[GT_AUGMENT_MAX_STAGES == 4 ? 1 : -1];

#define GT_AUG_LEVEL_(k, below)                                                                    \
    GT_HD float gt_aug_level##k(const gt_aug_example *e, int y, int x, int c)                      \
    {                                                                                              \
        gt_aug_taps t = gt_augment_taps(&e->d[k - 1], y, x);                                       \
        float v[4] = {0.0f, 0.0f, 0.0f, 0.0f};                                                     \
        for (int i = 0; i < t.n; ++i)                                                              \
            v[i] = t.inside[i] ? gt_aug_level##below(e, t.y[i], t.x[i], c) : t.fill;               \
        return gt_augment_combine(&t, v);                                                          \
    }
GT_AUG_LEVEL_(1, 0)
GT_AUG_LEVEL_(2, 1)
GT_AUG_LEVEL_(3, 2)
GT_AUG_LEVEL_(4, 3)
#undef GT_AUG_LEVEL_

/* Unscaled output pixel (y, x, c) of the last stage. */
GT_HD float gt_augment_pixel(const gt_aug_example *e, int y, int x, int c)
{
    switch (e->n_stages) {
    case 1:
        return gt_aug_level1(e, y, x, c);
    case 2:
        return gt_aug_level2(e, y, x, c);
    case 3:
        return gt_aug_level3(e, y, x, c);
    case 4:
        return gt_aug_level4(e, y, x, c);
    default:
        return gt_aug_level0(e, y, x, c);
    }
}

#endif
