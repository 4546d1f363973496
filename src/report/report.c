/* The public face of progress.c's Keras lines (include/gtrain/report.h),
 * plus Keras' verbose=2 epoch line (keras/utils/generic_utils.py, Progbar
 * with verbose 2, as Keras 2.11 prints it). */
#include <stdio.h>
#include <string.h>

#include "gtrain/gtrain.h"
#include "gtrain/progress.h"

/* Progbar._format_time: " 36s/epoch", " 59ms/step", " 420us/step". */
static int format_time(char *buf, size_t size, double seconds, const char *unit)
{
    if (seconds >= 1.0 || seconds == 0.0) return snprintf(buf, size, " %.0fs/%s", seconds, unit);
    if (seconds >= 1e-3) return snprintf(buf, size, " %.0fms/%s", seconds * 1e3, unit);
    return snprintf(buf, size, " %.0fus/%s", seconds * 1e6, unit);
}

static int digits(long n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        ++d;
    }
    return d;
}

int gt_format_progress(char *buf, size_t size, int verbose, long step, long total,
                       double elapsed_seconds, double seconds_per_step, int final,
                       const char *metrics)
{
    if (verbose != 2)
        return gt_progress_format(buf, size, step, total, elapsed_seconds, seconds_per_step,
                                  final != 0, metrics);
    char epoch[48], per_step[48];
    format_time(epoch, sizeof epoch, elapsed_seconds, "epoch");
    format_time(per_step, sizeof per_step, total > 0 ? elapsed_seconds / (double)total : 0.0,
                "step");
    return snprintf(buf, size, "%*ld/%ld - %.0fs%s -%s -%s", digits(total > 0 ? total : 0), step,
                    total, elapsed_seconds, metrics ? metrics : "", epoch, per_step);
}

int gt_format_metric(char *buf, size_t size, const char *name, double value)
{
    return gt_append_metric(buf, size, name, value);
}

size_t gt_struct_size(const char *name)
{
    static const struct {
        const char *name;
        size_t size;
    } sizes[] = {{"gt_epoch_logs", sizeof(gt_epoch_logs)},
                 {"gt_fit_callbacks", sizeof(gt_fit_callbacks)},
                 {"gt_train_state", sizeof(gt_train_state)},
                 {"gt_callbacks_report", sizeof(gt_callbacks_report)},
                 {"gt_shape3", sizeof(gt_shape3)}};
    for (size_t i = 0; name && i < sizeof sizes / sizeof *sizes; ++i)
        if (strcmp(name, sizes[i].name) == 0) return sizes[i].size;
    return 0;
}
