/* IDX loading: good files (raw and gzip), every kind of bad file with its
 * message, the named-dataset lookup, and slicing/copying datasets. All files
 * are generated in a temporary directory, so no real data is needed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "test_util.h"

static char tmp_dir[64];

static const char *tmp_path(const char *name)
{
    static char paths[8][512];
    static int next = 0;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", tmp_dir, name);
    return p;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes bytes raw, or gzip-compressed when the name ends in ".gz". */
static void write_file(const char *path, const uint8_t *bytes, size_t len)
{
    size_t name_len = strlen(path);
    if (name_len > 3 && strcmp(path + name_len - 3, ".gz") == 0) {
        gzFile gz = gzopen(path, "wb");
        if (!gz || (len && gzwrite(gz, bytes, (unsigned)len) != (int)len) || gzclose(gz) != Z_OK) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(1);
        }
        return;
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* An IDX image file in memory: header + count*rows*cols pixels, pixel value
 * (i * 7 + j) & 255 at byte j of image i, so contents can be checked. */
static uint8_t *make_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols,
                            size_t *len)
{
    size_t pixels = (size_t)count * rows * cols;
    uint8_t *buf = malloc(16 + pixels);
    put_be32(buf, magic);
    put_be32(buf + 4, count);
    put_be32(buf + 8, rows);
    put_be32(buf + 12, cols);
    for (size_t i = 0; i < count; ++i)
        for (size_t j = 0; j < (size_t)rows * cols; ++j)
            buf[16 + i * rows * cols + j] = (uint8_t)((i * 7 + j) & 255);
    *len = 16 + pixels;
    return buf;
}

static uint8_t *make_labels(uint32_t magic, uint32_t count, size_t *len)
{
    uint8_t *buf = malloc(8 + count);
    put_be32(buf, magic);
    put_be32(buf + 4, count);
    for (uint32_t i = 0; i < count; ++i)
        buf[8 + i] = (uint8_t)(i % 10);
    *len = 8 + count;
    return buf;
}

/* Writes a good pair of 5 images of 4x3 and 5 labels under the given names. */
static void write_good_pair(const char *images, const char *labels)
{
    size_t len = 0;
    uint8_t *img = make_images(0x803, 5, 4, 3, &len);
    write_file(tmp_path(images), img, len);
    free(img);
    uint8_t *lab = make_labels(0x801, 5, &len);
    write_file(tmp_path(labels), lab, len);
    free(lab);
}

static void check_good_dataset(const gt_dataset *ds)
{
    CHECK(gt_dataset_count(ds) == 5);
    gt_shape3 s = gt_dataset_shape(ds);
    CHECK(s.h == 4 && s.w == 3 && s.c == 1);
    CHECK(gt_dataset_num_classes(ds) == 10);
    const uint8_t *px = gt_dataset_images(ds);
    const int32_t *lab = gt_dataset_labels(ds);
    int pixels_ok = 1;
    for (size_t i = 0; i < 5; ++i)
        for (size_t j = 0; j < 12; ++j)
            if (px[i * 12 + j] != (uint8_t)((i * 7 + j) & 255)) pixels_ok = 0;
    CHECK(pixels_ok);
    for (int i = 0; i < 5; ++i)
        CHECK(lab[i] == i % 10);
}

static void test_good_files(void)
{
    const char *kinds[4][2] = {
        {"a-img", "a-lab"}, {"b-img.gz", "b-lab.gz"}, {"c-img.gz", "c-lab"}, {"d-img", "d-lab.gz"}};
    for (int k = 0; k < 4; ++k) {
        write_good_pair(kinds[k][0], kinds[k][1]);
        gt_dataset *ds = NULL;
        CHECK_OK(gt_dataset_load_idx(tmp_path(kinds[k][0]), tmp_path(kinds[k][1]), 10, &ds));
        if (!ds) continue;
        check_good_dataset(ds);
        CHECK(strcmp(gt_dataset_origin(ds), tmp_path(kinds[k][0])) == 0);
        CHECK(gt_dataset_class_name(ds, 0) == NULL); /* plain IDX files have no names */
        gt_dataset_free(ds);
    }
}

