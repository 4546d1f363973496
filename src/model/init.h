/* Initial weights on the host, from the layers' Keras initializers. */
#ifndef GT_INIT_H
#define GT_INIT_H

#include <stdint.h>

#include "model_internal.h"

/* Fills host_params (gt_model_param_count(m) floats, the flat buffer laid out
 * by gt_model_build) with every layer's kernel and bias drawn from its
 * initializer. Deterministic: the same model and seed give identical bytes.
 *
 * Each tensor draws from its own Philox stream, id = 2 * layer index (+1 for
 * the bias), keyed by `seed` (rng.h); element i of the tensor, in its storage
 * order (Conv2D OHWI, Dense (in, units) row-major), takes the stream's i-th
 * value (truncated normals skip the redrawn ones). Fans follow Keras: Conv2D
 * fan_in = kh*kw*cin, fan_out = kh*kw*filters; Dense fan_in = in, fan_out =
 * units; a bias (1-D) has fan_in = fan_out = its length. */
gt_status gt_model_init_params(const gt_model *m, uint64_t seed, float *host_params);

/* Fills one tensor of `count` floats from `init`, with the given fans, from
 * stream `stream` of `seed`. */
gt_status gt_init_tensor(const gt_initializer *init, double fan_in, double fan_out, uint64_t seed,
                         uint64_t stream, float *out, size_t count);

#endif
