/* Internal: the IDX reader's pieces that the streaming IDX source shares
 * with the resident loader (data_idx.c). */
#ifndef GT_DATA_IDX_INTERNAL_H
#define GT_DATA_IDX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "gtrain/data.h"

/* An IDX file read through zlib (gzip or raw, the same code path). */
typedef struct idx_reader {
    const char *path;
    gzFile gz;
} idx_reader;

gt_status gt_idx_open(idx_reader *r, const char *path);
/* Reads and checks the magic and dimensions of an unsigned-byte IDX file of
 * rank 3 (images) or 1 (labels). */
gt_status gt_idx_read_header(idx_reader *r, int rank, uint32_t dims[3]);
/* Reads up to `want` bytes, stopping early only at the end of the file. */
gt_status gt_idx_read(idx_reader *r, void *buf, size_t want, size_t *got);
/* Checks that nothing follows the payload (and the gzip trailer). */
gt_status gt_idx_expect_end(idx_reader *r, size_t payload_bytes);
gt_status gt_idx_close(idx_reader *r);

/* A whole label file, each label checked below num_classes, as int32. */
gt_status gt_idx_load_labels(const char *path, int num_classes, int32_t **labels, uint32_t *count);
/* The argument checks of the IDX entry points; `what` names the function. */
gt_status gt_idx_check_args(const char *what, const char *images_path, const char *labels_path,
                            int num_classes, gt_dataset **out);

#endif
