/* gtrain: Keras' progress lines as text, for front ends that print them
 * somewhere gtrain fit's stdout is not (the Python package writes them to
 * sys.stdout, which a notebook shows), so that both print the same lines:
 *
 *   verbose 1, in progress:  123/600 [=====>........................] - ETA: 12s - loss: ...
 *   verbose 1, final:        600/600 [==============================] - 36s 59ms/step - loss: ...
 *   verbose 2 (final only):  600/600 - 36s - loss: ... - 36s/epoch - 59ms/step
 *
 * and the size of the structs a binding mirrors, so it can refuse a library
 * whose layout differs from what it was written for. */
#ifndef GTRAIN_REPORT_H
#define GTRAIN_REPORT_H

#include "api.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One line without a newline, snprintf-style (returns the length needed).
 * verbose 1: the bar line (final 0: with the ETA); verbose 2: the epoch's
 * line (final is ignored). metrics is appended as given (gt_format_metric). */
GT_API int gt_format_progress(char *buf, size_t size, int verbose, long step, long total,
                              double elapsed_seconds, double seconds_per_step, int final,
                              const char *metrics);

/* Appends " - name: value" to the string in buf as Keras formats it (%.4f,
 * or %.4e when |value| <= 1e-3). Returns the length needed. */
GT_API int gt_format_metric(char *buf, size_t size, const char *name, double value);

/* sizeof the public struct named ("gt_epoch_logs", "gt_fit_callbacks",
 * "gt_train_state", "gt_callbacks_report", "gt_shape3"); 0 for another name. */
GT_API size_t gt_struct_size(const char *name);

#ifdef __cplusplus
}
#endif
#endif
