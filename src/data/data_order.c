/* The order in which an epoch visits the examples: the file's order, a full
 * shuffle (Keras' fit: every epoch a permutation of all examples), or the
 * tf.data-style block + buffer shuffle of --shuffle-buffer. Every order is
 * a pure function of (config, epoch, count), computed on the host with
 * Philox, so the resident and the streaming paths, a resumed run and every
 * machine see the same sequence. */
#include <stdlib.h>

#include "data_order.h"
#include "gtrain/status.h"
#include "philox.h"

/* Keys of the shuffle streams, kept apart from the weight and dropout streams. */
#define GT_SHUFFLE_STREAM 0x73687566666c65ULL /* "shuffle" */
#define GT_BLOCK_STREAM 0x626c6f636b73ULL     /* "blocks" */
#define GT_BUFFER_STREAM 0x627566666572ULL    /* "buffer" */

/* Block size of the buffered shuffle when the config gives none: about 1 MiB
 * of consecutive examples, one sequential read each, but at most an eighth
 * of the buffer: blocks as large as the buffer would leave the epoch nearly
 * in file order. */
#define GT_SHUFFLE_BLOCK_BYTES ((size_t)1 << 20)
#define GT_SHUFFLE_BLOCKS_PER_BUFFER 8

void gt_identity_order(int32_t *order, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        order[i] = (int32_t)i;
}

/* A uniform draw in [0, n) from draw number `i` of (key, epoch): 64 random
 * bits, so the modulo bias is below 2^-32 for any dataset size. */
static size_t draw_below(uint64_t key, int epoch, uint64_t i, size_t n)
{
    uint64_t block = ((uint64_t)epoch << 40) + i;
    uint64_t r = ((uint64_t)gt_philox_word(key, block, 0) << 32) | gt_philox_word(key, block, 1);
    return (size_t)(r % (uint64_t)n);
}

/* Fisher-Yates order of 0..count-1 for (key, epoch), identical on every machine. */
static void fisher_yates(int32_t *order, size_t count, uint64_t key, int epoch)
{
    gt_identity_order(order, count);
    for (size_t i = count; i > 1; --i) {
        size_t j = draw_below(key, epoch, (uint64_t)i, i);
        int32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

size_t gt_shuffle_block_for(size_t example_bytes, size_t buffer)
{
    size_t block = example_bytes ? (GT_SHUFFLE_BLOCK_BYTES + example_bytes - 1) / example_bytes : 1;
    size_t most = buffer / GT_SHUFFLE_BLOCKS_PER_BUFFER;
    if (block > most) block = most;
    return block ? block : 1;
}

/* The input stream of the buffer: the blocks of `block` consecutive examples
 * in a shuffled order, each block in file order. Yields -1 when exhausted. */
typedef struct block_stream {
    const int32_t *blocks; /* shuffled block numbers */
    size_t n_blocks, block, count;
    size_t at_block, at_example;
} block_stream;

static int32_t stream_next(block_stream *s)
{
    while (s->at_block < s->n_blocks) {
        size_t first = (size_t)s->blocks[s->at_block] * s->block;
        size_t end = first + s->block < s->count ? first + s->block : s->count;
        if (first + s->at_example < end) return (int32_t)(first + s->at_example++);
        s->at_block += 1;
        s->at_example = 0;
    }
    return -1;
}

gt_status gt_buffered_shuffle_order(int32_t *order, size_t count, uint64_t seed, int epoch,
                                    size_t buffer, size_t block)
{
    if (count == 0) return GT_OK;
    if (buffer < 1 || block < 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "buffered shuffle: buffer (%zu) and block (%zu) must be at least 1", buffer,
                       block);
    if (buffer > count) buffer = count;
    size_t n_blocks = (count + block - 1) / block;
    int32_t *blocks = malloc(n_blocks * sizeof *blocks);
    int32_t *held = malloc(buffer * sizeof *held);
    if (!blocks || !held) {
        free(blocks);
        free(held);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "out of host memory for the shuffle buffer's order (%zu examples)", buffer);
    }
    fisher_yates(blocks, n_blocks, seed ^ GT_BLOCK_STREAM, epoch);
    block_stream in = {blocks, n_blocks, block, count, 0, 0};
    size_t size = 0;
    while (size < buffer)
        held[size++] = stream_next(&in);
    /* tf.data's shuffle: emit a uniformly chosen element of the buffer and
     * put the next input element in its place; at the end, close the gap
     * with the last element */
    for (size_t out = 0; out < count; ++out) {
        size_t j = draw_below(seed ^ GT_BUFFER_STREAM, epoch, (uint64_t)out, size);
        order[out] = held[j];
        int32_t next = stream_next(&in);
        if (next >= 0) {
            held[j] = next;
        } else {
            held[j] = held[size - 1];
            size -= 1;
        }
    }
    free(blocks);
    free(held);
    return GT_OK;
}

gt_status gt_check_order_config(const gt_train_config *cfg)
{
    if (cfg->shuffle_buffer < 0 || cfg->shuffle_block < 0)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "shuffle buffer (%d) and shuffle block (%d) must not be negative",
                       cfg->shuffle_buffer, cfg->shuffle_block);
    if (cfg->shuffle_buffer > 0 && cfg->order == GT_ORDER_FILE)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "a shuffle buffer (%d examples) shuffles; it contradicts the file order "
                       "(--no-shuffle)",
                       cfg->shuffle_buffer);
    return GT_OK;
}

gt_status gt_epoch_order(int32_t *order, size_t count, const gt_train_config *cfg, int epoch)
{
    GT_TRY(gt_check_order_config(cfg));
    if (cfg->order == GT_ORDER_FILE) {
        gt_identity_order(order, count);
        return GT_OK;
    }
    if (cfg->shuffle_buffer > 0) {
        if (cfg->shuffle_block < 1)
            return gt_fail(GT_ERR_INTERNAL, "buffered shuffle without a block size");
        return gt_buffered_shuffle_order(order, count, cfg->seed, epoch,
                                         (size_t)cfg->shuffle_buffer, (size_t)cfg->shuffle_block);
    }
    fisher_yates(order, count, cfg->seed ^ GT_SHUFFLE_STREAM, epoch);
    return GT_OK;
}
