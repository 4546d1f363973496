/* bench_stream [--dir DIR] [--mib N] [--budget BYTES] [--batch N] [--examples N]
 *
 * Throughput of the streaming loader alone (the prefetch thread reading
 * batches from an HDF5 file larger than the memory budget), in examples/s
 * from a cold and from a warm page cache, for the three orders: the file's,
 * Keras' full shuffle and the --shuffle-buffer block + buffer shuffle.
 *
 * It writes a synthetic file of about N MiB (64x64x3 uint8 images, chunks of
 * 64 examples, uncompressed; default 2048) in DIR (default $TMPDIR or /tmp),
 * opens it for streaming with the given budget (default 256 MiB; the rest of
 * the budget after the labels, the order and the prefetch buffers is HDF5's
 * chunk cache, as the CLI does) and unlinks it at once, so nothing is left
 * behind even if the run is killed. "Cold" first evicts the file from the
 * page cache (posix_fadvise DONTNEED, this file only), then reads the first
 * --examples examples (default 20000) of the order; "warm" reads the same
 * batches again. The chunk cache is emptied between the two (the dataset is
 * reopened through its set_cache), so warm measures the page cache. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtrain/clock.h"
#include "data_order.h"
#include "gtrain/gtrain.h"
#include "prefetch.h"

#ifdef GTRAIN_HAVE_HDF5
#include <hdf5.h>

#define H 64
#define W 64
#define C 3
#define CHUNK 64

static int write_file(const char *path, size_t count)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return 0;
    hsize_t dims[4] = {count, H, W, C}, chunk[4] = {CHUNK, H, W, C};
    hid_t space = H5Screate_simple(4, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 4, chunk);
    hid_t x = H5Dcreate2(f, "bench_x", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    size_t per = (size_t)H * W * C;
    uint8_t *block = malloc(CHUNK * per);
    int ok = x >= 0 && block;
    uint64_t s = 88172645463325252ULL;
    for (size_t first = 0; ok && first < count; first += CHUNK) {
        size_t n = count - first < CHUNK ? count - first : CHUNK;
        for (size_t i = 0; i < n * per; ++i) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            block[i] = (uint8_t)s;
        }
        hsize_t start[4] = {first, 0, 0, 0}, extent[4] = {n, H, W, C};
        hid_t mspace = H5Screate_simple(4, extent, NULL);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, extent, NULL);
        ok = H5Dwrite(x, H5T_NATIVE_UCHAR, mspace, space, H5P_DEFAULT, block) >= 0;
        H5Sclose(mspace);
    }
    long long *labels = malloc(count * sizeof *labels);
    for (size_t i = 0; labels && i < count; ++i)
        labels[i] = (long long)(i % 10);
    hid_t lspace = H5Screate_simple(1, dims, NULL);
    hid_t y =
        H5Dcreate2(f, "bench_y", H5T_STD_I64LE, lspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ok = ok && labels && y >= 0 &&
         H5Dwrite(y, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels) >= 0;
    free(labels);
    free(block);
    if (y >= 0) H5Dclose(y);
    if (x >= 0) H5Dclose(x);
    H5Sclose(lspace);
    H5Pclose(dcpl);
    H5Sclose(space);
    return H5Fclose(f) >= 0 && ok;
}

/* Examples/s reading positions [0, n) of `order` through the prefetcher. */
static double measure(const gt_dataset *ds, gt_backend *be, const int32_t *order, size_t n,
                      int batch, size_t block, size_t capacity, double *read_share)
{
    gt_prefetch *pf = NULL;
    if (gt_prefetch_create(ds, be, batch, 4, &pf) != GT_OK) return -1;
    if (block && gt_prefetch_use_blocks(pf, block, capacity) != GT_OK) return -1;
    double t0 = gt_now_seconds();
    gt_status st = gt_prefetch_start(pf, order, 0, n);
    for (size_t done = 0; st == GT_OK && done < n;) {
        gt_prefetch_batch b;
        st = gt_prefetch_next(pf, &b);
        if (st == GT_OK) {
            done += (size_t)b.n;
            gt_prefetch_release(pf, b.slot);
        }
    }
    double seconds = gt_now_seconds() - t0, reading = 0;
    gt_prefetch_stats(pf, NULL, NULL, &reading);
    gt_prefetch_destroy(pf);
    if (st != GT_OK) {
        fprintf(stderr, "bench_stream: %s\n", gt_last_error());
        return -1;
    }
    *read_share = reading / seconds;
    return (double)n / seconds;
}

