/* Internal: recording failures. gt_fail() stores a formatted message in the
 * thread's last-error slot and returns the status, so that call sites read
 *     return gt_fail(GT_ERR_FORMAT, "%s: magic is 0x%x, expected 0x803", path, magic);
 */
#ifndef GT_ERROR_H
#define GT_ERROR_H

#include "gtrain/status.h"

#if defined(__GNUC__)
#define GT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GT_PRINTF(a, b)
#endif

gt_status gt_fail(gt_status status, const char *fmt, ...) GT_PRINTF(2, 3);

/* Prefixes the current last-error message with "context: ". Returns status. */
gt_status gt_fail_context(gt_status status, const char *fmt, ...) GT_PRINTF(2, 3);

#define GT_TRY(expr)                                                                               \
    do {                                                                                           \
        gt_status gt_try_status_ = (expr);                                                         \
        if (gt_try_status_ != GT_OK) return gt_try_status_;                                        \
    } while (0)

#endif
