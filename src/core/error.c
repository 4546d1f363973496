/* Per-thread last-error message behind gt_last_error(). */
#include "gtrain/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GT_ERROR_CAPACITY 2048

static _Thread_local char last_error[GT_ERROR_CAPACITY];

gt_status gt_fail(gt_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

gt_status gt_fail_context(gt_status status, const char *fmt, ...)
{
    char context[GT_ERROR_CAPACITY];
    char previous[GT_ERROR_CAPACITY];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(context, sizeof context, fmt, ap);
    va_end(ap);
    memcpy(previous, last_error, sizeof previous);
    /* context, ": ", then as much of the previous message as still fits */
    size_t used = strlen(context);
    memcpy(last_error, context, used + 1);
    if (used + 2 < sizeof last_error) {
        memcpy(last_error + used, ": ", 3);
        used += 2;
        size_t room = sizeof last_error - 1 - used;
        size_t len = strnlen(previous, room);
        memcpy(last_error + used, previous, len);
        last_error[used + len] = '\0';
    }
    return status;
}

const char *gt_last_error(void)
{
    return last_error;
}

void gt_clear_error(void)
{
    last_error[0] = '\0';
}

const char *gt_status_name(gt_status status)
{
    switch (status) {
    case GT_OK:
        return "GT_OK";
    case GT_ERR_INVALID_ARGUMENT:
        return "GT_ERR_INVALID_ARGUMENT";
    case GT_ERR_IO:
        return "GT_ERR_IO";
    case GT_ERR_FORMAT:
        return "GT_ERR_FORMAT";
    case GT_ERR_SHAPE:
        return "GT_ERR_SHAPE";
    case GT_ERR_OUT_OF_MEMORY:
        return "GT_ERR_OUT_OF_MEMORY";
    case GT_ERR_UNSUPPORTED:
        return "GT_ERR_UNSUPPORTED";
    case GT_ERR_NONFINITE:
        return "GT_ERR_NONFINITE";
    case GT_ERR_DEVICE:
        return "GT_ERR_DEVICE";
    case GT_ERR_NO_DEVICE:
        return "GT_ERR_NO_DEVICE";
    case GT_ERR_INTERNAL:
        return "GT_ERR_INTERNAL";
    }
    return "GT_ERR_UNKNOWN";
}
