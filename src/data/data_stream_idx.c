/* Streaming IDX images: the header is checked as the loader checks it, then
 * examples are read with pread at header + index x example bytes. A .gz
 * file cannot be read at random, so it is inflated once, here, into an
 * unlinked temporary file (it vanishes with the dataset, even after a
 * crash) and streamed from there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_idx_internal.h"
#include "data_source.h"
#include "dataset_internal.h"
#include "gtrain/status.h"

/* Bytes inflated per step into the temporary file. */
#define IDX_INFLATE_CHUNK ((size_t)4 << 20)

typedef struct idx_source {
    gt_data_source base;
    int fd;
    unsigned long long header_bytes; /* payload offset */
    char shown[4200];                /* what messages call the file */
    /* for the resident loader (load_all) */
    char images_path[4096], labels_path[4096];
    int num_classes;
} idx_source;

static gt_status idx_read_examples(gt_data_source *src, size_t first, size_t count, uint8_t *dst)
{
    idx_source *s = (idx_source *)src;
    size_t per = src->example_bytes, want = count * per, got = 0;
    unsigned long long offset = s->header_bytes + (unsigned long long)first * per;
    while (got < want) {
        ssize_t n = pread(s->fd, dst + got, want - got, (off_t)(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return gt_fail(GT_ERR_IO,
                           "cannot read %s at example %zu (examples %zu..%zu, byte %llu): %s",
                           s->shown, first + got / per, first, first + count - 1, offset + got,
                           strerror(errno));
        if (n == 0) {
            struct stat st;
            long long size = fstat(s->fd, &st) == 0 ? (long long)st.st_size : -1;
            return gt_fail(GT_ERR_IO,
                           "%s shrank while it was being read: it ends at byte %lld, example %zu "
                           "needs bytes %llu..%llu (reading examples %zu..%zu); the file was "
                           "truncated or is being rewritten",
                           s->shown, size, first + got / per, offset + (got / per) * per,
                           offset + (got / per + 1) * per - 1, first, first + count - 1);
        }
        got += (size_t)n;
    }
    return GT_OK;
}

static gt_status idx_load_all(gt_data_source *src, gt_dataset **out)
{
    const idx_source *s = (const idx_source *)src;
    return gt_dataset_load_idx(s->images_path, s->labels_path, s->num_classes, out);
}

static gt_status idx_set_cache(gt_data_source *src, size_t bytes)
{
    (void)bytes; /* the page cache is the kernel's; nothing of our own */
    src->cache_bytes = 0;
    return GT_OK;
}

static void idx_close_source(gt_data_source *src)
{
    idx_source *s = (idx_source *)src;
    if (s->fd >= 0) close(s->fd);
    free(s);
}

static const gt_data_source_ops idx_ops = {idx_read_examples, idx_load_all, idx_set_cache,
                                           idx_close_source};

/* An unlinked file in $TMPDIR (or /tmp) that holds the inflated images. */
static gt_status open_scratch_file(const char *for_path, int *fd)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    char name[4200];
    snprintf(name, sizeof name, "%s/gtrain-idx-XXXXXX", dir);
    *fd = mkstemp(name);
    if (*fd < 0)
        return gt_fail(GT_ERR_IO,
                       "%s is gzip-compressed and must be inflated to be streamed, but no "
                       "temporary file can be created in %s: %s (set TMPDIR, or gunzip it)",
                       for_path, dir, strerror(errno));
    unlink(name);
    return GT_OK;
}

static gt_status write_all(int fd, const uint8_t *buf, size_t n, const char *for_path)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return gt_fail(GT_ERR_IO,
                           "inflating %s into a temporary file (in $TMPDIR or /tmp) to stream "
                           "it failed: %s",
                           for_path, w < 0 ? strerror(errno) : "nothing written");
        buf += w;
        n -= (size_t)w;
    }
    return GT_OK;
}

