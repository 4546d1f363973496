/* Datasets: uint8 NHWC images and int32 labels, held in host memory
 * (resident) or read from their file on demand (streamed, data_source.h).
 *
 * A resident dataset owns its arrays outright (slices copy), so a training
 * set and the validation slice cut from it can be freed in any order; a
 * streamed one owns its labels and shares its source with its slices, which
 * are views. Every constructor checks labels against num_classes once, here,
 * so that the training loop and the kernels can index one-hot rows and class
 * counters without checks. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_source.h"
#include "dataset_internal.h"
#include "gtrain/status.h"

/* More classes than this is surely a bad argument (and would make the
 * softmax row of one example larger than any model here expects). */
#define GT_MAX_CLASSES 65536
/* A side of more than 2^16 pixels or channels is a corrupt or wrong input. */
#define GT_MAX_DIM 65536

struct gt_dataset {
    uint64_t id;      /* unique in the process: a freed dataset's address can be reused */
    uint8_t *images;  /* count * h * w * c elements, example-major, NHWC; NULL when streamed */
    size_t elem_size; /* 1: uint8 pixels; 4: float32 values (dataset_float.c) */
    int32_t *labels;  /* count labels in 0..num_classes-1 */
    size_t count;
    gt_shape3 shape;
    int num_classes;
    char *origin;                   /* file or description, for messages */
    const char *const *class_names; /* class_name_count names, or NULL */
    int class_name_count;
    /* names copied into the dataset (HDF5 list_classes, --class-names): one
     * block of NUL-terminated strings and the table pointing into it */
    char *owned_names;
    const char **owned_table;
    /* streamed: examples [source_first, source_first + count) of the source */
    gt_data_source *source;
    size_t source_first;
};

static _Atomic uint64_t next_dataset_id;

uint64_t gt_dataset_id(const gt_dataset *ds)
{
    return ds ? ds->id : 0;
}

const char *const gt_fashion_mnist_class_names[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

const char *const gt_digit_class_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

/* A dataset with nothing in it yet but its id, origin and uint8 elements. */
static gt_dataset *dataset_new(const char *origin)
{
    gt_dataset *ds = calloc(1, sizeof *ds);
    char *origin_copy = copy_string(origin);
    if (!ds || !origin_copy) {
        free(ds);
        free(origin_copy);
        return NULL;
    }
    ds->id = atomic_fetch_add(&next_dataset_id, 1) + 1;
    ds->elem_size = 1;
    ds->origin = origin_copy;
    return ds;
}

static gt_status check_shape(gt_shape3 shape, int num_classes, const char *origin)
{
    if (shape.h < 1 || shape.w < 1 || shape.c < 1 || shape.h > GT_MAX_DIM || shape.w > GT_MAX_DIM ||
        shape.c > GT_MAX_DIM)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: example shape %dx%dx%d is invalid (each of height, width and "
                       "channels must be 1..%d)",
                       origin, shape.h, shape.w, shape.c, GT_MAX_DIM);
    if (num_classes < 1 || num_classes > GT_MAX_CLASSES)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: num_classes is %d, expected 1..%d", origin,
                       num_classes, GT_MAX_CLASSES);
    return GT_OK;
}

/* Labels are checked here rather than at use, so a bad label file fails at load
 * time with its index instead of corrupting a one-hot row mid-epoch. */
static gt_status check_labels(const int32_t *labels, size_t count, int num_classes,
                              const char *origin, gt_status status_if_bad)
{
    for (size_t i = 0; i < count; ++i) {
        if (labels[i] < 0 || labels[i] >= num_classes)
            return gt_fail(status_if_bad,
                           "%s: label %ld at index %zu is out of range for %d classes "
                           "(expected 0..%d)",
                           origin, (long)labels[i], i, num_classes, num_classes - 1);
    }
    return GT_OK;
}

/* malloc(0) may return NULL; an empty dataset still gets valid pointers. */
static void *alloc_at_least_one(size_t bytes)
{
    return malloc(bytes ? bytes : 1);
}

