/* HDF5 helpers shared by the HDF5 dataset loader and the checkpoints: quiet
 * error handling, opening with precise failure messages, string and scalar
 * attributes in the forms h5py (and therefore Keras) writes, float arrays. */
#ifdef GTRAIN_HAVE_HDF5

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5_io.h"
#include "gtrain/status.h"

void gt_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

gt_h5_handler gt_h5_save_handler(void)
{
    gt_h5_handler h = {NULL, NULL};
    if (H5Eget_auto2(H5E_DEFAULT, &h.func, &h.data) < 0) h.func = NULL;
    return h;
}

void gt_h5_restore_handler(gt_h5_handler saved)
{
    H5Eset_auto2(H5E_DEFAULT, saved.func, saved.data);
}

static _Thread_local char h5_reason[256];

/* Keeps the innermost (first pushed) error: it is the most specific one
 * ("truncated file: eof = 1000 ..."), the outer ones say "unable to open". */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *err, void *client)
{
    (void)client;
    if (n == 0 && err && err->desc) snprintf(h5_reason, sizeof h5_reason, "%s", err->desc);
    return 0;
}

const char *gt_h5_reason(void)
{
    h5_reason[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, NULL);
    return h5_reason;
}

gt_status gt_h5_open_read(const char *path, hid_t *out)
{
    gt_h5_quiet();
    *out = H5I_INVALID_HID;
    struct stat st;
    if (stat(path, &st) != 0)
        return gt_fail(GT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return gt_fail(GT_ERR_IO, "cannot open %s: it is a directory", path);
    FILE *probe = fopen(path, "rb");
    if (!probe) return gt_fail(GT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    fclose(probe);
    htri_t is_hdf5 = H5Fis_hdf5(path);
    if (is_hdf5 == 0)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: not an HDF5 file (no HDF5 signature \\211HDF found; %lld bytes)", path,
                       (long long)st.st_size);
    hid_t f = is_hdf5 > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : H5I_INVALID_HID;
    if (f < 0) {
        const char *why = gt_h5_reason();
        return gt_fail(GT_ERR_FORMAT,
                       "%s: cannot open the HDF5 file: truncated or corrupt "
                       "(HDF5: %s)",
                       path, *why ? why : "no reason given");
    }
    *out = f;
    return GT_OK;
}

int gt_h5_exists(hid_t loc, const char *name)
{
    /* H5Lexists fails on a path whose intermediate part is missing, so walk it */
    char part[1024];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof part) return 0;
    for (size_t i = 0; i <= n; ++i) {
        if (name[i] == '/' || name[i] == '\0') {
            memcpy(part, name, i);
            part[i] = '\0';
            if (i > 0 && H5Lexists(loc, part, H5P_DEFAULT) <= 0) return 0;
        }
    }
    return 1;
}

typedef struct name_list {
    char *buf;
    size_t size, len;
} name_list;

static herr_t add_name(hid_t g, const char *name, const H5L_info_t *info, void *user)
{
    (void)g;
    (void)info;
    name_list *l = user;
    int n = snprintf(l->buf + l->len, l->size - l->len, "%s%s", l->len ? ", " : "", name);
    if (n > 0 && (size_t)n < l->size - l->len) l->len += (size_t)n;
    return 0;
}

void gt_h5_list_root(hid_t file, char *buf, size_t size)
{
    name_list l = {buf, size, 0};
    buf[0] = '\0';
    hsize_t idx = 0;
    H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, &idx, add_name, &l);
    if (l.len == 0) snprintf(buf, size, "(none)");
}

static hssize_t attr_points(hid_t attr)
{
    hid_t space = H5Aget_space(attr);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    return n;
}

