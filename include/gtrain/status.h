/* gtrain: status codes and the last-error message.
 *
 * Every public function returns gt_status. On failure a readable message that
 * names the file, field, expected and found value is kept per thread and read
 * with gt_last_error(). Library code never exits. */
#ifndef GTRAIN_STATUS_H
#define GTRAIN_STATUS_H

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
const char *gt_status_name(gt_status status);

/* Message of the last failure on this thread ("" if none). */
const char *gt_last_error(void);

/* Clears the last-error message of this thread. */
void gt_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif
