/* LD_PRELOAD fault injection for the fault tests (tests/cli_faults.sh): the
 * failures a disk or an operator inflicts, from outside gtrain, so that no
 * test hook lives in the library.
 *
 *   GTRAIN_FAULT=enospc      writes to files under GTRAIN_FAULT_DIR fail with
 *                            ENOSPC after the first 4096 bytes of each file
 *                            (a full disk), where no small tmpfs can be mounted
 *   GTRAIN_FAULT=erofs       opening a file under GTRAIN_FAULT_DIR for writing
 *                            fails with EROFS (a read-only filesystem)
 *   GTRAIN_FAULT=kill:N      the Nth checkpoint save (the Nth "*.tmp" file that
 *                            is written) writes half its first chunk, then
 *                            the process gets SIGKILL, as from kill -9
 *   GTRAIN_FAULT=signal:N:S[:K]  the Nth save raises signal S (INT or TERM) K
 *                            times (default 1) before its first write, as a
 *                            user pressing Ctrl-C (K=2: twice) during it
 *   GTRAIN_FAULT=eio_at:OFFSET  a pread of a file under GTRAIN_FAULT_DIR whose
 *                            range holds byte OFFSET fails with EIO, as a disk
 *                            with a bad sector (the streaming reads, tests/
 *                            cli_stream_faults.sh)
 *   GTRAIN_FAULT=shrink_at:OFFSET:SIZE  before such a pread the file is cut to
 *                            SIZE bytes: a data file that shrinks mid-epoch
 *
 * Only the calls gtrain and libhdf5 make are wrapped (open, openat, fopen,
 * write, pread). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define ENOSPC_ALLOWANCE 4096

static int tmp_fd = -1;     /* the checkpoint temporary file being written */
static int tmp_counted = 0; /* its first write has been counted */
static int saves = 0;       /* temporary files written so far */
static int limited_fd = -1; /* enospc: the file being filled */
static size_t limited_written = 0;

static const char *fault(void)
{
    const char *f = getenv("GTRAIN_FAULT");
    return f ? f : "";
}

static int ends_with_tmp(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".tmp") == 0;
}

/* 1 when `path` (absolute, or relative to the working directory) is under GTRAIN_FAULT_DIR. */
static int in_fault_dir(const char *path)
{
    const char *dir = getenv("GTRAIN_FAULT_DIR");
    if (!dir || !*dir || !path) return 0;
    char full[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(full, sizeof full, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) return 0;
        snprintf(full, sizeof full, "%s/%s", cwd, path);
    }
    size_t n = strlen(dir);
    return strncmp(full, dir, n) == 0 && (full[n] == '/' || full[n] == '\0');
}

static int fd_in_fault_dir(int fd)
{
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = '\0';
    return in_fault_dir(target);
}

static int writes_intended(int flags)
{
    return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0;
}

static void opened(const char *path, int flags, int fd)
{
    if (fd >= 0 && ends_with_tmp(path) && writes_intended(flags)) {
        tmp_fd = fd;
        tmp_counted = 0;
    }
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef FILE *(*fopen_fn)(const char *, const char *);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);

/* The optional mode argument of open and openat. */
#define MODE_ARG(flags, mode)                                                                      \
    do {                                                                                           \
        if ((flags)&O_CREAT) {                                                                     \
            va_list ap;                                                                            \
            va_start(ap, flags);                                                                   \
            mode = (mode_t)va_arg(ap, int);                                                        \
            va_end(ap);                                                                            \
        }                                                                                          \
    } while (0)

/* erofs: 1 (errno EROFS) when this open must fail. */
static int read_only_refuses(const char *path, int flags)
{
    if (strcmp(fault(), "erofs") != 0 || !writes_intended(flags) || !in_fault_dir(path)) return 0;
    errno = EROFS;
    return 1;
}

int open(const char *path, int flags, ...)
{
    static open_fn real;
    if (!real) real = (open_fn)dlsym(RTLD_NEXT, "open");
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    if (read_only_refuses(path, flags)) return -1;
    int fd = real(path, flags, mode);
    opened(path, flags, fd);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    return open(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    static openat_fn real;
    if (!real) real = (openat_fn)dlsym(RTLD_NEXT, "openat");
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    if (read_only_refuses(path, flags)) return -1;
    int fd = real(dirfd, path, flags, mode);
    opened(path, flags, fd);
    return fd;
}

FILE *fopen(const char *path, const char *mode)
{
    static fopen_fn real;
    if (!real) real = (fopen_fn)dlsym(RTLD_NEXT, "fopen");
    if (strcmp(fault(), "erofs") == 0 && strpbrk(mode, "wa+") && in_fault_dir(path)) {
        errno = EROFS;
        return NULL;
    }
    return real(path, mode);
}

static int signal_named(const char *name)
{
    if (strncmp(name, "INT", 3) == 0) return SIGINT;
    if (strncmp(name, "TERM", 4) == 0) return SIGTERM;
    return 0;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    static write_fn real;
    if (!real) real = (write_fn)dlsym(RTLD_NEXT, "write");
    const char *f = fault();
    if (fd == tmp_fd && !tmp_counted && count > 0) {
        tmp_counted = 1;
        ++saves;
        int n = 0, times = 1;
        char sig[8] = "";
        if (sscanf(f, "kill:%d", &n) == 1 && n == saves) {
            real(fd, buf, count / 2); /* a half-written file really is on disk */
            raise(SIGKILL);
        }
        if (sscanf(f, "signal:%d:%7[A-Z]:%d", &n, sig, &times) >= 2 && n == saves) {
            for (int k = 0; k < times; ++k)
                raise(signal_named(sig));
        }
    }
    if (strcmp(f, "enospc") == 0 && fd_in_fault_dir(fd)) {
        if (fd != limited_fd) {
            limited_fd = fd;
            limited_written = 0;
        }
        if (limited_written >= ENOSPC_ALLOWANCE) {
            errno = ENOSPC;
            return -1;
        }
        if (count > ENOSPC_ALLOWANCE - limited_written) count = ENOSPC_ALLOWANCE - limited_written;
        ssize_t n = real(fd, buf, count);
        if (n > 0) limited_written += (size_t)n;
        return n;
    }
    return real(fd, buf, count);
}

/* eio_at / shrink_at: 1 (errno set) when this read must fail. */
static int read_fault(int fd, size_t count, off_t offset)
{
    const char *f = fault();
    long long at = -1, size = -1;
    int eio = sscanf(f, "eio_at:%lld", &at) == 1;
    int shrink = !eio && sscanf(f, "shrink_at:%lld:%lld", &at, &size) == 2;
    if ((!eio && !shrink) || at < (long long)offset || at >= (long long)offset + (long long)count ||
        !fd_in_fault_dir(fd))
        return 0;
    if (eio) {
        errno = EIO;
        return 1;
    }
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        if (truncate(target, (off_t)size) != 0) perror("fault_inject: truncate");
    }
    return 0; /* the read goes on, on the shorter file */
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
    static pread_fn real;
    if (!real) real = (pread_fn)dlsym(RTLD_NEXT, "pread");
    if (read_fault(fd, count, offset)) return -1;
    return real(fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t offset)
{
    static pread_fn real;
    if (!real) real = (pread_fn)dlsym(RTLD_NEXT, "pread64");
    if (read_fault(fd, count, offset)) return -1;
    return real(fd, buf, count, offset);
}
