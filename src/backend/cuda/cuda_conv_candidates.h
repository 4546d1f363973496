/* Internal: the algorithms a conv op may run, in the order they are tried.
 *
 * cuDNN's heuristics offer algorithms that real hardware or a new cuDNN can
 * still refuse or break at the first call. So each op keeps up to
 * GT_CONV_CANDIDATES of them: the first call of a candidate that fails, with
 * any status, moves on to the next; once a candidate has run, a failure is an
 * error and nothing switches behind the caller's back. When no candidate
 * runs, the message lists what the heuristics offered (algorithm, status,
 * determinism, math type, workspace) and what each candidate returned, so
 * one run on a new GPU shows what it has. Separate from the cuDNN calls
 * themselves so that this logic is tested without a GPU
 * (tests/test_cuda_conv_candidates.c). */
#ifndef GT_CUDA_CONV_CANDIDATES_H
#define GT_CUDA_CONV_CANDIDATES_H

#include <stddef.h>

#include <cudnn.h>

#include "gtrain/status.h"

#define GT_CONV_CANDIDATES 4
/* More than any cuDNN op has algorithms (forward 8, backward-data 6, backward-filter 7). */
#define GT_CONV_HEURISTICS 16

/* One entry of a heuristics query, in a form common to the three ops (their
 * perf structs differ in type only). */
typedef struct gt_conv_heuristic {
    int algo;
    cudnnStatus_t status;
    int deterministic;
    size_t memory;
    cudnnMathType_t math;
} gt_conv_heuristic;

typedef struct gt_conv_candidates {
    int count, current;
    int verified; /* the current candidate has run once: failures are errors now */
    int algo[GT_CONV_CANDIDATES];
    cudnnMathType_t math[GT_CONV_CANDIDATES];
    size_t bytes[GT_CONV_CANDIDATES];
    cudnnStatus_t run_status[GT_CONV_CANDIDATES];  /* what each tried candidate returned */
    gt_conv_heuristic offered[GT_CONV_HEURISTICS]; /* the heuristics' list, for messages */
    int offered_count;
} gt_conv_candidates;

/* One cuDNN call with an algorithm, its math type and its workspace size. */
typedef cudnnStatus_t (*gt_conv_call_fn)(void *ctx, int algo, cudnnMathType_t math,
                                         size_t workspace_bytes);

/* Runs the current candidate through `call`, moving on as described above.
 * `call_name` ("cudnnConvolutionForward") and `what` ("forward") name the op
 * in messages. GT_ERR_UNSUPPORTED when every candidate answered
 * NOT_SUPPORTED, else the last failure's status (device, out of memory). */
gt_status gt_conv_candidates_run(gt_conv_candidates *c, gt_conv_call_fn call, void *ctx,
                                 const char *call_name, const char *what);

/* "heuristics offered 3: algo 1 SUCCESS det fma 0 B, ...; tried: algo 1 (fma)
 * -> EXECUTION_FAILED, ..." for the first `tried` candidates; cut with "..."
 * when it does not fit. */
void gt_conv_candidates_describe(const gt_conv_candidates *c, int tried, char *buf, size_t cap);

#endif
