/* HDF5 image datasets, as the SIGNS files of notebook 001 hold them:
 *
 *     train_set_x  (1080, 64, 64, 3) uint8     images, NHWC
 *     train_set_y  (1080,)           int64     labels
 *     list_classes (6,)              int64     the classes (or their names)
 *
 * gtrain datasets are uint8, so images of another numeric type are accepted
 * only when every value is an integer in 0..255 (converted exactly); images
 * scaled to [0, 1] are refused with a message saying how to store them.
 * Every refusal names the file and the dataset, what was expected and what
 * was found, as the IDX loader does. */
#ifdef GTRAIN_HAVE_HDF5

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_hdf5.h"
#include "dataset_internal.h"
#include "error.h"
#include "h5_guard.h"

/* Examples converted per read of non-uint8 images, to bound the double buffer. */
#define H5DATA_BLOCK_EXAMPLES 256
#define H5DATA_MAX_CLASSES 65536

typedef struct h5_source {
    const char *path;
    hid_t file;
    char x_key[256], y_key[256];
} h5_source;

static const char *type_name(hid_t type, char *buf, size_t size)
{
    H5T_class_t cls = H5Tget_class(type);
    size_t bytes = H5Tget_size(type);
    switch (cls) {
    case H5T_INTEGER:
        snprintf(buf, size, "%s%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", 8 * bytes);
        break;
    case H5T_FLOAT:
        snprintf(buf, size, "float%zu", 8 * bytes);
        break;
    case H5T_STRING:
        snprintf(buf, size, "string");
        break;
    case H5T_COMPOUND:
        snprintf(buf, size, "compound");
        break;
    case H5T_ENUM:
        snprintf(buf, size, "enum");
        break;
    default:
        snprintf(buf, size, "an unsupported HDF5 type (class %d)", (int)cls);
        break;
    }
    return buf;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

typedef struct pair_search {
    hid_t file;
    int found;
    char x[256], all[512];
} pair_search;

static herr_t find_pair(hid_t g, const char *name, const H5L_info_t *info, void *user)
{
    (void)info;
    pair_search *p = user;
    if (!ends_with(name, "_x") || strlen(name) >= sizeof p->x) return 0;
    char y[256];
    snprintf(y, sizeof y, "%.*s_y", (int)strlen(name) - 2, name);
    if (H5Lexists(g, y, H5P_DEFAULT) <= 0) return 0;
    if (p->found++ == 0) snprintf(p->x, sizeof p->x, "%s", name);
    size_t len = strlen(p->all);
    snprintf(p->all + len, sizeof p->all - len, "%s%s/%s", len ? ", " : "", name, y);
    return 0;
}

/* Resolves the image and label keys: given, implied by the other's suffix,
 * or the file's one <name>_x / <name>_y pair. */
static gt_status resolve_keys(h5_source *s, const char *x_key, const char *y_key)
{
    if (x_key && y_key) {
        snprintf(s->x_key, sizeof s->x_key, "%s", x_key);
        snprintf(s->y_key, sizeof s->y_key, "%s", y_key);
        return GT_OK;
    }
    const char *given = x_key ? x_key : y_key;
    if (given) {
        if (!ends_with(given, x_key ? "_x" : "_y"))
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "%s: %s key '%s' does not end in %s, so the %s key cannot be "
                           "derived from it: give both --x-key and --y-key",
                           s->path, x_key ? "image" : "label", given, x_key ? "_x" : "_y",
                           x_key ? "label" : "image");
        int stem = (int)strlen(given) - 2;
        snprintf(s->x_key, sizeof s->x_key, "%.*s_x", stem, given);
        snprintf(s->y_key, sizeof s->y_key, "%.*s_y", stem, given);
        return GT_OK;
    }
    pair_search p;
    memset(&p, 0, sizeof p);
    p.file = s->file;
    hsize_t idx = 0;
    H5Literate(s->file, H5_INDEX_NAME, H5_ITER_INC, &idx, find_pair, &p);
    char names[512];
    gt_h5_list_root(s->file, names, sizeof names);
    if (p.found == 0)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: no <name>_x / <name>_y dataset pair found in the root group "
                       "(datasets: %s); give the keys with --x-key and --y-key",
                       s->path, names);
    if (p.found > 1)
        return gt_fail(GT_ERR_INVALID_ARGUMENT,
                       "%s: %d image/label pairs found (%s); choose one with --x-key and --y-key",
                       s->path, p.found, p.all);
    snprintf(s->x_key, sizeof s->x_key, "%s", p.x);
    snprintf(s->y_key, sizeof s->y_key, "%.*s_y", (int)strlen(p.x) - 2, p.x);
    return GT_OK;
}

