/* gt_backend_create: picks a backend by name. */
#include <string.h>

#include "cpu/cpu_backend.h"
#include "error.h"
#include "gtrain/backend.h"
#ifdef GTRAIN_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

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
