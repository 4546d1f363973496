/* Streamed datasets read exactly what the resident loaders read: IDX raw
 * and gzip, HDF5 contiguous, chunked, compressed and float; slices are views
 * that read their own range; gt_dataset_load_resident gives the loader's
 * dataset back. Bad and damaged files are refused at open with the loader's
 * messages, and a file that shrinks after open is an error naming the file
 * and the examples, never zeros or stale bytes. */
#include <sys/stat.h>

#include "test_util.h"
#include "test_util_data.h"
#include "test_util_files.h"

#define COUNT 203

static gt_dataset *reference_data(void)
{
    gt_dataset *ds = NULL;
    gt_shape3 shape = {12, 12, 1};
    CHECK_OK(gt_test_synthetic_dataset(shape, COUNT, 5, 7, &ds));
    return ds;
}

/* Every example, in ranges of several sizes, against the reference. */
static void check_reads(const gt_dataset *ref, const gt_dataset *st, const char *what)
{
    CHECK_MSG(gt_dataset_is_streamed(st), "%s: not streamed", what);
    CHECK(gt_dataset_images(st) == NULL);
    CHECK(gt_dataset_count(st) == gt_dataset_count(ref));
    gt_shape3 a = gt_dataset_shape(ref), b = gt_dataset_shape(st);
    CHECK(a.h == b.h && a.w == b.w && a.c == b.c);
    CHECK(gt_dataset_num_classes(st) == gt_dataset_num_classes(ref));
    size_t n = gt_dataset_count(ref), per = gt_shape3_size(a);
    CHECK(memcmp(gt_dataset_labels(st), gt_dataset_labels(ref), n * sizeof(int32_t)) == 0);
    uint8_t *buf = malloc(n * per);
    const size_t spans[] = {1, 7, 64, n};
    for (size_t k = 0; k < sizeof spans / sizeof spans[0]; ++k) {
        for (size_t first = 0; first < n; first += spans[k]) {
            size_t c = n - first < spans[k] ? n - first : spans[k];
            memset(buf, 0xAB, c * per);
            CHECK_OK(gt_dataset_read_images(st, first, c, buf));
            CHECK_MSG(memcmp(buf, gt_dataset_images(ref) + first * per, c * per) == 0,
                      "%s: examples %zu..%zu differ", what, first, first + c - 1);
        }
    }
    CHECK_FAILS_WITH(gt_dataset_read_images(st, n - 1, 2, buf), GT_ERR_INVALID_ARGUMENT,
                     "requested");
    /* a slice is a view reading its own range */
    gt_dataset *part = NULL;
    CHECK_OK(gt_dataset_slice(st, 50, 60, &part));
    if (part) {
        CHECK(gt_dataset_is_streamed(part) && gt_dataset_count(part) == 60);
        CHECK_OK(gt_dataset_read_images(part, 0, 60, buf));
        CHECK(memcmp(buf, gt_dataset_images(ref) + 50 * per, 60 * per) == 0);
        CHECK(gt_dataset_labels(part)[3] == gt_dataset_labels(ref)[53]);
        gt_dataset *res = NULL;
        CHECK_OK(gt_dataset_load_resident(part, &res));
        if (res) {
            CHECK(!gt_dataset_is_streamed(res) && gt_dataset_count(res) == 60);
            CHECK(memcmp(gt_dataset_images(res), gt_dataset_images(ref) + 50 * per, 60 * per) == 0);
        }
        gt_dataset_free(res);
    }
    gt_dataset *whole = NULL;
    CHECK_OK(gt_dataset_load_resident(st, &whole));
    if (whole) {
        CHECK(memcmp(gt_dataset_images(whole), gt_dataset_images(ref), n * per) == 0);
        CHECK(memcmp(gt_dataset_labels(whole), gt_dataset_labels(ref), n * 4) == 0);
    }
    gt_dataset_free(whole);
    /* the view outlives its parent: the source is shared */
    gt_dataset *view = NULL;
    CHECK_OK(gt_dataset_slice(st, 10, 5, &view));
    gt_dataset_free(part);
    if (view) {
        CHECK_OK(gt_dataset_read_images(view, 0, 5, buf));
        CHECK(memcmp(buf, gt_dataset_images(ref) + 10 * per, 5 * per) == 0);
    }
    free(buf);
    CHECK(gt_dataset_resident_bytes(st) == n * (per + 4));
    CHECK(gt_dataset_stream_how(st) != NULL);
    gt_dataset_free(view);
}