/* Opens a dataset of the root group; the message lists what the file holds. */
static gt_status open_dataset(const h5_source *s, const char *key, const char *role, hid_t *ds,
                              int *rank, hsize_t dims[H5S_MAX_RANK])
{
    *ds = H5I_INVALID_HID;
    if (!gt_h5_exists(s->file, key)) {
        char names[512];
        gt_h5_list_root(s->file, names, sizeof names);
        return gt_fail(GT_ERR_FORMAT, "%s: no dataset '%s' (the %s); the file holds: %s", s->path,
                       key, role, names);
    }
    H5O_info_t info;
    if (H5Oget_info_by_name(s->file, key, &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_DATASET)
        return gt_fail(GT_ERR_FORMAT, "%s: '%s' (the %s) is not a dataset", s->path, key, role);
    *ds = H5Dopen2(s->file, key, H5P_DEFAULT);
    hid_t space = *ds >= 0 ? H5Dget_space(*ds) : H5I_INVALID_HID;
    *rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (*rank > 0) H5Sget_simple_extent_dims(space, dims, NULL);
    if (space >= 0) H5Sclose(space);
    if (*ds < 0 || *rank < 0)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: dataset '%s' cannot be opened: truncated or corrupt "
                       "(HDF5: %s)",
                       s->path, key, gt_h5_reason());
    return GT_OK;
}

/* A dataset's declared size must be one the file can hold: at most what is
 * stored, times deflate's largest expansion (1032:1) for compressed chunks.
 * Damaged dimensions would otherwise ask for terabytes (or wrap around). */
static gt_status check_stored(const h5_source *s, hid_t ds, const char *key, size_t count,
                              size_t per_example, size_t elem_bytes)
{
    size_t logical = 0;
    int wraps = __builtin_mul_overflow(count, per_example, &logical) ||
                __builtin_mul_overflow(logical, elem_bytes, &logical);
    unsigned long long stored = (unsigned long long)H5Dget_storage_size(ds);
    if (!wraps && logical <= 1032ULL * stored + 4096) return GT_OK;
    return gt_fail(GT_ERR_FORMAT,
                   "%s: dataset '%s' declares %zu x %zu values%s, but the file stores %llu bytes "
                   "for it: truncated or corrupt",
                   s->path, key, count, per_example, wraps ? " (more than memory can address)" : "",
                   stored);
}

static gt_status read_failed(const h5_source *s, const char *key)
{
    return gt_fail(GT_ERR_FORMAT,
                   "%s: dataset '%s' cannot be read: the file is truncated or "
                   "corrupt (HDF5: %s)",
                   s->path, key, gt_h5_reason());
}

