/* Bounded waits for the GPU work a collective is part of. A NCCL all-reduce
 * whose peer died never finishes, and cudaStreamSynchronize would wait for
 * it forever; polling the stream, NCCL's asynchronous error and the clock
 * turns that into an error naming the rank within the timeout. The loop is
 * independent of CUDA so that it is tested on any machine. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "dist_internal.h"
#include "gtrain/clock.h"
#include "gtrain/status.h"

double gt_dist_timeout(void)
{
    const char *s = getenv("GTRAIN_DIST_TIMEOUT");
    if (s && *s) {
        char *end = NULL;
        double t = strtod(s, &end);
        if (end && *end == '\0' && t > 0) return t;
    }
    return 300.0;
}

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

gt_status gt_dist_poll_until(const gt_dist *d, const gt_dist_poll *p, double timeout_s,
                             const char *what)
{
    double start = gt_now_seconds();
    for (long polls = 0;; ++polls) {
        int is_done = 0;
        GT_TRY(p->done(p->ctx, &is_done));
        if (is_done) return GT_OK;
        if (p->failed) GT_TRY(p->failed(p->ctx));
        double waited = gt_now_seconds() - start;
        if (waited >= timeout_s) {
            if (p->on_timeout) p->on_timeout(p->ctx);
            return gt_fail(GT_ERR_DEVICE,
                           "rank %d of %d: %s did not finish within %g s (GTRAIN_DIST_TIMEOUT); "
                           "another rank may have died or stopped",
                           d->rank, d->size, what, timeout_s);
        }
        /* spin briefly (a step's tail is usually microseconds away), then
         * leave the core to the other ranks' threads */
        if (polls >= 1000) nap(polls < 100000 ? 50000L : 1000000L);
    }
}
