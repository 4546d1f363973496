/* Streaming HDF5 images: hyperslab reads of the examples a batch needs.
 *
 * How this coexists with the crash guard (h5_guard.h): everything the
 * parser could trip on is read once at open, first in the guard's child,
 * then here: the superblock and object headers, the keys, the labels, the
 * class list, the image dataset's layout and, for a chunked dataset, the
 * address of every chunk (which walks the whole chunk index). That also
 * proves the images' storage lies inside the file. After that the file
 * stays open in this process and the reads only fetch (and, for compressed
 * chunks, inflate) data through the already-validated index: a damaged
 * chunk is an HDF5 read error, and the file shrinking later is caught by
 * comparing its size with the end of the storage before and after every
 * read (libhdf5 returns zeros past the end of a file, not an error). All
 * HDF5 calls hold the process's HDF5 lock (h5_lock.h). */
#include "data_source.h"
#include "gtrain/data.h"

#ifdef GTRAIN_HAVE_HDF5

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_hdf5_internal.h"
#include "gtrain/status.h"
#include "h5_guard.h"
#include "h5_lock.h"

/* The buffer non-uint8 images are read into as double before conversion. */
#define STREAM_CONVERT_BYTES ((size_t)4 << 20)

typedef struct hdf5_stream {
    gt_data_source base;
    hid_t file;
    h5_images im;
    int fd;                    /* our own descriptor on the file, for the size checks */
    unsigned long long needed; /* the file's size must reach the end of the images' storage */
    hsize_t chunk_rows;        /* examples per chunk (0: contiguous) */
    double *convert;           /* non-uint8 images: convert_examples examples as double */
    size_t convert_examples;
    char x_key[256], y_key[256];
} hdf5_stream;

static h5_source source_of(hdf5_stream *s)
{
    h5_source src;
    memset(&src, 0, sizeof src);
    src.path = s->base.path;
    src.file = s->file;
    snprintf(src.x_key, sizeof src.x_key, "%s", s->x_key);
    snprintf(src.y_key, sizeof src.y_key, "%s", s->y_key);
    return src;
}

/* One hyperslab of examples [first, first + n) into dst (as uint8 or as double). */
static gt_status read_slab(hdf5_stream *s, size_t first, size_t n, hid_t mem_type, void *dst)
{
    h5_images *im = &s->im;
    hsize_t start[H5S_MAX_RANK] = {0}, extent[H5S_MAX_RANK];
    for (int i = 0; i < im->rank; ++i)
        extent[i] = im->dims[i];
    start[0] = first;
    extent[0] = n;
    hid_t fspace = H5Dget_space(im->ds);
    /* memory of the selection's own shape: HDF5 then copies whole rows (a
     * flat 1-D memory space makes it map element by element, 40x slower) */
    hid_t mspace = H5Screate_simple(im->rank, extent, NULL);
    herr_t rc = fspace >= 0 && mspace >= 0
                    ? H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, extent, NULL)
                    : -1;
    if (rc >= 0) rc = H5Dread(im->ds, mem_type, mspace, fspace, H5P_DEFAULT, dst);
    /* before the next HDF5 call clears the error stack */
    char reason[512] = "";
    if (rc < 0) snprintf(reason, sizeof reason, "%s", gt_h5_reason());
    for (char *c = reason; *c; ++c)
        if (*c == '\n') *c = ' '; /* the time stamp of a failed read ends in one */
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (rc >= 0) return GT_OK;
    return gt_fail(GT_ERR_IO,
                   "%s: dataset '%s': examples %zu..%zu cannot be read: the file is truncated, "
                   "corrupt or unreadable (HDF5: %s)",
                   s->base.path, s->x_key, first, first + n - 1, reason);
}

static gt_status read_locked(hdf5_stream *s, size_t first, size_t count, uint8_t *dst)
{
    gt_h5_quiet(); /* per thread in a thread-safe libhdf5: the prefetch thread's own */
    if (s->im.is_u8) return read_slab(s, first, count, H5T_NATIVE_UCHAR, dst);
    h5_source src = source_of(s);
    size_t per = s->im.per;
    for (size_t done = 0; done < count;) {
        size_t block = s->convert_examples;
        size_t n = count - done < block ? count - done : block;
        GT_TRY(read_slab(s, first + done, n, H5T_NATIVE_DOUBLE, s->convert));
        GT_TRY(gt_h5data_convert(&src, s->im.type, s->convert, n * per, first + done, per,
                                 dst + done * per));
        done += n;
    }
    return GT_OK;
}