/* Reads the strings of an open string attribute of `count` elements. */
static gt_status read_strings(hid_t attr, hid_t ftype, size_t count, const char *where,
                              const char *name, char **out)
{
    gt_status st = GT_OK;
    if (H5Tis_variable_str(ftype) > 0) {
        hid_t mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, H5T_VARIABLE);
        H5Tset_cset(mtype, H5Tget_cset(ftype));
        char **raw = calloc(count ? count : 1, sizeof *raw);
        if (!raw)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
        else if (H5Aread(attr, mtype, raw) < 0)
            st = gt_fail(GT_ERR_FORMAT, "%s: cannot read attribute %s (HDF5: %s)", where, name,
                         gt_h5_reason());
        for (size_t i = 0; st == GT_OK && i < count; ++i) {
            const char *s = raw[i] ? raw[i] : "";
            out[i] = malloc(strlen(s) + 1);
            if (!out[i])
                st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
            else
                strcpy(out[i], s);
        }
        if (raw) {
            for (size_t i = 0; i < count; ++i)
                H5free_memory(raw[i]);
            free(raw);
        }
        H5Tclose(mtype);
        return st;
    }
    size_t width = H5Tget_size(ftype);
    char *block = malloc(count * width + 1);
    if (!block) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
    if (H5Aread(attr, ftype, block) < 0) {
        free(block);
        return gt_fail(GT_ERR_FORMAT, "%s: cannot read attribute %s (HDF5: %s)", where, name,
                       gt_h5_reason());
    }
    for (size_t i = 0; st == GT_OK && i < count; ++i) {
        out[i] = malloc(width + 1);
        if (!out[i]) {
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
            break;
        }
        memcpy(out[i], block + i * width, width); /* null- or space-padded */
        out[i][width] = '\0';
        if (H5Tget_strpad(ftype) == H5T_STR_SPACEPAD)
            for (size_t k = width; k > 0 && out[i][k - 1] == ' '; --k)
                out[i][k - 1] = '\0';
    }
    free(block);
    return st;
}

gt_status gt_h5_read_string_list_attr(hid_t obj, const char *name, const char *where, char ***out,
                                      size_t *count)
{
    gt_h5_quiet();
    *out = NULL;
    *count = 0;
    if (H5Aexists(obj, name) <= 0)
        return gt_fail(GT_ERR_FORMAT, "%s: attribute %s is missing", where, name);
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return gt_fail(GT_ERR_FORMAT, "%s: cannot open attribute %s (HDF5: %s)", where, name,
                       gt_h5_reason());
    hssize_t n = attr_points(attr);
    hid_t ftype = H5Aget_type(attr);
    gt_status st = GT_OK;
    if (n < 0 || ftype < 0) {
        st = gt_fail(GT_ERR_FORMAT, "%s: attribute %s is unreadable (HDF5: %s)", where, name,
                     gt_h5_reason());
    } else if (n > 0 && H5Tget_class(ftype) != H5T_STRING) {
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: attribute %s holds %lld non-string values, expected "
                     "strings",
                     where, name, (long long)n);
    } else if (n > 0) {
        char **list = calloc((size_t)n, sizeof *list);
        if (!list)
            st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
        else
            st = read_strings(attr, ftype, (size_t)n, where, name, list);
        if (st == GT_OK) {
            *out = list;
            *count = (size_t)n;
        } else {
            gt_h5_free_strings(list, (size_t)n);
        }
    }
    if (ftype >= 0) H5Tclose(ftype);
    H5Aclose(attr);
    return st;
}

void gt_h5_free_strings(char **list, size_t count)
{
    if (!list) return;
    for (size_t i = 0; i < count; ++i)
        free(list[i]);
    free(list);
}

gt_status gt_h5_read_string_attr(hid_t obj, const char *name, const char *where, char **out)
{
    char **list = NULL;
    size_t n = 0;
    *out = NULL;
    GT_TRY(gt_h5_read_string_list_attr(obj, name, where, &list, &n));
    if (n != 1) {
        gt_h5_free_strings(list, n);
        return gt_fail(GT_ERR_FORMAT, "%s: attribute %s holds %zu strings, expected one", where,
                       name, n);
    }
    *out = list[0];
    free(list);
    return GT_OK;
}