/* Writes a (possibly broken) image file; the labels are the good 5-label file. */
static gt_status load_with_images(const uint8_t *bytes, size_t len, const char *name)
{
    write_file(tmp_path(name), bytes, len);
    gt_dataset *ds = NULL;
    gt_status s = gt_dataset_load_idx(tmp_path(name), tmp_path("a-lab"), 10, &ds);
    gt_dataset_free(ds);
    if (s != GT_OK) CHECK(ds == NULL);
    return s;
}

static gt_status load_with_labels(const uint8_t *bytes, size_t len, const char *name)
{
    write_file(tmp_path(name), bytes, len);
    gt_dataset *ds = NULL;
    gt_status s = gt_dataset_load_idx(tmp_path("a-img"), tmp_path(name), 10, &ds);
    gt_dataset_free(ds);
    return s;
}

static void test_bad_headers(void)
{
    size_t len = 0;
    uint8_t *img = make_images(0x803, 5, 4, 3, &len);

    uint8_t bad[16 + 60 + 8];
    memcpy(bad, img, len);
    put_be32(bad, 0x12345678);
    CHECK_FAILS_WITH(load_with_images(bad, len, "magic"), GT_ERR_FORMAT,
                     "bad magic number 0x12345678, expected 0x00000803");
    CHECK_FAILS_WITH(load_with_images(bad, len, "magic.gz"), GT_ERR_FORMAT,
                     "magic.gz: not an IDX file");

    memcpy(bad, img, len);
    bad[2] = 0x0D; /* float32 */
    CHECK_FAILS_WITH(load_with_images(bad, len, "dtype"), GT_ERR_FORMAT,
                     "element type byte 0x0D (float32), expected 0x08");

    memcpy(bad, img, len);
    bad[3] = 2;
    CHECK_FAILS_WITH(load_with_images(bad, len, "rank"), GT_ERR_FORMAT,
                     "rank byte 2, expected 3 (magic 0x00000803");

    /* Image and label paths swapped: both messages say so. */
    gt_dataset *ds = NULL;
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("a-lab"), tmp_path("a-img"), 10, &ds),
                     GT_ERR_FORMAT, "is this an image file?");
    size_t lab_len = 0;
    uint8_t *lab = make_labels(0x801, 5, &lab_len);
    CHECK_FAILS_WITH(load_with_images(lab, lab_len, "labels-as-images"), GT_ERR_FORMAT,
                     "is this a label file?");

    CHECK_FAILS_WITH(load_with_images(img, 3, "short"), GT_ERR_FORMAT,
                     "file has 3 bytes, too short for an IDX header");
    CHECK_FAILS_WITH(load_with_images(img, 10, "short-dims"), GT_ERR_FORMAT,
                     "IDX header is cut short: expected 16 bytes, found 10");
    CHECK_FAILS_WITH(load_with_images(img, 0, "empty.gz"), GT_ERR_FORMAT, "file has 0 bytes");

    memcpy(bad, img, len);
    put_be32(bad + 8, 0);
    CHECK_FAILS_WITH(load_with_images(bad, len, "zero-rows"), GT_ERR_FORMAT,
                     "each image is 0 x 3 pixels");
    memcpy(bad, img, len);
    put_be32(bad + 12, 3000000);
    CHECK_FAILS_WITH(load_with_images(bad, len, "huge-cols"), GT_ERR_FORMAT,
                     "each image is 4 x 3000000 pixels");
    uint8_t *zero = make_images(0x803, 0, 4, 3, &len);
    CHECK_FAILS_WITH(load_with_images(zero, len, "zero-count"), GT_ERR_FORMAT, "holds 0 images");
    free(zero);
    memcpy(bad, img, 16 + 60);
    put_be32(bad + 4, 0xFFFFFFFFu);
    CHECK_FAILS_WITH(load_with_images(bad, 16 + 60, "huge-count"), GT_ERR_FORMAT,
                     "4294967295 images, an absurd count");

    put_be32(lab + 4, 0);
    CHECK_FAILS_WITH(load_with_labels(lab, 8, "zero-labels"), GT_ERR_FORMAT, "holds 0 labels");
    free(lab);
    free(img);
}

