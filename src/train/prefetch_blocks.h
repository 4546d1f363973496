/* Internal: the block store of the prefetch thread, for --shuffle-buffer.
 *
 * The buffered shuffle (data_order.h) visits blocks of consecutive examples
 * in a shuffled order and draws each output from a buffer of N examples, so
 * an example is used long after its block was entered, and the examples a
 * batch needs come from many blocks. Reading each example alone would fetch
 * (and, for HDF5, inflate) its whole chunk again and again; instead the
 * store reads a whole block, sequentially, the first time one of its
 * examples is needed, and keeps the block's other unused examples until
 * their turn. For an order from gt_buffered_shuffle_order with the same
 * block, at most N + block examples are ever held (each held example is in
 * the shuffle's buffer or in the one block being entered), so a store of
 * that capacity reads every block exactly once an epoch. For any other
 * order it stays correct: a full store reads the example alone. */
#ifndef GT_PREFETCH_BLOCKS_H
#define GT_PREFETCH_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/data.h"

typedef struct gt_block_store gt_block_store;

gt_status gt_block_store_create(const gt_dataset *ds, size_t block, size_t capacity,
                                gt_block_store **out);
void gt_block_store_destroy(gt_block_store *bs);
/* Host memory a store of `capacity` examples takes for a dataset of `count`. */
size_t gt_block_store_bytes(size_t count, size_t example_bytes, size_t block, size_t capacity);
/* A new epoch: nothing held; examples order[0..first) are already used
 * (a resumed epoch), so their blocks' reads do not keep them. */
void gt_block_store_reset(gt_block_store *bs, const int32_t *order, size_t first);
/* Example e's image into dst, and e counted as used. */
gt_status gt_block_store_take(gt_block_store *bs, int32_t e, uint8_t *dst);
/* Examples read from the file so far (whole blocks counted whole). */
uint64_t gt_block_store_examples_read(const gt_block_store *bs);

#endif
