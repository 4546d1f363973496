/* The checkpoint seal (format in checkpoint_seal.h): a CRC-32 of the HDF5
 * bytes, written in the file's user block, verified before parsing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "checkpoint_seal.h"
#include "gtrain/status.h"

static const uint8_t seal_magic[8] = {0x89, 'G', 'T', 'C', 'K', 'P', 'T', '\n'};
static const char seal_note[] = "gtrain checkpoint: CRC-32 of the HDF5 file that follows "
                                "(HDF5 user block; h5py and Keras skip it)";

/* zlib takes lengths as uInt: feed it in pieces that fit. */
uint32_t gt_seal_crc32(uint32_t crc, const uint8_t *data, size_t length)
{
    uLong c = crc;
    while (length > 0) {
        uInt piece = length > (1u << 30) ? (1u << 30) : (uInt)length;
        c = crc32(c, data, piece);
        data += piece;
        length -= piece;
    }
    return (uint32_t)c;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = v << 8 | p[i];
    return v;
}

void gt_seal_make(uint8_t header[GT_SEAL_BYTES], const uint8_t *body, size_t length)
{
    memset(header, 0, GT_SEAL_BYTES);
    memcpy(header, seal_magic, sizeof seal_magic);
    put_le(header + 8, GT_SEAL_VERSION, 4);
    put_le(header + 12, gt_seal_crc32(0, body, length), 4);
    put_le(header + 16, (uint64_t)length, 8);
    memcpy(header + 24, seal_note, sizeof seal_note);
}

gt_status gt_seal_verify(const char *path, int *sealed)
{
    *sealed = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return gt_fail(GT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    uint8_t header[GT_SEAL_BYTES];
    size_t got = fread(header, 1, sizeof header, f);
    if (got < sizeof seal_magic || memcmp(header, seal_magic, sizeof seal_magic) != 0) {
        fclose(f);
        return GT_OK; /* not sealed: a Keras file or a dataset */
    }
    gt_status st = GT_OK;
    uint64_t version = got == sizeof header ? get_le(header + 8, 4) : 0;
    uint32_t stored_crc = (uint32_t)get_le(header + 12, 4);
    uint64_t stored_length = get_le(header + 16, 8);
    if (got < sizeof header)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s is corrupt: it starts with gtrain's checkpoint header but ends after "
                     "%zu bytes (a truncated copy?)",
                     path, got);
    else if (version != GT_SEAL_VERSION)
        st = gt_fail(GT_ERR_UNSUPPORTED,
                     "%s: checkpoint seal version %llu is not supported (this gtrain reads "
                     "version %d); use a newer gtrain",
                     path, (unsigned long long)version, GT_SEAL_VERSION);
    uint32_t crc = 0;
    uint64_t length = 0;
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = st == GT_OK ? malloc(CHUNK) : NULL;
    if (st == GT_OK && !buf) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    while (st == GT_OK) {
        size_t n = fread(buf, 1, CHUNK, f);
        crc = gt_seal_crc32(crc, buf, n);
        length += n;
        if (n < CHUNK) {
            if (ferror(f)) st = gt_fail(GT_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
    }
    free(buf);
    fclose(f);
    if (st != GT_OK) return st;
    if (length != stored_length)
        return gt_fail(GT_ERR_FORMAT,
                       "%s is corrupt: its header says %llu bytes follow, found %llu (a "
                       "truncated or extended copy); use an earlier checkpoint",
                       path, (unsigned long long)stored_length, (unsigned long long)length);
    if (crc != stored_crc)
        return gt_fail(GT_ERR_FORMAT,
                       "%s is corrupt: CRC-32 of its %llu bytes is %08x, the header says %08x: "
                       "the file changed after gtrain wrote it (a disk or copy error, or an "
                       "edit); use an earlier checkpoint",
                       path, (unsigned long long)length, crc, stored_crc);
    *sealed = 1;
    return GT_OK;
}
