/* White-box tests' view of a Conv2D's or Dense's two weights (kernel, then
 * an optional bias) in the model-order parameters. */
#ifndef GT_TEST_LAYERS_H
#define GT_TEST_LAYERS_H

#include "model_internal.h"

#define KERNEL_OFFSET(l) ((l)->n_weights > 0 ? (l)->weights[0].model_offset : 0)
#define KERNEL_COUNT(l) ((size_t)((l)->n_weights > 0 ? (l)->weights[0].count : 0))
#define BIAS_OFFSET(l) ((l)->n_weights > 1 ? (l)->weights[1].model_offset : 0)
#define BIAS_COUNT(l) ((size_t)((l)->n_weights > 1 ? (l)->weights[1].count : 0))

#endif
