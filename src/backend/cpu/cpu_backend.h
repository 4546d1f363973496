/* Internal: the CPU backend. "reference" fills the table with plain loops
 * (cpu_ref_*.c), the oracle every test compares against; otherwise the fast
 * ops (cpu_fast_*.c: sgemm, OpenMP) are used. */
#ifndef GT_CPU_BACKEND_H
#define GT_CPU_BACKEND_H

#include "gtrain/backend.h"

/* threads <= 0: all cores. BF16 precision (fast table only) needs a CPU with
 * AVX512_BF16 and a build with oneDNN; otherwise GT_ERR_UNSUPPORTED says
 * which is missing. */
gt_status gt_cpu_backend_create(int threads, int reference, gt_precision precision,
                                gt_backend **out);

#endif
