/* What the file-reading fuzz targets share: gtrain's readers take paths, so
 * each input is written to a file of this process first. */
#ifndef GT_FUZZ_FILE_H
#define GT_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes data to "<tmpdir>/gtrain_fuzz_<pid>_<tag><suffix>"; the path goes to
 * buf. Returns 0 when the file could not be written. */
static int gt_fuzz_write_file(const char *tag, const char *suffix, const uint8_t *data, size_t size,
                              char *buf, size_t cap)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/gtrain_fuzz_%ld_%s%s", dir && *dir ? dir : "/tmp", (long)getpid(), tag,
             suffix);
    FILE *f = fopen(buf, "wb");
    if (!f) return 0;
    size_t done = size ? fwrite(data, 1, size, f) : 0;
    return fclose(f) == 0 && done == size;
}

#endif
