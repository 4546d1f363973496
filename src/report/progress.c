/* Keras-style progress lines (see progress.h for the shapes and usage).
 *
 * The formatting follows Keras' Progbar (verbose=1) rule by rule, so a user
 * comparing a gtrain log with a notebook sees the same columns: the step count
 * right-aligned to the width of the total, a 30-character bar whose head is '>'
 * until the last step, the ETA as "12s", "3:05" or "1:02:03", and the time per
 * step in s, ms or us. */
#include "gtrain/progress.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "gtrain/status.h"

/* A string being appended to, snprintf-style: `len` counts what was needed
 * even when it did not fit, so callers can report the full length. */
typedef struct text {
    char *buf;
    size_t size;
    size_t len;
} text;

static void text_printf(text *t, const char *fmt, ...) GT_PRINTF(2, 3);

static void text_printf(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dest = t->len < t->size ? t->buf + t->len : NULL;
    size_t room = t->len < t->size ? t->size - t->len : 0;
    int n = vsnprintf(dest, room, fmt, ap);
    va_end(ap);
    if (n > 0) t->len += (size_t)n;
}

static text text_start(char *buf, size_t size, size_t len)
{
    text t = {buf, size, len};
    if (size > 0 && len == 0) buf[0] = '\0';
    return t;
}

static int text_result(const text *t)
{
    return t->len > (size_t)INT_MAX ? INT_MAX : (int)t->len;
}

bool gt_progress_stream_is_terminal(FILE *stream)
{
    return stream && isatty(fileno(stream));
}

void gt_progress_begin(gt_progress *p, FILE *out, long total_steps, bool interactive)
{
    p->out = out;
    p->total = total_steps;
    p->interactive = interactive;
    p->last_draw = -1.0;
    p->first_step_done = -1.0;
    p->drawn_width = 0;
}

double gt_progress_seconds_per_step(const gt_progress *p, long step, double elapsed_seconds)
{
    if (step <= 0) return 0.0;
    if (p->first_step_done >= 0.0 && step > 1)
        return (elapsed_seconds - p->first_step_done) / (double)(step - 1);
    return elapsed_seconds / (double)step;
}

static int decimal_digits(long n)
{
    int digits = 1;
    while (n >= 10) {
        n /= 10;
        ++digits;
    }
    return digits;
}

static void append_eta(text *t, double eta)
{
    long seconds = eta > 0.0 ? (long)eta : 0; /* Keras truncates with %d */
    if (eta > 3600.0)
        text_printf(t, " - ETA: %ld:%02ld:%02ld", seconds / 3600, (seconds % 3600) / 60,
                    seconds % 60);
    else if (eta > 60.0)
        text_printf(t, " - ETA: %ld:%02ld", seconds / 60, seconds % 60);
    else
        text_printf(t, " - ETA: %lds", seconds);
}

static void append_step_time(text *t, double seconds_per_step)
{
    if (seconds_per_step >= 1.0 || seconds_per_step == 0.0)
        text_printf(t, " %.0fs/step", seconds_per_step);
    else if (seconds_per_step >= 1e-3)
        text_printf(t, " %.0fms/step", seconds_per_step * 1e3);
    else
        text_printf(t, " %.0fus/step", seconds_per_step * 1e6);
}

int gt_progress_format(char *buf, size_t size, long step, long total, double elapsed_seconds,
                       double seconds_per_step, bool final, const char *metrics)
{
    text t = text_start(buf, size, 0);
    long bar_total = total > 0 ? total : 1;
    long bar_step = step < 0 ? 0 : (step > bar_total ? bar_total : step);
    text_printf(&t, "%*ld/%ld [", decimal_digits(total > 0 ? total : 0), step, total);

    /* Filled width is the truncated fraction of the bar; its last cell is the
     * '>' head until the epoch is complete. */
    int filled = (int)((double)GT_PROGRESS_BAR_WIDTH * (double)bar_step / (double)bar_total);
    char bar[GT_PROGRESS_BAR_WIDTH + 1];
    for (int i = 0; i < GT_PROGRESS_BAR_WIDTH; ++i)
        bar[i] = i < filled ? '=' : '.';
    if (filled > 0 && bar_step < bar_total) bar[filled - 1] = '>';
    bar[GT_PROGRESS_BAR_WIDTH] = '\0';
    text_printf(&t, "%s]", bar);

    if (final) {
        text_printf(&t, " - %.0fs", elapsed_seconds);
        append_step_time(&t, seconds_per_step);
    } else {
        append_eta(&t, seconds_per_step * (double)(bar_total - bar_step));
    }
    if (metrics) text_printf(&t, "%s", metrics);
    return text_result(&t);
}

/* Writes one line: in place ('\r', then spaces over whatever the previous,
 * longer line left) on a terminal, plainly otherwise. */
static void draw(gt_progress *p, long step, double elapsed_seconds, bool final, const char *metrics)
{
    char line[4096];
    double per_step = gt_progress_seconds_per_step(p, step, elapsed_seconds);
    gt_progress_format(line, sizeof line, step, p->total, elapsed_seconds, per_step, final,
                       metrics);
    size_t width = strlen(line);
    if (p->interactive) {
        fputc('\r', p->out);
        fputs(line, p->out);
        for (size_t i = width; i < p->drawn_width; ++i)
            fputc(' ', p->out);
    } else {
        fputs(line, p->out);
    }
    if (final) fputc('\n', p->out);
    p->drawn_width = final ? 0 : width;
    p->last_draw = elapsed_seconds;
    fflush(p->out);
}

void gt_progress_update(gt_progress *p, long step, double elapsed_seconds, const char *metrics)
{
    if (step == 1) p->first_step_done = elapsed_seconds;
    if (!p->interactive || step >= p->total) return;
    if (p->last_draw >= 0.0 && elapsed_seconds - p->last_draw < GT_PROGRESS_INTERVAL) return;
    draw(p, step, elapsed_seconds, false, metrics);
}

void gt_progress_end(gt_progress *p, long steps_done, double elapsed_seconds, const char *metrics)
{
    draw(p, steps_done, elapsed_seconds, true, metrics);
}

void gt_progress_interrupt(gt_progress *p)
{
    if (p->drawn_width == 0) return;
    fputc('\n', p->out);
    fflush(p->out);
    p->drawn_width = 0;
}

int gt_append_metric(char *buf, size_t size, const char *name, double value)
{
    size_t len = size > 0 ? strnlen(buf, size) : 0;
    if (len == size && size > 0) len = size - 1; /* unterminated: keep the last byte for '\0' */
    text t = text_start(buf, size, len);
    if (isnan(value))
        text_printf(&t, " - %s: nan", name);
    else if (isinf(value))
        text_printf(&t, " - %s: %s", name, value > 0 ? "inf" : "-inf");
    else if (fabs(value) > 1e-3)
        text_printf(&t, " - %s: %.4f", name, value);
    else
        text_printf(&t, " - %s: %.4e", name, value);
    return text_result(&t);
}

int gt_format_metrics(char *buf, size_t size, double loss, double accuracy, double val_loss,
                      double val_accuracy)
{
    if (size > 0) buf[0] = '\0';
    int n = gt_append_metric(buf, size, "loss", loss);
    n = gt_append_metric(buf, size, "accuracy", accuracy);
    if (isfinite(val_loss)) n = gt_append_metric(buf, size, "val_loss", val_loss);
    if (isfinite(val_accuracy)) n = gt_append_metric(buf, size, "val_accuracy", val_accuracy);
    return n;
}
