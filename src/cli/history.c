/* Training history CSV (see history.h for the format and the guarantees).
 *
 * Plain POSIX file descriptors rather than stdio: a row must reach the file in
 * a single write() followed by fsync(), and stdio's buffering would split or
 * delay it. */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtrain/status.h"

struct gt_history {
    int fd;
    char *path;
};

/* Writes all of buf, retrying short writes and interrupted calls. */
static gt_status write_all(int fd, const char *path, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return gt_fail(GT_ERR_IO, "%s: cannot write the history: %s", path, strerror(errno));
        }
        buf += n;
        len -= (size_t)n;
    }
    return GT_OK;
}

static gt_status sync_file(int fd, const char *path)
{
    if (fsync(fd) != 0)
        return gt_fail(GT_ERR_IO, "%s: cannot flush the history to disk (fsync): %s", path,
                       strerror(errno));
    return GT_OK;
}

/* Reads the whole (small) file from the start; *data is NUL-terminated. */
static gt_status read_whole(int fd, const char *path, char **data, size_t *len)
{
    size_t capacity = 4096, used = 0;
    char *buf = malloc(capacity);
    if (!buf) return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory reading the history", path);
    for (;;) {
        if (capacity - used < 2) {
            char *bigger = realloc(buf, capacity * 2);
            if (!bigger) {
                free(buf);
                return gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory reading the history", path);
            }
            buf = bigger;
            capacity *= 2;
        }
        ssize_t n = pread(fd, buf + used, capacity - used - 1, (off_t)used);
        if (n < 0) {
            if (errno == EINTR) continue;
            free(buf);
            return gt_fail(GT_ERR_IO, "%s: cannot read the history: %s", path, strerror(errno));
        }
        if (n == 0) break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *data = buf;
    *len = used;
    return GT_OK;
}

/* Finds where the kept part of an existing history ends when resuming at
 * first_epoch: after the header and the complete rows of earlier epochs.
 * Returns GT_ERR_FORMAT when the header is not gtrain's. */
static gt_status find_resume_cut(const char *data, size_t len, const char *path, int first_epoch,
                                 size_t *cut)
{
    const size_t header_len = strlen(GT_HISTORY_HEADER);
    if (len == 0) {
        *cut = 0;
        return GT_OK;
    }
    if (len <= header_len || memcmp(data, GT_HISTORY_HEADER, header_len) != 0 ||
        data[header_len] != '\n')
        return gt_fail(GT_ERR_FORMAT,
                       "%s: not a gtrain history file: expected the first line \"%s\"; choose "
                       "another history path or remove the file",
                       path, GT_HISTORY_HEADER);
    size_t pos = header_len + 1;
    while (pos < len) {
        const char *line = data + pos;
        const char *newline = memchr(line, '\n', len - pos);
        if (!newline) break; /* a partial last line: cut it */
        char *end = NULL;
        long epoch = strtol(line, &end, 10);
        if (end == line || *end != ',' || epoch >= first_epoch) break;
        pos = (size_t)(newline - data) + 1;
    }
    *cut = pos;
    return GT_OK;
}

gt_status gt_history_open(const char *path, int first_epoch, gt_history **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_history_open: out must not be NULL");
    *out = NULL;
    if (!path || !*path)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_history_open: the history path is empty");
    bool resume = first_epoch > 1;
    int flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (resume ? 0 : O_TRUNC);
    int fd = open(path, flags, 0644);
    if (fd < 0) return gt_fail(GT_ERR_IO, "cannot open history file %s: %s", path, strerror(errno));

    gt_status status = GT_OK;
    size_t kept = 0;
    if (resume) {
        char *data = NULL;
        size_t len = 0;
        status = read_whole(fd, path, &data, &len);
        if (status == GT_OK) status = find_resume_cut(data, len, path, first_epoch, &kept);
        if (status == GT_OK && kept < len && ftruncate(fd, (off_t)kept) != 0)
            status = gt_fail(GT_ERR_IO, "%s: cannot cut the history back to epoch %d: %s", path,
                             first_epoch - 1, strerror(errno));
        free(data);
    }
    if (status == GT_OK && kept == 0)
        status = write_all(fd, path, GT_HISTORY_HEADER "\n", strlen(GT_HISTORY_HEADER) + 1);
    if (status == GT_OK) status = sync_file(fd, path);

    gt_history *h = NULL;
    if (status == GT_OK) {
        h = malloc(sizeof *h);
        size_t path_len = strlen(path) + 1;
        char *path_copy = malloc(path_len);
        if (!h || !path_copy) {
            free(h);
            free(path_copy);
            status = gt_fail(GT_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        } else {
            memcpy(path_copy, path, path_len);
            h->fd = fd;
            h->path = path_copy;
        }
    }
    if (status != GT_OK) {
        close(fd);
        return status;
    }
    *out = h;
    return GT_OK;
}

/* A training value: 9 significant digits, non-finite values spelled out. */
static void format_value(char *buf, size_t size, double value)
{
    if (isnan(value))
        snprintf(buf, size, "nan");
    else if (isinf(value))
        snprintf(buf, size, "%s", value > 0 ? "inf" : "-inf");
    else
        snprintf(buf, size, "%.9g", value);
}

/* A validation value: empty when there was no validation (NaN). */
static void format_optional(char *buf, size_t size, double value)
{
    if (isnan(value))
        buf[0] = '\0';
    else
        format_value(buf, size, value);
}

gt_status gt_history_append(gt_history *h, int epoch, double loss, double accuracy, double val_loss,
                            double val_accuracy, double seconds)
{
    if (!h) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_history_append: history is NULL");
    char fields[4][40];
    format_value(fields[0], sizeof fields[0], loss);
    format_value(fields[1], sizeof fields[1], accuracy);
    format_optional(fields[2], sizeof fields[2], val_loss);
    format_optional(fields[3], sizeof fields[3], val_accuracy);
    char row[256];
    int n =
        snprintf(row, sizeof row, "%d,%s,%s,%s,%s,%.3f\n", epoch, fields[0], fields[1], fields[2],
                 fields[3], isfinite(seconds) && fabs(seconds) < 1e12 ? seconds : 0.0);
    if (n < 0 || (size_t)n >= sizeof row)
        return gt_fail(GT_ERR_INTERNAL, "%s: history row for epoch %d does not fit", h->path,
                       epoch);
    GT_TRY(write_all(h->fd, h->path, row, (size_t)n));
    return sync_file(h->fd, h->path);
}

gt_status gt_history_close(gt_history *h)
{
    if (!h) return GT_OK;
    gt_status status = GT_OK;
    if (close(h->fd) != 0)
        status = gt_fail(GT_ERR_IO, "%s: closing the history failed: %s", h->path, strerror(errno));
    free(h->path);
    free(h);
    return status;
}
