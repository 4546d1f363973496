/* bf16 column packing (precision bf16): the shared im2col body of
 * cpu_im2col_body.h with runs rounded by explicit AVX-512 code.
 *
 * The plain rounding loop over a run of runtime length (k_w * in_c = 9, 24,
 * 48 in cnn-signs) stayed scalar even when compiled for AVX-512 and took 40%
 * of a cnn-signs bf16 step. A masked 16-lane load/round/store handles any
 * run with no scalar tail and reads nothing past the run. This file is only
 * reached on CPUs with AVX512_BF16 (checked at backend creation), so all of
 * it is compiled for AVX-512F/BW/VL; elsewhere it is built as plain C. */
#include <stdint.h>
#include <string.h>

#include "cpu/cpu_internal.h"
#include "elem_math.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))),                 \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl")
#endif
#define GT_IM2COL_AVX512 1

/* gt_f32_to_bf16 on 16 lanes, the same integer steps: round to nearest even
 * by adding 0x7fff plus the lowest kept bit, NaN kept quiet. */
static inline void round_run_avx512(uint16_t *dst, const float *src, int len)
{
    const __m512i lsb = _mm512_set1_epi32(1), half = _mm512_set1_epi32(0x7fff);
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i quiet = _mm512_set1_epi32(0x40);
    for (int j = 0; j < len; j += 16) {
        int n = len - j < 16 ? len - j : 16;
        __mmask16 m = (__mmask16)((1u << n) - 1u);
        __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, src + j));
        __m512i hi = _mm512_srli_epi32(u, 16);
        __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, half), _mm512_and_si512(hi, lsb));
        r = _mm512_srli_epi32(r, 16);
        __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
        r = _mm512_mask_or_epi32(r, nan, hi, quiet);
        _mm256_mask_storeu_epi16(dst + j, m, _mm512_cvtepi32_epi16(r));
    }
}
#define IM2COL_ROUND_RUN(dst, src, len) round_run_avx512((dst), (src), (len))
#else
#define IM2COL_ROUND_RUN(dst, src, len)                                                            \
    do {                                                                                           \
        for (int j_ = 0; j_ < (len); ++j_)                                                         \
            (dst)[j_] = gt_f32_to_bf16((src)[j_]);                                                 \
    } while (0)
#endif

#include "cpu/cpu_im2col_body.h"

void gt_cpu_im2col_rows_bf16(const gt_conv_geom *g, uint16_t *col, const float *x, size_t row0,
                             size_t count)
{
    im2col_rows(g, col, x, row0, count, 1);
}

#ifdef GT_IM2COL_AVX512
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
