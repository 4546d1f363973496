/* Internal: building datasets inside the library. Loaders read straight into
 * their own buffers and hand them over, so a 47 MB image array is never copied. */
#ifndef GT_DATASET_INTERNAL_H
#define GT_DATASET_INTERNAL_H

#include <stdint.h>

#include "gtrain/data.h"

/* The ten Fashion-MNIST class names, index = label ("T-shirt/top" ... "Ankle boot"). */
extern const char *const gt_fashion_mnist_class_names[10];
/* MNIST's class names are its digits "0".."9". */
extern const char *const gt_digit_class_names[10];

/* Takes ownership of `images` (count * shape size bytes, malloc'd) and `labels`
 * (count int32, malloc'd) and wraps them in a dataset; copies `origin`.
 * Checks the shape, num_classes and every label. On failure frees both buffers,
 * so the caller never has to. */
gt_status gt_dataset_adopt(uint8_t *images, int32_t *labels, size_t count, gt_shape3 shape,
                           int num_classes, const char *origin, gt_dataset **out);

/* Copies `count` examples of elem_size-byte elements (1: uint8, 4: float32)
 * and their labels into a new dataset, after the shape and label checks. */
gt_status gt_dataset_copy_typed(const void *images, size_t elem_size, const int32_t *labels,
                                size_t count, gt_shape3 shape, int num_classes, const char *origin,
                                gt_dataset **out);
/* 1 (uint8 images) or 4 (float32), and the images whatever their type. */
size_t gt_dataset_elem_size(const gt_dataset *ds);
const void *gt_dataset_raw_images(const gt_dataset *ds);
/* The dataset's identity, unique among every dataset this process made
 * (never 0): what the trainer keys its uploaded copies by, since a freed
 * dataset's address may come back as another one's. */
uint64_t gt_dataset_id(const gt_dataset *ds);

/* Attaches a static table of num_classes names (or NULL for none). The table
 * must outlive the dataset; slices share it. */
void gt_dataset_set_class_names(gt_dataset *ds, const char *const *names);

#endif