static gt_status stream_read(gt_data_source *base, size_t first, size_t count, uint8_t *dst)
{
    hdf5_stream *s = (hdf5_stream *)base;
    GT_TRY(gt_data_source_check_size(s->fd, base->path, s->needed, first, count));
    gt_h5_lock();
    gt_status st = read_locked(s, first, count, dst);
    gt_h5_unlock();
    GT_TRY(st);
    /* a file that shrank during the read gave zeros: this read is not to be trusted */
    return gt_data_source_check_size(s->fd, base->path, s->needed, first, count);
}

static gt_status stream_load_all(gt_data_source *base, gt_dataset **out)
{
    hdf5_stream *s = (hdf5_stream *)base;
    return gt_dataset_load_hdf5(base->path, s->x_key, s->y_key, out);
}

/* HDF5's chunk cache: a read of a few examples inflates their whole chunk,
 * so the cache keeps recent chunks for the next batches (the window of a
 * buffered shuffle, neighbours in file order). */
static gt_status stream_set_cache(gt_data_source *base, size_t bytes)
{
    hdf5_stream *s = (hdf5_stream *)base;
    if (!s->chunk_rows) {
        base->cache_bytes = 0;
        return GT_OK;
    }
    size_t chunk_bytes = (size_t)s->chunk_rows * s->im.per * H5Tget_size(s->im.type);
    size_t chunks = chunk_bytes ? bytes / chunk_bytes : 0;
    if (chunks < 1) chunks = 1;
    gt_h5_lock();
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    /* slots: a prime-ish count well above the chunks held, as HDF5 advises */
    size_t slots = chunks * 100 + 1;
    if (slots > 16777213) slots = 16777213;
    herr_t rc = dapl >= 0 ? H5Pset_chunk_cache(dapl, slots, chunks * chunk_bytes, 1.0) : -1;
    h5_source src = source_of(s);
    h5_images reopened;
    gt_status st = rc >= 0 ? gt_h5data_open_images(&src, dapl, &reopened)
                           : gt_fail(GT_ERR_INTERNAL, "%s: cannot set the chunk cache (HDF5: %s)",
                                     base->path, gt_h5_reason());
    if (dapl >= 0) H5Pclose(dapl);
    if (st == GT_OK) {
        gt_h5data_close_images(&s->im);
        s->im = reopened;
        base->cache_bytes = chunks * chunk_bytes;
    }
    gt_h5_unlock();
    return st;
}

static void stream_close(gt_data_source *base)
{
    hdf5_stream *s = (hdf5_stream *)base;
    gt_h5_lock();
    gt_h5data_close_images(&s->im);
    if (s->file >= 0) H5Fclose(s->file);
    gt_h5_unlock();
    if (s->fd >= 0) close(s->fd);
    free(s->convert);
    free(s);
}

static const gt_data_source_ops hdf5_ops = {stream_read, stream_load_all, stream_set_cache,
                                            stream_close};

/* The end of the images' storage in the file, and for a chunked dataset
 * that every allocated chunk lies inside the file (which also reads the
 * whole chunk index). */
