/* PNG encoding from the specification (ISO/IEC 15948): the 8-byte signature,
 * then chunks of a big-endian length, a 4-letter type, the data and a CRC-32
 * over type and data. IHDR describes the image; IDAT holds the zlib stream of
 * the scanlines, each led by its filter type byte (0: none, which keeps the
 * writer trivial; these images are small); IEND closes the file. */
#include "png_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gtrain/status.h"

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes one chunk; returns 0 when the stream failed. */
static int write_chunk(FILE *f, const char type[4], const unsigned char *data, uint32_t length)
{
    unsigned char head[8], tail[4];
    put_be32(head, length);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)type, 4);
    if (length) crc = crc32(crc, data, (uInt)length);
    put_be32(tail, (uint32_t)crc);
    return fwrite(head, 1, 8, f) == 8 && (length == 0 || fwrite(data, 1, length, f) == length) &&
           fwrite(tail, 1, 4, f) == 4;
}

/* The filtered scanlines (filter byte 0 then the row), deflated. */
static gt_status compress_rows(const char *path, const uint8_t *pixels, int width, int height,
                               int channels, unsigned char **out, uLongf *out_size)
{
    size_t row = (size_t)width * (size_t)channels;
    size_t raw_size = (size_t)height * (row + 1);
    unsigned char *raw = malloc(raw_size);
    if (!raw) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for the image", path);
    for (size_t y = 0; y < (size_t)height; ++y) {
        raw[y * (row + 1)] = 0;
        memcpy(raw + y * (row + 1) + 1, pixels + y * row, row);
    }
    uLongf size = compressBound((uLong)raw_size);
    unsigned char *z = malloc(size);
    if (!z) {
        free(raw);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for the image", path);
    }
    int rc = compress2(z, &size, raw, (uLong)raw_size, Z_DEFAULT_COMPRESSION);
    free(raw);
    if (rc != Z_OK) {
        free(z);
        return gt_fail(GT_ERR_INTERNAL, "%s: zlib compress2 failed (%d)", path, rc);
    }
    *out = z;
    *out_size = size;
    return GT_OK;
}

gt_status gt_png_write(const char *path, const uint8_t *pixels, int width, int height, int channels)
{
    if (!path || !pixels)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_png_write: path or pixels is NULL");
    if (channels != 1 && channels != 3)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: PNG of %d channels (1 or 3 are written)", path,
                       channels);
    /* PNG allows 2^31-1 per side; the scanlines must also fit one zlib call
     * (uLong, and IDAT's 32-bit length). */
    const double limit = 2147483647.0;
    if (width <= 0 || height <= 0 || (double)height * ((double)width * channels + 1.0) > limit)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: cannot write a %dx%d PNG", path, width,
                       height);

    unsigned char *z = NULL;
    uLongf z_size = 0;
    GT_TRY(compress_rows(path, pixels, width, height, channels, &z, &z_size));

    unsigned char ihdr[13];
    put_be32(ihdr, (uint32_t)width);
    put_be32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;                     /* bit depth */
    ihdr[9] = channels == 3 ? 2 : 0; /* colour type: truecolour or greyscale */
    ihdr[10] = 0;                    /* compression: deflate */
    ihdr[11] = 0;                    /* filter method: adaptive (type 0 used) */
    ihdr[12] = 0;                    /* no interlace */

    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) {
        free(z);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    }
    snprintf(tmp, n + 5, "%s.tmp", path);
    gt_status st = GT_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = gt_fail(GT_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    } else {
        int ok = fwrite(png_signature, 1, sizeof png_signature, f) == sizeof png_signature &&
                 write_chunk(f, "IHDR", ihdr, sizeof ihdr) &&
                 write_chunk(f, "IDAT", z, (uint32_t)z_size) && write_chunk(f, "IEND", NULL, 0);
        int err = errno;
        if (fclose(f) != 0 && ok) {
            ok = 0;
            err = errno;
        }
        if (!ok)
            st = gt_fail(GT_ERR_IO, "cannot write %s: %s", tmp, strerror(err));
        else if (rename(tmp, path) != 0)
            st = gt_fail(GT_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        if (st != GT_OK) remove(tmp);
    }
    free(tmp);
    free(z);
    return st;
}
