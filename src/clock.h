/* Internal: wall-clock time for progress lines, epoch timings and benchmarks. */
#ifndef GT_CLOCK_H
#define GT_CLOCK_H

/* Seconds on a monotonic clock (CLOCK_MONOTONIC) from an arbitrary origin:
 * only differences mean anything. Unaffected by changes to the system time,
 * so an epoch timing never goes negative when NTP steps the clock. */
double gt_now_seconds(void);

#endif
