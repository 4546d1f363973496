/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11): a counter-based generator, so any element's random number is a pure
 * function of (key, counter) and CPU and GPU draw identical streams. */
#ifndef GT_PHILOX_H
#define GT_PHILOX_H

#include <stdint.h>

#include "gt_hd.h"

#define GT_PHILOX_M0 0xD2511F53u
#define GT_PHILOX_M1 0xCD9E8D57u
#define GT_PHILOX_W0 0x9E3779B9u
#define GT_PHILOX_W1 0xBB67AE85u

typedef struct gt_u32x4 {
    uint32_t v[4];
} gt_u32x4;

GT_HD void gt_philox_round(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    uint64_t p0 = (uint64_t)GT_PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)GT_PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k0;
    uint32_t n2 = hi0 ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

/* Four 32-bit random words for a 128-bit counter and a 64-bit key. */
GT_HD gt_u32x4 gt_philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                uint32_t k1)
{
    uint32_t c[4] = {c0, c1, c2, c3};
    for (int round = 0; round < 10; ++round) {
        gt_philox_round(c, k0, k1);
        k0 += GT_PHILOX_W0;
        k1 += GT_PHILOX_W1;
    }
    gt_u32x4 out = {{c[0], c[1], c[2], c[3]}};
    return out;
}

/* Uniform float in [0, 1) from the top 24 bits: exact, no rounding to 1. */
GT_HD float gt_u32_to_unit_float(uint32_t u)
{
    return (float)(u >> 8) * (1.0f / 16777216.0f);
}

/* Word `lane` (0..3) of the Philox block at 64-bit counter `block`, key `seed`. */
GT_HD uint32_t gt_philox_word(uint64_t seed, uint64_t block, unsigned lane)
{
    gt_u32x4 r = gt_philox4x32_10((uint32_t)block, (uint32_t)(block >> 32), 0u, 0u, (uint32_t)seed,
                                  (uint32_t)(seed >> 32));
    return r.v[lane & 3u];
}

#endif
