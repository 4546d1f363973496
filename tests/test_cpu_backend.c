/* The CPU backend's table and memory ops: every entry filled, names and
 * descriptions, refused precisions, 64-byte aligned allocation, copies,
 * out-of-memory reporting. */
#include <stdint.h>

#include "cpu/cpu_backend.h"
#include "cpu/cpu_internal.h"
#include "test_util.h"

/* the entries every backend fills; the compute ops come from GT_BACKEND_OPS */
#define CORE_ENTRIES(X)                                                                            \
    X(destroy)                                                                                     \
    X(describe)                                                                                    \
    X(alloc)                                                                                       \
    X(free)                                                                                        \
    X(upload)                                                                                      \
    X(download) X(zero) X(copy) X(synchronize) X(host_alloc) X(host_free) X(download_async)        \
        X(fence_query) X(upload_async) X(upload_release) X(upload_query)

static void check_table(gt_backend *be)
{
#define CHECK_ENTRY(field) CHECK_MSG(be->field != NULL, "%s: %s is NULL", be->name, #field);
    CORE_ENTRIES(CHECK_ENTRY)
#undef CHECK_ENTRY
    /* the CPU backends implement every compute op, and say so */
    for (int op = 0; op < GT_OP_COUNT; ++op)
        CHECK_MSG(gt_backend_supports_op(be, (gt_op)op), "%s: %s not supported", be->name,
                  gt_op_name((gt_op)op));
}

static void check_memory(gt_backend *be)
{
    void *a = NULL, *b = NULL, *h = NULL;
    CHECK_OK(be->alloc(be, 1000, &a));
    CHECK_OK(be->alloc(be, 0, &b)); /* zero bytes still gives a pointer to free */
    CHECK(a && b && ((uintptr_t)a % 64) == 0 && ((uintptr_t)b % 64) == 0);
    float src[250], back[250];
    for (int i = 0; i < 250; ++i)
        src[i] = (float)i * 0.5f;
    CHECK_OK(be->upload(be, a, src, sizeof src));
    CHECK_OK(be->host_alloc(be, sizeof back, &h));
    CHECK_OK(be->download_async(be, h, a, sizeof src, 63));
    int done = 0;
    CHECK_OK(be->fence_query(be, 63, &done));
    CHECK(done == 1);
    CHECK_FAILS_WITH(be->fence_query(be, GT_BACKEND_FENCES, &done), GT_ERR_INVALID_ARGUMENT,
                     "fence");
    CHECK(memcmp(h, src, sizeof src) == 0);
    CHECK_OK(be->synchronize(be));
    void *c = NULL;
    CHECK_OK(be->alloc(be, sizeof src, &c));
    CHECK_OK(be->copy(be, c, a, sizeof src));
    CHECK_OK(be->download(be, back, c, sizeof back));
    CHECK(memcmp(back, src, sizeof src) == 0);
    CHECK_OK(be->zero(be, a, sizeof src));
    CHECK_OK(be->download(be, back, a, sizeof back));
    for (int i = 0; i < 250; ++i)
        CHECK(back[i] == 0.0f);
    CHECK_FAILS_WITH(be->download_async(be, h, a, 4, GT_BACKEND_FENCES), GT_ERR_INVALID_ARGUMENT,
                     "fence");
    /* Far beyond any machine: the message names the bytes. */
    void *huge = NULL;
    CHECK_FAILS_WITH(be->alloc(be, (size_t)1 << 62, &huge), GT_ERR_OUT_OF_MEMORY,
                     "4611686018427387904 bytes");
    CHECK(huge == NULL);
    be->free(be, a);
    be->free(be, b);
    be->free(be, c);
    be->host_free(be, h);
}

int main(void)
{
    gt_backend *fast = NULL, *ref = NULL, *all = NULL;
    CHECK_OK(gt_backend_create("cpu", 2, GT_PRECISION_FP32, &fast));
    CHECK_OK(gt_backend_create("cpu-reference", 4, GT_PRECISION_FP32, &ref));
    CHECK_OK(gt_cpu_backend_create(0, 0, GT_PRECISION_FP32, &all)); /* 0: all cores */
    if (!fast || !ref || !all) TEST_EXIT();
    CHECK(strcmp(fast->name, "cpu") == 0 && strcmp(ref->name, "cpu-reference") == 0);
    check_table(fast);
    check_table(ref);
    printf("%s\n%s\n%s\n", fast->describe(fast), ref->describe(ref), all->describe(all));
    CHECK(strstr(fast->describe(fast), "cpu: 2 threads") != NULL);
    CHECK(strstr(fast->describe(fast), "fast ops") != NULL);
    /* It names the GEMM library actually linked (OpenBLAS and its version). */
    CHECK(strstr(fast->describe(fast), gt_cpu_gemm_library()) != NULL);
    /* The oracle is single-threaded whatever was asked. */
    CHECK(strstr(ref->describe(ref), "1 thread") != NULL);
    CHECK(strstr(all->describe(all), "thread") != NULL);
    check_memory(fast);
    check_memory(ref);
    gt_backend_destroy(fast);
    gt_backend_destroy(ref);
    gt_backend_destroy(all);

    gt_backend *none = NULL;
    /* the reference ops are the fp32 oracle: no bf16 there (the fast backend's
     * bf16 path, where the CPU has AVX512_BF16, is tested in test_cpu_bf16) */
    CHECK_FAILS_WITH(gt_cpu_backend_create(1, 1, GT_PRECISION_BF16, &none), GT_ERR_UNSUPPORTED,
                     "bf16");
    CHECK(none == NULL);
    CHECK_FAILS_WITH(gt_backend_create("cpu", 1, GT_PRECISION_TF32, &none), GT_ERR_UNSUPPORTED,
                     "tf32");
    CHECK_FAILS_WITH(gt_cpu_backend_create(1, 1, GT_PRECISION_TF32, &none), GT_ERR_UNSUPPORTED,
                     "tf32");
    TEST_EXIT();
}