gt_status gt_dataset_adopt(uint8_t *images, int32_t *labels, size_t count, gt_shape3 shape,
                           int num_classes, const char *origin, gt_dataset **out)
{
    gt_status status = GT_OK;
    gt_dataset *ds = NULL;
    if (!out || !origin) {
        status = gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_adopt: out and origin must be set");
        goto fail;
    }
    *out = NULL;
    if ((status = check_shape(shape, num_classes, origin)) != GT_OK) goto fail;
    if ((status = check_labels(labels, count, num_classes, origin, GT_ERR_FORMAT)) != GT_OK)
        goto fail;
    if (!(ds = dataset_new(origin))) {
        status = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for the dataset", origin);
        goto fail;
    }
    ds->images = images;
    ds->labels = labels;
    ds->count = count;
    ds->shape = shape;
    ds->num_classes = num_classes;
    *out = ds;
    return GT_OK;
fail:
    free(images);
    free(labels);
    return status;
}

static void drop_owned_names(gt_dataset *ds)
{
    free(ds->owned_names);
    free(ds->owned_table);
    ds->owned_names = NULL;
    ds->owned_table = NULL;
}

void gt_dataset_set_class_names(gt_dataset *ds, const char *const *names)
{
    if (!ds) return;
    drop_owned_names(ds);
    ds->class_names = names;
    ds->class_name_count = ds->num_classes;
}

gt_status gt_dataset_copy_class_names(gt_dataset *ds, const char *const *names, int count)
{
    if (!ds || !names)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_copy_class_names: dataset or names "
                                                "is NULL");
    if (count < ds->num_classes)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: %d class names given for %d classes (expected at least %d)", ds->origin,
                       count, ds->num_classes, ds->num_classes);
    size_t bytes = 0;
    for (int i = 0; i < count; ++i)
        bytes += strlen(names[i] ? names[i] : "") + 1;
    char *block = malloc(bytes);
    const char **table = malloc((size_t)count * sizeof *table);
    if (!block || !table) {
        free(block);
        free(table);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for class names", ds->origin);
    }
    char *p = block;
    for (int i = 0; i < count; ++i) {
        const char *name = names[i] ? names[i] : "";
        size_t n = strlen(name) + 1;
        memcpy(p, name, n);
        table[i] = p;
        p += n;
    }
    drop_owned_names(ds);
    ds->owned_names = block;
    ds->owned_table = table;
    ds->class_names = table;
    ds->class_name_count = count;
    return GT_OK;
}

/* Copies examples [first, first + count) of the given arrays into a new dataset. */
static gt_status copy_examples(const uint8_t *images, const int32_t *labels, size_t count,
                               gt_shape3 shape, size_t elem_size, int num_classes,
                               const char *origin, gt_dataset **out)
{
    size_t example_bytes = gt_shape3_size(shape) * elem_size;
    if (count > SIZE_MAX / sizeof(int32_t) || (example_bytes && count > SIZE_MAX / example_bytes))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %zu examples of %zu bytes overflow memory",
                       origin, count, example_bytes);
    uint8_t *image_copy = alloc_at_least_one(count * example_bytes);
    int32_t *label_copy = alloc_at_least_one(count * sizeof(int32_t));
    if (!image_copy || !label_copy) {
        free(image_copy);
        free(label_copy);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "%s: out of host memory copying %zu examples (%zu bytes)", origin, count,
                       count * example_bytes);
    }
    if (count) {
        memcpy(image_copy, images, count * example_bytes);
        memcpy(label_copy, labels, count * sizeof(int32_t));
    }
    GT_TRY(gt_dataset_adopt(image_copy, label_copy, count, shape, num_classes, origin, out));
    (*out)->elem_size = elem_size;
    return GT_OK;
}

gt_status gt_dataset_from_memory(const uint8_t *images, const int32_t *labels, size_t count,
                                 gt_shape3 shape, int num_classes, gt_dataset **out)
{
    if (!out)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_from_memory: out must not be NULL");
    *out = NULL;
    if (count > 0 && (!images || !labels))
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "gt_dataset_from_memory: images and labels must not be NULL for %zu "
                       "examples",
                       count);
    /* Check before copying so a bad argument costs no allocation. */
    GT_TRY(check_shape(shape, num_classes, "dataset from memory"));
    GT_TRY(
        check_labels(labels, count, num_classes, "dataset from memory", GT_ERR_INVALID_ARGUMENT));
    return copy_examples(images, labels, count, shape, 1, num_classes, "dataset from memory", out);
}

