/* gtrain: Keras-style (verbose=1) progress lines for training epochs.
 *
 *   123/600 [=====>........................] - ETA: 12s - loss: 0.4527 - accuracy: 0.8353
 *   600/600 [==============================] - 36s 59ms/step - loss: 0.4527 - accuracy: 0.8353 -
 * val_loss: 0.3984 - val_accuracy: 0.8435
 *
 * Usage, once per epoch (the caller prints "Epoch 1/10" itself):
 *
 *     gt_progress p;
 *     gt_progress_begin(&p, stdout, steps, gt_progress_stream_is_terminal(stdout));
 *     double start = gt_now_seconds();
 *     for (long step = 1; step <= steps; ++step) {
 *         ... train one batch ...
 *         gt_format_metrics(text, sizeof text, loss, acc, NAN, NAN);
 *         gt_progress_update(&p, step, gt_now_seconds() - start, text);
 *     }
 *     gt_format_metrics(text, sizeof text, loss, acc, val_loss, val_acc);
 *     gt_progress_end(&p, steps, gt_now_seconds() - start, text);
 *
 * On a terminal the line is redrawn in place ('\r') at most every
 * GT_PROGRESS_INTERVAL seconds; otherwise (a log file, a pipe) only the final
 * line of each epoch is written, so logs hold one line per epoch. */
#ifndef GTRAIN_PROGRESS_H
#define GTRAIN_PROGRESS_H

#include "api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Keras' bar width. */
#define GT_PROGRESS_BAR_WIDTH 30
/* Minimum seconds between two in-place redraws. */
#define GT_PROGRESS_INTERVAL 0.1

typedef struct gt_progress {
    FILE *out;
    long total;             /* steps in the epoch */
    bool interactive;       /* redraw in place with '\r' */
    double last_draw;       /* elapsed seconds at the last redraw; < 0 before the first */
    double first_step_done; /* elapsed seconds when step 1 finished; < 0 if not seen */
    size_t drawn_width;     /* characters of the line now on screen, to blank leftovers */
} gt_progress;

/* True when `stream` is a terminal (so in-place redraws make sense). */
GT_API bool gt_progress_stream_is_terminal(FILE *stream);

/* Starts an epoch of `total_steps` steps written to `out`. */
GT_API void gt_progress_begin(gt_progress *p, FILE *out, long total_steps, bool interactive);

/* Reports that `step` (1-based) steps are done after `elapsed_seconds` since the
 * epoch started. Cheap: call it every step; it draws only when interactive and
 * the interval has passed, and never for step >= total (gt_progress_end draws
 * that line). `metrics` is appended verbatim (e.g. from gt_format_metrics) and
 * may be NULL. */
GT_API void gt_progress_update(gt_progress *p, long step, double elapsed_seconds,
                               const char *metrics);

/* Writes the epoch's final line and a newline, in both modes. `steps_done` is
 * normally the total (it is smaller when training stopped early). */
GT_API void gt_progress_end(gt_progress *p, long steps_done, double elapsed_seconds,
                            const char *metrics);

/* Ends a half-drawn in-place line with a newline, so that a message printed
 * after an error (a non-finite loss mid-epoch) starts on its own line. Does
 * nothing when no partial line is on screen (non-interactive, or after _end). */
GT_API void gt_progress_interrupt(gt_progress *p);

/* Seconds per step as Keras estimates it: when step 1 was reported, the
 * first step (graph building, autotuning) is left out of the average. */
GT_API double gt_progress_seconds_per_step(const gt_progress *p, long step, double elapsed_seconds);

/* Formats one progress line without a newline, snprintf-style (returns the
 * length it needed). final: "- 36s 59ms/step", else "- ETA: 12s".
 * seconds_per_step drives both the per-step time and the ETA. */
GT_API int gt_progress_format(char *buf, size_t size, long step, long total, double elapsed_seconds,
                              double seconds_per_step, bool final, const char *metrics);

/* Appends " - name: value" to the string in buf, formatted as Keras does
 * (%.4f, or %.4e when |value| <= 1e-3; "nan" and "inf" spelled so). Returns
 * the total length needed, snprintf-style. */
GT_API int gt_append_metric(char *buf, size_t size, const char *name, double value);

/* Writes " - loss: L - accuracy: A", then " - val_loss: ..." and
 * " - val_accuracy: ..." for those that are finite (NaN means "no validation").
 * Returns the length needed, snprintf-style. */
GT_API int gt_format_metrics(char *buf, size_t size, double loss, double accuracy, double val_loss,
                             double val_accuracy);

#endif