static gt_status storage_end(const h5_source *src, hdf5_stream *s, unsigned long long file_size)
{
    const h5_images *im = &s->im;
    hid_t dcpl = H5Dget_create_plist(im->ds);
    H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    hsize_t chunk[H5S_MAX_RANK] = {0};
    int filters = dcpl >= 0 ? H5Pget_nfilters(dcpl) : 0;
    if (layout == H5D_CHUNKED && H5Pget_chunk(dcpl, im->rank, chunk) != im->rank)
        layout = H5D_LAYOUT_ERROR;
    if (dcpl >= 0) H5Pclose(dcpl);
    if (layout == H5D_LAYOUT_ERROR)
        return gt_fail(GT_ERR_FORMAT,
                       "%s: dataset '%s': its storage layout cannot be read (HDF5: %s)", src->path,
                       src->x_key, gt_h5_reason());
    s->needed = 0;
    if (layout == H5D_CONTIGUOUS) {
        haddr_t addr = H5Dget_offset(im->ds);
        hsize_t size = H5Dget_storage_size(im->ds);
        snprintf(s->base.how, sizeof s->base.how, "HDF5 hyperslabs of a contiguous dataset");
        if (addr != HADDR_UNDEF) s->needed = (unsigned long long)addr + size;
        if (s->needed > file_size) {
            unsigned long long example = (unsigned long long)im->per * H5Tget_size(im->type);
            unsigned long long first_missing =
                file_size > addr && example ? (file_size - addr) / example : 0;
            return gt_fail(GT_ERR_FORMAT,
                           "%s: dataset '%s' is stored at bytes %llu..%llu but the file has %llu "
                           "bytes: the file is truncated (examples %llu..%zu are missing)",
                           src->path, src->x_key, (unsigned long long)addr, s->needed - 1,
                           file_size, first_missing, im->count - 1);
        }
    } else if (layout == H5D_CHUNKED) {
        s->chunk_rows = chunk[0];
        snprintf(s->base.how, sizeof s->base.how,
                 "HDF5 hyperslabs of a chunked dataset (chunks of %llu examples%s)",
                 (unsigned long long)chunk[0], filters > 0 ? ", compressed" : "");
        /* every chunk of the grid, row-major, looked up by its coordinates */
        hsize_t grid[H5S_MAX_RANK], at[H5S_MAX_RANK] = {0}, offset[H5S_MAX_RANK];
        for (int i = 0; i < im->rank; ++i)
            grid[i] = chunk[i] ? (im->dims[i] + chunk[i] - 1) / chunk[i] : 0;
        for (;;) {
            for (int i = 0; i < im->rank; ++i)
                offset[i] = at[i] * chunk[i];
            unsigned mask = 0;
            haddr_t addr = HADDR_UNDEF;
            hsize_t size = 0;
            if (H5Dget_chunk_info_by_coord(im->ds, offset, &mask, &addr, &size) < 0)
                return gt_fail(GT_ERR_FORMAT,
                               "%s: dataset '%s': the chunk holding examples %llu..%llu cannot "
                               "be located: truncated or corrupt (HDF5: %s)",
                               src->path, src->x_key, (unsigned long long)offset[0],
                               (unsigned long long)(offset[0] + chunk[0] - 1), gt_h5_reason());
            if (addr != HADDR_UNDEF) {
                unsigned long long end = (unsigned long long)addr + size;
                if (end > file_size)
                    return gt_fail(GT_ERR_FORMAT,
                                   "%s: dataset '%s': the chunk holding examples %llu..%llu lies "
                                   "at bytes %llu..%llu, past the end of the file (%llu bytes): "
                                   "the file is truncated",
                                   src->path, src->x_key, (unsigned long long)offset[0],
                                   (unsigned long long)(offset[0] + chunk[0] - 1),
                                   (unsigned long long)addr, end - 1, file_size);
                if (end > s->needed) s->needed = end;
            }
            int i = im->rank - 1;
            while (i >= 0 && ++at[i] == grid[i]) {
                at[i] = 0;
                --i;
            }
            if (i < 0) break;
        }
    } else {
        snprintf(s->base.how, sizeof s->base.how, "HDF5 hyperslabs of a compact dataset");
    }
    return GT_OK;
}

typedef struct open_job {
    const char *path, *x_key, *y_key;
    hdf5_stream *s;
    h5_labels lab;
} open_job;

/* Run by gt_guarded_read in the child, then here; here it leaves the file
 * and the image dataset open in job->s. */
static gt_status open_file(void *arg)
{
    open_job *job = arg;
    hdf5_stream *s = job->s;
    h5_source src;
    memset(&src, 0, sizeof src);
    src.path = job->path;
    GT_TRY(gt_h5_open_read(job->path, &src.file));
    /* reopened without HDF5's sieve buffer, which reads 64 KiB from every
     * small request: the reads here are already whole runs of examples */
    H5Fclose(src.file);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_sieve_buf_size(fapl, 0);
    src.file = fapl >= 0 ? H5Fopen(job->path, H5F_ACC_RDONLY, fapl) : H5I_INVALID_HID;
    if (fapl >= 0) H5Pclose(fapl);
    if (src.file < 0)
        return gt_fail(GT_ERR_FORMAT, "%s: cannot open the HDF5 file again to stream it (HDF5: %s)",
                       job->path, gt_h5_reason());
    s->file = src.file;
    gt_status st = gt_h5data_resolve_keys(&src, job->x_key, job->y_key);
    if (st == GT_OK) st = gt_h5data_read_labels(&src, &job->lab);
    if (st == GT_OK) st = gt_h5data_open_images(&src, H5P_DEFAULT, &s->im);
    if (st == GT_OK && s->im.count != job->lab.count)
        st = gt_fail(GT_ERR_FORMAT, "%s: dataset '%s' has %zu images but '%s' has %zu labels",
                     src.path, src.x_key, s->im.count, src.y_key, job->lab.count);
    struct stat fs;
    if (st == GT_OK && stat(job->path, &fs) != 0)
        st = gt_fail(GT_ERR_IO, "cannot examine %s: %s", job->path, strerror(errno));
    if (st == GT_OK) st = storage_end(&src, s, (unsigned long long)fs.st_size);
    snprintf(s->x_key, sizeof s->x_key, "%s", src.x_key);
    snprintf(s->y_key, sizeof s->y_key, "%s", src.y_key);
    return st;
}