static void test_bad_payloads(void)
{
    size_t len = 0;
    uint8_t *img = make_images(0x803, 5, 4, 3, &len);

    CHECK_FAILS_WITH(load_with_images(img, len - 7, "trunc"), GT_ERR_FORMAT,
                     "truncated: expected 60 bytes of pixels, found 53");
    CHECK_FAILS_WITH(load_with_images(img, len - 7, "trunc.gz"), GT_ERR_FORMAT,
                     "trunc.gz: file is truncated: expected 60 bytes of pixels, found 53");
    /* A count larger than the data reads to the end, then says how much there was. */
    uint8_t *big = make_images(0x803, 5, 4, 3, &len);
    put_be32(big + 4, 50000);
    size_t big_labels_len = 0;
    uint8_t *big_labels = make_labels(0x801, 50000, &big_labels_len);
    write_file(tmp_path("big-lab"), big_labels, big_labels_len);
    write_file(tmp_path("big-img"), big, len);
    gt_dataset *ds = NULL;
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("big-img"), tmp_path("big-lab"), 10, &ds),
                     GT_ERR_FORMAT, "expected 600000 bytes of pixels, found 60");
    free(big);
    free(big_labels);

    uint8_t *longer = malloc(len + 5);
    memcpy(longer, img, len);
    memset(longer + len, 0xAB, 5);
    CHECK_FAILS_WITH(load_with_images(longer, len + 5, "trailing"), GT_ERR_FORMAT,
                     "5 bytes of trailing garbage after the 60-byte payload");
    CHECK_FAILS_WITH(load_with_images(longer, len + 5, "trailing.gz"), GT_ERR_FORMAT,
                     "trailing.gz: 5 bytes of trailing garbage");
    free(longer);

    /* Count mismatch: 6 images against 5 labels. */
    size_t six_len = 0;
    uint8_t *six = make_images(0x803, 6, 4, 3, &six_len);
    write_file(tmp_path("six-img"), six, six_len);
    free(six);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s has 6 images but %s has 5 labels", tmp_path("six-img"),
             tmp_path("a-lab"));
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("six-img"), tmp_path("a-lab"), 10, &ds),
                     GT_ERR_FORMAT, expected);

    /* Label out of range for the class count. */
    size_t lab_len = 0;
    uint8_t *lab = make_labels(0x801, 5, &lab_len);
    lab[8 + 3] = 12;
    CHECK_FAILS_WITH(load_with_labels(lab, lab_len, "bad-label"), GT_ERR_FORMAT,
                     "label 12 at index 3 is out of range for 10 classes (expected 0..9)");
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("a-img"), tmp_path("a-lab"), 3, &ds),
                     GT_ERR_FORMAT, "label 3 at index 3 is out of range for 3 classes");
    free(lab);
    free(img);
}

/* A gzip file whose deflate data is damaged, and one whose CRC is wrong. */
static void test_corrupt_gzip(void)
{
    write_good_pair("gz-img.gz", "gz-lab.gz");
    FILE *f = fopen(tmp_path("gz-img.gz"), "rb");
    uint8_t bytes[4096];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    CHECK(n > 30);

    uint8_t damaged[4096];
    memcpy(damaged, bytes, n);
    for (size_t i = 10; i < n - 8; ++i)
        damaged[i] = 0xFF; /* deflate stream: invalid blocks */
    CHECK_FAILS_WITH(load_with_images(damaged, n, "damaged-raw-name"), GT_ERR_FORMAT,
                     "corrupt gzip stream (zlib: ");

    memcpy(damaged, bytes, n);
    damaged[n - 8] ^= 0x55; /* CRC32 of the trailer */
    CHECK_FAILS_WITH(load_with_images(damaged, n, "crc"), GT_ERR_FORMAT,
                     "corrupt gzip stream (zlib: incorrect data check)");

    /* The data is complete but the 8-byte trailer is missing. */
    CHECK_FAILS_WITH(load_with_images(bytes, n - 8, "no-trailer"), GT_ERR_FORMAT,
                     "corrupt gzip stream");
    /* Cut in the middle of the deflate data. */
    CHECK_FAILS_WITH(load_with_images(bytes, n / 2 + 10, "cut"), GT_ERR_FORMAT, "cut");
}

