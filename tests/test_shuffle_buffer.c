/* The --shuffle-buffer order: a permutation of every example, the same for
 * the same (seed, epoch, buffer, block) and different across epochs and
 * seeds; buffer 1 is the blocks in shuffled order, each in file order; a
 * reader holding what the order has started but not finished needs at most
 * buffer + 1 blocks (the memory bound the streaming reads rely on); the full
 * shuffle is unchanged by it; bad settings are refused. */
#include "data_order.h"
#include "test_util.h"

static int is_permutation(const int32_t *order, size_t n)
{
    char *seen = calloc(n, 1);
    int ok = 1;
    for (size_t i = 0; i < n && ok; ++i) {
        if (order[i] < 0 || (size_t)order[i] >= n || seen[order[i]]) ok = 0;
        if (ok) seen[order[i]] = 1;
    }
    free(seen);
    return ok;
}

/* Most blocks with some but not all of their examples emitted, over the epoch. */
static size_t most_open_blocks(const int32_t *order, size_t n, size_t block)
{
    size_t blocks = (n + block - 1) / block, open = 0, most = 0;
    size_t *left = calloc(blocks, sizeof *left);
    for (size_t b = 0; b < blocks; ++b)
        left[b] = (b + 1) * block <= n ? block : n - b * block;
    char *started = calloc(blocks, 1);
    for (size_t i = 0; i < n; ++i) {
        size_t b = (size_t)order[i] / block;
        if (!started[b]) {
            started[b] = 1;
            open += 1;
        }
        if (--left[b] == 0) open -= 1;
        if (open > most) most = open;
    }
    free(left);
    free(started);
    return most;
}

int main(void)
{
    enum { N = 1000 };
    int32_t a[N], b[N], c[N];
    CHECK_OK(gt_buffered_shuffle_order(a, N, 5, 1, 64, 10));
    CHECK(is_permutation(a, N));
    CHECK_OK(gt_buffered_shuffle_order(b, N, 5, 1, 64, 10));
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_OK(gt_buffered_shuffle_order(c, N, 5, 2, 64, 10));
    CHECK(memcmp(a, c, sizeof a) != 0);
    CHECK_OK(gt_buffered_shuffle_order(c, N, 6, 1, 64, 10));
    CHECK(memcmp(a, c, sizeof a) != 0);
    CHECK_MSG(most_open_blocks(a, N, 10) <= 64 + 1, "%zu blocks open", most_open_blocks(a, N, 10));
    /* a larger buffer mixes more: more blocks in flight */
    CHECK_OK(gt_buffered_shuffle_order(c, N, 5, 1, 400, 10));
    CHECK(is_permutation(c, N) && most_open_blocks(c, N, 10) > most_open_blocks(a, N, 10));

    /* buffer 1: whole blocks in a shuffled order, each sequential */
    CHECK_OK(gt_buffered_shuffle_order(a, N, 5, 1, 1, 10));
    CHECK(is_permutation(a, N));
    int blocks_in_order = 1, not_file_order = 0;
    for (size_t i = 0; i < N; ++i) {
        if (i % 10 && a[i] != a[i - 1] + 1) blocks_in_order = 0;
        if (a[i] != (int32_t)i) not_file_order = 1;
    }
    CHECK(blocks_in_order && not_file_order);
    /* a partial last block (1003 = 100 x 10 + 3) and a buffer larger than the data */
    int32_t d[1003];
    CHECK_OK(gt_buffered_shuffle_order(d, 1003, 5, 3, 5000, 10));
    CHECK(is_permutation(d, 1003));

    /* through the config: buffered only when asked for; the full shuffle as before */
    gt_train_config cfg = gt_train_config_for(NULL);
    cfg.seed = 5;
    CHECK_OK(gt_epoch_order(a, N, &cfg, 1));
    cfg.shuffle_buffer = 64;
    cfg.shuffle_block = 10;
    CHECK_OK(gt_epoch_order(b, N, &cfg, 1));
    CHECK_OK(gt_buffered_shuffle_order(c, N, 5, 1, 64, 10));
    CHECK(memcmp(b, c, sizeof b) == 0 && memcmp(a, b, sizeof a) != 0);
    cfg.order = GT_ORDER_FILE;
    CHECK_FAILS_WITH(gt_epoch_order(a, N, &cfg, 1), GT_ERR_INVALID_ARGUMENT, "contradicts");
    cfg.order = GT_ORDER_SHUFFLED;
    cfg.shuffle_buffer = -1;
    CHECK_FAILS_WITH(gt_epoch_order(a, N, &cfg, 1), GT_ERR_INVALID_ARGUMENT, "negative");
    CHECK_FAILS_WITH(gt_buffered_shuffle_order(a, N, 5, 1, 0, 10), GT_ERR_INVALID_ARGUMENT,
                     "at least 1");
    CHECK(gt_shuffle_block_for(784, 100000) == 1338 && gt_shuffle_block_for(1 << 21, 100) == 1);
    CHECK(gt_shuffle_block_for(784, 80) == 10 && gt_shuffle_block_for(784, 3) == 1);
    TEST_EXIT();
}