gt_status gt_dataset_copy_typed(const void *images, size_t elem_size, const int32_t *labels,
                                size_t count, gt_shape3 shape, int num_classes, const char *origin,
                                gt_dataset **out)
{
    GT_TRY(check_shape(shape, num_classes, origin));
    GT_TRY(check_labels(labels, count, num_classes, origin, GT_ERR_INVALID_ARGUMENT));
    return copy_examples(images, labels, count, shape, elem_size, num_classes, origin, out);
}

size_t gt_dataset_elem_size(const gt_dataset *ds)
{
    return ds ? ds->elem_size : 0;
}

const void *gt_dataset_raw_images(const gt_dataset *ds)
{
    return ds ? ds->images : NULL;
}

/* Examples [first, first + count) of `src` with their labels (taken over,
 * as is the caller's reference to src, even on failure). */
static gt_status adopt_stream_range(gt_data_source *src, size_t first, size_t count,
                                    int32_t *labels, int num_classes, const char *origin,
                                    gt_dataset **out)
{
    gt_status status = GT_OK;
    *out = NULL;
    if ((status = check_shape(src->shape, num_classes, origin)) != GT_OK ||
        (status = check_labels(labels, count, num_classes, origin, GT_ERR_FORMAT)) != GT_OK) {
        free(labels);
        gt_data_source_release(src);
        return status;
    }
    gt_dataset *ds = dataset_new(origin);
    if (!ds) {
        free(labels);
        gt_data_source_release(src);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for the dataset", origin);
    }
    ds->labels = labels;
    ds->count = count;
    ds->shape = src->shape;
    ds->num_classes = num_classes;
    ds->source = src;
    ds->source_first = first;
    *out = ds;
    return GT_OK;
}

/* A slice of a streamed dataset: its own labels, the parent's source. */
static gt_status stream_view(const gt_dataset *ds, size_t first, size_t count, const char *origin,
                             gt_dataset **out)
{
    int32_t *labels = alloc_at_least_one(count * sizeof(int32_t));
    if (!labels) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", origin);
    if (count) memcpy(labels, ds->labels + first, count * sizeof(int32_t));
    gt_data_source_retain(ds->source);
    return adopt_stream_range(ds->source, ds->source_first + first, count, labels, ds->num_classes,
                              origin, out);
}

gt_status gt_dataset_slice(const gt_dataset *ds, size_t first, size_t count, gt_dataset **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_slice: out must not be NULL");
    *out = NULL;
    if (!ds) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_slice: dataset is NULL");
    if (first > ds->count || count > ds->count - first)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: slice of %zu examples from index %zu does not fit in its %zu examples",
                       ds->origin, count, first, ds->count);
    /* The origin records the range in Python slice notation, so a message
     * about the validation part says which part of which file it is. */
    size_t origin_len = strlen(ds->origin) + 48;
    char *origin = malloc(origin_len);
    if (!origin) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", ds->origin);
    snprintf(origin, origin_len, "%s[%zu:%zu]", ds->origin, first, first + count);
    size_t example_bytes = gt_shape3_size(ds->shape) * ds->elem_size;
    gt_status status =
        ds->source ? stream_view(ds, first, count, origin, out)
                   : copy_examples(ds->images + first * example_bytes, ds->labels + first, count,
                                   ds->shape, ds->elem_size, ds->num_classes, origin, out);
    free(origin);
    if (status != GT_OK) return status;
    /* a slice may outlive its parent, so names the parent owns are copied */
    if (ds->owned_table) {
        status = gt_dataset_copy_class_names(*out, ds->owned_table, ds->class_name_count);
        if (status != GT_OK) {
            gt_dataset_free(*out);
            *out = NULL;
        }
        return status;
    }
    (*out)->class_names = ds->class_names;
    (*out)->class_name_count = ds->class_name_count;
    return GT_OK;
}

void gt_dataset_free(gt_dataset *ds)
{
    if (!ds) return;
    if (ds->source) gt_data_source_release(ds->source);
    free(ds->images);
    free(ds->labels);
    free(ds->origin);
    drop_owned_names(ds);
    free(ds);
}

size_t gt_dataset_count(const gt_dataset *ds)
{
    return ds ? ds->count : 0;
}

gt_shape3 gt_dataset_shape(const gt_dataset *ds)
{
    gt_shape3 none = {0, 0, 0};
    return ds ? ds->shape : none;
}

int gt_dataset_num_classes(const gt_dataset *ds)
{
    return ds ? ds->num_classes : 0;
}