static void test_io_errors(void)
{
    gt_dataset *ds = NULL;
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("missing"), tmp_path("a-lab"), 10, &ds),
                     GT_ERR_IO, "No such file or directory");
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("a-img"), tmp_path("missing-lab"), 10, &ds),
                     GT_ERR_IO, "cannot open /tmp/gtrain_test_idx_");
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("a-img"), tmp_dir, 10, &ds), GT_ERR_IO,
                     "Is a directory");
    CHECK_FAILS_WITH(gt_dataset_load_idx(tmp_path("a-img"), tmp_path("a-lab"), 0, &ds),
                     GT_ERR_INVALID_ARGUMENT, "num_classes is 0");
    CHECK(ds == NULL);
}

static void test_named(void)
{
    /* ctest points GTRAIN_TEST_DATA at the real data; these cases use their own */
    unsetenv("GTRAIN_TEST_DATA");
    unsetenv("GTRAIN_DATA_DIR");
    /* A directory with Fashion-MNIST-named files: train gzip, test raw. */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/named", tmp_dir);
    CHECK(mkdir(dir, 0755) == 0);
    write_good_pair("named/train-images-idx3-ubyte.gz", "named/train-labels-idx1-ubyte.gz");
    write_good_pair("named/t10k-images-idx3-ubyte", "named/t10k-labels-idx1-ubyte");

    gt_dataset *ds = NULL;
    CHECK_OK(gt_dataset_load_named("fashion-mnist", dir, "train", &ds));
    if (ds) {
        check_good_dataset(ds);
        CHECK(strstr(gt_dataset_origin(ds), "named/train-images-idx3-ubyte.gz") != NULL);
        CHECK(strcmp(gt_dataset_class_name(ds, 0), "T-shirt/top") == 0);
        CHECK(strcmp(gt_dataset_class_name(ds, 8), "Bag") == 0);
        CHECK(strcmp(gt_dataset_class_name(ds, 9), "Ankle boot") == 0);
        CHECK(gt_dataset_class_name(ds, 10) == NULL);
        CHECK(gt_dataset_class_name(ds, -1) == NULL);
        gt_dataset_free(ds);
        ds = NULL;
    }
    CHECK_OK(gt_dataset_load_named("mnist", dir, "test", &ds));
    if (ds) {
        check_good_dataset(ds);
        CHECK(strstr(gt_dataset_origin(ds), "named/t10k-images-idx3-ubyte") != NULL);
        CHECK(strcmp(gt_dataset_class_name(ds, 7), "7") == 0);
        gt_dataset_free(ds);
        ds = NULL;
    }

    /* GTRAIN_DATA_DIR when no directory is passed; an explicit one wins. */
    setenv("GTRAIN_DATA_DIR", dir, 1);
    CHECK_OK(gt_dataset_load_named("mnist", NULL, "train", &ds));
    gt_dataset_free(ds);
    ds = NULL;
    CHECK_FAILS_WITH(gt_dataset_load_named("fashion-mnist", tmp_dir, "train", &ds), GT_ERR_IO,
                     "(--data-dir)");
    unsetenv("GTRAIN_DATA_DIR");

    /* Missing files: both paths tried, and how to get the data. */
    char expected[1400];
    snprintf(expected, sizeof expected,
             "tried %s/train-images-idx3-ubyte.gz and %s/train-images-idx3-ubyte", tmp_dir,
             tmp_dir);
    CHECK_FAILS_WITH(gt_dataset_load_named("fashion-mnist", tmp_dir, "train", &ds), GT_ERR_IO,
                     expected);
    CHECK_FAILS_WITH(gt_dataset_load_named("fashion-mnist", tmp_dir, "test", &ds), GT_ERR_IO,
                     "Fashion-MNIST test images not found");
    CHECK_FAILS_WITH(gt_dataset_load_named("fashion-mnist", tmp_dir, "test", &ds), GT_ERR_IO,
                     "apt-get install dataset-fashion-mnist");
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", tmp_dir, "test", &ds), GT_ERR_IO,
                     "t10k-images-idx3-ubyte.gz and");
    /* Images present, labels missing: the message names the labels. */
    write_good_pair("t10k-images-idx3-ubyte", "unrelated-labels");
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", tmp_dir, "test", &ds), GT_ERR_IO,
                     "MNIST test labels not found");
    setenv("GTRAIN_DATA_DIR", tmp_dir, 1);
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", NULL, "test", &ds), GT_ERR_IO,
                     "(GTRAIN_DATA_DIR; --data-dir not given)");
    unsetenv("GTRAIN_DATA_DIR");
    /* Nowhere to look: the message lists every place and how to fix it. */
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", NULL, "test", &ds), GT_ERR_INVALID_ARGUMENT,
                     "--data-dir was not given and neither GTRAIN_DATA_DIR nor GTRAIN_TEST_DATA "
                     "is set");
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", NULL, "test", &ds), GT_ERR_INVALID_ARGUMENT,
                     "pass --data-dir");
    CHECK_FAILS_WITH(gt_dataset_load_named("cifar10", dir, "test", &ds), GT_ERR_INVALID_ARGUMENT,
                     "unknown dataset 'cifar10'");
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", dir, "validation", &ds),
                     GT_ERR_INVALID_ARGUMENT, "unknown split 'validation'");
    CHECK(ds == NULL);
}

