/* Internal: the seal gtrain puts in front of every checkpoint it writes.
 *
 * A checkpoint is an HDF5 file with a 512-byte user block (HDF5's
 * H5Pset_userblock: space at the start of the file that HDF5, h5py and Keras
 * skip; the superblock follows at offset 512). gtrain's header fills it:
 *
 *     offset 0   8 bytes  magic "\211GTCKPT\n" (the high bit and the newline
 *                         catch 7-bit and text-mode copies, as PNG's does)
 *     offset 8   uint32   seal version (1), little-endian
 *     offset 12  uint32   CRC-32 (zlib's) of every byte after the header
 *     offset 16  uint64   how many bytes follow the header
 *     offset 24  text     "gtrain checkpoint ..." for whoever opens it in an editor
 *
 * The seal is checked before libhdf5 parses the file, so a truncated copy, a
 * flipped bit in the weights (which no parser would notice) or an edit is
 * reported as such instead of being trained on. */
#ifndef GT_CHECKPOINT_SEAL_H
#define GT_CHECKPOINT_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/status.h"

#define GT_SEAL_BYTES 512
#define GT_SEAL_VERSION 1

/* Fills header[0..GT_SEAL_BYTES) for the `length` bytes of `body`. */
void gt_seal_make(uint8_t header[GT_SEAL_BYTES], const uint8_t *body, size_t length);

/* CRC-32 of `length` bytes, continuing from `crc` (0 to start). */
uint32_t gt_seal_crc32(uint32_t crc, const uint8_t *data, size_t length);

/* Checks the seal of the file at `path`: *sealed = 0 for a file without one
 * (a Keras file, a dataset: nothing to check), 1 for a sealed file whose
 * checksum and length match. A sealed file that does not match fails with
 * GT_ERR_FORMAT naming the file, the stored and the found values. */
gt_status gt_seal_verify(const char *path, int *sealed);

#endif
