/* gtrain: datasets. Images are uint8 (or float32) NHWC held on the host,
 * labels int32. */
#ifndef GTRAIN_DATA_H
#define GTRAIN_DATA_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_dataset gt_dataset;

/* Directory searched for Fashion-MNIST when neither --data-dir nor
 * GTRAIN_DATA_DIR is given (Debian package dataset-fashion-mnist). */
#define GT_FASHION_MNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/* Loads an IDX image file (magic 0x803, rank 3) and an IDX label file (magic
 * 0x801, rank 1), gzip-compressed (.gz) or raw, and checks they agree. */
GT_API gt_status gt_dataset_load_idx(const char *images_path, const char *labels_path,
                                     int num_classes, gt_dataset **out);

/* Loads an HDF5 image dataset: images (N, height, width, channels) or
 * (N, height, width), uint8 or any numeric type whose values are integers in
 * 0..255 (float images scaled to [0, 1] are refused: gtrain datasets are
 * uint8), and labels (N) of any integer type. x_key/y_key name the datasets;
 * NULL finds the one "<prefix>_x"/"<prefix>_y" pair in the root group
 * (SIGNS: train_set_x/train_set_y, test_set_x/test_set_y), and one key alone
 * implies the other by its _x/_y suffix. A root dataset "list_classes"
 * (integers or strings) gives the number of classes and their names;
 * without it the classes are 0..max label. Errors name the file and the
 * dataset: not an HDF5 file, missing key, wrong rank, unsupported type,
 * count mismatch, label out of range, truncated or corrupt file. Built
 * without HDF5: GT_ERR_UNSUPPORTED. */
GT_API gt_status gt_dataset_load_hdf5(const char *path, const char *x_key, const char *y_key,
                                      gt_dataset **out);

/* Replaces the dataset's class names with copies of names[0..count), count
 * at least the dataset's number of classes (--class-names). */
GT_API gt_status gt_dataset_copy_class_names(gt_dataset *ds, const char *const *names, int count);

/* Loads "fashion-mnist" or "mnist", split "train" or "test", from the first
 * of: `dir` (--data-dir; NULL or "" for none), $GTRAIN_DATA_DIR, then the
 * dataset's default: GT_FASHION_MNIST_DEFAULT_DIR for Fashion-MNIST,
 * $GTRAIN_TEST_DATA/mnist for MNIST (the project's test data). A directory
 * that lacks the files is an error naming it, where it came from and the
 * places not set; no later place is tried. For each file the .gz name is
 * tried first, then the raw name. */
GT_API gt_status gt_dataset_load_named(const char *name, const char *dir, const char *split,
                                       gt_dataset **out);

/* Copies `count` examples starting at `first` into a new dataset. */
GT_API gt_status gt_dataset_slice(const gt_dataset *ds, size_t first, size_t count,
                                  gt_dataset **out);

/* Copies caller memory into a new dataset (tests, synthetic benchmarks). */
GT_API gt_status gt_dataset_from_memory(const uint8_t *images, const int32_t *labels, size_t count,
                                        gt_shape3 shape, int num_classes, gt_dataset **out);

/* Copies float32 images (count, h, w, c) into a new dataset: the arrays a
 * notebook holds after x / 255.0, fed as they are (the model's preprocessing
 * layers apply to them as to uint8 pixels). Every value must be finite. On
 * a device backend they stay resident on the device, as uint8 datasets do. */
GT_API gt_status gt_dataset_from_memory_f32(const float *images, const int32_t *labels,
                                            size_t count, gt_shape3 shape, int num_classes,
                                            gt_dataset **out);

GT_API void gt_dataset_free(gt_dataset *ds);

/* ---- streamed datasets: for data larger than memory ----
 * An open streamed dataset holds its labels (4 bytes an example) and an open
 * file; images are read on demand, a range of examples at a time, never
 * whole. gt_dataset_images() is NULL for it; everything else (count, shape,
 * labels, classes, slices, which are views sharing the file) works as for a
 * resident dataset, and the trainer streams it through a prefetch thread. */

