/* Host Philox streams: see rng.h for the counter layout. */
#include "rng.h"

#include <math.h>

#include "philox.h"

void gt_rng_init(gt_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->key = seed;
    rng->stream = stream;
    rng->block = 0;
    rng->next_word = 4;
    rng->has_spare_normal = 0;
    rng->spare_normal = 0.0;
}

uint32_t gt_rng_u32(gt_rng *rng)
{
    if (rng->next_word >= 4) {
        gt_u32x4 r = gt_philox4x32_10((uint32_t)rng->block, (uint32_t)(rng->block >> 32),
                                      (uint32_t)rng->stream, (uint32_t)(rng->stream >> 32),
                                      (uint32_t)rng->key, (uint32_t)(rng->key >> 32));
        for (int i = 0; i < 4; ++i)
            rng->words[i] = r.v[i];
        rng->block++;
        rng->next_word = 0;
    }
    return rng->words[rng->next_word++];
}

float gt_rng_uniform(gt_rng *rng)
{
    return gt_u32_to_unit_float(gt_rng_u32(rng));
}

float gt_rng_uniform_range(gt_rng *rng, float lo, float hi)
{
    float x = lo + (hi - lo) * gt_rng_uniform(rng);
    /* lo + (hi-lo)*u can round up to hi for u just below 1; keep [lo, hi). */
    return x < hi ? x : lo;
}

/* Uniform in (0, 1] with 53 random bits: never 0, so log() is finite. */
static double unit_open_closed(gt_rng *rng)
{
    uint64_t hi = gt_rng_u32(rng), lo = gt_rng_u32(rng);
    uint64_t bits = ((hi << 32) | lo) >> 11;
    return ((double)bits + 1.0) * (1.0 / 9007199254740992.0);
}

double gt_rng_normal(gt_rng *rng)
{
    if (rng->has_spare_normal) {
        rng->has_spare_normal = 0;
        return rng->spare_normal;
    }
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = unit_open_closed(rng);
    double u2 = unit_open_closed(rng);
    double radius = sqrt(-2.0 * log(u1));
    rng->spare_normal = radius * sin(two_pi * u2);
    rng->has_spare_normal = 1;
    return radius * cos(two_pi * u2);
}

double gt_rng_truncated_normal(gt_rng *rng)
{
    for (;;) {
        double z = gt_rng_normal(rng);
        if (z >= -2.0 && z <= 2.0) return z;
    }
}
