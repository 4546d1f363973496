/* The bounded wait behind every host wait on NCCL work (dist_watch.c): it
 * returns when the work is done, returns the error a failure poll reports,
 * and gives up after the timeout, naming the rank, instead of waiting for a
 * dead peer forever. The loop is CUDA-free, so this runs on any machine;
 * GTRAIN_DIST_TIMEOUT sets the bound. */
#include <stdlib.h>

#include "dist_internal.h"
#include "gtrain/clock.h"
#include "test_util.h"

typedef struct fake {
    int polls, done_after, fail_after, timeouts;
} fake;

static gt_status fake_done(void *ctx, int *is_done)
{
    fake *f = ctx;
    f->polls += 1;
    *is_done = f->done_after > 0 && f->polls >= f->done_after;
    return GT_OK;
}

static gt_status fake_failed(void *ctx)
{
    fake *f = ctx;
    if (f->fail_after > 0 && f->polls >= f->fail_after)
        return gt_fail(GT_ERR_DEVICE, "peer reported an error");
    return GT_OK;
}

static void fake_timeout(void *ctx)
{
    ((fake *)ctx)->timeouts += 1;
}

int main(void)
{
    gt_dist d;
    memset(&d, 0, sizeof d);
    d.rank = 1;
    d.size = 3;

    /* done after a few polls: no error, no timeout */
    fake f = {0, 5, 0, 0};
    gt_dist_poll p = {fake_done, fake_failed, fake_timeout, &f};
    CHECK_OK(gt_dist_poll_until(&d, &p, 10.0, "the step"));
    CHECK(f.polls == 5);
    CHECK(f.timeouts == 0);

    /* a failure poll's error comes back as it is */
    fake g = {0, 0, 3, 0};
    p.ctx = &g;
    CHECK_FAILS_WITH(gt_dist_poll_until(&d, &p, 10.0, "the step"), GT_ERR_DEVICE,
                     "peer reported an error");
    CHECK(g.polls == 3);
    CHECK(g.timeouts == 0);

    /* never done: the timeout, once, and an error naming the rank and the wait */
    fake h = {0, 0, 0, 0};
    p.ctx = &h;
    double start = gt_now_seconds();
    CHECK_FAILS_WITH(gt_dist_poll_until(&d, &p, 0.3, "the GPU work"), GT_ERR_DEVICE,
                     "rank 1 of 3: the GPU work did not finish within 0.3 s");
    double waited = gt_now_seconds() - start;
    CHECK_MSG(waited >= 0.3, "gave up after %.3f s, before the 0.3 s timeout", waited);
    CHECK(h.timeouts == 1);
    CHECK(h.polls > 1);
    /* the failure poll is optional */
    p.failed = NULL;
    p.on_timeout = NULL;
    fake k = {0, 0, 0, 0};
    p.ctx = &k;
    CHECK_FAILS_WITH(gt_dist_poll_until(&d, &p, 0.05, "x"), GT_ERR_DEVICE, "another rank");

    /* GTRAIN_DIST_TIMEOUT: a positive number of seconds, else the default */
    unsetenv("GTRAIN_DIST_TIMEOUT");
    CHECK(gt_dist_timeout() == 300.0);
    setenv("GTRAIN_DIST_TIMEOUT", "2.5", 1);
    CHECK(gt_dist_timeout() == 2.5);
    setenv("GTRAIN_DIST_TIMEOUT", "-1", 1);
    CHECK(gt_dist_timeout() == 300.0);
    setenv("GTRAIN_DIST_TIMEOUT", "10s", 1);
    CHECK(gt_dist_timeout() == 300.0);
    unsetenv("GTRAIN_DIST_TIMEOUT");
    TEST_EXIT();
}