static void discard(hdf5_stream *s)
{
    gt_h5_lock();
    gt_h5data_close_images(&s->im);
    if (s->file >= 0) H5Fclose(s->file);
    gt_h5_unlock();
    s->file = H5I_INVALID_HID;
}

gt_status gt_dataset_open_hdf5(const char *path, const char *x_key, const char *y_key,
                               gt_dataset **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_open_hdf5: out must not be NULL");
    *out = NULL;
    if (!path || !*path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_open_hdf5: no file path given");
    if (strlen(path) >= sizeof((gt_data_source *)0)->path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_dataset_open_hdf5: path too long");
    hdf5_stream *s = calloc(1, sizeof *s);
    if (!s) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    s->base.ops = &hdf5_ops;
    s->base.refs = 1;
    s->file = H5I_INVALID_HID;
    s->im.ds = s->im.type = H5I_INVALID_HID;
    s->fd = -1;
    snprintf(s->base.path, sizeof s->base.path, "%s", path);
    open_job job;
    memset(&job, 0, sizeof job);
    job.path = path;
    job.x_key = x_key;
    job.y_key = y_key;
    job.s = s;
    gt_status st = gt_guarded_read(path, open_file, &job);
    if (st == GT_OK) {
        s->fd = open(path, O_RDONLY);
        if (s->fd < 0) st = gt_fail(GT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    if (st == GT_OK && !s->im.is_u8) {
        /* a few MiB of doubles, whatever the image size */
        size_t fit = STREAM_CONVERT_BYTES / (s->im.per * sizeof *s->convert);
        s->convert_examples = fit < 1                       ? 1
                              : fit > H5DATA_BLOCK_EXAMPLES ? H5DATA_BLOCK_EXAMPLES
                                                            : fit;
        s->convert = malloc(s->convert_examples * s->im.per * sizeof *s->convert);
        if (!s->convert) st = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    }
    if (st != GT_OK) {
        discard(s);
        gt_h5data_free_labels(&job.lab);
        s->file = H5I_INVALID_HID;
        gt_data_source_release(&s->base);
        return st;
    }
    s->base.count = s->im.count;
    s->base.shape = s->im.shape;
    s->base.example_bytes = s->im.per;
    h5_source src = source_of(s);
    char origin[4400];
    gt_h5data_origin(&src, origin, sizeof origin);
    int32_t *labels = job.lab.labels;
    job.lab.labels = NULL;
    st = gt_dataset_adopt_stream(&s->base, labels, job.lab.classes, origin, out);
    if (st == GT_OK && job.lab.n_names)
        st = gt_dataset_copy_class_names(*out, (const char *const *)job.lab.names, job.lab.n_names);
    if (st != GT_OK && *out) {
        gt_dataset_free(*out);
        *out = NULL;
    }
    gt_h5data_free_labels(&job.lab);
    return st;
}

#else /* no HDF5 */

#include "gtrain/status.h"

gt_status gt_dataset_open_hdf5(const char *path, const char *x_key, const char *y_key,
                               gt_dataset **out)
{
    (void)x_key;
    (void)y_key;
    if (out) *out = NULL;
    return gt_fail(GT_ERR_UNSUPPORTED,
                   "%s: cannot read HDF5 data: gtrain was built without HDF5 (install "
                   "libhdf5-dev and reconfigure with cmake)",
                   path ? path : "(null)");
}

#endif /* GTRAIN_HAVE_HDF5 */
