/* gtrain: shapes. Tensors are NHWC float32; a per-example shape is (h, w, c),
 * and a flat vector of n features is (1, 1, n). */
#ifndef GTRAIN_TENSOR_H
#define GTRAIN_TENSOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_shape3 {
    int h, w, c;
} gt_shape3;

static inline size_t gt_shape3_size(gt_shape3 s)
{
    return (size_t)s.h * (size_t)s.w * (size_t)s.c;
}

#ifdef __cplusplus
}
#endif
#endif
