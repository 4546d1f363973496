/* The public progress lines (gtrain/report.h) a front end prints: Keras'
 * verbose=1 bar (what gtrain fit prints) and verbose=2 epoch line, with the
 * metric formatting, and the struct sizes a binding checks. */
#include "test_util.h"

int main(void)
{
    char m[256] = "";
    gt_format_metric(m, sizeof m, "loss", 0.45271);
    gt_format_metric(m, sizeof m, "accuracy", 0.8353);
    gt_format_metric(m, sizeof m, "val_loss", 0.0004);
    CHECK(strcmp(m, " - loss: 0.4527 - accuracy: 0.8353 - val_loss: 4.0000e-04") == 0);
    char line[512];
    gt_format_progress(line, sizeof line, 1, 600, 600, 36.0, 0.059, 1, m);
    CHECK(strcmp(line, "600/600 [==============================] - 36s 59ms/step - loss: 0.4527 - "
                       "accuracy: 0.8353 - val_loss: 4.0000e-04") == 0);
    gt_format_progress(line, sizeof line, 1, 123, 600, 7.0, 0.02, 0, " - loss: 1.0000");
    CHECK(strcmp(line, "123/600 [=====>........................] - ETA: 9s - loss: 1.0000") == 0);
    /* Keras 2.11's Progbar(verbose=2) at the end of an epoch */
    gt_format_progress(line, sizeof line, 2, 1875, 1875, 3.4, 0, 1, " - loss: 0.4970");
    CHECK_MSG(strcmp(line, "1875/1875 - 3s - loss: 0.4970 - 3s/epoch - 2ms/step") == 0, "%s", line);
    gt_format_progress(line, sizeof line, 2, 20, 20, 0.004, 0, 1, "");
    CHECK_MSG(strcmp(line, "20/20 - 0s - 4ms/epoch - 200us/step") == 0, "%s", line);
    CHECK(gt_struct_size("gt_epoch_logs") == sizeof(gt_epoch_logs));
    CHECK(gt_struct_size("gt_fit_callbacks") == sizeof(gt_fit_callbacks));
    CHECK(gt_struct_size("gt_shape3") == sizeof(gt_shape3));
    CHECK(gt_struct_size("gt_nothing") == 0 && gt_struct_size(NULL) == 0);
    TEST_EXIT();
}
