/* Monotonic clock behind gt_now_seconds(). */
#include "gtrain/clock.h"

#include <time.h>

double gt_now_seconds(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux for a valid pointer; should it,
     * 0 makes every interval zero rather than garbage. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
