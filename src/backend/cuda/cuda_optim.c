/* The CUDA backend's table entries for the optimizers beyond Adam and SGD
 * (cuda_ops.c): AdamW and RMSprop, argument checks on the host, then one
 * queued launch of kernels/adamw.cu or kernels/rmsprop.cu. */
#include "cuda/cuda_check.h"
#include "cuda/cuda_internal.h"
#include "elem_math.h"
#include "kernels.h"
#include "op_checks.h"

static gt_status cuda_adamw_update(gt_backend *be, float *params, const float *grads, float *m,
                                   float *v, size_t count, const gt_adam_params *hp,
                                   float weight_decay)
{
    GT_TRY(gt_check_adamw(hp, weight_decay));
    /* lr_t in double on the host, as the CPU backend computes it */
    float lr_t = gt_adam_lr_t(hp->learning_rate, hp->beta1, hp->beta2, hp->step);
    GT_CUDA_CHECK(gt_launch_adamw(params, grads, m, v, count, hp->learning_rate, weight_decay, lr_t,
                                  hp->beta1, hp->beta2, hp->epsilon, gt_cuda_of(be)->stream));
    return GT_OK;
}

static gt_status cuda_rmsprop_update(gt_backend *be, float *params, const float *grads,
                                     float *velocity, float *momentum_buf, float *mean_grad,
                                     size_t count, const gt_rmsprop_params *hp)
{
    GT_TRY(gt_check_rmsprop(hp, momentum_buf, mean_grad));
    GT_CUDA_CHECK(gt_launch_rmsprop(params, grads, velocity, momentum_buf, mean_grad, count, hp,
                                    gt_cuda_of(be)->stream));
    return GT_OK;
}

void gt_cuda_install_optim_ops(gt_backend *be)
{
    be->adamw_update = cuda_adamw_update;
    be->rmsprop_update = cuda_rmsprop_update;
}
