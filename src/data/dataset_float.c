/* Float32 datasets: the arrays notebooks feed Keras after x / 255.0 (or any
 * float images), kept as float32 so that nothing is quantized back to uint8.
 * They share dataset.c's storage, slicing and checks; the trainer gathers
 * them with the preprocess_gather_f32 op. */
#include <math.h>
#include <stdint.h>

#include "dataset_internal.h"
#include "gtrain/status.h"

gt_status gt_dataset_from_memory_f32(const float *images, const int32_t *labels, size_t count,
                                     gt_shape3 shape, int num_classes, gt_dataset **out)
{
    if (!out)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_from_memory_f32: out must not be NULL");
    *out = NULL;
    if (count > 0 && (!images || !labels))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "gt_dataset_from_memory_f32: images and labels must not be NULL for %zu "
                       "examples",
                       count);
    size_t per = gt_shape3_size(shape);
    if (per && count > SIZE_MAX / per / sizeof(float))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "float dataset: %zu examples of %zu values "
                       "overflow memory",
                       count, per);
    /* a NaN or inf pixel would only show as a non-finite loss many steps later */
    for (size_t i = 0; i < count * per; ++i)
        if (!isfinite(images[i]))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "float dataset: image %zu holds %g at element %zu (pixel values must "
                           "be finite)",
                           i / per, (double)images[i], i % per);
    return gt_dataset_copy_typed(images, sizeof(float), labels, count, shape, num_classes,
                                 "float dataset from memory", out);
}

int gt_dataset_is_float(const gt_dataset *ds)
{
    return gt_dataset_elem_size(ds) == sizeof(float);
}

const float *gt_dataset_images_f32(const gt_dataset *ds)
{
    return gt_dataset_is_float(ds) ? (const float *)gt_dataset_raw_images(ds) : NULL;
}