/* Opens an IDX pair for streaming: a raw image file is read with pread; a
 * gzip-compressed one (.gz) cannot be read at random, so it is inflated once
 * into an unlinked temporary file in $TMPDIR (or /tmp), which disappears
 * when the dataset is freed. The files are checked as gt_dataset_load_idx
 * checks them. */
GT_API gt_status gt_dataset_open_idx(const char *images_path, const char *labels_path,
                                     int num_classes, gt_dataset **out);

/* Opens an HDF5 image dataset for streaming (keys and checks as
 * gt_dataset_load_hdf5). The file's metadata, labels, class list and the
 * location of every chunk are read first in a child process (h5_guard.h),
 * which also checks that the images' storage lies inside the file; then the
 * file stays open here and examples are read by hyperslab. Built without
 * HDF5: GT_ERR_UNSUPPORTED. */
GT_API gt_status gt_dataset_open_hdf5(const char *path, const char *x_key, const char *y_key,
                                      gt_dataset **out);

/* gt_dataset_load_named's files, opened for streaming. */
GT_API gt_status gt_dataset_open_named(const char *name, const char *dir, const char *split,
                                       gt_dataset **out);

/* 1 for a streamed dataset. */
GT_API int gt_dataset_is_streamed(const gt_dataset *ds);
/* How a streamed dataset is read ("pread of a raw IDX file"), or NULL. */
GT_API const char *gt_dataset_stream_how(const gt_dataset *ds);
/* Host memory holding the dataset resident takes: images and labels. */
GT_API size_t gt_dataset_resident_bytes(const gt_dataset *ds);
/* Reads a streamed dataset whole into a new resident dataset (its class
 * names kept). */
GT_API gt_status gt_dataset_load_resident(const gt_dataset *ds, gt_dataset **out);
/* Copies the images of examples [first, first + count) into dst (count x
 * example bytes), from memory or from the file. Errors name the file and
 * the examples (a file that shrank or cannot be read). */
GT_API gt_status gt_dataset_read_images(const gt_dataset *ds, size_t first, size_t count,
                                        uint8_t *dst);

/* Host memory a streamed HDF5 dataset may use for HDF5's chunk cache (a
 * read of a few examples inflates their whole chunk; the cache keeps recent
 * chunks for the next batches). No effect on IDX files or resident data. */
GT_API gt_status gt_dataset_set_stream_cache(gt_dataset *ds, size_t bytes);
/* What the stream's cache was granted (0: none). */
GT_API size_t gt_dataset_stream_cache(const gt_dataset *ds);

/* The default host memory budget for datasets (--data-memory): half of the
 * machine's physical memory, or of the cgroup's memory limit when that is
 * lower. */
GT_API size_t gt_data_memory_default(void);

GT_API size_t gt_dataset_count(const gt_dataset *ds);
GT_API gt_shape3 gt_dataset_shape(const gt_dataset *ds);
GT_API int gt_dataset_num_classes(const gt_dataset *ds);
/* The uint8 images; NULL for a float dataset. */
GT_API const uint8_t *gt_dataset_images(const gt_dataset *ds);
/* 1 when the images are float32 (gt_dataset_from_memory_f32). */
GT_API int gt_dataset_is_float(const gt_dataset *ds);
/* The float32 images; NULL for a uint8 dataset. */
GT_API const float *gt_dataset_images_f32(const gt_dataset *ds);
GT_API const int32_t *gt_dataset_labels(const gt_dataset *ds);
/* Where the data came from, for messages ("…/train-images-idx3-ubyte.gz"). */
GT_API const char *gt_dataset_origin(const gt_dataset *ds);
/* Class names ("T-shirt/top", ...) or NULL when unknown. */
GT_API const char *gt_dataset_class_name(const gt_dataset *ds, int label);

#ifdef __cplusplus
}
#endif
#endif
