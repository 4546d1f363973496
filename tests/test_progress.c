/* Keras-shaped progress lines (exact strings), in-place redraws on a terminal,
 * one line per epoch otherwise, and the history CSV including resuming. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/clock.h"
#include "history.h"
#include "gtrain/progress.h"
#include "test_util.h"

#define CHECK_STR(actual, expected)                                                                \
    CHECK_MSG(strcmp((actual), (expected)) == 0, "\n  got      \"%s\"\n  expected \"%s\"",         \
              (actual), (expected))

static void test_metrics_text(void)
{
    char m[256];
    gt_format_metrics(m, sizeof m, 0.45271, 0.83533, 0.39841, 0.84349);
    CHECK_STR(m, " - loss: 0.4527 - accuracy: 0.8353 - val_loss: 0.3984 - val_accuracy: 0.8435");
    gt_format_metrics(m, sizeof m, 0.45271, 0.83533, NAN, NAN);
    CHECK_STR(m, " - loss: 0.4527 - accuracy: 0.8353");
    /* Keras switches to %.4e at |x| <= 1e-3 and prints nan as such. */
    gt_format_metrics(m, sizeof m, 2.5e-5, 1.0, NAN, 0.0);
    CHECK_STR(m, " - loss: 2.5000e-05 - accuracy: 1.0000 - val_accuracy: 0.0000e+00");
    gt_format_metrics(m, sizeof m, NAN, 0.1, INFINITY, NAN);
    CHECK_STR(m, " - loss: nan - accuracy: 0.1000");
    char small[12];
    int needed = gt_format_metrics(small, sizeof small, 0.5, 0.5, NAN, NAN);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(needed >= (int)sizeof small - 1);
    m[0] = '\0';
    gt_append_metric(m, sizeof m, "top5", 0.97);
    CHECK_STR(m, " - top5: 0.9700");
}

static void test_lines(void)
{
    char line[512];
    const char *metrics =
        " - loss: 0.4527 - accuracy: 0.8353 - val_loss: 0.3984 - val_accuracy: 0.8435";
    /* The notebook's final line: 600 steps in 35.6 s, 59.3 ms each. */
    gt_progress_format(line, sizeof line, 600, 600, 35.6, 35.6 / 600, true, metrics);
    CHECK_STR(line, "600/600 [==============================] - 36s 59ms/step - loss: 0.4527 - "
                    "accuracy: 0.8353 - val_loss: 0.3984 - val_accuracy: 0.8435");

    gt_progress_format(line, sizeof line, 123, 600, 7.3, 0.025, false, " - loss: 0.6000");
    CHECK_STR(line, "123/600 [=====>........................] - ETA: 11s - loss: 0.6000");
    /* Step count right-aligned to the total's width; empty bar before 1/30. */
    gt_progress_format(line, sizeof line, 7, 1875, 0.2, 0.03, false, NULL);
    CHECK_STR(line, "   7/1875 [..............................] - ETA: 56s");
    gt_progress_format(line, sizeof line, 100, 1875, 10.0, 0.1, false, NULL);
    CHECK_STR(line, " 100/1875 [>.............................] - ETA: 2:57");
    gt_progress_format(line, sizeof line, 10, 1875, 10.0, 2.0, false, NULL);
    CHECK_STR(line, "  10/1875 [..............................] - ETA: 1:02:10");
    gt_progress_format(line, sizeof line, 1874, 1875, 100.0, 0.05, false, NULL);
    CHECK_STR(line, "1874/1875 [============================>.] - ETA: 0s");

    /* Time per step: s when >= 1 s, ms when >= 1 ms, else us. */
    gt_progress_format(line, sizeof line, 40, 40, 81.0, 2.03, true, NULL);
    CHECK_STR(line, "40/40 [==============================] - 81s 2s/step");
    gt_progress_format(line, sizeof line, 469, 469, 0.3, 0.3 / 469, true, NULL);
    CHECK_STR(line, "469/469 [==============================] - 0s 640us/step");
    gt_progress_format(line, sizeof line, 1, 1, 0.0, 0.0, true, NULL);
    CHECK_STR(line, "1/1 [==============================] - 0s 0s/step");
    /* Stopped early: the bar shows where. */
    gt_progress_format(line, sizeof line, 300, 600, 18.0, 0.06, true, NULL);
    CHECK_STR(line, "300/600 [==============>...............] - 18s 60ms/step");
}

/* Reads back what a progress run wrote to a temporary file. */
static void read_back(FILE *f, char *buf, size_t size)
{
    fflush(f);
    long len = ftell(f);
    rewind(f);
    size_t n = fread(buf, 1, len > 0 && (size_t)len < size ? (size_t)len : size - 1, f);
    buf[n] = '\0';
}

