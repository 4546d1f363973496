/* Opening the CUDA backend in gpu-labelled tests: without a usable GPU the
 * test is skipped (exit 77) with one line saying why, unless
 * GTRAIN_REQUIRE_GPU is set (gpu_check.sh sets it on the GPU machine), where a
 * skip would hide a broken driver or library setup and the test fails. */
#ifndef GT_GPU_UTIL_H
#define GT_GPU_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/gtrain.h"

/* Returns -1 with *out set when the GPU is usable, else the exit code (77 or 1). */
static inline int gt_test_open_gpu(gt_precision precision, gt_backend **out)
{
    gt_status st = gt_backend_create("cuda", 0, precision, out);
    if (st == GT_OK) return -1;
    const char *why = gt_last_error();
    const char *require = getenv("GTRAIN_REQUIRE_GPU");
    if ((st == GT_ERR_NO_DEVICE || st == GT_ERR_UNSUPPORTED) &&
        !(require && *require && strcmp(require, "0") != 0)) {
        const char *prefix = "no usable GPU: ";
        if (strncmp(why, prefix, strlen(prefix)) == 0) why += strlen(prefix);
        printf("SKIPPED: no usable GPU: %s\n", why);
        return 77;
    }
    fprintf(stderr, "the cuda backend is unavailable (%s): %s\n", gt_status_name(st), why);
    return 1;
}

#endif
