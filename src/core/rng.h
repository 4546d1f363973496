/* Host random streams on Philox4x32-10 (kernels/philox.h), for weight
 * initialization and anything else the host draws.
 *
 * A stream is (key, stream id): the key is the user's 64-bit seed, the
 * 128-bit Philox counter is (block index low, block high, stream low, stream
 * high). Distinct stream ids therefore never share a counter, so streams are
 * independent, and a stream's numbers depend only on (seed, stream id) —
 * not on how many numbers other streams drew. Each block yields four 32-bit
 * words, consumed in order. */
#ifndef GT_RNG_H
#define GT_RNG_H

#include <stdint.h>

typedef struct gt_rng {
    uint64_t key;
    uint64_t stream;
    uint64_t block;       /* next Philox block to compute */
    uint32_t words[4];    /* current block */
    int next_word;        /* 0..4; 4 means the block is used up */
    int has_spare_normal; /* Box-Muller makes normals in pairs */
    double spare_normal;
} gt_rng;

void gt_rng_init(gt_rng *rng, uint64_t seed, uint64_t stream);

/* Next 32 random bits. */
uint32_t gt_rng_u32(gt_rng *rng);

/* Uniform in [0, 1), 24-bit resolution (exactly representable floats). */
float gt_rng_uniform(gt_rng *rng);

/* Uniform in [lo, hi). */
float gt_rng_uniform_range(gt_rng *rng, float lo, float hi);

/* Standard normal (Box-Muller on two 53-bit uniforms). */
double gt_rng_normal(gt_rng *rng);

/* Standard normal redrawn until |z| <= 2: Keras' / tf.random.truncated_normal's
 * truncation at two standard deviations. */
double gt_rng_truncated_normal(gt_rng *rng);

#endif