/* MNIST's default place is $GTRAIN_TEST_DATA/mnist, after --data-dir and
 * GTRAIN_DATA_DIR; an explicit directory without the files is an error, not
 * a reason to look further. */
static void test_mnist_lookup(void)
{
    char root[600], mnist[700], other[700];
    snprintf(root, sizeof root, "%s/testdata", tmp_dir);
    snprintf(mnist, sizeof mnist, "%s/mnist", root);
    snprintf(other, sizeof other, "%s/other", tmp_dir);
    CHECK(mkdir(root, 0755) == 0 && mkdir(mnist, 0755) == 0 && mkdir(other, 0755) == 0);
    write_good_pair("testdata/mnist/train-images-idx3-ubyte.gz",
                    "testdata/mnist/train-labels-idx1-ubyte.gz");
    unsetenv("GTRAIN_DATA_DIR");
    setenv("GTRAIN_TEST_DATA", root, 1);
    gt_dataset *ds = NULL;
    CHECK_OK(gt_dataset_load_named("mnist", NULL, "train", &ds));
    if (ds) {
        check_good_dataset(ds);
        CHECK(strstr(gt_dataset_origin(ds), "testdata/mnist/train-images-idx3-ubyte.gz") != NULL);
        gt_dataset_free(ds);
        ds = NULL;
    }
    /* "" counts as not given, as an unset variable does */
    CHECK_OK(gt_dataset_load_named("mnist", "", "train", &ds));
    gt_dataset_free(ds);
    ds = NULL;
    /* the test split is missing there: the message names the place and its source */
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", NULL, "test", &ds), GT_ERR_IO,
                     "(GTRAIN_TEST_DATA/mnist; neither --data-dir nor GTRAIN_DATA_DIR given)");
    /* --data-dir and GTRAIN_DATA_DIR come first and are not passed over */
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", other, "train", &ds), GT_ERR_IO,
                     "(--data-dir)");
    setenv("GTRAIN_DATA_DIR", other, 1);
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", NULL, "train", &ds), GT_ERR_IO,
                     "MNIST train images not found in");
    CHECK_FAILS_WITH(gt_dataset_load_named("mnist", NULL, "train", &ds), GT_ERR_IO,
                     "(GTRAIN_DATA_DIR; --data-dir not given)");
    unsetenv("GTRAIN_DATA_DIR");
    /* Fashion-MNIST keeps its own default directory and never reads GTRAIN_TEST_DATA */
    CHECK_FAILS_WITH(gt_dataset_load_named("fashion-mnist", other, "train", &ds), GT_ERR_IO,
                     "apt-get install dataset-fashion-mnist");
    unsetenv("GTRAIN_TEST_DATA");
    CHECK(ds == NULL);
}

