/* gtrain: status codes and the last-error message.
 *
 * Every public function returns gt_status. On failure a readable message that
 * names the file, field, expected and found value is kept per thread and read
 * with gt_last_error(). Library code never exits. */
#ifndef GTRAIN_STATUS_H
#define GTRAIN_STATUS_H

#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gt_status {
    GT_OK = 0,
    GT_ERR_INVALID_ARGUMENT, /* a caller passed a bad value (usage error) */
    GT_ERR_IO,               /* a file could not be opened, read or written */
    GT_ERR_FORMAT,           /* a file's content is not what was expected */
    GT_ERR_SHAPE,            /* tensor shapes do not fit together */
    GT_ERR_OUT_OF_MEMORY,    /* host or device allocation failed */
    GT_ERR_UNSUPPORTED,      /* a valid request this build or backend cannot do */
    GT_ERR_NONFINITE,        /* the loss became nan or inf */
    GT_ERR_DEVICE,           /* CUDA, cuDNN or cuBLAS reported an error */
    GT_ERR_NO_DEVICE,        /* no usable GPU */
    GT_ERR_INTERNAL          /* a broken invariant: a bug in gtrain */
} gt_status;

/* Short constant name of a status, e.g. "GT_ERR_FORMAT". */
GT_API const char *gt_status_name(gt_status status);

/* Message of the last failure on this thread ("" if none). */
GT_API const char *gt_last_error(void);

/* Clears the last-error message of this thread. */
GT_API void gt_clear_error(void);

/* Records a failure: the formatted message becomes this thread's last error
 * and `status` is returned, so that a callback of the caller's reads
 *     return gt_fail(GT_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
 * and its message reaches whoever reports the run's error. */
GT_API gt_status gt_fail(gt_status status, const char *fmt, ...) GT_PRINTF(2, 3);

/* Prefixes the current last-error message with "context: ". Returns status. */
GT_API gt_status gt_fail_context(gt_status status, const char *fmt, ...) GT_PRINTF(2, 3);

/* Returns from the enclosing function with expr's status when it failed. */
#define GT_TRY(expr)                                                                               \
    do {                                                                                           \
        gt_status gt_try_status_ = (expr);                                                         \
        if (gt_try_status_ != GT_OK) return gt_try_status_;                                        \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
