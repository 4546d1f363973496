/* Crash containment for file parsers (see h5_guard.h): the read runs first
 * in a forked child that reports back through a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "h5_io.h"
#include "checkpoint_seal.h"
#include "gtrain/status.h"
#include "h5_guard.h"
#include "h5_lock.h"

/* What the child sends: its status and gt_last_error(). */
typedef struct child_report {
    int status;
    char message[1024];
} child_report;

static void write_all(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        size -= (size_t)n;
    }
}

/* The child: read, report, _exit (no atexit handlers, no stdio flush: the
 * parent's buffers and libraries are the parent's to finish). */
static void run_child(int fd, gt_guarded_reader reader, void *arg)
{
    /* The parent's crash handlers (a sanitizer's, libFuzzer's, a host
     * program's) are not for this process: a crash here must end it by the
     * signal, for the parent to see, not run handlers that write reports or
     * crash files as if the parent had crashed. */
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP};
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; ++i)
        signal(crash_signals[i], SIG_DFL);
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) dup2(null_fd, STDERR_FILENO); /* a crash report here is ours to word */
    child_report r;
    memset(&r, 0, sizeof r);
    gt_clear_error();
    r.status = (int)reader(arg);
    snprintf(r.message, sizeof r.message, "%s", gt_last_error());
    write_all(fd, &r, sizeof r);
    _exit(0);
}

/* How long the child may take: a mutated length can send libhdf5 into a
 * loop (found: H5T__conv_vlen on a damaged string attribute). 10 s plus 1 s
 * per 8 MiB of file is far more than any real read takes (a 400 MiB
 * checkpoint reads in under a second from the page cache). */
static int child_deadline_ms(const char *path)
{
    struct stat st;
    long long mib = stat(path, &st) == 0 ? (long long)st.st_size >> 20 : 0;
    long long ms = 10000 + mib * 1000 / 8;
    return ms > 3600000 ? 3600000 : (int)ms;
}

/* Reads the report until EOF, or until the deadline (then *late = 1). */
static size_t read_report(int fd, child_report *r, int deadline_ms, int *late)
{
    char *p = (char *)r;
    size_t got = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    *late = 0;
    while (got < sizeof *r) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long spent =
            (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= deadline_ms) {
            *late = 1;
            break;
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, (int)(deadline_ms - spent));
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            *late = 1;
            break;
        }
        ssize_t n = read(fd, p + got, sizeof *r - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    return got;
}

static int is_stop_signal(int sig)
{
    return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGKILL;
}

static gt_status child_died(const char *path, pid_t pid, int waited, int wstatus)
{
    if (waited && WIFSIGNALED(wstatus) && is_stop_signal(WTERMSIG(wstatus)))
        /* Ctrl-C of the process group, or the OOM killer: not the file's fault */
        return gt_fail(GT_ERR_IO, "reading %s was interrupted (signal %d, %s)", path,
                       WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    if (waited && WIFSIGNALED(wstatus))
        return gt_fail(GT_ERR_FORMAT,
                       "%s is corrupt: reading it crashed the HDF5 library (signal %d, %s) "
                       "while gtrain read it first in a separate process; the file was not used",
                       path, WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    if (waited && WIFEXITED(wstatus))
        return gt_fail(GT_ERR_FORMAT,
                       "%s is corrupt: the process that read it first ended with status %d "
                       "before finishing (a failure inside the HDF5 library); the file was not "
                       "used",
                       path, WEXITSTATUS(wstatus));
    return gt_fail(GT_ERR_FORMAT,
                   "%s is corrupt: the process that read it first (pid %d) ended without a "
                   "report; the file was not used",
                   path, (int)pid);
}

static gt_status guarded_read(const char *path, gt_guarded_reader reader, void *arg)
{
    /* a FIFO would block the open, a device never end: only regular files */
    struct stat st;
    if (stat(path, &st) != 0)
        return gt_fail(GT_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return gt_fail(GT_ERR_IO, "cannot read %s: it is %s, not a regular file", path,
                       S_ISDIR(st.st_mode)    ? "a directory"
                       : S_ISFIFO(st.st_mode) ? "a named pipe"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                                              : "a special file");
    int sealed = 0;
    GT_TRY(gt_seal_verify(path, &sealed));
    int fds[2];
    if (pipe(fds) != 0)
        return gt_fail(GT_ERR_IO, "%s: cannot create the pipe to check the file: %s", path,
                       strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "%s: cannot start the process that checks the file first: %s", path,
                       strerror(err));
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(fds[1], reader, arg);
    }
    close(fds[1]);
    child_report r;
    memset(&r, 0, sizeof r);
    int deadline_ms = child_deadline_ms(path), late = 0;
    size_t got = read_report(fds[0], &r, deadline_ms, &late);
    close(fds[0]);
    if (late) kill(pid, SIGKILL);
    int wstatus = 0, waited = 0;
    for (;;) {
        pid_t w = waitpid(pid, &wstatus, 0);
        if (w == pid) {
            waited = 1;
            break;
        }
        if (w < 0 && errno == EINTR) continue;
        break; /* ECHILD: the caller reaps children itself (SIGCHLD ignored) */
    }
    if (late)
        return gt_fail(GT_ERR_FORMAT,
                       "%s is corrupt: reading it did not finish within %d s (the HDF5 library "
                       "was stuck on it) while gtrain read it first in a separate "
                       "process; the file was not used",
                       path, deadline_ms / 1000);
    if (got != sizeof r) return child_died(path, pid, waited, wstatus);
    if (r.status != GT_OK) {
        r.message[sizeof r.message - 1] = '\0';
        return gt_fail((gt_status)r.status, "%s", r.message);
    }
#ifdef GTRAIN_HAVE_HDF5
    /* the host's HDF5 error printing as it was before this read */
    gt_h5_handler saved = gt_h5_save_handler();
    gt_status result = reader(arg);
    gt_h5_restore_handler(saved);
    return result;
#else
    return reader(arg);
#endif
}

gt_status gt_guarded_read(const char *path, gt_guarded_reader reader, void *arg)
{
    /* no other thread in libhdf5 across the fork and the read here */
    gt_h5_lock();
    gt_status st = guarded_read(path, reader, arg);
    gt_h5_unlock();
    return st;
}
