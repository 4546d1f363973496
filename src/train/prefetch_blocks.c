/* The prefetch thread's block store (prefetch_blocks.h). */
#include <stdlib.h>
#include <string.h>

#include "gtrain/status.h"
#include "prefetch_blocks.h"

/* where[e]: the store slot holding example e, or one of these */
#define NOT_HELD (-1)
#define USED (-2)

struct gt_block_store {
    const gt_dataset *ds;
    size_t count, per, block, capacity;
    int32_t *where; /* count entries */
    uint8_t *pool;  /* capacity examples */
    int32_t *free;  /* stack of free slots */
    size_t n_free;
    uint8_t *scratch; /* one block */
    uint64_t read;    /* examples read from the file */
};

size_t gt_block_store_bytes(size_t count, size_t example_bytes, size_t block, size_t capacity)
{
    return count * sizeof(int32_t) + capacity * (example_bytes + sizeof(int32_t)) +
           block * example_bytes;
}

gt_status gt_block_store_create(const gt_dataset *ds, size_t block, size_t capacity,
                                gt_block_store **out)
{
    *out = NULL;
    size_t count = gt_dataset_count(ds), per = gt_shape3_size(gt_dataset_shape(ds));
    if (block < 1 || capacity < block || capacity > INT32_MAX)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "block store: block %zu, capacity %zu", block,
                       capacity);
    gt_block_store *bs = calloc(1, sizeof *bs);
    if (bs) {
        bs->ds = ds;
        bs->count = count;
        bs->per = per;
        bs->block = block;
        bs->capacity = capacity;
        bs->where = malloc((count ? count : 1) * sizeof *bs->where);
        bs->pool = malloc(capacity * per + 1);
        bs->free = malloc(capacity * sizeof *bs->free);
        bs->scratch = malloc(block * per + 1);
    }
    if (!bs || !bs->where || !bs->pool || !bs->free || !bs->scratch) {
        gt_block_store_destroy(bs);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "out of host memory for the shuffle buffer's store of %zu examples (%zu "
                       "bytes)",
                       capacity, gt_block_store_bytes(count, per, block, capacity));
    }
    gt_block_store_reset(bs, NULL, 0);
    *out = bs;
    return GT_OK;
}

void gt_block_store_destroy(gt_block_store *bs)
{
    if (!bs) return;
    free(bs->where);
    free(bs->pool);
    free(bs->free);
    free(bs->scratch);
    free(bs);
}

void gt_block_store_reset(gt_block_store *bs, const int32_t *order, size_t first)
{
    for (size_t e = 0; e < bs->count; ++e)
        bs->where[e] = NOT_HELD;
    for (size_t p = 0; order && p < first && p < bs->count; ++p)
        bs->where[order[p]] = USED;
    for (size_t s = 0; s < bs->capacity; ++s)
        bs->free[s] = (int32_t)(bs->capacity - 1 - s);
    bs->n_free = bs->capacity;
}

/* Reads e's block and keeps its unused examples (all but e go to the pool). */
static gt_status read_block(gt_block_store *bs, int32_t e, uint8_t *dst)
{
    size_t first = (size_t)e / bs->block * bs->block;
    size_t n = bs->count - first < bs->block ? bs->count - first : bs->block;
    size_t keep = 0;
    for (size_t i = 0; i < n; ++i)
        keep += bs->where[first + i] == NOT_HELD && first + i != (size_t)e;
    if (keep > bs->n_free) { /* an order the store was not sized for: e alone */
        bs->read += 1;
        return gt_dataset_read_images(bs->ds, (size_t)e, 1, dst);
    }
    bs->read += n;
    GT_TRY(gt_dataset_read_images(bs->ds, first, n, bs->scratch));
    for (size_t i = 0; i < n; ++i) {
        size_t x = first + i;
        const uint8_t *src = bs->scratch + i * bs->per;
        if (x == (size_t)e) {
            memcpy(dst, src, bs->per);
        } else if (bs->where[x] == NOT_HELD) {
            int32_t s = bs->free[--bs->n_free];
            memcpy(bs->pool + (size_t)s * bs->per, src, bs->per);
            bs->where[x] = s;
        }
    }
    return GT_OK;
}

gt_status gt_block_store_take(gt_block_store *bs, int32_t e, uint8_t *dst)
{
    if (e < 0 || (size_t)e >= bs->count)
        return gt_fail(GT_ERR_INTERNAL, "block store: example %d of %zu", (int)e, bs->count);
    int32_t s = bs->where[e];
    if (s >= 0) {
        memcpy(dst, bs->pool + (size_t)s * bs->per, bs->per);
        bs->free[bs->n_free++] = s;
    } else {
        /* NOT_HELD; USED (an example twice in an epoch) is read again */
        GT_TRY(read_block(bs, e, dst));
    }
    bs->where[e] = USED;
    return GT_OK;
}

uint64_t gt_block_store_examples_read(const gt_block_store *bs)
{
    return bs->read;
}
