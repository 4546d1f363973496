/* Internal: small helpers over the HDF5 C library shared by the HDF5 dataset
 * loader (data_hdf5.c) and the checkpoint reader and writer (checkpoint_*.c).
 *
 * Every helper silences HDF5's own error printing (gtrain reports errors
 * itself) and turns a failure into a gt_status whose message names the file
 * and the object, with HDF5's innermost error text appended where it helps
 * ("HDF5: truncated file: eof = ..."). Only compiled with GTRAIN_HAVE_HDF5. */
#ifndef GT_CHECKPOINT_HDF5_H
#define GT_CHECKPOINT_HDF5_H

#ifdef GTRAIN_HAVE_HDF5

#include <stddef.h>

#include <hdf5.h>

#include "gtrain/status.h"

/* Turns off HDF5's automatic printing of its error stack to stderr (the
 * helpers call it; gtrain reports errors itself). */
void gt_h5_quiet(void);

/* The host program's HDF5 error handler, saved by the public entry points
 * before gtrain's HDF5 calls and put back after them, so that a program
 * using HDF5 itself keeps its own setting. */
typedef struct gt_h5_handler {
    H5E_auto2_t func;
    void *data;
} gt_h5_handler;
gt_h5_handler gt_h5_save_handler(void);
void gt_h5_restore_handler(gt_h5_handler saved);

/* HDF5's own description of the last failure (the innermost error on the
 * default stack), or "" when there is none. Valid until the next call. */
const char *gt_h5_reason(void);

/* Opens an existing file read-only. Distinguishes a missing or unreadable
 * file (GT_ERR_IO), a file that is not HDF5 (GT_ERR_FORMAT, "not an HDF5
 * file") and an HDF5 file that cannot be opened (truncated, corrupt). */
gt_status gt_h5_open_read(const char *path, hid_t *out);

/* 1 when `name` is a link in `loc` (NULL-safe path checks on each part). */
int gt_h5_exists(hid_t loc, const char *name);

/* Names of the datasets directly under the root, comma separated, for
 * messages ("train_set_x, train_set_y, list_classes"). */
void gt_h5_list_root(hid_t file, char *buf, size_t size);

/* Reads a string attribute (fixed-length, as h5py writes bytes, or
 * variable-length, as it writes str; scalar or a 1-element array) into a new
 * malloc'd NUL-terminated string. GT_ERR_FORMAT when absent or not a string. */
gt_status gt_h5_read_string_attr(hid_t obj, const char *attr, const char *where, char **out);

/* Reads a 1-D attribute of strings into a malloc'd array of malloc'd strings.
 * An empty attribute of any type (Keras writes [] as an empty float64 array)
 * gives 0 strings. Free with gt_h5_free_strings. */
gt_status gt_h5_read_string_list_attr(hid_t obj, const char *attr, const char *where, char ***out,
                                      size_t *count);
void gt_h5_free_strings(char **list, size_t count);

/* Writes a scalar string attribute: fixed-length ASCII (h5py's bytes) when
 * variable == 0, variable-length UTF-8 (h5py's str) when variable == 1. */
gt_status gt_h5_write_string_attr(hid_t obj, const char *attr, const char *value, int variable,
                                  const char *where);

/* Writes a 1-D attribute of fixed-length, null-padded ASCII strings, as h5py
 * stores numpy.array([b"a", b"bc"]); with count 0, an empty float64 array,
 * as h5py stores numpy.asarray([]). */
gt_status gt_h5_write_string_list_attr(hid_t obj, const char *attr, const char *const *values,
                                       size_t count, const char *where);

/* Scalar numeric attributes (native types in memory; little-endian in the file). */
gt_status gt_h5_write_int64_attr(hid_t obj, const char *attr, long long value, const char *where);
gt_status gt_h5_write_uint64_attr(hid_t obj, const char *attr, unsigned long long value,
                                  const char *where);
gt_status gt_h5_write_double_attr(hid_t obj, const char *attr, double value, const char *where);
gt_status gt_h5_read_int64_attr(hid_t obj, const char *attr, const char *where, long long *out);
gt_status gt_h5_read_uint64_attr(hid_t obj, const char *attr, const char *where,
                                 unsigned long long *out);
gt_status gt_h5_read_double_attr(hid_t obj, const char *attr, const char *where, double *out);

/* Creates a float32 little-endian dataset of the given shape under `loc`
 * (`name` may contain '/': intermediate groups are created) and writes
 * `data` (row-major). */
gt_status gt_h5_write_floats(hid_t loc, const char *name, int rank, const unsigned long long *dims,
                             const float *data, const char *where);

/* Opens dataset `name` under `loc` and checks it is a floating-point array
 * of exactly this shape; reads it as float32 into `data`. Messages name
 * `where` (e.g. "m.h5: model_weights/dense/dense/kernel:0") and both shapes. */
gt_status gt_h5_read_floats(hid_t loc, const char *name, int rank, const unsigned long long *dims,
                            float *data, const char *where);

/* Formats a shape as "(3, 3, 1, 32)". */
void gt_h5_format_shape(char *buf, size_t size, int rank, const unsigned long long *dims);

#endif /* GTRAIN_HAVE_HDF5 */
#endif