static void test_memory_and_slice(void)
{
    uint8_t images[4 * 2 * 2 * 3];
    for (size_t i = 0; i < sizeof images; ++i)
        images[i] = (uint8_t)i;
    int32_t labels[4] = {0, 1, 2, 1};
    gt_shape3 shape = {2, 2, 3};
    gt_dataset *ds = NULL;
    CHECK_OK(gt_dataset_from_memory(images, labels, 4, shape, 3, &ds));
    if (!ds) return;
    images[0] = 200; /* the dataset holds a copy */
    CHECK(gt_dataset_images(ds)[0] == 0);
    CHECK(gt_dataset_count(ds) == 4 && gt_dataset_num_classes(ds) == 3);
    CHECK(gt_dataset_shape(ds).c == 3);
    CHECK(gt_dataset_class_name(ds, 1) == NULL);

    gt_dataset *part = NULL;
    CHECK_OK(gt_dataset_slice(ds, 1, 2, &part));
    if (part) {
        CHECK(gt_dataset_count(part) == 2);
        CHECK(gt_dataset_images(part)[0] == 12 && gt_dataset_images(part)[23] == 35);
        CHECK(gt_dataset_labels(part)[0] == 1 && gt_dataset_labels(part)[1] == 2);
        CHECK(strstr(gt_dataset_origin(part), "[1:3]") != NULL);
    }
    gt_dataset_free(ds); /* the slice outlives its source */
    if (part) CHECK(gt_dataset_labels(part)[1] == 2);
    gt_dataset *empty = NULL;
    if (part) CHECK_OK(gt_dataset_slice(part, 2, 0, &empty));
    CHECK(gt_dataset_count(empty) == 0);
    gt_dataset_free(empty);
    CHECK_FAILS_WITH(gt_dataset_slice(part, 1, 2, &empty), GT_ERR_INVALID_ARGUMENT,
                     "slice of 2 examples from index 1 does not fit in its 2 examples");
    gt_dataset_free(part);

    labels[2] = 3;
    CHECK_FAILS_WITH(gt_dataset_from_memory(images, labels, 4, shape, 3, &ds),
                     GT_ERR_INVALID_ARGUMENT, "label 3 at index 2 is out of range for 3 classes");
    labels[2] = -1;
    CHECK_FAILS_WITH(gt_dataset_from_memory(images, labels, 4, shape, 3, &ds),
                     GT_ERR_INVALID_ARGUMENT, "label -1 at index 2");
    gt_shape3 bad_shape = {0, 2, 3};
    CHECK_FAILS_WITH(gt_dataset_from_memory(images, labels, 1, bad_shape, 3, &ds),
                     GT_ERR_INVALID_ARGUMENT, "example shape 0x2x3 is invalid");
    CHECK_FAILS_WITH(gt_dataset_from_memory(NULL, labels, 1, shape, 3, &ds),
                     GT_ERR_INVALID_ARGUMENT, "must not be NULL");
    CHECK(ds == NULL);
}

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/gtrain_test_idx_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_good_files();
    test_bad_headers();
    test_bad_payloads();
    test_corrupt_gzip();
    test_io_errors();
    test_named();
    test_mnist_lookup();
    test_memory_and_slice();

    /* Leave nothing behind when all passed; keep the files to inspect otherwise. */
    if (!gt_test_failures) {
        char command[128];
        snprintf(command, sizeof command, "rm -rf '%s'", tmp_dir);
        if (system(command) != 0) fprintf(stderr, "could not remove %s\n", tmp_dir);
    } else {
        fprintf(stderr, "test files kept in %s\n", tmp_dir);
    }
    TEST_EXIT();
}