/* Reads non-uint8 images block by block as double and converts them exactly. */
static gt_status convert_images(const h5_source *s, hid_t ds, hid_t type, size_t count,
                                size_t per_example, int rank, const hsize_t *dims, uint8_t *pixels)
{
    double *buf = malloc(H5DATA_BLOCK_EXAMPLES * per_example * sizeof *buf);
    if (!buf) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", s->path);
    hid_t fspace = H5Dget_space(ds);
    gt_status st = GT_OK;
    char tname[64];
    for (size_t first = 0; first < count && st == GT_OK; first += H5DATA_BLOCK_EXAMPLES) {
        size_t n = count - first < H5DATA_BLOCK_EXAMPLES ? count - first : H5DATA_BLOCK_EXAMPLES;
        hsize_t start[H5S_MAX_RANK] = {0}, extent[H5S_MAX_RANK];
        for (int i = 0; i < rank; ++i)
            extent[i] = dims[i];
        start[0] = first;
        extent[0] = n;
        hsize_t flat = n * per_example;
        hid_t mspace = H5Screate_simple(1, &flat, NULL);
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, extent, NULL);
        if (H5Dread(ds, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, buf) < 0)
            st = read_failed(s, s->x_key);
        H5Sclose(mspace);
        for (size_t i = 0; st == GT_OK && i < n * per_example; ++i) {
            double v = buf[i];
            if (!(v >= 0.0 && v <= 255.0 && v == floor(v)))
                st = gt_fail(GT_ERR_UNSUPPORTED,
                             "%s: dataset '%s' (%s) holds %g at example %zu, not an integer in "
                             "0..255: gtrain datasets are uint8; store the images as uint8 "
                             "(e.g. numpy.round(x * 255).astype('uint8') for images in [0, 1])",
                             s->path, s->x_key, type_name(type, tname, sizeof tname), v,
                             first + i / per_example);
            else
                pixels[first * per_example + i] = (uint8_t)v;
        }
    }
    H5Sclose(fspace);
    free(buf);
    return st;
}

static gt_status read_images(h5_source *s, uint8_t **pixels, size_t *count, gt_shape3 *shape)
{
    hid_t ds;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    GT_TRY(open_dataset(s, s->x_key, "images", &ds, &rank, dims));
    hid_t type = H5Dget_type(ds);
    char tname[64], shape_text[96];
    unsigned long long d[H5S_MAX_RANK];
    for (int i = 0; i < rank; ++i)
        d[i] = dims[i];
    gt_h5_format_shape(shape_text, sizeof shape_text, rank, d);
    gt_status st = GT_OK;
    H5T_class_t cls = H5Tget_class(type);
    if (rank != 4 && rank != 3)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: dataset '%s' has rank %d, shape %s; expected images of "
                     "rank 4 (N, height, width, channels) or 3 (N, height, width)",
                     s->path, s->x_key, rank, shape_text);
    else if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        st = gt_fail(GT_ERR_UNSUPPORTED,
                     "%s: dataset '%s' has type %s; expected uint8 images (or "
                     "numbers that are integers in 0..255)",
                     s->path, s->x_key, type_name(type, tname, sizeof tname));
    else if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || (rank == 4 && dims[3] == 0) ||
             dims[1] > 65536 || dims[2] > 65536 || (rank == 4 && dims[3] > 65536))
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: dataset '%s' has shape %s; expected at least one image "
                     "and sides of 1..65536",
                     s->path, s->x_key, shape_text);
    size_t per = 0;
    if (st == GT_OK) {
        *shape = (gt_shape3){(int)dims[1], (int)dims[2], rank == 4 ? (int)dims[3] : 1};
        *count = (size_t)dims[0];
        per = gt_shape3_size(*shape);
        st = check_stored(s, ds, s->x_key, *count, per, H5Tget_size(type));
    }
    if (st == GT_OK) {
        *pixels = malloc(*count * per);
        if (!*pixels)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY,
                         "%s: out of host memory for %zu images "
                         "(%zu bytes)",
                         s->path, *count, *count * per);
    }
    if (st == GT_OK) {
        int is_u8 =
            cls == H5T_INTEGER && H5Tget_size(type) == 1 && H5Tget_sign(type) == H5T_SGN_NONE;
        if (is_u8) {
            if (H5Dread(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, *pixels) < 0)
                st = read_failed(s, s->x_key);
        } else {
            st = convert_images(s, ds, type, *count, per, rank, dims, *pixels);
        }
        if (st != GT_OK) {
            free(*pixels);
            *pixels = NULL;
        }
    }
    H5Tclose(type);
    H5Dclose(ds);
    return st;
}

