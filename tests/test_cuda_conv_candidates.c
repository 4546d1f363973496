/* The conv ops' candidate algorithms (src/backend/cuda/cuda_conv_candidates.c),
 * without a GPU: a scripted cuDNN call stands in for the real one.
 * - a candidate that fails at its first call, with any status (not only
 *   NOT_SUPPORTED), hands over to the next, which stays the choice;
 * - once a candidate has run, a failure is reported, never switched from;
 * - when none runs, the message lists what the heuristics offered and what
 *   each candidate returned; all NOT_SUPPORTED is GT_ERR_UNSUPPORTED, other
 *   failures keep their status (out of memory stays out of memory). */
#include "test_util.h"

#ifndef GTRAIN_HAVE_CUDA
int main(void)
{
    (void)gt_test_failures;
    printf("SKIPPED: built without the CUDA backend\n");
    return 77;
}
#else
#include "cuda/cuda_conv_candidates.h"

typedef struct script {
    cudnnStatus_t answers[8]; /* what the n-th call returns */
    int calls;
    int algos[8];
    size_t bytes[8];
} script;

static cudnnStatus_t scripted(void *ctx, int algo, cudnnMathType_t math, size_t ws)
{
    (void)math;
    script *s = ctx;
    int n = s->calls++;
    s->algos[n] = algo;
    s->bytes[n] = ws;
    return s->answers[n];
}

static gt_conv_candidates three(void)
{
    gt_conv_candidates c;
    memset(&c, 0, sizeof c);
    c.count = 3;
    int algos[3] = {6, 1, 0};
    for (int i = 0; i < 3; ++i) {
        c.algo[i] = algos[i];
        c.math[i] = CUDNN_FMA_MATH;
        c.bytes[i] = (size_t)(i + 1) * 1000;
    }
    c.offered_count = 4;
    gt_conv_heuristic offered[4] = {{6, CUDNN_STATUS_SUCCESS, 1, 3000, CUDNN_FMA_MATH},
                                    {1, CUDNN_STATUS_SUCCESS, 1, 1000, CUDNN_DEFAULT_MATH},
                                    {0, CUDNN_STATUS_SUCCESS, 0, 0, CUDNN_FMA_MATH},
                                    {5, CUDNN_STATUS_NOT_SUPPORTED, 1, 0, CUDNN_FMA_MATH}};
    memcpy(c.offered, offered, sizeof offered);
    return c;
}

static void test_any_failure_moves_on(void)
{
    gt_conv_candidates c = three();
    script s = {
        {CUDNN_STATUS_EXECUTION_FAILED, CUDNN_STATUS_SUCCESS, CUDNN_STATUS_SUCCESS}, 0, {0}, {0}};
    CHECK_OK(gt_conv_candidates_run(&c, scripted, &s, "cudnnConvolutionForward", "forward"));
    CHECK(s.calls == 2 && s.algos[0] == 6 && s.algos[1] == 1);
    CHECK_MSG(s.bytes[1] == 2000, "candidate 1 ran with %zu workspace bytes", s.bytes[1]);
    CHECK(c.current == 1 && c.verified);
    /* the next call goes straight to the candidate that ran */
    CHECK_OK(gt_conv_candidates_run(&c, scripted, &s, "cudnnConvolutionForward", "forward"));
    CHECK(s.calls == 3 && s.algos[2] == 1);
}

static void test_verified_failure_is_an_error(void)
{
    gt_conv_candidates c = three();
    script s = {{CUDNN_STATUS_SUCCESS, CUDNN_STATUS_EXECUTION_FAILED}, 0, {0}, {0}};
    CHECK_OK(gt_conv_candidates_run(&c, scripted, &s, "cudnnConvolutionForward", "forward"));
    CHECK_FAILS_WITH(gt_conv_candidates_run(&c, scripted, &s, "cudnnConvolutionForward", "forward"),
                     GT_ERR_DEVICE, "cudnnConvolutionForward");
    CHECK_MSG(s.calls == 2 && c.current == 0, "switched after a verified candidate failed");
}

static void test_none_runs(void)
{
    gt_conv_candidates c = three();
    script s = {{CUDNN_STATUS_NOT_SUPPORTED, CUDNN_STATUS_BAD_PARAM, CUDNN_STATUS_EXECUTION_FAILED},
                0,
                {0},
                {0}};
    gt_status st = gt_conv_candidates_run(&c, scripted, &s, "cudnnConvolutionBackwardFilter",
                                          "backward-filter");
    CHECK(st == GT_ERR_DEVICE);
    CHECK(s.calls == 3);
    const char *msg = gt_last_error();
    const char *needles[] = {"backward-filter",
                             "none of the 3 candidate algorithms ran",
                             "heuristics offered 4:",
                             "algo 6 SUCCESS det fma 3000 B",
                             "algo 1 SUCCESS det default 1000 B",
                             "algo 0 SUCCESS nondet fma 0 B",
                             "algo 5 NOT_SUPPORTED",
                             "tried: algo 6 (fma) -> NOT_SUPPORTED",
                             "algo 1 (fma) -> BAD_PARAM",
                             "algo 0 (fma) -> EXECUTION_FAILED",
                             "cudnnConvolutionBackwardFilter failed"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; ++i)
        CHECK_MSG(strstr(msg, needles[i]) != NULL, "message lacks '%s': %s", needles[i], msg);

    gt_conv_candidates u = three();
    script all = {
        {CUDNN_STATUS_NOT_SUPPORTED, CUDNN_STATUS_NOT_SUPPORTED_SHAPE, CUDNN_STATUS_NOT_SUPPORTED},
        0,
        {0},
        {0}};
    CHECK_FAILS_WITH(
        gt_conv_candidates_run(&u, scripted, &all, "cudnnConvolutionForward", "forward"),
        GT_ERR_UNSUPPORTED, "none of the 3");

    gt_conv_candidates m = three();
    script oom = {{CUDNN_STATUS_NOT_SUPPORTED, CUDNN_STATUS_NOT_SUPPORTED,
                   CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED},
                  0,
                  {0},
                  {0}};
    CHECK_FAILS_WITH(
        gt_conv_candidates_run(&m, scripted, &oom, "cudnnConvolutionForward", "forward"),
        GT_ERR_OUT_OF_MEMORY, "none of the 3");
}

static void test_describe_fits(void)
{
    gt_conv_candidates c = three();
    char small[40];
    gt_conv_candidates_describe(&c, 0, small, sizeof small);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(strcmp(small + sizeof small - 4, "...") == 0);
    char full[512];
    gt_conv_candidates_describe(&c, 0, full, sizeof full);
    CHECK_MSG(strstr(full, "tried") == NULL, "nothing tried yet: %s", full);
}

int main(void)
{
    test_any_failure_moves_on();
    test_verified_failure_is_an_error();
    test_none_runs();
    test_describe_fits();
    TEST_EXIT();
}
#endif
