/* Internal: the CPU backend. "reference" fills the table with plain loops
 * (cpu_ref_*.c), the oracle every test compares against; otherwise the fast
 * ops (cpu_fast_*.c: sgemm, OpenMP) are used. */
#ifndef GT_CPU_BACKEND_H
#define GT_CPU_BACKEND_H

#include "gtrain/backend.h"

/* threads <= 0: all cores. BF16 precision is refused with GT_ERR_UNSUPPORTED
 * until the bf16 GEMM path exists. */
gt_status gt_cpu_backend_create(int threads, int reference, gt_precision precision,
                                gt_backend **out);

#endif
