/* IDX loader: the MNIST / Fashion-MNIST file format (data_named.c finds the
 * named datasets' files).
 *
 * IDX: a 4-byte magic 0x00 0x00 <element type> <rank>, then <rank> big-endian
 * uint32 dimensions, then the elements. Images are rank 3 (count, rows, cols),
 * labels rank 1 (count); gtrain reads only unsigned-byte (0x08) files.
 *
 * Files are read through zlib's gzFile, which inflates .gz files and passes
 * raw files through unchanged, so one code path serves both. Every way a file
 * can be wrong gets its own message naming the file, what was expected and
 * what was found: a user who downloaded a truncated archive or swapped the
 * image and label paths should learn that from the message alone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data_idx_internal.h"
#include "dataset_internal.h"
#include "gtrain/status.h"

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_TYPE_UBYTE 0x08
/* Sanity limits on header fields: larger values mean a corrupt header, and
 * refusing them early avoids a multi-gigabyte allocation. */
#define IDX_MAX_SIDE 65535u
#define IDX_MAX_COUNT 0x7fffffffu
/* zlib's internal buffer: large enough that inflate runs in long bursts. */
#define IDX_GZ_BUFFER (1u << 20)
/* Bytes asked of one gzread call; zlib inflates large requests straight into
 * the destination. */
#define IDX_READ_CHUNK (64u << 20)
/* The payload buffer starts at most this big and doubles as data arrives, so
 * a corrupt header claiming billions of images fails as "truncated" after
 * reading the file, not as an absurd allocation. */
#define IDX_INITIAL_CAPACITY ((size_t)256 << 20)
/* Trailing bytes are counted up to this many, then reported as "at least". */
#define IDX_TRAILING_COUNT_LIMIT ((size_t)16 << 20)

static const char *idx_type_name(int type)
{
    switch (type) {
    case 0x08:
        return "unsigned byte";
    case 0x09:
        return "signed byte";
    case 0x0B:
        return "int16";
    case 0x0C:
        return "int32";
    case 0x0D:
        return "float32";
    case 0x0E:
        return "float64";
    }
    return "unknown type";
}

gt_status gt_idx_open(idx_reader *r, const char *path)
{
    r->path = path;
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return gt_fail(GT_ERR_IO, "cannot open %s: %s", path,
                       errno ? strerror(errno) : "out of memory in zlib");
    gzbuffer(r->gz, IDX_GZ_BUFFER);
    return GT_OK;
}

/* The failure of a gzread that returned -1: an OS error or a corrupt stream. */
static gt_status idx_read_error(const idx_reader *r)
{
    int zerr = Z_OK;
    const char *message = gzerror(r->gz, &zerr);
    if (zerr == Z_ERRNO) return gt_fail(GT_ERR_IO, "cannot read %s: %s", r->path, strerror(errno));
    if (zerr == Z_MEM_ERROR)
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: zlib ran out of memory", r->path);
    /* zlib prefixes its message with the path, which ours already names. */
    size_t path_len = strlen(r->path);
    if (strncmp(message, r->path, path_len) == 0 && strncmp(message + path_len, ": ", 2) == 0)
        message += path_len + 2;
    return gt_fail(GT_ERR_FORMAT, "%s: corrupt gzip stream (zlib: %s)", r->path, message);
}

/* zlib reports a gzip stream that stops mid-way not as a read error but as a
 * short read with Z_BUF_ERROR pending; this names that case for messages. */
static const char *idx_cut_short_note(const idx_reader *r)
{
    int zerr = Z_OK;
    gzerror(r->gz, &zerr);
    return zerr == Z_BUF_ERROR ? " (the gzip stream is cut short: unexpected end of file)" : "";
}

