/* The conv ops' candidate algorithms: trying them in order, and describing
 * them when none runs (see cuda_conv_candidates.h). */
#include "cuda/cuda_conv_candidates.h"

#include <stdio.h>
#include <string.h>

#include "cuda/cuda_check.h"

static const char *math_name(cudnnMathType_t m)
{
    switch (m) {
    case CUDNN_DEFAULT_MATH:
        return "default";
    case CUDNN_TENSOR_OP_MATH:
        return "tensor-op";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
        return "tensor-op-conversion";
    case CUDNN_FMA_MATH:
        return "fma";
    }
    return "unknown";
}

/* cuDNN's status name without its CUDNN_STATUS_ prefix. */
static const char *status_name(cudnnStatus_t st)
{
    const char *s = cudnnGetErrorString(st);
    return strncmp(s, "CUDNN_STATUS_", 13) == 0 ? s + 13 : s;
}

void gt_conv_candidates_describe(const gt_conv_candidates *c, int tried, char *buf, size_t cap)
{
    size_t used = 0;
#define GT_APPEND(...)                                                                             \
    do {                                                                                           \
        int n_ = used < cap ? snprintf(buf + used, cap - used, __VA_ARGS__) : 0;                   \
        if (n_ > 0) used += (size_t)n_;                                                            \
    } while (0)
    if (cap == 0) return;
    buf[0] = '\0';
    GT_APPEND("heuristics offered %d:", c->offered_count);
    for (int i = 0; i < c->offered_count; ++i) {
        const gt_conv_heuristic *r = &c->offered[i];
        GT_APPEND("%s algo %d %s %s %s %zu B", i ? "," : "", r->algo, status_name(r->status),
                  r->deterministic ? "det" : "nondet", math_name(r->math), r->memory);
    }
    if (tried > 0) {
        GT_APPEND("; tried:");
        for (int i = 0; i < tried; ++i)
            GT_APPEND("%s algo %d (%s) -> %s", i ? "," : "", c->algo[i], math_name(c->math[i]),
                      status_name(c->run_status[i]));
    }
#undef GT_APPEND
    if (used >= cap && cap > 4) memcpy(buf + cap - 4, "...", 4);
}

/* Every candidate failed at its first call: the last failure's message, with
 * the heuristics' list and each candidate's answer in front. */
static gt_status exhausted(const gt_conv_candidates *c, const char *call_name, const char *what)
{
    int all_unsupported = 1;
    for (int i = 0; i < c->count; ++i)
        if (CUDNN_STATUS_CATEGORY(c->run_status[i]) != CUDNN_STATUS_NOT_SUPPORTED)
            all_unsupported = 0;
    gt_status st = gt_cudnn_fail(c->run_status[c->count - 1], call_name, __FILE__, __LINE__);
    if (all_unsupported) st = GT_ERR_UNSUPPORTED;
    char offer[900];
    gt_conv_candidates_describe(c, c->count, offer, sizeof offer);
    return gt_fail_context(st, "cuDNN %s: none of the %d candidate algorithms ran; %s", what,
                           c->count, offer);
}

gt_status gt_conv_candidates_run(gt_conv_candidates *c, gt_conv_call_fn call, void *ctx,
                                 const char *call_name, const char *what)
{
    if (c->count <= 0)
        return gt_fail(GT_ERR_INTERNAL, "cuDNN %s: no candidate algorithm in the plan", what);
    for (;;) {
        int i = c->current;
        cudnnStatus_t st = call(ctx, c->algo[i], c->math[i], c->bytes[i]);
        if (st == CUDNN_STATUS_SUCCESS) {
            c->verified = 1;
            return GT_OK;
        }
        if (c->verified) return gt_cudnn_fail(st, call_name, __FILE__, __LINE__);
        /* First call of this candidate: whatever it returned, try the next.
         * A launch failure may leave a (non-sticky) runtime error behind. */
        c->run_status[i] = st;
        (void)cudaGetLastError();
        if (i + 1 < c->count) {
            c->current++;
            continue;
        }
        return exhausted(c, call_name, what);
    }
}