static void test_idx(const char *dir, const gt_dataset *ref)
{
    char img[4200], lab[4200];
    for (int gz = 0; gz <= 1; ++gz) {
        snprintf(img, sizeof img, "%s/img%d", dir, gz);
        snprintf(lab, sizeof lab, "%s/lab%d", dir, gz);
        CHECK(gt_test_write_idx(ref, img, lab, gz));
        gt_dataset *st = NULL;
        CHECK_OK(gt_dataset_open_idx(img, lab, 5, &st));
        if (!st) continue;
        check_reads(ref, st, gz ? "idx gzip" : "idx raw");
        CHECK(strstr(gt_dataset_stream_how(st), gz ? "inflated" : "raw IDX") != NULL);
        gt_dataset_free(st);
    }
    /* the loader's refusals, at open */
    snprintf(img, sizeof img, "%s/img0", dir);
    snprintf(lab, sizeof lab, "%s/lab0", dir);
    char cut[4200];
    snprintf(cut, sizeof cut, "%s/cut", dir);
    char cmd[16000];
    snprintf(cmd, sizeof cmd, "head -c 10000 '%s' > '%s'", img, cut);
    CHECK(system(cmd) == 0);
    gt_dataset *st = NULL;
    CHECK_FAILS_WITH(gt_dataset_open_idx(cut, lab, 5, &st), GT_ERR_FORMAT, "file is truncated");
    snprintf(cmd, sizeof cmd, "cat '%s' '%s' > '%s'", img, lab, cut);
    CHECK(system(cmd) == 0);
    CHECK_FAILS_WITH(gt_dataset_open_idx(cut, lab, 5, &st), GT_ERR_FORMAT, "trailing garbage");
    CHECK_FAILS_WITH(gt_dataset_open_idx(lab, lab, 5, &st), GT_ERR_FORMAT, "is this a label file");
    CHECK_FAILS_WITH(gt_dataset_open_idx(img, lab, 3, &st), GT_ERR_FORMAT, "out of range");

    /* shrinks after open: an error naming the file and the example */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", img, cut);
    CHECK(system(cmd) == 0);
    CHECK_OK(gt_dataset_open_idx(cut, lab, 5, &st));
    if (st) {
        uint8_t buf[144 * 10];
        CHECK_OK(gt_dataset_read_images(st, 190, 10, buf));
        CHECK(gt_test_truncate(cut, 16 + 144 * 100 + 50));
        CHECK_FAILS_WITH(gt_dataset_read_images(st, 95, 10, buf), GT_ERR_IO,
                         "shrank while it was being read");
        CHECK_FAILS_WITH(gt_dataset_read_images(st, 95, 10, buf), GT_ERR_IO, "example 100");
        CHECK_OK(gt_dataset_read_images(st, 0, 10, buf)); /* what is still there reads */
        gt_dataset_free(st);
    }
}

#ifdef GTRAIN_HAVE_HDF5
static void test_hdf5(const char *dir, const gt_dataset *ref)
{
    struct {
        int chunk, compress, as_float;
        const char *how;
    } kinds[] = {{0, 0, 0, "contiguous"},
                 {16, 0, 0, "chunks of 16 examples"},
                 {32, 1, 0, "compressed"},
                 {0, 0, 1, "contiguous"}};
    char path[4200];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
        snprintf(path, sizeof path, "%s/d%zu.h5", dir, k);
        CHECK(gt_test_write_hdf5(ref, path, kinds[k].chunk, kinds[k].compress, kinds[k].as_float));
        gt_dataset *st = NULL;
        CHECK_OK(gt_dataset_open_hdf5(path, NULL, NULL, &st));
        if (!st) continue;
        check_reads(ref, st, kinds[k].how);
        CHECK_MSG(strstr(gt_dataset_stream_how(st), kinds[k].how) != NULL, "how: %s",
                  gt_dataset_stream_how(st));
        CHECK(strstr(gt_dataset_origin(st), ":d_x") != NULL);
        gt_dataset_free(st);
    }
    /* truncated copies: refused at open, naming the missing examples or chunk */
    char cut[4200], cmd[16000];
    snprintf(cut, sizeof cut, "%s/cut.h5", dir);
    gt_dataset *st = NULL;
    for (int chunked = 0; chunked <= 1; ++chunked) {
        snprintf(path, sizeof path, "%s/d%d.h5", dir, chunked);
        struct stat fs;
        CHECK(stat(path, &fs) == 0);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, cut);
        CHECK(system(cmd) == 0);
        /* the labels are written after the images: cut into the images only */
        CHECK(gt_test_truncate(cut, 4096 + 144 * 150));
        gt_status s = gt_dataset_open_hdf5(cut, NULL, NULL, &st);
        CHECK_MSG(s != GT_OK && strstr(gt_last_error(), "cut.h5") != NULL &&
                      (strstr(gt_last_error(), "truncated") || strstr(gt_last_error(), "corrupt")),
                  "truncated %s: %s", chunked ? "chunked" : "contiguous", gt_last_error());
        gt_dataset_free(st);
        st = NULL;
    }
    /* shrinks after open */
    snprintf(path, sizeof path, "%s/d1.h5", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, cut);
    CHECK(system(cmd) == 0);
    CHECK_OK(gt_dataset_open_hdf5(cut, "d_x", "d_y", &st));
    if (st) {
        uint8_t buf[144 * 10];
        CHECK(gt_test_truncate(cut, 3000));
        CHECK_FAILS_WITH(gt_dataset_read_images(st, 190, 10, buf), GT_ERR_IO,
                         "cut.h5 shrank while it was being read");
        CHECK_FAILS_WITH(gt_dataset_read_images(st, 190, 10, buf), GT_ERR_IO, "examples 190..199");
        gt_dataset_free(st);
    }
    CHECK_FAILS_WITH(gt_dataset_open_hdf5(dir, NULL, NULL, &st), GT_ERR_IO, "not a regular file");
}
#endif

int main(void)
{
    char dir[4096];
    if (!gt_test_tmpdir(dir, sizeof dir)) TEST_SKIP("no temporary directory");
    gt_dataset *ref = reference_data();
    if (ref) {
        test_idx(dir, ref);
#ifdef GTRAIN_HAVE_HDF5
        test_hdf5(dir, ref);
#endif
    }
    gt_dataset_free(ref);
    gt_test_rmdir(dir);
    TEST_EXIT();
}