/* Reads up to `want` bytes, stopping early only at end of file. */
gt_status gt_idx_read(idx_reader *r, void *buf, size_t want, size_t *got)
{
    *got = 0;
    while (*got < want) {
        size_t left = want - *got;
        unsigned chunk = left < IDX_READ_CHUNK ? (unsigned)left : IDX_READ_CHUNK;
        int n = gzread(r->gz, (uint8_t *)buf + *got, chunk);
        if (n < 0) return idx_read_error(r);
        if (n == 0) break;
        *got += (size_t)n;
    }
    return GT_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Reads and checks the magic and the dimensions of an unsigned-byte IDX file
 * of the given rank (3 for images, 1 for labels). */
gt_status gt_idx_read_header(idx_reader *r, int rank, uint32_t dims[3])
{
    const uint32_t expected_magic = rank == 3 ? IDX_MAGIC_IMAGES : IDX_MAGIC_LABELS;
    const char *kind = rank == 3 ? "images" : "labels";
    const size_t header_bytes = 4 + 4 * (size_t)rank;
    uint8_t header[16];
    size_t got = 0;
    GT_TRY(gt_idx_read(r, header, 4, &got));
    if (got < 4)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: file has %zu bytes, too short for an IDX header (expected %zu bytes "
                       "starting with magic 0x%08X)%s",
                       r->path, got, header_bytes, expected_magic, idx_cut_short_note(r));
    uint32_t magic = be32(header);
    if (header[0] != 0 || header[1] != 0)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: not an IDX file: bad magic number 0x%08X, expected 0x%08X (IDX "
                       "unsigned-byte %s)",
                       r->path, magic, expected_magic, kind);
    if (header[2] != IDX_TYPE_UBYTE)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: magic number 0x%08X has element type byte 0x%02X (%s), expected "
                       "0x08 (unsigned byte, magic 0x%08X): only unsigned-byte IDX files are "
                       "supported",
                       r->path, magic, header[2], idx_type_name(header[2]), expected_magic);
    if (header[3] != rank) {
        const char *hint = "";
        if (rank == 3 && header[3] == 1) hint = "; is this a label file?";
        if (rank == 1 && header[3] == 3) hint = "; is this an image file?";
        return gt_fail(GT_ERR_FORMAT,
                       "%s: magic number 0x%08X has rank byte %d, expected %d (magic 0x%08X, "
                       "IDX %s)%s",
                       r->path, magic, header[3], rank, expected_magic, kind, hint);
    }
    GT_TRY(gt_idx_read(r, header + 4, header_bytes - 4, &got));
    if (got < header_bytes - 4)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: IDX header is cut short: expected %zu bytes, found %zu%s", r->path,
                       header_bytes, 4 + got, idx_cut_short_note(r));
    for (int i = 0; i < rank; ++i)
        dims[i] = be32(header + 4 + 4 * i);

    if (dims[0] == 0)
        return gt_fail(GT_ERR_FORMAT, "%s: header says the file holds 0 %s; expected at least 1",
                       r->path, kind);
    if (dims[0] > IDX_MAX_COUNT)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: header says the file holds %u %s, an absurd count (at most %u); "
                       "the header is corrupt",
                       r->path, dims[0], kind, IDX_MAX_COUNT);
    if (rank == 3 &&
        (dims[1] == 0 || dims[2] == 0 || dims[1] > IDX_MAX_SIDE || dims[2] > IDX_MAX_SIDE))
        return gt_fail(GT_ERR_FORMAT,
                       "%s: header says each image is %u x %u pixels; expected rows and columns "
                       "in 1..%u (28 x 28 for MNIST)",
                       r->path, dims[1], dims[2], IDX_MAX_SIDE);
    return GT_OK;
}

/* Reads exactly `expected` payload bytes into a new malloc'd buffer. */
static gt_status idx_read_payload(idx_reader *r, size_t expected, const char *unit, uint8_t **out)
{
    *out = NULL;
    size_t capacity = expected < IDX_INITIAL_CAPACITY ? expected : IDX_INITIAL_CAPACITY;
    uint8_t *buf = malloc(capacity);
    if (!buf)
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for %zu bytes of %s", r->path,
                       capacity, unit);
    size_t got = 0;
    for (;;) {
        size_t n = 0;
        gt_status status = gt_idx_read(r, buf + got, capacity - got, &n);
        if (status != GT_OK) {
            free(buf);
            return status;
        }
        got += n;
        if (got < capacity || capacity == expected) break; /* end of file, or all read */
        size_t grown = capacity > expected / 2 ? expected : capacity * 2;
        uint8_t *bigger = realloc(buf, grown);
        if (!bigger) {
            free(buf);
            return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for %zu bytes of %s",
                           r->path, grown, unit);
        }
        buf = bigger;
        capacity = grown;
    }
    if (got < expected) {
        free(buf);
        return gt_fail(GT_ERR_FORMAT,
                       "%s: file is truncated: expected %zu bytes of %s, found %zu%s", r->path,
                       expected, unit, got, idx_cut_short_note(r));
    }
    *out = buf;
    return GT_OK;
}

/* Checks that nothing follows the payload. Reading to the end also makes zlib
 * verify the gzip trailer (CRC and length), which it only does at the end. */
gt_status gt_idx_expect_end(idx_reader *r, size_t payload_bytes)
{
    uint8_t scratch[65536];
    size_t trailing = 0;
    for (;;) {
        size_t n = 0;
        GT_TRY(gt_idx_read(r, scratch, sizeof scratch, &n));
        trailing += n;
        if (n < sizeof scratch || trailing >= IDX_TRAILING_COUNT_LIMIT) break;
    }
    if (trailing > 0)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: %s%zu bytes of trailing garbage after the %zu-byte payload that the "
                       "header describes; expected the file to end there",
                       r->path, trailing >= IDX_TRAILING_COUNT_LIMIT ? "at least " : "", trailing,
                       payload_bytes);
    int zerr = Z_OK;
    gzerror(r->gz, &zerr);
    if (zerr == Z_BUF_ERROR)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: corrupt gzip stream (zlib: unexpected end of file): the data is "
                       "complete but the gzip trailer is missing or cut short",
                       r->path);
    return GT_OK;
}