int main(int argc, char **argv)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    long mib = 2048, batch = 100, examples = 20000;
    size_t budget = (size_t)256 << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--mib") == 0)
            mib = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--budget") == 0)
            budget = (size_t)atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--examples") == 0)
            examples = atol(argv[i + 1]);
        else {
            fprintf(stderr, "bench_stream: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    size_t per = (size_t)H * W * C;
    size_t count = (size_t)mib * 1048576 / per;
    char path[4096];
    snprintf(path, sizeof path, "%s/gtrain-bench-stream-%d.h5", dir, (int)getpid());
    double t0 = gt_now_seconds();
    if (!write_file(path, count)) {
        fprintf(stderr, "bench_stream: cannot write %s\n", path);
        unlink(path);
        return 1;
    }
    double t_write = gt_now_seconds() - t0;
    gt_dataset *ds = NULL;
    gt_backend *be = NULL;
    int fd = open(path, O_RDONLY);
    gt_status st = gt_dataset_open_hdf5(path, NULL, NULL, &ds);
    unlink(path); /* open descriptors keep it readable; nothing is left behind */
    if (st == GT_OK) st = gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be);
    if (st != GT_OK || fd < 0) {
        fprintf(stderr, "bench_stream: %s\n", gt_last_error());
        return 1;
    }
    size_t resident = gt_dataset_resident_bytes(ds);
    gt_train_config sized = gt_train_config_for(NULL);
    sized.batch_size = (int)batch;
    sized.shuffle_buffer = 10000;
    size_t streaming = gt_trainer_stream_bytes(ds, &sized);
    if (resident <= budget || streaming >= budget) {
        fprintf(stderr, "bench_stream: the file (%zu bytes) must exceed the budget (%zu)\n",
                resident, budget);
        return 2;
    }
    size_t cache = budget - streaming;
    if ((size_t)examples > count) examples = (long)count;
    printf("file: %zu examples of %dx%dx%d (%.0f MiB, chunks of %d examples, uncompressed), "
           "written in %.1f s; budget %.0f MiB: streaming buffers (labels, order, prefetch, a "
           "store of 10000 + 1 block examples) %.1f MiB, HDF5 chunk cache "
           "%.1f MiB; batch %ld, %ld examples per measurement\n\n",
           count, H, W, C, (double)resident / 1048576.0, CHUNK, t_write, (double)budget / 1048576.0,
           (double)streaming / 1048576.0, (double)cache / 1048576.0, batch, examples);
    printf("| order | page cache | examples/s | MiB/s | reader busy |\n|---|---|---:|---:|---:|\n");
    int32_t *order = malloc(count * sizeof *order);
    gt_train_config cfg = gt_train_config_for(NULL);
    cfg.seed = 1;
    const char *names[] = {"file order", "full shuffle", "shuffle buffer 10000"};
    for (int mode = 0; mode < 3 && order; ++mode) {
        cfg.order = mode == 0 ? GT_ORDER_FILE : GT_ORDER_SHUFFLED;
        cfg.shuffle_buffer = mode == 2 ? 10000 : 0;
        cfg.shuffle_block = mode == 2 ? (int)gt_shuffle_block_for(per, 10000) : 0;
        if (gt_epoch_order(order, count, &cfg, 1) != GT_OK) return 1;
        for (int warm = 0; warm <= 1; ++warm) {
            if (!warm) posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
            gt_dataset_set_stream_cache(ds, cache); /* an empty chunk cache each time */
            double busy = 0;
            size_t block = mode == 2 ? (size_t)cfg.shuffle_block : 0;
            double rate = measure(ds, be, order, (size_t)examples, (int)batch, block,
                                  block + (size_t)cfg.shuffle_buffer, &busy);
            if (rate < 0) return 1;
            printf("| %s | %s | %.0f | %.1f | %.0f%% |\n", names[mode], warm ? "warm" : "cold",
                   rate, rate * (double)per / 1048576.0, 100.0 * busy);
            fflush(stdout);
        }
    }
    free(order);
    close(fd);
    gt_dataset_free(ds);
    gt_backend_destroy(be);
    return 0;
}

#else
int main(void)
{
    fprintf(stderr, "bench_stream: gtrain was built without HDF5\n");
    return 1;
}
#endif