/* Replaces an existing attribute so that rewriting one never fails. */
static hid_t create_attr(hid_t obj, const char *name, hid_t type, hid_t space)
{
    if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
    return H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
}

static gt_status write_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hid_t space,
                            const void *data, const char *where)
{
    hid_t attr = create_attr(obj, name, ftype, space);
    herr_t rc = attr >= 0 ? H5Awrite(attr, mtype, data) : -1;
    if (attr >= 0) H5Aclose(attr);
    if (rc < 0)
        return gt_fail(GT_ERR_IO, "%s: cannot write attribute %s (HDF5: %s)", where, name,
                       gt_h5_reason());
    return GT_OK;
}

gt_status gt_h5_write_string_attr(hid_t obj, const char *name, const char *value, int variable,
                                  const char *where)
{
    gt_h5_quiet();
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space = H5Screate(H5S_SCALAR);
    gt_status st;
    if (variable) {
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        H5Tset_strpad(type, H5T_STR_NULLTERM);
        st = write_attr(obj, name, type, type, space, &value, where);
    } else {
        size_t len = strlen(value);
        H5Tset_size(type, len ? len : 1);
        H5Tset_strpad(type, H5T_STR_NULLPAD);
        H5Tset_cset(type, H5T_CSET_ASCII);
        st = write_attr(obj, name, type, type, space, len ? value : "\0", where);
    }
    H5Sclose(space);
    H5Tclose(type);
    return st;
}

gt_status gt_h5_write_string_list_attr(hid_t obj, const char *name, const char *const *values,
                                       size_t count, const char *where)
{
    gt_h5_quiet();
    hsize_t dims[1] = {count};
    hid_t space = H5Screate_simple(1, dims, NULL);
    if (count == 0) {
        double none = 0.0; /* HDF5 wants a buffer even for zero elements */
        gt_status st =
            write_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, &none, where);
        H5Sclose(space);
        return st;
    }
    size_t width = 1;
    for (size_t i = 0; i < count; ++i)
        if (strlen(values[i]) > width) width = strlen(values[i]);
    char *block = calloc(count, width);
    if (!block) {
        H5Sclose(space);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
    }
    for (size_t i = 0; i < count; ++i)
        memcpy(block + i * width, values[i], strlen(values[i]));
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    H5Tset_cset(type, H5T_CSET_ASCII);
    gt_status st = write_attr(obj, name, type, type, space, block, where);
    H5Tclose(type);
    H5Sclose(space);
    free(block);
    return st;
}

static gt_status write_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                              const void *value, const char *where)
{
    gt_h5_quiet();
    hid_t space = H5Screate(H5S_SCALAR);
    gt_status st = write_attr(obj, name, ftype, mtype, space, value, where);
    H5Sclose(space);
    return st;
}

gt_status gt_h5_write_int64_attr(hid_t obj, const char *name, long long value, const char *where)
{
    return write_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value, where);
}

gt_status gt_h5_write_uint64_attr(hid_t obj, const char *name, unsigned long long value,
                                  const char *where)
{
    return write_scalar(obj, name, H5T_STD_U64LE, H5T_NATIVE_ULLONG, &value, where);
}

gt_status gt_h5_write_double_attr(hid_t obj, const char *name, double value, const char *where)
{
    return write_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, where);
}

static gt_status read_scalar(hid_t obj, const char *name, hid_t mtype, H5T_class_t want,
                             const char *where, void *out)
{
    gt_h5_quiet();
    if (H5Aexists(obj, name) <= 0)
        return gt_fail(GT_ERR_FORMAT, "%s: attribute %s is missing", where, name);
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ftype = attr >= 0 ? H5Aget_type(attr) : H5I_INVALID_HID;
    gt_status st = GT_OK;
    if (attr < 0 || ftype < 0 || attr_points(attr) != 1 || H5Tget_class(ftype) != want)
        st = gt_fail(GT_ERR_FORMAT, "%s: attribute %s is not a single %s", where, name,
                     want == H5T_FLOAT ? "number" : "integer");
    else if (H5Aread(attr, mtype, out) < 0)
        st = gt_fail(GT_ERR_FORMAT, "%s: cannot read attribute %s (HDF5: %s)", where, name,
                     gt_h5_reason());
    if (ftype >= 0) H5Tclose(ftype);
    if (attr >= 0) H5Aclose(attr);
    return st;
}

