/* HDF5 image datasets, the parts every reader needs: the keys, the checked
 * image dataset, the labels and the class list, and the exact conversion of
 * non-uint8 pixels (see data_hdf5.c for the file layout). */
#ifdef GTRAIN_HAVE_HDF5

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_hdf5_internal.h"
#include "gtrain/status.h"

#define H5DATA_MAX_CLASSES 65536

const char *gt_h5data_type_name(hid_t type, char *buf, size_t size)
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

gt_status gt_h5data_resolve_keys(h5_source *s, const char *x_key, const char *y_key)
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
static gt_status open_dataset(const h5_source *s, const char *key, const char *role, hid_t dapl,
                              hid_t *ds, int *rank, hsize_t dims[H5S_MAX_RANK])
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
    *ds = H5Dopen2(s->file, key, dapl);
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

/* "(1080, 64, 64, 3)" for messages. */
static void format_dims(char *buf, size_t size, int rank, const hsize_t *dims)
{
    unsigned long long d[H5S_MAX_RANK];
    for (int i = 0; i < rank; ++i)
        d[i] = dims[i];
    gt_h5_format_shape(buf, size, rank, d);
}

gt_status gt_h5data_read_failed(const h5_source *s, const char *key)
{
    return gt_fail(GT_ERR_FORMAT,
                   "%s: dataset '%s' cannot be read: the file is truncated or "
                   "corrupt (HDF5: %s)",
                   s->path, key, gt_h5_reason());
}

gt_status gt_h5data_convert(const h5_source *s, hid_t type, const double *values, size_t n,
                            size_t first_example, size_t per, uint8_t *dst)
{
    char tname[64];
    for (size_t i = 0; i < n; ++i) {
        double v = values[i];
        if (!(v >= 0.0 && v <= 255.0 && v == floor(v)))
            return gt_fail(GT_ERR_UNSUPPORTED,
                           "%s: dataset '%s' (%s) holds %g at example %zu, not an integer in "
                           "0..255: gtrain datasets are uint8; store the images as uint8 "
                           "(e.g. numpy.round(x * 255).astype('uint8') for images in [0, 1])",
                           s->path, s->x_key, gt_h5data_type_name(type, tname, sizeof tname), v,
                           first_example + i / per);
        dst[i] = (uint8_t)v;
    }
    return GT_OK;
}

void gt_h5data_origin(const h5_source *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s:%s", s->path, s->x_key);
}

gt_status gt_h5data_open_images(const h5_source *s, hid_t dapl, h5_images *im)
{
    memset(im, 0, sizeof *im);
    im->ds = im->type = H5I_INVALID_HID;
    hsize_t *dims = im->dims;
    int rank = 0;
    GT_TRY(open_dataset(s, s->x_key, "images", dapl, &im->ds, &rank, dims));
    hid_t type = H5Dget_type(im->ds);
    im->type = type;
    im->rank = rank;
    char tname[64], shape_text[96];
    format_dims(shape_text, sizeof shape_text, rank, dims);
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
                     s->path, s->x_key, gt_h5data_type_name(type, tname, sizeof tname));
    else if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0 || (rank == 4 && dims[3] == 0) ||
             dims[1] > 65536 || dims[2] > 65536 || (rank == 4 && dims[3] > 65536))
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: dataset '%s' has shape %s; expected at least one image "
                     "and sides of 1..65536",
                     s->path, s->x_key, shape_text);
    if (st == GT_OK) {
        im->shape = (gt_shape3){(int)dims[1], (int)dims[2], rank == 4 ? (int)dims[3] : 1};
        im->count = (size_t)dims[0];
        im->per = gt_shape3_size(im->shape);
        im->is_u8 =
            cls == H5T_INTEGER && H5Tget_size(type) == 1 && H5Tget_sign(type) == H5T_SGN_NONE;
        st = check_stored(s, im->ds, s->x_key, im->count, im->per, H5Tget_size(type));
    }
    if (st != GT_OK) gt_h5data_close_images(im);
    return st;
}

void gt_h5data_close_images(h5_images *im)
{
    if (im->type >= 0) H5Tclose(im->type);
    if (im->ds >= 0) H5Dclose(im->ds);
    im->type = im->ds = H5I_INVALID_HID;
}

/* Reads a rank-1 integer dataset as int64. */
static gt_status read_int_vector(const h5_source *s, const char *key, const char *role,
                                 long long **out, size_t *count)
{
    hid_t ds;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    *out = NULL;
    GT_TRY(open_dataset(s, key, role, H5P_DEFAULT, &ds, &rank, dims));
    hid_t type = H5Dget_type(ds);
    char tname[64], shape_text[96];
    format_dims(shape_text, sizeof shape_text, rank, dims);
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
                     s->path, key, role, gt_h5data_type_name(type, tname, sizeof tname));
    if (st == GT_OK) st = check_stored(s, ds, key, (size_t)dims[0], 1, H5Tget_size(type));
    if (st == GT_OK) {
        *count = (size_t)dims[0];
        *out = malloc((*count ? *count : 1) * sizeof **out);
        if (!*out)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", s->path);
        else if (H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            st = gt_h5data_read_failed(s, key);
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
static gt_status read_class_names(const h5_source *s, char ***names, int *count)
{
    *names = NULL;
    *count = 0;
    if (!gt_h5_exists(s->file, "list_classes")) return GT_OK;
    hid_t ds;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    GT_TRY(open_dataset(s, "list_classes", "class list", H5P_DEFAULT, &ds, &rank, dims));
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
                     s->path, gt_h5data_type_name(type, tname, sizeof tname));
    if (st == GT_OK && cls == H5T_STRING && H5Tis_variable_str(type) <= 0)
        st = check_stored(s, ds, "list_classes", (size_t)dims[0], 1, H5Tget_size(type));
    int n = st == GT_OK ? (int)dims[0] : 0;
    char **list = n ? calloc((size_t)n, sizeof *list) : NULL;
    if (st == GT_OK && !list) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
    if (st == GT_OK && cls == H5T_INTEGER) {
        long long *values = malloc((size_t)n * sizeof *values);
        if (!values || H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
            st = values ? gt_h5data_read_failed(s, "list_classes")
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
            st = block ? gt_h5data_read_failed(s, "list_classes")
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

gt_status gt_h5data_read_labels(const h5_source *s, h5_labels *out)
{
    memset(out, 0, sizeof *out);
    long long *raw = NULL;
    size_t count = 0;
    /* labels and classes first: they are small, so their errors come fast */
    gt_status st = read_int_vector(s, s->y_key, "labels", &raw, &count);
    if (st == GT_OK) st = read_class_names(s, &out->names, &out->n_names);
    long long max_label = 0;
    int n_names = out->n_names;
    for (size_t i = 0; st == GT_OK && i < count; ++i) {
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
    if (st == GT_OK) {
        out->labels = malloc((count ? count : 1) * sizeof *out->labels);
        if (!out->labels) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", s->path);
    }
    for (size_t i = 0; st == GT_OK && i < count; ++i)
        out->labels[i] = (int32_t)raw[i];
    free(raw);
    out->count = count;
    out->classes = n_names ? n_names : (int)max_label + 1;
    if (st != GT_OK) gt_h5data_free_labels(out);
    return st;
}

void gt_h5data_free_labels(h5_labels *l)
{
    free(l->labels);
    for (int i = 0; i < l->n_names; ++i)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

#endif /* GTRAIN_HAVE_HDF5 */
