/* Internal: one lock for every call into libhdf5.
 *
 * Debian's libhdf5 is the serial build: two threads must never be inside
 * it at once, and a fork (h5_guard.c) must not copy a process whose other
 * thread is in the middle of an HDF5 call. Streamed HDF5 datasets are read
 * from the prefetch thread while the main thread may save a checkpoint, so
 * each HDF5 section holds this lock: the streaming reads (data_stream_hdf5.c),
 * gt_guarded_read from the check in the child to the read here (fork
 * included), and the in-memory build of a checkpoint. It is not recursive:
 * a reader run by gt_guarded_read must not take it again. */
#ifndef GT_H5_LOCK_H
#define GT_H5_LOCK_H

void gt_h5_lock(void);
void gt_h5_unlock(void);

#endif
