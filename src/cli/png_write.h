/* Internal: a small PNG writer for the images gtrain draws (activation
 * grids): 8-bit grayscale or RGB, no interlace, one zlib-compressed IDAT. */
#ifndef GT_PNG_WRITE_H
#define GT_PNG_WRITE_H

#include <stdint.h>

#include "gtrain/status.h"

/* Writes width x height pixels of `channels` (1: grayscale, 3: RGB) bytes
 * each, rows top to bottom, channels interleaved, to `path` atomically: the
 * image goes to "<path>.tmp" and is renamed over `path`, so a reader never
 * sees half a file. Errors name the path. */
gt_status gt_png_write(const char *path, const uint8_t *pixels, int width, int height,
                       int channels);

#endif
