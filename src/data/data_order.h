/* Internal: the order of an epoch's examples (data_order.c). */
#ifndef GT_DATA_ORDER_H
#define GT_DATA_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/train.h"

/* 0, 1, ..., count-1: the file's order. */
void gt_identity_order(int32_t *order, size_t count);

/* Epoch `epoch`'s order under cfg: the file's order (GT_ORDER_FILE), a
 * Fisher-Yates shuffle of (cfg->seed, epoch), or with cfg->shuffle_buffer >
 * 0 the block + buffer shuffle of gt_buffered_shuffle_order (with
 * cfg->shuffle_block examples per block, which must then be set). */
gt_status gt_epoch_order(int32_t *order, size_t count, const gt_train_config *cfg, int epoch);

/* tf.data-style shuffle for data that cannot be read in random order fast:
 * the examples are cut into blocks of `block` consecutive examples, the
 * blocks are visited in a shuffled order (each in file order), and the
 * examples pass through a buffer of `buffer` examples from which each output
 * is drawn uniformly (tf.data.Dataset.shuffle(buffer)). Deterministic per
 * (seed, epoch). An example leaves at most `buffer` + `block` positions
 * after its block was entered, so a reader holding that window reads every
 * block once, sequentially. A departure from Keras' full shuffle: with a
 * buffer smaller than the dataset, examples of one block tend to stay close. */
gt_status gt_buffered_shuffle_order(int32_t *order, size_t count, uint64_t seed, int epoch,
                                    size_t buffer, size_t block);

/* The block size used when the config leaves it 0: about 1 MiB of
 * examples, at most buffer / 8 (at least 1). */
size_t gt_shuffle_block_for(size_t example_bytes, size_t buffer);

/* Refuses negative sizes and a shuffle buffer with the file order. */
gt_status gt_check_order_config(const gt_train_config *cfg);

#endif
