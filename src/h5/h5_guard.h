/* Internal: reading a file whose parser may crash, without crashing.
 *
 * libhdf5 1.10 (Debian 12) segfaults, overflows heap buffers and uses freed
 * memory on some damaged files (found by mutating checkpoints: H5Gopen2,
 * H5Aexists). gtrain cannot fix libhdf5, so every HDF5 read runs twice:
 * first in a child process (fork), which does exactly the reading the
 * caller asked for and reports its status and message through a pipe, then,
 * only when the child came back, in the calling process. A crash in the
 * child becomes "FILE is corrupt" and the caller never touches the file.
 * The child runs the same code on the same bytes from the same memory image,
 * so what did not crash there does not crash here. Before either, a file
 * gtrain sealed (checkpoint_seal.h) must match its checksum.
 *
 * The reader must only read the file into host memory: the child may not use
 * a device, threads or anything that outlives it (it ends with _exit, its
 * stderr on /dev/null, the crash signals at their defaults). fork() from a
 * threaded program is safe for this: glibc's malloc survives it, and the
 * serial libhdf5 is not to be called from two threads at once anyway. Cost per load: a fork and a
 * second read of the file (bench/results/reliability_*.md). */
#ifndef GT_H5_GUARD_H
#define GT_H5_GUARD_H

#include "gtrain/status.h"

typedef gt_status (*gt_guarded_reader)(void *arg);

/* Verifies the seal of `path` (when it has one), runs reader(arg) in a child
 * process, and when that returned (success or a clean error) runs it here
 * and returns its status; the child's error is returned as is, without a
 * second read. A child that crashed or died gives GT_ERR_FORMAT "PATH is
 * corrupt: ...". */
gt_status gt_guarded_read(const char *path, gt_guarded_reader reader, void *arg);

#endif
