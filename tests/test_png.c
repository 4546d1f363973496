/* The PNG writer: files read back byte by byte against the PNG specification
 * (signature, chunk lengths, IHDR fields, CRC-32 of type + data, the inflated
 * IDAT equal to filter byte 0 + each row), and its errors. */
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include "png_write.h"
#include "test_util.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = malloc(1 << 20);
    *size = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

/* Parses the file written for width x height x channels `pixels`. */
static void check_png(const char *path, const uint8_t *pixels, int width, int height, int channels)
{
    size_t size = 0;
    unsigned char *b = read_all(path, &size);
    CHECK_MSG(b != NULL, "cannot read %s", path);
    if (!b) return;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    CHECK(size > 8 && memcmp(b, sig, 8) == 0);
    size_t at = 8;
    int chunk = 0, seen_iend = 0;
    unsigned char *idat = NULL;
    size_t idat_size = 0;
    while (at + 12 <= size && !seen_iend) {
        uint32_t len = be32(b + at);
        CHECK(at + 12 + len <= size);
        if (at + 12 + len > size) break;
        const unsigned char *type = b + at + 4, *data = b + at + 8;
        uLong crc = crc32(crc32(0L, Z_NULL, 0), type, 4);
        crc = crc32(crc, data, len);
        CHECK_MSG(be32(data + len) == (uint32_t)crc, "chunk %.4s: CRC %08x, expected %08lx",
                  (const char *)type, be32(data + len), crc);
        if (chunk == 0) {
            CHECK(memcmp(type, "IHDR", 4) == 0 && len == 13);
            CHECK(be32(data) == (uint32_t)width);
            CHECK(be32(data + 4) == (uint32_t)height);
            CHECK(data[8] == 8);                       /* bit depth */
            CHECK(data[9] == (channels == 3 ? 2 : 0)); /* colour type */
            CHECK(data[10] == 0 && data[11] == 0 && data[12] == 0);
        }
        if (memcmp(type, "IDAT", 4) == 0) {
            unsigned char *grown = realloc(idat, idat_size + len + 1);
            CHECK(grown != NULL);
            if (!grown) break;
            idat = grown;
            memcpy(idat + idat_size, data, len);
            idat_size += len;
        }
        if (memcmp(type, "IEND", 4) == 0) {
            CHECK(len == 0);
            seen_iend = 1;
        }
        at += 12 + len;
        ++chunk;
    }
    CHECK(seen_iend);
    CHECK_MSG(at == size, "%zu bytes after IEND", size - at);
    size_t row = (size_t)width * (size_t)channels;
    uLongf raw_size = (uLongf)((row + 1) * (size_t)height);
    unsigned char *raw = malloc(raw_size + 16);
    uLongf got = raw_size + 16;
    CHECK(raw && idat && uncompress(raw, &got, idat, (uLong)idat_size) == Z_OK);
    CHECK(got == raw_size);
    for (int y = 0; raw && got == raw_size && y < height; ++y) {
        CHECK(raw[(size_t)y * (row + 1)] == 0);
        CHECK_MSG(memcmp(raw + (size_t)y * (row + 1) + 1, pixels + (size_t)y * row, row) == 0,
                  "row %d differs", y);
    }
    free(raw);
    free(idat);
    free(b);
}

static void test_images(const char *dir)
{
    char path[512];
    enum { W = 37, H = 11 };
    uint8_t gray[W * H], rgb[W * H * 3];
    for (int i = 0; i < W * H; ++i)
        gray[i] = (uint8_t)(i * 7 + i / W);
    for (int i = 0; i < W * H * 3; ++i)
        rgb[i] = (uint8_t)(i * 13 ^ (i >> 3));

    snprintf(path, sizeof path, "%s/gray.png", dir);
    CHECK_OK(gt_png_write(path, gray, W, H, 1));
    check_png(path, gray, W, H, 1);
    snprintf(path, sizeof path, "%s/rgb.png", dir);
    CHECK_OK(gt_png_write(path, rgb, W, H, 3));
    check_png(path, rgb, W, H, 3);
    /* a rewrite replaces the file whole and leaves no temporary behind */
    CHECK_OK(gt_png_write(path, gray, 1, 1, 1));
    check_png(path, gray, 1, 1, 1);
    snprintf(path, sizeof path, "%s/rgb.png.tmp", dir);
    CHECK(access(path, F_OK) != 0);
}

static void test_errors(const char *dir)
{
    uint8_t px[4] = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/x.png", dir);
    CHECK_FAILS_WITH(gt_png_write(path, px, 2, 1, 2), GT_ERR_INVALID_ARGUMENT, "x.png");
    CHECK_FAILS_WITH(gt_png_write(path, px, 0, 1, 1), GT_ERR_INVALID_ARGUMENT, "x.png");
    CHECK_FAILS_WITH(gt_png_write(path, NULL, 1, 1, 1), GT_ERR_INVALID_ARGUMENT, "NULL");
    snprintf(path, sizeof path, "%s/missing/x.png", dir);
    CHECK_FAILS_WITH(gt_png_write(path, px, 1, 1, 1), GT_ERR_IO, "missing/x.png");
}

int main(void)
{
    char dir[] = "/tmp/gtrain_test_png_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_images(dir);
    test_errors(dir);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_EXIT();
}