static void test_drawing(void)
{
    char out[2048];
    /* Non-interactive: only the final line, once. */
    FILE *f = tmpfile();
    gt_progress p;
    gt_progress_begin(&p, f, 3, false);
    gt_progress_update(&p, 1, 1.0, " - loss: 0.9000");
    gt_progress_update(&p, 2, 1.5, " - loss: 0.8000");
    gt_progress_update(&p, 3, 2.0, " - loss: 0.7000");
    gt_progress_end(&p, 3, 2.0, " - loss: 0.7000");
    read_back(f, out, sizeof out);
    /* Keras leaves out the first step: (2.0 - 1.0) / 2 = 500 ms. */
    CHECK_STR(out, "3/3 [==============================] - 2s 500ms/step - loss: 0.7000\n");
    fclose(f);

    /* Interactive: redraws with '\r', throttled to GT_PROGRESS_INTERVAL, blanks
     * the leftovers of a longer previous line, ends with a newline. */
    f = tmpfile();
    gt_progress_begin(&p, f, 4, true);
    gt_progress_update(&p, 1, 0.01, " - loss: 12.3456 - accuracy: 0.5000");
    gt_progress_update(&p, 2, 0.05, " - loss: 0.9000"); /* within the interval: not drawn */
    gt_progress_update(&p, 3, 0.51, " - loss: 0.8000");
    gt_progress_update(&p, 4, 0.61, " - loss: 0.7000"); /* last step: left to _end */
    gt_progress_end(&p, 4, 0.61, " - loss: 0.7000");
    read_back(f, out, sizeof out);
    const char *expected =
        "\r1/4 [======>.......................] - ETA: 0s - loss: 12.3456 - accuracy: 0.5000"
        "\r3/4 [=====================>........] - ETA: 0s - loss: 0.8000"
        "                    "
        "\r4/4 [==============================] - 1s 200ms/step - loss: 0.7000\n";
    CHECK_STR(out, expected);
    gt_progress_interrupt(&p); /* nothing half-drawn after _end */
    read_back(f, out, sizeof out);
    CHECK_STR(out, expected);

    /* An error mid-epoch: the partial line is ended before the message. */
    rewind(f);
    gt_progress_begin(&p, f, 4, true);
    gt_progress_update(&p, 1, 0.5, NULL);
    gt_progress_interrupt(&p);
    gt_progress_interrupt(&p);
    read_back(f, out, sizeof out);
    CHECK_STR(out, "\r1/4 [======>.......................] - ETA: 1s\n");
    fclose(f);

    /* Without a step-1 report the plain mean is used. */
    gt_progress_begin(&p, NULL, 10, false);
    CHECK_NEAR(gt_progress_seconds_per_step(&p, 10, 5.0), 0.5, 1e-12);
    gt_progress_update(&p, 1, 2.0, NULL);
    CHECK_NEAR(gt_progress_seconds_per_step(&p, 10, 5.0), 3.0 / 9.0, 1e-12);
    CHECK(gt_progress_seconds_per_step(&p, 0, 5.0) == 0.0);
    CHECK(!gt_progress_stream_is_terminal(NULL));
}

static char *read_file(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f) return strcpy(buf, "(missing)");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_history(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/history.csv", dir);
    gt_history *h = NULL;
    CHECK_OK(gt_history_open(path, 1, &h));
    CHECK_OK(
        gt_history_append(h, 1, 0.45271432399749756, 0.8353333473205566, 0.3984, 0.8435, 35.6123));
    CHECK_OK(gt_history_append(h, 2, 0.3, 0.9, NAN, NAN, 30.0));
    CHECK_OK(gt_history_append(h, 3, NAN, 0.1, INFINITY, 0.1, 1.0));
    CHECK_OK(gt_history_close(h));
    const char *three_epochs = "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
                               "1,0.452714324,0.835333347,0.3984,0.8435,35.612\n"
                               "2,0.3,0.9,,,30.000\n"
                               "3,nan,0.1,inf,0.1,1.000\n";
    CHECK_STR(read_file(path), three_epochs);

    /* A new run truncates. */
    CHECK_OK(gt_history_open(path, 1, &h));
    CHECK_OK(gt_history_close(h));
    CHECK_STR(read_file(path), GT_HISTORY_HEADER "\n");

    /* Resuming at epoch 3 keeps epochs 1-2 and drops epoch 3 and a torn line. */
    write_text(path, "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
                     "1,0.5,0.8,,,1.000\n"
                     "2,0.4,0.85,,,1.000\n"
                     "3,0.3,0.9,,,1.000\n"
                     "4,0.2,0.9");
    CHECK_OK(gt_history_open(path, 3, &h));
    CHECK_OK(gt_history_append(h, 3, 0.25, 0.95, NAN, NAN, 2.0));
    CHECK_OK(gt_history_close(h));
    CHECK_STR(read_file(path), "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
                               "1,0.5,0.8,,,1.000\n"
                               "2,0.4,0.85,,,1.000\n"
                               "3,0.25,0.95,,,2.000\n");

    /* Resuming with no history file yet starts one; a foreign file is refused untouched. */
    snprintf(path, sizeof path, "%s/fresh.csv", dir);
    CHECK_OK(gt_history_open(path, 5, &h));
    CHECK_OK(gt_history_close(h));
    CHECK_STR(read_file(path), GT_HISTORY_HEADER "\n");
    snprintf(path, sizeof path, "%s/other.csv", dir);
    write_text(path, "a,b,c\n1,2,3\n");
    CHECK_FAILS_WITH(gt_history_open(path, 2, &h), GT_ERR_FORMAT, "not a gtrain history file");
    CHECK_STR(read_file(path), "a,b,c\n1,2,3\n");
    CHECK(h == NULL);

    snprintf(path, sizeof path, "%s/no/such/dir/h.csv", dir);
    CHECK_FAILS_WITH(gt_history_open(path, 1, &h), GT_ERR_IO, "No such file or directory");
    CHECK(gt_history_close(NULL) == GT_OK);
}

static void test_clock(void)
{
    double a = gt_now_seconds();
    double b = gt_now_seconds();
    CHECK(a > 0.0 && b >= a);
}

int main(void)
{
    char dir[] = "/tmp/gtrain_test_progress_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_metrics_text();
    test_lines();
    test_drawing();
    test_history(dir);
    test_clock();
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_EXIT();
}
