/* Internal: where a streamed dataset's images come from.
 *
 * A source is an open file that can read the images of any range of
 * consecutive examples into caller memory, never the whole file: an IDX file
 * through pread (data_stream_idx.c), an HDF5 dataset through hyperslab reads
 * (data_stream_hdf5.c). The labels are always read at open (4 bytes an
 * example) and held by the dataset. Sources are shared by the dataset and
 * its slices (reference counted; datasets are created and freed on one
 * thread) and read from the prefetch thread: `read` must be safe to call
 * from any one thread at a time per source, and from several sources at
 * once.
 *
 * Why pread and not mmap for IDX files: a mapped file that shrinks under
 * the reader (a copy still in progress, a file replaced) turns the next
 * access into SIGBUS, a crash; pread returns a short count, which becomes
 * an error naming the file and the example. */
#ifndef GT_DATA_SOURCE_H
#define GT_DATA_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/data.h"

typedef struct gt_data_source gt_data_source;

typedef struct gt_data_source_ops {
    /* Images of examples [first, first + count) into dst (count x example
     * bytes). Errors name the file and the examples. */
    gt_status (*read)(gt_data_source *src, size_t first, size_t count, uint8_t *dst);
    /* The whole dataset read into memory (the resident path), with its
     * labels and class names, as the file's loader gives it. */
    gt_status (*load_all)(gt_data_source *src, gt_dataset **out);
    /* Host memory the source may use for its own cache (HDF5's chunk cache);
     * 0 where it keeps none. Called before reading starts. */
    gt_status (*set_cache)(gt_data_source *src, size_t bytes);
    void (*close)(gt_data_source *src);
} gt_data_source_ops;

struct gt_data_source {
    const gt_data_source_ops *ops;
    int refs;
    size_t count;         /* examples in the file */
    gt_shape3 shape;      /* of one example */
    size_t example_bytes; /* gt_shape3_size(shape) */
    size_t cache_bytes;   /* what set_cache last granted */
    /* "pread of a raw IDX file", "HDF5 hyperslabs of a chunked dataset (chunks of
     * 64 examples)": how the examples are read, for the run's header */
    char how[160];
    char path[4096]; /* the file, for messages */
};

/* Reference counting; the last release closes the source. */
void gt_data_source_retain(gt_data_source *src);
void gt_data_source_release(gt_data_source *src);

/* The file's size now, to catch a file that shrinks while it is streamed:
 * reads past the end of an HDF5 file return zeros, not an error. Fails with
 * GT_ERR_IO naming the file and the examples being read when the file is
 * shorter than `needed` bytes or cannot be examined. */
gt_status gt_data_source_check_size(int fd, const char *path, unsigned long long needed,
                                    size_t first, size_t count);

/* Wraps a source and its labels (malloc'd, count of them, taken over even on
 * failure) in a streamed dataset; `origin` names it in messages. */
gt_status gt_dataset_adopt_stream(gt_data_source *src, int32_t *labels, int num_classes,
                                  const char *origin, gt_dataset **out);

/* The source of a streamed dataset and the index of its first example there
 * (a slice is a view), or NULL for a resident dataset. */
gt_data_source *gt_dataset_source(const gt_dataset *ds, size_t *first);

#endif