/* Reads a rank-1 integer dataset as int64. */
static gt_status read_int_vector(h5_source *s, const char *key, const char *role, long long **out,
                                 size_t *count)
{
    hid_t ds;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    *out = NULL;
    GT_TRY(open_dataset(s, key, role, &ds, &rank, dims));
    hid_t type = H5Dget_type(ds);
    char tname[64], shape_text[96];
    unsigned long long d[H5S_MAX_RANK];
    for (int i = 0; i < rank; ++i)
        d[i] = dims[i];
    gt_h5_format_shape(shape_text, sizeof shape_text, rank, d);
    gt_status st = GT_OK;
    if (rank != 1)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: dataset '%s' (the %s) has rank %d, shape %s; expected "
                     "rank 1 (N,)",
                     s->path, key, role, rank, shape_text);
    else if (H5Tget_class(type) != H5T_INTEGER)
        st = gt_fail(GT_ERR_UNSUPPORTED,
                     "%s: dataset '%s' (the %s) has type %s; expected an "
                     "integer type",
                     s->path, key, role, type_name(type, tname, sizeof tname));
    if (st == GT_OK) st = check_stored(s, ds, key, (size_t)dims[0], 1, H5Tget_size(type));
    if (st == GT_OK) {
        *count = (size_t)dims[0];
        *out = malloc((*count ? *count : 1) * sizeof **out);
        if (!*out)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", s->path);
        else if (H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            st = read_failed(s, key);
        if (st != GT_OK) {
            free(*out);
            *out = NULL;
        }
    }
    H5Tclose(type);
    H5Dclose(ds);
    return st;
}

/* list_classes: integers (names are their decimal text) or strings. */
static gt_status read_class_names(h5_source *s, char ***names, int *count)
{
    *names = NULL;
    *count = 0;
    if (!gt_h5_exists(s->file, "list_classes")) return GT_OK;
    hid_t ds;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    GT_TRY(open_dataset(s, "list_classes", "class list", &ds, &rank, dims));
    hid_t type = H5Dget_type(ds);
    H5T_class_t cls = H5Tget_class(type);
    gt_status st = GT_OK;
    char tname[64];
    if (rank != 1 || dims[0] == 0 || dims[0] > H5DATA_MAX_CLASSES)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: dataset 'list_classes' has rank %d; expected a list of "
                     "1..%d classes",
                     s->path, rank, H5DATA_MAX_CLASSES);
    else if (cls != H5T_INTEGER && cls != H5T_STRING)
        st = gt_fail(GT_ERR_UNSUPPORTED,
                     "%s: dataset 'list_classes' has type %s; expected "
                     "integers or strings",
                     s->path, type_name(type, tname, sizeof tname));
    if (st == GT_OK && cls == H5T_STRING && H5Tis_variable_str(type) <= 0)
        st = check_stored(s, ds, "list_classes", (size_t)dims[0], 1, H5Tget_size(type));
    int n = st == GT_OK ? (int)dims[0] : 0;
    char **list = n ? calloc((size_t)n, sizeof *list) : NULL;
    if (st == GT_OK && !list) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
    if (st == GT_OK && cls == H5T_INTEGER) {
        long long *values = malloc((size_t)n * sizeof *values);
        if (!values || H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
            st = values ? read_failed(s, "list_classes")
                        : gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
        for (int i = 0; st == GT_OK && i < n; ++i) {
            list[i] = malloc(24);
            if (list[i])
                snprintf(list[i], 24, "%lld", values[i]);
            else
                st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
        }
        free(values);
    } else if (st == GT_OK) {
        int variable = H5Tis_variable_str(type) > 0;
        size_t width = variable ? sizeof(char *) : H5Tget_size(type);
        char *block = malloc((size_t)n * width + 1);
        hid_t mtype = H5Tcopy(type);
        if (!block || H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, block) < 0)
            st = block ? read_failed(s, "list_classes")
                       : gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
        for (int i = 0; st == GT_OK && i < n; ++i) {
            const char *src = variable ? ((char **)(void *)block)[i] : block + (size_t)i * width;
            size_t len = variable ? (src ? strlen(src) : 0) : strnlen(src, width);
            list[i] = malloc(len + 1);
            if (!list[i]) {
                st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
                break;
            }
            if (len) memcpy(list[i], src, len);
            list[i][len] = '\0';
        }
        if (variable && block && st == GT_OK) {
            hid_t space = H5Dget_space(ds);
            H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, block);
            H5Sclose(space);
        }
        H5Tclose(mtype);
        free(block);
    }
    H5Tclose(type);
    H5Dclose(ds);
    if (st != GT_OK) {
        for (int i = 0; list && i < n; ++i)
            free(list[i]);
        free(list);
        return st;
    }
    *names = list;
    *count = n;
    return GT_OK;
}

