/* The named datasets, "fashion-mnist" and "mnist": where their IDX files are
 * looked for and what to do when they are missing.
 *
 * The directory is the first of: --data-dir, GTRAIN_DATA_DIR, then the
 * dataset's own default: for Fashion-MNIST the Debian package's directory,
 * for MNIST the project's test data, $GTRAIN_TEST_DATA/mnist (../shared/data
 * beside the clone; the tests and CI set it). An explicit directory is never
 * silently replaced by a later one: a wrong --data-dir is an error that says
 * so. Messages name the directory, where it came from and the places that
 * were not set, so a stale variable is easy to spot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset_internal.h"
#include "gtrain/status.h"

typedef struct named_dataset {
    const char *name;         /* as accepted on the command line */
    const char *display_name; /* for messages */
    const char *const *class_names;
    const char *default_dir;  /* a fixed default directory, or NULL */
    const char *default_root; /* else an environment variable ... */
    const char *default_sub;  /* ... whose value/<default_sub> is the default */
    const char *how_to_get;   /* the end of a "not found" message */
} named_dataset;

#define GT_SET_DIR_HINT "pass --data-dir DIR or set GTRAIN_DATA_DIR to a directory holding"
#define GT_FASHION_HINT                                                                            \
    "Install the dataset with `apt-get install dataset-fashion-mnist`, or " GT_SET_DIR_HINT        \
    " the IDX files"
#define GT_MNIST_HINT                                                                              \
    "To fix: " GT_SET_DIR_HINT " the MNIST IDX files, or set GTRAIN_TEST_DATA to a directory "     \
    "whose mnist/ folder holds them (the project's ../shared/data)"

static const named_dataset known_datasets[] = {
    {"fashion-mnist", "Fashion-MNIST", gt_fashion_mnist_class_names, GT_FASHION_MNIST_DEFAULT_DIR,
     NULL, NULL, GT_FASHION_HINT},
    {"fashion_mnist", "Fashion-MNIST", gt_fashion_mnist_class_names, GT_FASHION_MNIST_DEFAULT_DIR,
     NULL, NULL, GT_FASHION_HINT}, /* Keras' spelling */
    {"mnist", "MNIST", gt_digit_class_names, NULL, "GTRAIN_TEST_DATA", "mnist", GT_MNIST_HINT},
};

/* The directory chosen for a dataset and, for messages, where it came from. */
typedef struct data_dir {
    char path[4096];
    char source[256];
} data_dir;

static const char *env_value(const char *name)
{
    const char *v = name ? getenv(name) : NULL;
    return v && *v ? v : NULL;
}

static gt_status choose_dir(const named_dataset *known, const char *dir, const char *prefix,
                            data_dir *out)
{
    const char *chosen = NULL;
    if (dir && *dir) {
        chosen = dir;
        snprintf(out->source, sizeof out->source, "--data-dir");
    } else if ((chosen = env_value("GTRAIN_DATA_DIR")) != NULL) {
        snprintf(out->source, sizeof out->source, "GTRAIN_DATA_DIR; --data-dir not given");
    } else if (known->default_dir) {
        chosen = known->default_dir;
        snprintf(out->source, sizeof out->source,
                 "the default directory; neither --data-dir nor GTRAIN_DATA_DIR given");
    } else if (env_value(known->default_root)) {
        int n = snprintf(out->path, sizeof out->path, "%s/%s", env_value(known->default_root),
                         known->default_sub);
        if (n < 0 || (size_t)n >= sizeof out->path)
            return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s is too long a path", known->default_root);
        snprintf(out->source, sizeof out->source,
                 "%s/%s; neither --data-dir nor GTRAIN_DATA_DIR given", known->default_root,
                 known->default_sub);
        return GT_OK;
    } else {
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: no directory to look in for %s-images-idx3-ubyte(.gz) and "
                       "%s-labels-idx1-ubyte(.gz): --data-dir was not given and neither "
                       "GTRAIN_DATA_DIR nor %s is set. %s",
                       known->display_name, prefix, prefix, known->default_root, known->how_to_get);
    }
    int n = snprintf(out->path, sizeof out->path, "%s", chosen);
    if (n < 0 || (size_t)n >= sizeof out->path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "data directory path is too long: %s", chosen);
    return GT_OK;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Finds dir/<base>.gz, else dir/<base>; on failure names both paths tried and
 * how to get the files. */
static gt_status find_idx_file(const named_dataset *known, const char *split, const char *what,
                               const data_dir *dir, const char *base, char *path, size_t path_size)
{
    char gz_path[4200];
    int n_gz = snprintf(gz_path, sizeof gz_path, "%s/%s.gz", dir->path, base);
    int n_raw = snprintf(path, path_size, "%s/%s", dir->path, base);
    if (n_gz < 0 || (size_t)n_gz >= sizeof gz_path || n_raw < 0 || (size_t)n_raw >= path_size)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "data directory path is too long: %s", dir->path);
    if (file_exists(gz_path)) {
        snprintf(path, path_size, "%s", gz_path);
        return GT_OK;
    }
    if (file_exists(path)) return GT_OK;
    return gt_fail(GT_ERR_IO, "%s %s %s not found in %s (%s): tried %s and %s. %s",
                   known->display_name, split, what, dir->path, dir->source, gz_path, path,
                   known->how_to_get);
}

typedef gt_status (*idx_opener)(const char *images_path, const char *labels_path, int num_classes,
                                gt_dataset **out);

/* Finds the named dataset's files and hands them to `open` (the resident
 * loader or the streaming one). */
static gt_status open_named(const char *what, idx_opener open, const char *name, const char *dir,
                            const char *split, gt_dataset **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: out must not be NULL", what);
    *out = NULL;
    const named_dataset *known = NULL;
    for (size_t i = 0; name && i < sizeof known_datasets / sizeof known_datasets[0]; ++i)
        if (strcmp(name, known_datasets[i].name) == 0) known = &known_datasets[i];
    if (!known)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "unknown dataset '%s': expected fashion-mnist or mnist",
                       name ? name : "(null)");
    const char *prefix = NULL;
    if (split && strcmp(split, "train") == 0) prefix = "train";
    if (split && strcmp(split, "test") == 0) prefix = "t10k";
    if (!prefix)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown split '%s' of %s: expected train or test",
                       split ? split : "(null)", known->display_name);

    data_dir where;
    GT_TRY(choose_dir(known, dir, prefix, &where));
    char base[64], images_path[4300], labels_path[4300];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    GT_TRY(find_idx_file(known, split, "images", &where, base, images_path, sizeof images_path));
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    GT_TRY(find_idx_file(known, split, "labels", &where, base, labels_path, sizeof labels_path));
    GT_TRY(open(images_path, labels_path, 10, out));
    gt_dataset_set_class_names(*out, known->class_names);
    return GT_OK;
}

gt_status gt_dataset_load_named(const char *name, const char *dir, const char *split,
                                gt_dataset **out)
{
    return open_named("gt_dataset_load_named", gt_dataset_load_idx, name, dir, split, out);
}

gt_status gt_dataset_open_named(const char *name, const char *dir, const char *split,
                                gt_dataset **out)
{
    return open_named("gt_dataset_open_named", gt_dataset_open_idx, name, dir, split, out);
}
