/* gtrain: the monotonic clock behind progress lines, epoch timings and benchmarks. */
#ifndef GTRAIN_CLOCK_H
#define GTRAIN_CLOCK_H

#include "api.h"

/* Seconds on a monotonic clock (CLOCK_MONOTONIC) from an arbitrary origin:
 * only differences mean anything. Unaffected by changes to the system time,
 * so an epoch timing never goes negative when NTP steps the clock. */
GT_API double gt_now_seconds(void);

#endif
