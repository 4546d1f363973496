/* gt_backend_create: picks a backend by name. */
#include <string.h>

#include "backend_native.h"
#include "cpu/cpu_backend.h"
#include "gtrain/status.h"
#include "gtrain/backend.h"
#ifdef GTRAIN_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

void *gt_backend_cuda_stream(gt_backend *be)
{
#ifdef GTRAIN_HAVE_CUDA
    if (be && be->name && strcmp(be->name, "cuda") == 0) return gt_cuda_backend_stream(be);
#else
    (void)be;
#endif
    return NULL;
}

int gt_backend_cuda_compiled(void)
{
#ifdef GTRAIN_HAVE_CUDA
    return 1;
#else
    return 0;
#endif
}

gt_status gt_backend_create(const char *name, int threads, gt_precision precision, gt_backend **out)
{
    if (!name || !out) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_backend_create: NULL argument");
    *out = NULL;
    if (strcmp(name, "cpu") == 0 || strcmp(name, "cpu-reference") == 0) {
        if (precision == GT_PRECISION_TF32)
            return gt_fail(GT_ERR_UNSUPPORTED,
                           "precision tf32 needs a GPU with tensor cores; the CPU runs fp32");
        return gt_cpu_backend_create(threads, strcmp(name, "cpu-reference") == 0, precision, out);
    }
    if (strcmp(name, "cuda") == 0) {
#ifdef GTRAIN_HAVE_CUDA
        return gt_cuda_backend_create(precision, out);
#else
        return gt_fail(GT_ERR_UNSUPPORTED,
                       "this gtrain was built without the CUDA backend (configure with "
                       "-DGTRAIN_CUDA=ON where nvcc and cuDNN are installed)");
#endif
    }
    return gt_fail(GT_ERR_INVALID_ARGUMENT,
                   "unknown backend '%s' (expected cpu, cpu-reference or cuda)", name);
}

void gt_backend_destroy(gt_backend *be)
{
    if (be && be->destroy) be->destroy(be);
}

gt_status gt_backend_set_deterministic(gt_backend *be, int on)
{
    if (!be) return gt_fail(GT_ERR_INVALID_ARGUMENT, "gt_backend_set_deterministic: NULL backend");
    return be->set_deterministic ? be->set_deterministic(be, on) : GT_OK;
}

static const char *const op_names[GT_OP_COUNT] = {
#define GT_OP_NAME_(name, ret, params) #name,
    GT_BACKEND_OPS(GT_OP_NAME_)
#undef GT_OP_NAME_
};

const char *gt_op_name(gt_op op)
{
    return (unsigned)op < GT_OP_COUNT ? op_names[op] : NULL;
}

int gt_backend_supports_op(const gt_backend *be, gt_op op)
{
    if (!be || (unsigned)op >= GT_OP_COUNT) return 0;
    switch (op) {
#define GT_OP_CASE_(name, ret, params)                                                             \
    case GT_OP_##name:                                                                             \
        return be->name != NULL;
        GT_BACKEND_OPS(GT_OP_CASE_)
#undef GT_OP_CASE_
    case GT_OP_COUNT:
        break;
    }
    return 0;
}
