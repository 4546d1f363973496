/* GT_HD marks element math compiled both as C (CPU backend, tests) and as
 * CUDA (kernels): the GPU runs the same arithmetic the CPU tests check. */
#ifndef GT_HD_H
#define GT_HD_H

#ifdef __CUDACC__
#define GT_HD __host__ __device__ __forceinline__
#else
#define GT_HD static inline
#endif

#endif