static gt_status load(h5_source *s, const char *x_key, const char *y_key, gt_dataset **out)
{
    GT_TRY(resolve_keys(s, x_key, y_key));
    long long *raw = NULL;
    size_t label_count = 0, count = 0;
    uint8_t *pixels = NULL;
    gt_shape3 shape = {0, 0, 0};
    char **names = NULL;
    int n_names = 0;
    /* labels and classes first: they are small, so their errors come fast */
    gt_status st = read_int_vector(s, s->y_key, "labels", &raw, &label_count);
    if (st == GT_OK) st = read_class_names(s, &names, &n_names);
    if (st == GT_OK) st = read_images(s, &pixels, &count, &shape);
    if (st == GT_OK && count != label_count)
        st = gt_fail(GT_ERR_FORMAT, "%s: dataset '%s' has %zu images but '%s' has %zu labels",
                     s->path, s->x_key, count, s->y_key, label_count);
    long long max_label = 0;
    for (size_t i = 0; st == GT_OK && i < label_count; ++i) {
        long long limit = n_names ? n_names : H5DATA_MAX_CLASSES;
        if (raw[i] < 0 || raw[i] >= limit) {
            if (n_names)
                st = gt_fail(GT_ERR_FORMAT,
                             "%s: dataset '%s': label %lld at index %zu is out of "
                             "range for the %d classes of 'list_classes' (expected 0..%d)",
                             s->path, s->y_key, raw[i], i, n_names, n_names - 1);
            else
                st = gt_fail(GT_ERR_FORMAT,
                             "%s: dataset '%s': label %lld at index %zu is out of "
                             "range (expected 0..%d)",
                             s->path, s->y_key, raw[i], i, H5DATA_MAX_CLASSES - 1);
        }
        if (raw[i] > max_label) max_label = raw[i];
    }
    int32_t *labels = st == GT_OK ? malloc((label_count ? label_count : 1) * sizeof *labels) : NULL;
    if (st == GT_OK && !labels) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
    for (size_t i = 0; st == GT_OK && i < label_count; ++i)
        labels[i] = (int32_t)raw[i];
    free(raw);
    if (st == GT_OK) {
        char origin[1024];
        snprintf(origin, sizeof origin, "%s:%s", s->path, s->x_key);
        int classes = n_names ? n_names : (int)max_label + 1;
        st = gt_dataset_adopt(pixels, labels, count, shape, classes, origin, out);
        pixels = NULL;
        labels = NULL;
        if (st == GT_OK && n_names)
            st = gt_dataset_copy_class_names(*out, (const char *const *)names, n_names);
        if (st != GT_OK) {
            gt_dataset_free(*out);
            *out = NULL;
        }
    }
    free(pixels);
    free(labels);
    for (int i = 0; i < n_names; ++i)
        free(names[i]);
    free(names);
    return st;
}

typedef struct load_job {
    const char *path, *x_key, *y_key;
    gt_dataset **out;
} load_job;

static gt_status load_file(void *arg)
{
    const load_job *job = arg;
    h5_source s;
    memset(&s, 0, sizeof s);
    s.path = job->path;
    GT_TRY(gt_h5_open_read(job->path, &s.file));
    gt_status st = load(&s, job->x_key, job->y_key, job->out);
    H5Fclose(s.file);
    return st;
}

/* Datasets come from anywhere: the file is read in a child process first
 * (h5_guard.h), so one that crashes libhdf5 is reported as corrupt. */
gt_status gt_dataset_load_hdf5(const char *path, const char *x_key, const char *y_key,
                               gt_dataset **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_load_hdf5: out must not be NULL");
    *out = NULL;
    if (!path || !*path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_load_hdf5: no file path given");
    load_job job = {path, x_key, y_key, out};
    return gt_guarded_read(path, load_file, &job);
}

#endif /* GTRAIN_HAVE_HDF5 */
