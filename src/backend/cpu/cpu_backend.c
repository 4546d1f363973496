/* The CPU backend: creation, memory (host memory is the device memory here)
 * and the choice between the reference and the fast op tables. */
#include "cpu/cpu_backend.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "gtrain/status.h"

/* 64 bytes: one cache line, and enough for AVX-512 aligned loads. */
#define GT_CPU_ALIGN 64

static void cpu_destroy(gt_backend *be)
{
    if (!be) return;
    gt_cpu_impl *impl = be->impl;
    if (impl) {
        gt_cpu_bf16_destroy(impl->bf16);
        free(impl->gemm_scratch);
    }
    free(be->impl);
    free(be);
}

static const char *cpu_describe(gt_backend *be)
{
    return ((gt_cpu_impl *)be->impl)->description;
}

static gt_status cpu_alloc(gt_backend *be, size_t bytes, void **out)
{
    (void)be;
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "cpu alloc: NULL output pointer");
    *out = NULL;
    /* aligned_alloc wants a multiple of the alignment; 0 bytes still gives a
     * distinct valid pointer so that callers need no special case. */
    size_t rounded = bytes + (GT_CPU_ALIGN - 1);
    if (rounded < bytes)
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "cpu backend: cannot allocate %zu bytes", bytes);
    rounded -= rounded % GT_CPU_ALIGN;
    if (rounded == 0) rounded = GT_CPU_ALIGN;
    void *p = aligned_alloc(GT_CPU_ALIGN, rounded);
    if (!p)
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "cpu backend: out of host memory allocating %zu bytes (%.1f MiB)", bytes,
                       (double)bytes / (1024.0 * 1024.0));
    *out = p;
    return GT_OK;
}

static void cpu_free(gt_backend *be, void *ptr)
{
    (void)be;
    free(ptr);
}

static gt_status cpu_copy(const char *op, void *dst, const void *src, size_t bytes)
{
    if (bytes == 0) return GT_OK;
    if (!dst || !src)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "cpu %s: NULL pointer for %zu bytes", op, bytes);
    memcpy(dst, src, bytes);
    return GT_OK;
}

static gt_status cpu_upload(gt_backend *be, void *dst, const void *host_src, size_t bytes)
{
    (void)be;
    return cpu_copy("upload", dst, host_src, bytes);
}

static gt_status cpu_download(gt_backend *be, void *host_dst, const void *src, size_t bytes)
{
    (void)be;
    return cpu_copy("download", host_dst, src, bytes);
}

static gt_status cpu_zero(gt_backend *be, void *dst, size_t bytes)
{
    (void)be;
    if (bytes == 0) return GT_OK;
    if (!dst)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "cpu zero: NULL pointer for %zu bytes", bytes);
    memset(dst, 0, bytes);
    return GT_OK;
}

static gt_status cpu_copy_op(gt_backend *be, void *dst, const void *src, size_t bytes)
{
    (void)be;
    return cpu_copy("copy", dst, src, bytes);
}

static gt_status cpu_synchronize(gt_backend *be)
{
    (void)be; /* CPU ops complete before they return */
    return GT_OK;
}

static gt_status cpu_host_alloc(gt_backend *be, size_t bytes, void **out)
{
    return cpu_alloc(be, bytes, out);
}

static void cpu_host_free(gt_backend *be, void *ptr)
{
    cpu_free(be, ptr);
}

static gt_status cpu_download_async(gt_backend *be, void *host_dst, const void *src, size_t bytes,
                                    int fence)
{
    (void)be;
    if (fence < 0 || fence >= GT_BACKEND_FENCES)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "cpu download_async: fence %d outside [0, %d)",
                       fence, GT_BACKEND_FENCES);
    return cpu_copy("download_async", host_dst, src, bytes);
}

static gt_status cpu_fence_query(gt_backend *be, int fence, int *done)
{
    (void)be;
    *done = 1; /* the copy landed before download_async returned */
    if (fence < 0 || fence >= GT_BACKEND_FENCES)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "cpu fence_query: fence %d outside [0, %d)", fence,
                       GT_BACKEND_FENCES);
    return GT_OK;
}

static gt_status check_upload_slot(const char *op, int slot)
{
    if (slot < 0 || slot >= GT_BACKEND_UPLOAD_SLOTS)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "cpu %s: slot %d outside [0, %d)", op, slot,
                       GT_BACKEND_UPLOAD_SLOTS);
    return GT_OK;
}

