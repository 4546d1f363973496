/* gtrain: what marks the public API. libgtrain is built with
 * -fvisibility=hidden, so only declarations marked GT_API are exported from
 * the shared library; everything else is internal to it. */
#ifndef GTRAIN_API_H
#define GTRAIN_API_H

#if defined(__GNUC__)
#define GT_API __attribute__((visibility("default")))
#define GT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GT_API
#define GT_PRINTF(a, b)
#endif

#endif
