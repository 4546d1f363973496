/* Internal: what the resident HDF5 loader (data_hdf5.c) and the streaming
 * HDF5 source (data_stream_hdf5.c) share: finding the keys, checking the
 * image dataset, reading the labels and the class list, converting
 * non-uint8 pixels. Every refusal names the file and the dataset. */
#ifndef GT_DATA_HDF5_INTERNAL_H
#define GT_DATA_HDF5_INTERNAL_H

#ifdef GTRAIN_HAVE_HDF5

#include <stddef.h>
#include <stdint.h>

#include "h5_io.h"
#include "gtrain/data.h"

/* Examples converted per read of non-uint8 images, to bound the double buffer. */
#define H5DATA_BLOCK_EXAMPLES 256

typedef struct h5_source {
    const char *path;
    hid_t file;
    char x_key[256], y_key[256];
} h5_source;

/* The image dataset, opened and checked: rank 3 or 4, an integer or float
 * type, sides of 1..65536, a declared size the file can hold. */
typedef struct h5_images {
    hid_t ds, type;
    int rank;
    hsize_t dims[H5S_MAX_RANK];
    size_t count, per; /* examples, bytes (values) per example */
    gt_shape3 shape;
    int is_u8; /* uint8 on file: read as is; else read as double and converted */
} h5_images;

/* The labels (checked: 0..classes-1) and the class names of list_classes. */
typedef struct h5_labels {
    int32_t *labels;
    size_t count;
    char **names; /* n_names strings, or NULL */
    int n_names;
    int classes;
} h5_labels;

/* "uint8", "float32", "string"... */
const char *gt_h5data_type_name(hid_t type, char *buf, size_t size);
/* Resolves the image and label keys: given, implied by the other's suffix,
 * or the file's one <name>_x / <name>_y pair. */
gt_status gt_h5data_resolve_keys(h5_source *s, const char *x_key, const char *y_key);
/* Opens s->x_key and checks it; on failure nothing stays open. */
gt_status gt_h5data_open_images(const h5_source *s, hid_t dapl, h5_images *im);
void gt_h5data_close_images(h5_images *im);
/* Reads the labels (s->y_key) and list_classes. */
gt_status gt_h5data_read_labels(const h5_source *s, h5_labels *out);
void gt_h5data_free_labels(h5_labels *l);
/* "FILE: dataset 'KEY' cannot be read: truncated or corrupt (HDF5: ...)". */
gt_status gt_h5data_read_failed(const h5_source *s, const char *key);
/* Converts n values read as double (examples from `first_example`, `per`
 * values each) to uint8, refusing values that are not integers in 0..255. */
gt_status gt_h5data_convert(const h5_source *s, hid_t type, const double *values, size_t n,
                            size_t first_example, size_t per, uint8_t *dst);
/* "PATH:KEY", the dataset's origin. */
void gt_h5data_origin(const h5_source *s, char *buf, size_t size);

#endif /* GTRAIN_HAVE_HDF5 */
#endif