gt_status gt_h5_read_int64_attr(hid_t obj, const char *name, const char *where, long long *out)
{
    return read_scalar(obj, name, H5T_NATIVE_LLONG, H5T_INTEGER, where, out);
}

gt_status gt_h5_read_uint64_attr(hid_t obj, const char *name, const char *where,
                                 unsigned long long *out)
{
    return read_scalar(obj, name, H5T_NATIVE_ULLONG, H5T_INTEGER, where, out);
}

gt_status gt_h5_read_double_attr(hid_t obj, const char *name, const char *where, double *out)
{
    return read_scalar(obj, name, H5T_NATIVE_DOUBLE, H5T_FLOAT, where, out);
}

void gt_h5_format_shape(char *buf, size_t size, int rank, const unsigned long long *dims)
{
    size_t len = 0;
    int n = snprintf(buf, size, "(");
    len = n > 0 ? (size_t)n : 0;
    for (int i = 0; i < rank && len < size; ++i) {
        n = snprintf(buf + len, size - len, "%s%llu", i ? ", " : "", dims[i]);
        if (n > 0) len += (size_t)n;
    }
    if (len < size) snprintf(buf + len, size - len, rank == 1 ? ",)" : ")");
}

gt_status gt_h5_write_floats(hid_t loc, const char *name, int rank, const unsigned long long *dims,
                             const float *data, const char *where)
{
    gt_h5_quiet();
    hsize_t hd[8];
    for (int i = 0; i < rank; ++i)
        hd[i] = dims[i];
    hid_t space = H5Screate_simple(rank, hd, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = ds >= 0 ? H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(lcpl);
    H5Sclose(space);
    if (rc < 0)
        return gt_fail(GT_ERR_IO, "%s: cannot write dataset %s (HDF5: %s)", where, name,
                       gt_h5_reason());
    return GT_OK;
}

gt_status gt_h5_read_floats(hid_t loc, const char *name, int rank, const unsigned long long *dims,
                            float *data, const char *where)
{
    gt_h5_quiet();
    if (!gt_h5_exists(loc, name)) return gt_fail(GT_ERR_FORMAT, "%s: dataset is missing", where);
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0)
        return gt_fail(GT_ERR_FORMAT, "%s: cannot open the dataset (HDF5: %s)", where,
                       gt_h5_reason());
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds);
    int found_rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t found[H5S_MAX_RANK];
    unsigned long long found_ull[H5S_MAX_RANK];
    if (found_rank > 0) H5Sget_simple_extent_dims(space, found, NULL);
    int same = found_rank == rank;
    for (int i = 0; i < found_rank && i < H5S_MAX_RANK; ++i) {
        found_ull[i] = found[i];
        if (same && found[i] != dims[i]) same = 0;
    }
    gt_status st = GT_OK;
    char want_text[96], found_text[96];
    gt_h5_format_shape(want_text, sizeof want_text, rank, dims);
    gt_h5_format_shape(found_text, sizeof found_text, found_rank > 0 ? found_rank : 0, found_ull);
    if (H5Tget_class(type) != H5T_FLOAT)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: dataset is not floating point (expected float32 of "
                     "shape %s)",
                     where, want_text);
    else if (!same)
        st = gt_fail(GT_ERR_SHAPE, "%s: shape %s, expected %s", where, found_text, want_text);
    else if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        st = gt_fail(GT_ERR_FORMAT,
                     "%s: cannot read the dataset: truncated or corrupt file "
                     "(HDF5: %s)",
                     where, gt_h5_reason());
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(ds);
    return st;
}

#endif /* GTRAIN_HAVE_HDF5 */