/* Copies the rest of the gzip stream (the payload) into a scratch file. */
static gt_status inflate_payload(idx_reader *r, size_t payload, int *fd_out)
{
    int fd = -1;
    GT_TRY(open_scratch_file(r->path, &fd));
    uint8_t *buf = malloc(IDX_INFLATE_CHUNK);
    gt_status st = buf ? GT_OK : gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", r->path);
    size_t done = 0;
    while (st == GT_OK && done < payload) {
        size_t want = payload - done < IDX_INFLATE_CHUNK ? payload - done : IDX_INFLATE_CHUNK;
        size_t got = 0;
        st = gt_idx_read(r, buf, want, &got);
        if (st == GT_OK && got < want)
            st = gt_fail(GT_ERR_FORMAT,
                         "%s: file is truncated: expected %zu bytes of pixels, found %zu", r->path,
                         payload, done + got);
        if (st == GT_OK) st = write_all(fd, buf, got, r->path);
        done += got;
    }
    free(buf);
    if (st == GT_OK) st = gt_idx_expect_end(r, payload);
    if (st != GT_OK) {
        close(fd);
        return st;
    }
    *fd_out = fd;
    return GT_OK;
}

/* Checks the header (through zlib, raw or gzip alike) and opens what pread
 * will read: the file itself, or its inflated copy. */
static gt_status open_images(idx_source *s, const char *path, const char *labels_path,
                             uint32_t label_count)
{
    idx_reader r = {0};
    uint32_t dims[3] = {0};
    GT_TRY(gt_idx_open(&r, path));
    gt_status st = gt_idx_read_header(&r, 3, dims);
    if (st == GT_OK && dims[0] != label_count)
        st = gt_fail(GT_ERR_FORMAT, "%s has %u images but %s has %u labels", path, dims[0],
                     labels_path, label_count);
    size_t per = (size_t)dims[1] * dims[2];
    size_t payload = (size_t)dims[0] * per;
    int direct = gzdirect(r.gz);
    if (st == GT_OK && !direct) {
        st = inflate_payload(&r, payload, &s->fd);
        s->header_bytes = 0;
        snprintf(s->base.how, sizeof s->base.how, "pread of the inflated copy of a gzip IDX file");
        snprintf(s->shown, sizeof s->shown, "%s (its inflated copy)", path);
    }
    if (r.gz) gzclose(r.gz);
    if (st != GT_OK) return st;
    if (direct) {
        s->fd = open(path, O_RDONLY);
        if (s->fd < 0) return gt_fail(GT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        s->header_bytes = 16;
        snprintf(s->base.how, sizeof s->base.how, "pread of a raw IDX file");
        snprintf(s->shown, sizeof s->shown, "%s", path);
        struct stat fs;
        if (fstat(s->fd, &fs) != 0)
            return gt_fail(GT_ERR_IO, "cannot examine %s: %s", path, strerror(errno));
        unsigned long long want = 16ULL + payload;
        if ((unsigned long long)fs.st_size < want)
            return gt_fail(GT_ERR_FORMAT,
                           "%s: file is truncated: expected %zu bytes of pixels, found %lld", path,
                           payload, (long long)fs.st_size - 16);
        if ((unsigned long long)fs.st_size > want)
            return gt_fail(GT_ERR_FORMAT,
                           "%s: %llu bytes of trailing garbage after the %zu-byte payload that "
                           "the header describes; expected the file to end there",
                           path, (unsigned long long)fs.st_size - want, payload);
    }
    s->base.count = dims[0];
    s->base.shape = (gt_shape3){(int)dims[1], (int)dims[2], 1};
    s->base.example_bytes = per;
    return GT_OK;
}

gt_status gt_dataset_open_idx(const char *images_path, const char *labels_path, int num_classes,
                              gt_dataset **out)
{
    GT_TRY(gt_idx_check_args("gt_dataset_open_idx", images_path, labels_path, num_classes, out));
    if (strlen(images_path) >= 4096 || strlen(labels_path) >= 4096)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_open_idx: path too long");
    int32_t *labels = NULL;
    uint32_t label_count = 0;
    GT_TRY(gt_idx_load_labels(labels_path, num_classes, &labels, &label_count));
    idx_source *s = calloc(1, sizeof *s);
    if (!s) {
        free(labels);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", images_path);
    }
    s->fd = -1;
    s->base.ops = &idx_ops;
    s->base.refs = 1;
    snprintf(s->base.path, sizeof s->base.path, "%s", images_path);
    snprintf(s->images_path, sizeof s->images_path, "%s", images_path);
    snprintf(s->labels_path, sizeof s->labels_path, "%s", labels_path);
    s->num_classes = num_classes;
    gt_status st = open_images(s, images_path, labels_path, label_count);
    if (st != GT_OK) {
        free(labels);
        gt_data_source_release(&s->base);
        return st;
    }
    return gt_dataset_adopt_stream(&s->base, labels, num_classes, images_path, out);
}
