/* Launch-configuration helpers shared by gtrain's kernels (internal). */
#ifndef GT_LAUNCH_UTIL_CUH
#define GT_LAUNCH_UTIL_CUH

#include <stddef.h>

#include <cuda_runtime.h>

#define GT_THREADS 256

/* Blocks for a grid-stride loop over `count` elements: enough to fill an
 * H100 many times over, capped so the grid size always fits. */
static inline unsigned int gt_grid_for(size_t count)
{
    size_t blocks = (count + GT_THREADS - 1) / GT_THREADS;
    if (blocks < 1) blocks = 1;
    if (blocks > 65535) blocks = 65535;
    return (unsigned int)blocks;
}

/* Index of this thread and the stride of a 1-D grid-stride loop, in size_t
 * so that buffers over 2^31 elements are walked correctly. */
#define GT_GRID_STRIDE_LOOP(i, count)                                                              \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (count);                    \
         i += (size_t)blockDim.x * gridDim.x)

/* The (n, y, x, channel) position of element i of an NHWC tensor whose
 * examples are h x w x c. */
typedef struct gt_nhwc_pos {
    int n, y, x, c;
} gt_nhwc_pos;

static __device__ __forceinline__ gt_nhwc_pos gt_nhwc_of(size_t i, int h, int w, int c)
{
    gt_nhwc_pos p;
    p.c = (int)(i % (size_t)c);
    size_t r = i / (size_t)c;
    p.x = (int)(r % (size_t)w);
    r /= (size_t)w;
    p.y = (int)(r % (size_t)h);
    p.n = (int)(r / (size_t)h);
    return p;
}

#endif
