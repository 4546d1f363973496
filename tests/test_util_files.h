/* Shared helpers for the streaming tests: a dataset written as IDX files
 * (raw or gzip) and as HDF5 files (contiguous, chunked, compressed, float). */
#ifndef GT_TEST_UTIL_FILES_H
#define GT_TEST_UTIL_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gtrain/gtrain.h"
#ifdef GTRAIN_HAVE_HDF5
#include <hdf5.h>
#endif

/* A fresh directory under $TMPDIR or /tmp (removed by gt_test_rmdir). */
static inline int gt_test_tmpdir(char *buf, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, size, "%s/gtrain-test-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(buf) != NULL;
}

static inline void gt_test_rmdir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static inline void gt_test_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The dataset's images and labels as an IDX pair (gzip when gz != 0). */
static inline int gt_test_write_idx(const gt_dataset *ds, const char *images, const char *labels,
                                    int gz)
{
    size_t n = gt_dataset_count(ds);
    gt_shape3 s = gt_dataset_shape(ds);
    uint8_t head[16];
    gt_test_be32(head, 0x803);
    gt_test_be32(head + 4, (uint32_t)n);
    gt_test_be32(head + 8, (uint32_t)s.h);
    gt_test_be32(head + 12, (uint32_t)(s.w * s.c));
    uint8_t *lab = malloc(n + 1);
    for (size_t i = 0; i < n; ++i)
        lab[i] = (uint8_t)gt_dataset_labels(ds)[i];
    uint8_t lhead[8];
    gt_test_be32(lhead, 0x801);
    gt_test_be32(lhead + 4, (uint32_t)n);
    int ok = 1;
    for (int file = 0; file < 2; ++file) {
        const char *path = file ? labels : images;
        const uint8_t *h = file ? lhead : head;
        size_t hn = file ? 8 : 16;
        const uint8_t *body = file ? lab : gt_dataset_images(ds);
        size_t bn = file ? n : n * gt_shape3_size(s);
        gzFile g = gz ? gzopen(path, "wb") : NULL;
        FILE *f = gz ? NULL : fopen(path, "wb");
        if (gz && g) {
            ok &=
                gzwrite(g, h, (unsigned)hn) == (int)hn && gzwrite(g, body, (unsigned)bn) == (int)bn;
            ok &= gzclose(g) == Z_OK;
        } else if (f) {
            ok &= fwrite(h, 1, hn, f) == hn && fwrite(body, 1, bn, f) == bn;
            ok &= fclose(f) == 0;
        } else {
            ok = 0;
        }
    }
    free(lab);
    return ok;
}

#ifdef GTRAIN_HAVE_HDF5
/* The dataset as images "d_x" (N, H, W, C) and labels "d_y" (N,) int64:
 * chunk_rows > 0 chunks by that many examples (deflate when compress),
 * as_float stores the images as float32 values 0..255. */
static inline int gt_test_write_hdf5(const gt_dataset *ds, const char *path, int chunk_rows,
                                     int compress, int as_float)
{
    size_t n = gt_dataset_count(ds), per = gt_shape3_size(gt_dataset_shape(ds));
    gt_shape3 s = gt_dataset_shape(ds);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return 0;
    hsize_t dims[4] = {n, (hsize_t)s.h, (hsize_t)s.w, (hsize_t)s.c};
    hid_t space = H5Screate_simple(4, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (chunk_rows > 0) {
        hsize_t chunk[4] = {(hsize_t)chunk_rows, dims[1], dims[2], dims[3]};
        H5Pset_chunk(dcpl, 4, chunk);
        if (compress) H5Pset_deflate(dcpl, 4);
    }
    hid_t ftype = as_float ? H5T_IEEE_F32LE : H5T_STD_U8LE;
    hid_t x = H5Dcreate2(f, "d_x", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int ok = x >= 0;
    if (ok && as_float) {
        float *v = malloc(n * per * sizeof *v);
        for (size_t i = 0; i < n * per; ++i)
            v[i] = (float)gt_dataset_images(ds)[i];
        ok = H5Dwrite(x, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
        free(v);
    } else if (ok) {
        ok = H5Dwrite(x, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, gt_dataset_images(ds)) >=
             0;
    }
    hid_t lspace = H5Screate_simple(1, dims, NULL);
    hid_t y = H5Dcreate2(f, "d_y", H5T_STD_I64LE, lspace, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    long long *lab = malloc(n * sizeof *lab + 1);
    for (size_t i = 0; i < n; ++i)
        lab[i] = gt_dataset_labels(ds)[i];
    ok = ok && y >= 0 && H5Dwrite(y, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab) >= 0;
    free(lab);
    if (y >= 0) H5Dclose(y);
    if (x >= 0) H5Dclose(x);
    H5Sclose(lspace);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(f);
    return ok;
}
#endif

/* Cuts a file to `size` bytes. */
static inline int gt_test_truncate(const char *path, long long size)
{
    return truncate(path, (off_t)size) == 0;
}

#endif
