/* The trainer keys the datasets it uploaded by their identity, not their
 * address: evaluating dataset A, freeing it and evaluating a new dataset B
 * (which malloc tends to place where A was) must see B's images and labels,
 * exactly as a fresh trainer does; and two live datasets never mix. */
#include "test_util.h"
#include "test_util_data.h"

static void evaluate(gt_trainer *tr, const gt_dataset *ds, double out[2])
{
    CHECK_OK(gt_trainer_evaluate(tr, ds, &out[0], &out[1]));
}

int main(void)
{
    gt_model *m = NULL;
    gt_backend *be = NULL;
    CHECK_OK(gt_model_from_zoo("mlp-128", &m));
    CHECK_OK(gt_backend_create("cpu", 1, GT_PRECISION_FP32, &be));
    if (!m || !be) TEST_EXIT();
    gt_train_config cfg = gt_train_config_for(m);
    gt_trainer *tr = NULL, *fresh = NULL;
    CHECK_OK(gt_trainer_create(m, be, &cfg, &tr));
    CHECK_OK(gt_trainer_create(m, be, &cfg, &fresh));
    gt_shape3 shape = gt_model_input_shape(m);
    for (int round = 0; round < 4 && tr && fresh; ++round) {
        gt_dataset *a = NULL, *b = NULL;
        CHECK_OK(gt_test_synthetic_dataset(shape, 64, 10, 100 + (unsigned)round, &a));
        double ea[2], eb[2], want[2];
        evaluate(tr, a, ea);
        const void *a_address = (const void *)a;
        gt_dataset_free(a);
        CHECK_OK(gt_test_synthetic_dataset(shape, 64, 10, 200 + (unsigned)round, &b));
        if ((const void *)b == a_address) printf("round %d: B has A's address\n", round);
        evaluate(tr, b, eb);
        evaluate(fresh, b, want);
        CHECK_MSG(eb[0] == want[0] && eb[1] == want[1],
                  "round %d: B evaluated to loss %.9g accuracy %.9g, a fresh trainer says %.9g "
                  "%.9g (A's: %.9g %.9g)",
                  round, eb[0], eb[1], want[0], want[1], ea[0], ea[1]);
        CHECK(ea[0] != eb[0]); /* the two datasets differ, so the check means something */
        gt_dataset_free(b);
    }
    gt_trainer_destroy(tr);
    gt_trainer_destroy(fresh);
    gt_backend_destroy(be);
    gt_model_free(m);
    TEST_EXIT();
}