/* Ops run in call order on the calling thread: the copy happens now. */
static gt_status cpu_upload_async(gt_backend *be, void *dst, const void *host_src, size_t bytes,
                                  int slot)
{
    (void)be;
    GT_TRY(check_upload_slot("upload_async", slot));
    return cpu_copy("upload_async", dst, host_src, bytes);
}

static gt_status cpu_upload_release(gt_backend *be, int slot)
{
    (void)be;
    return check_upload_slot("upload_release", slot);
}

static gt_status cpu_upload_query(gt_backend *be, int slot, int *done)
{
    (void)be;
    *done = 1;
    return check_upload_slot("upload_query", slot);
}

/* Every op of GT_BACKEND_OPS, from one table or the other. */
static void fill_reference_ops(gt_backend *be)
{
#define GT_FILL_REF_(name, ret, params) be->name = gt_cpu_ref_##name;
    GT_BACKEND_OPS(GT_FILL_REF_)
#undef GT_FILL_REF_
}

static void fill_fast_ops(gt_backend *be)
{
#define GT_FILL_FAST_(name, ret, params) be->name = gt_cpu_fast_##name;
    GT_BACKEND_OPS(GT_FILL_FAST_)
#undef GT_FILL_FAST_
}

gt_status gt_cpu_backend_create(int threads, int reference, gt_precision precision,
                                gt_backend **out)
{
    if (!out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_cpu_backend_create: NULL output");
    *out = NULL;
    if (precision == GT_PRECISION_BF16 && reference)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "precision bf16: the cpu-reference backend is the fp32 oracle; use --device "
                       "cpu");
    if (precision == GT_PRECISION_BF16 && !gt_cpu_has_avx512_bf16())
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "precision bf16 needs a CPU with AVX512_BF16 (avx512_bf16 in "
                       "/proc/cpuinfo: Intel Cooper Lake / Sapphire Rapids or AMD Zen 4 and "
                       "later), which this CPU lacks; use fp32");
    if (precision == GT_PRECISION_TF32)
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "precision tf32 needs a GPU with tensor cores; the CPU runs fp32");
    if (precision != GT_PRECISION_FP32 && precision != GT_PRECISION_BF16)
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "unknown precision %d", (int)precision);

    if (threads <= 0) threads = omp_get_num_procs();
    if (threads < 1) threads = 1;
    if (threads > GT_CPU_MAX_THREADS) threads = GT_CPU_MAX_THREADS;

    gt_backend *be = calloc(1, sizeof *be);
    gt_cpu_impl *impl = calloc(1, sizeof *impl);
    if (!be || !impl) {
        free(be);
        free(impl);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "cpu backend: out of host memory creating the backend");
    }
    /* The reference ops are single-threaded by design: they are the oracle. */
    impl->threads = reference ? 1 : threads;
    impl->reference = reference ? 1 : 0;
    if (precision == GT_PRECISION_BF16) {
        gt_status st = gt_cpu_bf16_create(impl->threads, &impl->bf16);
        if (st != GT_OK) {
            free(be);
            free(impl);
            return st;
        }
    }
    if (reference)
        snprintf(impl->description, sizeof impl->description,
                 "cpu-reference: 1 thread, plain loops accumulating in double (reference ops)");
    else if (impl->bf16)
        snprintf(impl->description, sizeof impl->description,
                 "cpu: %d thread%s, precision bf16 (GEMM/conv inputs bf16, fp32 accumulate: "
                 "oneDNN matmul %s; fp32 elsewhere: %s) (fast ops)",
                 impl->threads, impl->threads == 1 ? "" : "s", gt_cpu_bf16_kernel(impl->bf16),
                 gt_cpu_gemm_library());
    else
        snprintf(impl->description, sizeof impl->description, "cpu: %d thread%s, %s (fast ops)",
                 impl->threads, impl->threads == 1 ? "" : "s", gt_cpu_gemm_library());

    be->name = reference ? "cpu-reference" : "cpu";
    be->impl = impl;
    be->destroy = cpu_destroy;
    be->describe = cpu_describe;
    be->alloc = cpu_alloc;
    be->free = cpu_free;
    be->upload = cpu_upload;
    be->download = cpu_download;
    be->zero = cpu_zero;
    be->copy = cpu_copy_op;
    be->synchronize = cpu_synchronize;
    be->host_alloc = cpu_host_alloc;
    be->host_free = cpu_host_free;
    be->download_async = cpu_download_async;
    be->fence_query = cpu_fence_query;
    be->upload_async = cpu_upload_async;
    be->upload_release = cpu_upload_release;
    be->upload_query = cpu_upload_query;
    if (reference)
        fill_reference_ops(be);
    else
        fill_fast_ops(be);
    *out = be;
    return GT_OK;
}