const uint8_t *gt_dataset_images(const gt_dataset *ds)
{
    return ds && ds->elem_size == 1 ? ds->images : NULL;
}

const int32_t *gt_dataset_labels(const gt_dataset *ds)
{
    return ds ? ds->labels : NULL;
}

const char *gt_dataset_origin(const gt_dataset *ds)
{
    return ds ? ds->origin : "";
}

const char *gt_dataset_class_name(const gt_dataset *ds, int label)
{
    if (!ds || !ds->class_names || label < 0 || label >= ds->class_name_count) return NULL;
    return ds->class_names[label];
}

gt_status gt_dataset_adopt_stream(gt_data_source *src, int32_t *labels, int num_classes,
                                  const char *origin, gt_dataset **out)
{
    return adopt_stream_range(src, 0, src->count, labels, num_classes, origin, out);
}

gt_data_source *gt_dataset_source(const gt_dataset *ds, size_t *first)
{
    if (first) *first = ds && ds->source ? ds->source_first : 0;
    return ds ? ds->source : NULL;
}

int gt_dataset_is_streamed(const gt_dataset *ds)
{
    return ds && ds->source != NULL;
}

size_t gt_dataset_resident_bytes(const gt_dataset *ds)
{
    if (!ds) return 0;
    return ds->count * (gt_shape3_size(ds->shape) + sizeof(int32_t));
}

const char *gt_dataset_stream_how(const gt_dataset *ds)
{
    return ds && ds->source ? ds->source->how : NULL;
}

gt_status gt_dataset_read_images(const gt_dataset *ds, size_t first, size_t count, uint8_t *dst)
{
    if (!ds || (count && !dst))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_read_images: dataset or dst is NULL");
    if (first > ds->count || count > ds->count - first)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: examples %zu..%zu requested, it has %zu",
                       ds->origin, first, first + count, ds->count);
    if (count == 0) return GT_OK;
    if (ds->source) return ds->source->ops->read(ds->source, ds->source_first + first, count, dst);
    size_t per = gt_shape3_size(ds->shape);
    memcpy(dst, ds->images + first * per, count * per);
    return GT_OK;
}

gt_status gt_dataset_load_resident(const gt_dataset *ds, gt_dataset **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_load_resident: out is NULL");
    *out = NULL;
    if (!ds || !ds->source)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "gt_dataset_load_resident: %s is not a streamed dataset",
                       ds ? ds->origin : "(null)");
    gt_data_source *src = ds->source;
    if (ds->source_first == 0 && ds->count == src->count) {
        GT_TRY(src->ops->load_all(src, out));
    } else {
        /* a view: its range, through the source */
        size_t per = gt_shape3_size(ds->shape);
        if (ds->count > SIZE_MAX / (per ? per : 1))
            return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: too large for memory", ds->origin);
        uint8_t *images = alloc_at_least_one(ds->count * per);
        int32_t *labels = alloc_at_least_one(ds->count * sizeof(int32_t));
        gt_status st = images && labels ? GT_OK
                                        : gt_fail(GT_ERR_OUT_OF_MEMORY,
                                                  "%s: out of host memory for %zu examples",
                                                  ds->origin, ds->count);
        if (st == GT_OK) st = gt_dataset_read_images(ds, 0, ds->count, images);
        if (st != GT_OK) {
            free(images);
            free(labels);
            return st;
        }
        memcpy(labels, ds->labels, ds->count * sizeof(int32_t));
        GT_TRY(gt_dataset_adopt(images, labels, ds->count, ds->shape, ds->num_classes, ds->origin,
                                out));
    }
    gt_status st = GT_OK;
    if (ds->owned_table)
        st = gt_dataset_copy_class_names(*out, ds->owned_table, ds->class_name_count);
    else if (ds->class_names) {
        (*out)->class_names = ds->class_names;
        (*out)->class_name_count = ds->class_name_count;
    }
    if (st != GT_OK) {
        gt_dataset_free(*out);
        *out = NULL;
    }
    return st;
}

gt_status gt_dataset_set_stream_cache(gt_dataset *ds, size_t bytes)
{
    if (!ds || !ds->source) return GT_OK;
    return ds->source->ops->set_cache(ds->source, bytes);
}

size_t gt_dataset_stream_cache(const gt_dataset *ds)
{
    return ds && ds->source ? ds->source->cache_bytes : 0;
}