gt_status gt_idx_close(idx_reader *r)
{
    if (!r->gz) return GT_OK;
    int result = gzclose(r->gz);
    r->gz = NULL;
    if (result == Z_ERRNO)
        return gt_fail(GT_ERR_IO, "%s: close failed: %s", r->path, strerror(errno));
    if (result != Z_OK)
        return gt_fail(GT_ERR_FORMAT, "%s: corrupt gzip stream (zlib error %d at close)", r->path,
                       result);
    return GT_OK;
}

/* Reads a whole label file; the labels stay uint8 until checked. */
static gt_status load_raw_labels(const char *path, uint8_t **labels, uint32_t *count)
{
    idx_reader r = {0};
    uint32_t dims[3] = {0};
    gt_status status = gt_idx_open(&r, path);
    if (status == GT_OK) status = gt_idx_read_header(&r, 1, dims);
    if (status == GT_OK) status = idx_read_payload(&r, dims[0], "labels", labels);
    if (status == GT_OK) status = gt_idx_expect_end(&r, dims[0]);
    if (status == GT_OK) {
        status = gt_idx_close(&r);
    } else if (r.gz) {
        gzclose(r.gz); /* the first error is the one worth reporting */
    }
    if (status != GT_OK) {
        free(*labels);
        *labels = NULL;
        return status;
    }
    *count = dims[0];
    return GT_OK;
}

gt_status gt_idx_load_labels(const char *path, int num_classes, int32_t **out, uint32_t *count)
{
    *out = NULL;
    uint8_t *raw_labels = NULL;
    uint32_t label_count = 0;
    GT_TRY(load_raw_labels(path, &raw_labels, &label_count));
    int32_t *labels = malloc((size_t)label_count * sizeof *labels);
    if (!labels) {
        free(raw_labels);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for %u labels", path,
                       label_count);
    }
    for (uint32_t i = 0; i < label_count; ++i) {
        if (raw_labels[i] >= num_classes) {
            gt_status status = gt_fail(GT_ERR_FORMAT,
                                       "%s: label %u at index %u is out of range for %d classes "
                                       "(expected 0..%d)",
                                       path, raw_labels[i], i, num_classes, num_classes - 1);
            free(raw_labels);
            free(labels);
            return status;
        }
        labels[i] = raw_labels[i];
    }
    free(raw_labels);
    *out = labels;
    *count = label_count;
    return GT_OK;
}

gt_status gt_idx_check_args(const char *what, const char *images_path, const char *labels_path,
                            int num_classes, gt_dataset **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: out must not be NULL", what);
    *out = NULL;
    if (!images_path || !labels_path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: both paths must be given", what);
    if (num_classes < 1 || num_classes > 256)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: num_classes is %d, expected 1..256 (IDX labels are bytes)", what,
                       num_classes);
    return GT_OK;
}

gt_status gt_dataset_load_idx(const char *images_path, const char *labels_path, int num_classes,
                              gt_dataset **out)
{
    GT_TRY(gt_idx_check_args("gt_dataset_load_idx", images_path, labels_path, num_classes, out));
    /* Labels first: they are small, so a count mismatch is found before
     * inflating tens of megabytes of pixels. */
    int32_t *labels = NULL;
    uint32_t label_count = 0;
    GT_TRY(gt_idx_load_labels(labels_path, num_classes, &labels, &label_count));

    idx_reader r = {0};
    uint32_t dims[3] = {0};
    uint8_t *pixels = NULL;
    gt_status status = gt_idx_open(&r, images_path);
    if (status == GT_OK) status = gt_idx_read_header(&r, 3, dims);
    if (status == GT_OK && dims[0] != label_count)
        status = gt_fail(GT_ERR_FORMAT, "%s has %u images but %s has %u labels", images_path,
                         dims[0], labels_path, label_count);
    size_t pixel_bytes = (size_t)dims[0] * dims[1] * dims[2];
    if (status == GT_OK) status = idx_read_payload(&r, pixel_bytes, "pixels", &pixels);
    if (status == GT_OK) status = gt_idx_expect_end(&r, pixel_bytes);
    if (status == GT_OK) {
        status = gt_idx_close(&r);
    } else if (r.gz) {
        gzclose(r.gz);
    }
    if (status != GT_OK) {
        free(pixels);
        free(labels);
        return status;
    }
    gt_shape3 shape = {(int)dims[1], (int)dims[2], 1};
    return gt_dataset_adopt(pixels, labels, label_count, shape, num_classes, images_path, out);
}
