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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_hdf5_internal.h"
#include "dataset_internal.h"
#include "gtrain/status.h"
#include "h5_guard.h"

/* Reads non-uint8 images block by block as double and converts them exactly. */
static gt_status convert_images(const h5_source *s, const h5_images *im, uint8_t *pixels)
{
    size_t per = im->per;
    double *buf = malloc(H5DATA_BLOCK_EXAMPLES * per * sizeof *buf);
    if (!buf) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", s->path);
    hid_t fspace = H5Dget_space(im->ds);
    gt_status st = GT_OK;
    for (size_t first = 0; first < im->count && st == GT_OK; first += H5DATA_BLOCK_EXAMPLES) {
        size_t n =
            im->count - first < H5DATA_BLOCK_EXAMPLES ? im->count - first : H5DATA_BLOCK_EXAMPLES;
        hsize_t start[H5S_MAX_RANK] = {0}, extent[H5S_MAX_RANK];
        for (int i = 0; i < im->rank; ++i)
            extent[i] = im->dims[i];
        start[0] = first;
        extent[0] = n;
        hsize_t flat = n * per;
        hid_t mspace = H5Screate_simple(1, &flat, NULL);
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, extent, NULL);
        if (H5Dread(im->ds, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, buf) < 0)
            st = gt_h5data_read_failed(s, s->x_key);
        H5Sclose(mspace);
        if (st == GT_OK)
            st = gt_h5data_convert(s, im->type, buf, n * per, first, per, pixels + first * per);
    }
    H5Sclose(fspace);
    free(buf);
    return st;
}

static gt_status read_pixels(const h5_source *s, const h5_images *im, uint8_t **pixels)
{
    *pixels = malloc(im->count * im->per);
    if (!*pixels)
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory for %zu images (%zu bytes)",
                       s->path, im->count, im->count * im->per);
    gt_status st = GT_OK;
    if (im->is_u8) {
        if (H5Dread(im->ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, *pixels) < 0)
            st = gt_h5data_read_failed(s, s->x_key);
    } else {
        st = convert_images(s, im, *pixels);
    }
    if (st != GT_OK) {
        free(*pixels);
        *pixels = NULL;
    }
    return st;
}

static gt_status load(h5_source *s, const char *x_key, const char *y_key, gt_dataset **out)
{
    GT_TRY(gt_h5data_resolve_keys(s, x_key, y_key));
    h5_labels lab;
    GT_TRY(gt_h5data_read_labels(s, &lab));
    h5_images im;
    uint8_t *pixels = NULL;
    gt_status st = gt_h5data_open_images(s, H5P_DEFAULT, &im);
    if (st == GT_OK && im.count != lab.count)
        st = gt_fail(GT_ERR_FORMAT, "%s: dataset '%s' has %zu images but '%s' has %zu labels",
                     s->path, s->x_key, im.count, s->y_key, lab.count);
    if (st == GT_OK) st = read_pixels(s, &im, &pixels);
    if (st == GT_OK) {
        char origin[1024];
        gt_h5data_origin(s, origin, sizeof origin);
        st = gt_dataset_adopt(pixels, lab.labels, im.count, im.shape, lab.classes, origin, out);
        lab.labels = NULL; /* taken over */
        if (st == GT_OK && lab.n_names)
            st = gt_dataset_copy_class_names(*out, (const char *const *)lab.names, lab.n_names);
        if (st != GT_OK) {
            gt_dataset_free(*out);
            *out = NULL;
        }
    } else {
        free(pixels);
    }
    if (st != GT_OK || im.ds >= 0) gt_h5data_close_images(&im);
    gt_h5data_free_labels(&lab);
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
