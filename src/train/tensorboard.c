/* TensorBoard event files (see tensorboard.h): TFRecord framing with masked
 * CRC-32C, and the few protocol-buffer fields of tensorflow/core/util/
 * event.proto and framework/summary.proto a scalar needs:
 *   Event   { double wall_time = 1; int64 step = 2; string file_version = 3;
 *             Summary summary = 5; }
 *   Summary { repeated Value value = 1; }
 *   Value   { string tag = 1; float simple_value = 2; } */
#include "tensorboard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gtrain/status.h"

struct gt_tb_writer {
    int fd;
    char *path;
};

/* Bit by bit: records are a few dozen bytes, and no table means no
 * initialization for threads to race on. */
uint32_t gt_crc32c(const void *data, size_t size)
{
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < size; ++i) {
        crc ^= p[i];
        for (int k = 0; k < 8; ++k)
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return crc ^ 0xffffffffu;
}

static uint32_t masked_crc(const void *data, size_t size)
{
    uint32_t crc = gt_crc32c(data, size);
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

/* ---- protocol-buffer encoding into a fixed buffer ---- */
typedef struct pb {
    uint8_t data[512];
    size_t len;
    int overflow;
} pb;

static void pb_bytes(pb *b, const void *p, size_t n)
{
    if (b->len + n > sizeof b->data) {
        b->overflow = 1;
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void pb_varint(pb *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        ++n;
    } while (v);
    pb_bytes(b, tmp, n);
}

static void pb_le(pb *b, uint64_t v, int bytes)
{
    uint8_t tmp[8];
    for (int i = 0; i < bytes; ++i)
        tmp[i] = (uint8_t)(v >> (8 * i));
    pb_bytes(b, tmp, (size_t)bytes);
}

static void pb_key(pb *b, int field, int wire_type)
{
    pb_varint(b, (uint64_t)(field << 3 | wire_type));
}

static void pb_length_delimited(pb *b, int field, const void *p, size_t n)
{
    pb_key(b, field, 2);
    pb_varint(b, n);
    pb_bytes(b, p, n);
}

static double wall_time(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One event: wall_time, step, then either file_version or a summary. */
static gt_status write_event(gt_tb_writer *w, int64_t step, const char *file_version,
                             const char *tag, float value)
{
    pb ev = {{0}, 0, 0};
    double t = wall_time();
    uint64_t bits;
    memcpy(&bits, &t, sizeof bits);
    pb_key(&ev, 1, 1);
    pb_le(&ev, bits, 8);
    pb_key(&ev, 2, 0);
    pb_varint(&ev, (uint64_t)step);
    if (file_version) {
        pb_length_delimited(&ev, 3, file_version, strlen(file_version));
    } else {
        pb val = {{0}, 0, 0}, summary = {{0}, 0, 0};
        uint32_t fbits;
        memcpy(&fbits, &value, sizeof fbits);
        pb_length_delimited(&val, 1, tag, strlen(tag));
        pb_key(&val, 2, 5);
        pb_le(&val, fbits, 4);
        pb_length_delimited(&summary, 1, val.data, val.len);
        pb_length_delimited(&ev, 5, summary.data, summary.len);
        if (val.overflow || summary.overflow) ev.overflow = 1;
    }
    if (ev.overflow)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: TensorBoard tag '%s' is too long", w->path,
                       tag ? tag : "");
    /* the TFRecord frame, built whole so that one write() puts it in the file */
    uint8_t rec[sizeof ev.data + 16];
    uint64_t len = ev.len;
    for (int i = 0; i < 8; ++i)
        rec[i] = (uint8_t)(len >> (8 * i));
    uint32_t c = masked_crc(rec, 8);
    for (int i = 0; i < 4; ++i)
        rec[8 + i] = (uint8_t)(c >> (8 * i));
    memcpy(rec + 12, ev.data, ev.len);
    c = masked_crc(ev.data, ev.len);
    for (int i = 0; i < 4; ++i)
        rec[12 + ev.len + i] = (uint8_t)(c >> (8 * i));
    size_t total = ev.len + 16, done = 0;
    while (done < total) {
        ssize_t n = write(w->fd, rec + done, total - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            return gt_fail(GT_ERR_IO, "%s: cannot write the TensorBoard event: %s", w->path,
                           n < 0 ? strerror(errno) : "nothing written");
        done += (size_t)n;
    }
    return GT_OK;
}

/* mkdir -p */
static gt_status make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "TensorBoard directory path is too long: %.80s...",
                       dir);
    for (char *p = path + 1;; ++p) {
        int end = *p == '\0';
        if (*p != '/' && !end) continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return gt_fail(GT_ERR_IO, "cannot create TensorBoard directory %s: %s", path,
                           strerror(errno));
        if (end) break;
        *p = '/';
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return gt_fail(GT_ERR_IO, "TensorBoard directory %s is not a directory", dir);
    return GT_OK;
}

gt_status gt_tb_open(const char *dir, gt_tb_writer **out)
{
    *out = NULL;
    if (!dir || !*dir) return gt_fail(GT_ERR_INVALID_ARGUMENT, "no TensorBoard directory given");
    GT_TRY(make_dirs(dir));
    char host[256] = "localhost";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    /* several writers of one process get distinct names */
    static atomic_int counter = 0;
    size_t size = strlen(dir) + strlen(host) + 96;
    gt_tb_writer *w = calloc(1, sizeof *w);
    char *path = malloc(size);
    if (!w || !path) {
        free(w);
        free(path);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        snprintf(path, size, "%s/events.out.tfevents.%lld.%s.%d.%d.v2", dir, (long long)time(NULL),
                 host, (int)getpid(), atomic_fetch_add(&counter, 1));
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_APPEND, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        gt_status st = gt_fail(GT_ERR_IO, "cannot create TensorBoard event file %s: %s", path,
                               strerror(errno));
        free(path);
        free(w);
        return st;
    }
    w->fd = fd;
    w->path = path;
    gt_status st = write_event(w, 0, "brain.Event:2", NULL, 0.0f);
    if (st != GT_OK) {
        gt_tb_close(w);
        return st;
    }
    *out = w;
    return GT_OK;
}

gt_status gt_tb_scalar(gt_tb_writer *w, const char *tag, int64_t step, double value)
{
    return write_event(w, step, NULL, tag, (float)value);
}

gt_status gt_tb_flush(gt_tb_writer *w)
{
    if (fsync(w->fd) != 0)
        return gt_fail(GT_ERR_IO, "%s: cannot flush the TensorBoard events (fsync): %s", w->path,
                       strerror(errno));
    return GT_OK;
}

void gt_tb_close(gt_tb_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    free(w->path);
    free(w);
}
