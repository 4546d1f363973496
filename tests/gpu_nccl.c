/* The NCCL path of data-parallel training on one GPU: a one-rank
 * communicator (ncclCommInitRank with the unique id, as gt_dist_attach
 * makes it for N ranks) and its in-place sum on the CUDA backend's stream,
 * which for one rank must give back the input bit for bit, for a buffer of
 * VGG-16's gradient size class and for a small one, summed whole and in
 * buckets on NCCL's own stream (gt_nccl_reduce_start). Several GPUs are
 * exercised by mpirun (scripts/gpu_check.sh). Skipped without a GPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist_internal.h"
#include "gpu_util.h"

#ifdef GTRAIN_HAVE_CUDA /* NCCL is built with the CUDA backend only */

static int check_sum(gt_dist *d, gt_backend *be, size_t count)
{
    float *host = malloc(count * sizeof *host), *back = malloc(count * sizeof *back);
    void *dev = NULL;
    int bad = !host || !back;
    for (size_t i = 0; !bad && i < count; ++i)
        host[i] = (float)((i * 2654435761u) % 1000) * 0.125f - 60.0f;
    if (!bad && (be->alloc(be, count * sizeof(float), &dev) != GT_OK ||
                 be->upload(be, dev, host, count * sizeof(float)) != GT_OK ||
                 gt_nccl_allreduce(d, dev, count) != GT_OK ||
                 be->download(be, back, dev, count * sizeof(float)) != GT_OK ||
                 be->synchronize(be) != GT_OK)) {
        fprintf(stderr, "FAIL: %zu floats: %s\n", count, gt_last_error());
        bad = 1;
    }
    if (!bad && memcmp(host, back, count * sizeof *host) != 0) {
        fprintf(stderr, "FAIL: a one-rank NCCL sum of %zu floats changed them\n", count);
        bad = 1;
    }
    if (dev) be->free(be, dev);
    free(host);
    free(back);
    return bad;
}

/* The bucket path: sums on NCCL's own stream after events of the compute
 * stream, the compute stream's wait for them, then the bounded host wait
 * (gt_nccl_synchronize); for one rank the input again, bit for bit. */
static int check_buckets(gt_dist *d, gt_backend *be, size_t count, int buckets)
{
    float *host = malloc(count * sizeof *host), *back = malloc(count * sizeof *back);
    void *dev = NULL;
    int bad = !host || !back;
    for (size_t i = 0; !bad && i < count; ++i)
        host[i] = (float)((i * 40503u) % 997) * 0.25f - 100.0f;
    gt_status st = bad ? GT_ERR_OUT_OF_MEMORY : be->alloc(be, count * sizeof(float), &dev);
    if (st == GT_OK) st = be->upload(be, dev, host, count * sizeof(float));
    size_t per = count / (size_t)buckets;
    for (int k = 0; st == GT_OK && k < buckets; ++k) {
        size_t lo = (size_t)k * per, n = k == buckets - 1 ? count - lo : per;
        st = gt_nccl_reduce_start(d, (float *)dev + lo, n);
    }
    if (st == GT_OK) st = gt_nccl_reduce_wait(d);
    if (st == GT_OK) st = gt_nccl_synchronize(d);
    if (st == GT_OK) st = be->download(be, back, dev, count * sizeof(float));
    if (st == GT_OK) st = gt_nccl_synchronize(d);
    if (st != GT_OK) {
        fprintf(stderr, "FAIL: %d buckets of %zu floats: %s\n", buckets, count, gt_last_error());
        bad = 1;
    }
    if (!bad && memcmp(host, back, count * sizeof *host) != 0) {
        fprintf(stderr, "FAIL: one-rank NCCL bucket sums of %zu floats changed them\n", count);
        bad = 1;
    }
    if (dev) be->free(be, dev);
    free(host);
    free(back);
    return bad;
}

int main(void)
{
    gt_backend *be = NULL;
    int code = gt_test_open_gpu(GT_PRECISION_FP32, &be);
    if (code >= 0) return code;
    gt_dist *d = NULL;
    if (gt_dist_init(&d) != GT_OK || gt_dist_size(d) != 1) {
        fprintf(stderr, "FAIL: a one-rank world: %s\n", gt_last_error());
        gt_backend_destroy(be);
        return 1;
    }
    int fail = 0;
    if (gt_nccl_open(d, be) != GT_OK) {
        fprintf(stderr, "FAIL: ncclCommInitRank: %s\n", gt_last_error());
        fail = 1;
    }
    if (!fail) fail |= check_sum(d, be, 1000) | check_sum(d, be, (size_t)33 << 20);
    if (!fail) fail |= check_buckets(d, be, 1000, 3) | check_buckets(d, be, (size_t)33 << 20, 7);
    gt_dist_finalize(d); /* destroys the communicator */
    gt_backend_destroy(be);
    if (!fail)
        printf("PASS: one-rank NCCL all-reduce on the CUDA backend's stream and in buckets\n");
    return fail;
}
#else
int main(void)
{
    printf("SKIPPED: built without the CUDA backend, so without NCCL\n");
    return 77;
}
#endif
