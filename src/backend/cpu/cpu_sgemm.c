/* gtrain's own sgemm, used when the build has neither oneDNN nor OpenBLAS (a
 * bare GPU machine). Row-major C = alpha op(A) op(B) + beta C, blocked the GotoBLAS
 * way: a KC x NC panel of op(B) and an MC x KC block of op(A) are packed
 * into contiguous, zero-padded strips that an MR x NR register-tile kernel
 * streams through. Threads split the (row block, column block) tiles of C, so
 * no two threads write one element and each element sums its K panels in
 * the same order: deterministic for any thread count. Scratch lives on the
 * stack (the B panel on the caller's, each A block on its worker's), so the
 * op allocates nothing. */
#include <string.h>

#include "cpu/cpu_internal.h"

#define MR 4      /* rows of the register tile */
#define NR 8      /* columns of the register tile: two SSE / one AVX vector */
#define MC 64     /* rows of an A block (64 x 256 floats = 64 KiB: L2) */
#define KC 256    /* depth of a panel */
#define NC 256    /* columns of a B panel (256 KiB: L2/L3) */
#define TILE_N 64 /* columns of C per parallel task */

static float op_at(const float *mat, int ld, int trans, int row, int col)
{
    return trans ? mat[(size_t)col * ld + row] : mat[(size_t)row * ld + col];
}

/* op(A)[i0 .. i0+mc, p0 .. p0+kc] as strips of MR rows: dst[(iq*kc + p)*MR + r]. */
static void pack_a(float *dst, const float *a, int lda, int trans, int i0, int mc, int p0, int kc)
{
    int strips = (mc + MR - 1) / MR;
    for (int iq = 0; iq < strips; ++iq)
        for (int r = 0; r < MR; ++r) {
            int i = iq * MR + r;
            float *out = dst + (size_t)iq * kc * MR + r;
            if (i >= mc) {
                for (int p = 0; p < kc; ++p)
                    out[(size_t)p * MR] = 0.0f;
            } else {
                for (int p = 0; p < kc; ++p)
                    out[(size_t)p * MR] = op_at(a, lda, trans, i0 + i, p0 + p);
            }
        }
}

/* op(B)[p0 .. p0+kc, j0 .. j0+nc] as strips of NR columns: dst[(jq*kc + p)*NR + jj]. */
static void pack_b(int threads, float *dst, const float *b, int ldb, int trans, int p0, int kc,
                   int j0, int nc)
{
    int strips = (nc + NR - 1) / NR;
#pragma omp parallel for num_threads(threads) schedule(static) if (strips * kc > 8192)
    for (int jq = 0; jq < strips; ++jq)
        for (int p = 0; p < kc; ++p) {
            float *out = dst + ((size_t)jq * kc + p) * NR;
            for (int jj = 0; jj < NR; ++jj) {
                int j = jq * NR + jj;
                out[jj] = j < nc ? op_at(b, ldb, trans, p0 + p, j0 + j) : 0.0f;
            }
        }
}

/* acc = A strip (MR x kc) times B strip (kc x NR). Fixed trip counts let the
 * compiler keep the tile in vector registers. */
static void micro_kernel(int kc, const float *ap, const float *bp, float acc[MR][NR])
{
    float t[MR][NR];
    for (int r = 0; r < MR; ++r)
        for (int jj = 0; jj < NR; ++jj)
            t[r][jj] = 0.0f;
    for (int p = 0; p < kc; ++p) {
        const float *av = ap + (size_t)p * MR;
        const float *bv = bp + (size_t)p * NR;
        for (int r = 0; r < MR; ++r)
            for (int jj = 0; jj < NR; ++jj)
                t[r][jj] += av[r] * bv[jj];
    }
    memcpy(acc, t, sizeof t);
}

static void scale_c(int threads, int m, int n, float beta, float *c, int ldc)
{
    if (beta == 1.0f) return;
#pragma omp parallel for num_threads(threads) schedule(static) if ((size_t)m * n > 16384)
    for (int i = 0; i < m; ++i) {
        float *row = c + (size_t)i * ldc;
        if (beta == 0.0f) /* BLAS: beta 0 ignores C's old content, NaN included */
            memset(row, 0, (size_t)n * sizeof *row);
        else
            for (int j = 0; j < n; ++j)
                row[j] *= beta;
    }
}

void gt_cpu_sgemm(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
    scale_c(threads, m, n, beta, c, ldc);
    if (k <= 0 || alpha == 0.0f) return;

    _Alignas(64) float bpack[KC * NC];
    for (int j0 = 0; j0 < n; j0 += NC) {
        int nc = n - j0 < NC ? n - j0 : NC;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = k - p0 < KC ? k - p0 : KC;
            pack_b(threads, bpack, b, ldb, trans_b, p0, kc, j0, nc);
            int row_blocks = (m + MC - 1) / MC;
            int col_blocks = (nc + TILE_N - 1) / TILE_N;
            int tasks = row_blocks * col_blocks;
            double flops = 2.0 * m * nc * kc;
#pragma omp parallel for num_threads(threads) schedule(static) if (tasks > 1 && flops > 1e5)
            for (int t = 0; t < tasks; ++t) {
                _Alignas(64) float apack[MC * KC];
                int i0 = (t / col_blocks) * MC;
                int mc = m - i0 < MC ? m - i0 : MC;
                int jt0 = (t % col_blocks) * TILE_N; /* within the panel */
                int jt1 = nc - jt0 < TILE_N ? nc : jt0 + TILE_N;
                pack_a(apack, a, lda, trans_a, i0, mc, p0, kc);
                for (int jq = jt0 / NR; jq * NR < jt1; ++jq) {
                    const float *bp = bpack + (size_t)jq * kc * NR;
                    int ncols = jt1 - jq * NR < NR ? jt1 - jq * NR : NR;
                    for (int iq = 0; iq * MR < mc; ++iq) {
                        float acc[MR][NR];
                        micro_kernel(kc, apack + (size_t)iq * kc * MR, bp, acc);
                        int nrows = mc - iq * MR < MR ? mc - iq * MR : MR;
                        for (int r = 0; r < nrows; ++r) {
                            float *crow = c + (size_t)(i0 + iq * MR + r) * ldc + j0 + jq * NR;
                            for (int jj = 0; jj < ncols; ++jj)
                                crow[jj] += alpha * acc[r][jj];
                        }
                    }
                }
            }
        }
    }
}
