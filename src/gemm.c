#include "gemm.h"

#include <string.h>

#include "simd.h"

/* Cache blocking: a KC x NC panel of B stays in L2, an MC x KC panel of A in L1/L2. */
#define CF_KC CF_GEMM_KC
#define CF_MC (CF_MR * 16)
#define CF_NC CF_GEMM_MAX_NC

size_t cf_gemm_work_floats(void) {
    return (size_t)CF_MC * CF_KC + (size_t)CF_KC * CF_NC + 64;
}

static float a_at(int transA, const float *A, int lda, int i, int k) {
    return transA ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}

/* Packs rows [i0, i0+mc) and depth [k0, k0+kc) of op(A) into slivers of CF_MR rows, k-major:
 * sliver s holds op(A)[i0 + s*MR + r][k0 + k] at s*MR*kc + k*MR + r, zero-padded past M. */
static void pack_a(int transA, const float *A, int lda, int i0, int mc, int k0, int kc, float *Ap) {
    for (int s = 0; s < mc; s += CF_MR) {
        int rows = mc - s < CF_MR ? mc - s : CF_MR;
        float *dst = Ap + (size_t)s * kc;
        if (!transA) {
            for (int r = 0; r < rows; r++) {
                const float *src = A + (size_t)(i0 + s + r) * lda + k0;
                for (int k = 0; k < kc; k++) dst[k * CF_MR + r] = src[k];
            }
        } else {
            for (int k = 0; k < kc; k++) {
                const float *src = A + (size_t)(k0 + k) * lda + i0 + s;
                for (int r = 0; r < rows; r++) dst[k * CF_MR + r] = src[r];
            }
        }
        for (int r = rows; r < CF_MR; r++)
            for (int k = 0; k < kc; k++) dst[k * CF_MR + r] = 0.0f;
    }
}

/* Packs depth [k0, k0+kc) and columns [j0, j0+nc) of op(B) into slivers of CF_NR columns, k-major. */
static void pack_b(int transB, const float *B, int ldb, int k0, int kc, int j0, int nc, float *Bp) {
    for (int s = 0; s < nc; s += CF_NR) {
        int cols = nc - s < CF_NR ? nc - s : CF_NR;
        float *dst = Bp + (size_t)s * kc;
        if (!transB) {
            for (int k = 0; k < kc; k++) {
                const float *src = B + (size_t)(k0 + k) * ldb + j0 + s;
                float *d = dst + k * CF_NR;
                if (cols == CF_NR) {
                    memcpy(d, src, sizeof(float) * CF_NR);
                } else {
                    for (int c = 0; c < cols; c++) d[c] = src[c];
                    for (int c = cols; c < CF_NR; c++) d[c] = 0.0f;
                }
            }
        } else {
            for (int c = 0; c < cols; c++) {
                const float *src = B + (size_t)(j0 + s + c) * ldb + k0;
                for (int k = 0; k < kc; k++) dst[k * CF_NR + c] = src[k];
            }
            for (int c = cols; c < CF_NR; c++)
                for (int k = 0; k < kc; k++) dst[k * CF_NR + c] = 0.0f;
        }
    }
}

/* C tile (rows x cols, at most MR x NR) = (accumulate ? C : 0) + Ap_sliver * Bp_sliver. */
static void micro_kernel(int kc, const float *Ap, const float *Bp, float *C, int ldc, int rows, int cols,
                         int accumulate) {
    vf acc[CF_MR][CF_NV];
    for (int r = 0; r < CF_MR; r++)
        for (int v = 0; v < CF_NV; v++) acc[r][v] = vf_zero();
    for (int k = 0; k < kc; k++) {
        vf b[CF_NV];
        for (int v = 0; v < CF_NV; v++) b[v] = vf_load(Bp + k * CF_NR + v * CF_VF);
        for (int r = 0; r < CF_MR; r++) {
            vf a = vf_set1(Ap[k * CF_MR + r]);
            for (int v = 0; v < CF_NV; v++) acc[r][v] = vf_fma(a, b[v], acc[r][v]);
        }
    }
    if (rows == CF_MR && cols == CF_NR) {
        for (int r = 0; r < CF_MR; r++)
            for (int v = 0; v < CF_NV; v++) {
                float *c = C + (size_t)r * ldc + v * CF_VF;
                vf_store(c, accumulate ? vf_add(acc[r][v], vf_load(c)) : acc[r][v]);
            }
        return;
    }
    float tile[CF_MR * CF_NR];
    for (int r = 0; r < CF_MR; r++)
        for (int v = 0; v < CF_NV; v++) vf_store(tile + r * CF_NR + v * CF_VF, acc[r][v]);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            float *dst = C + (size_t)r * ldc + c;
            *dst = accumulate ? *dst + tile[r * CF_NR + c] : tile[r * CF_NR + c];
        }
}

static void scale_c(int M, int N, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : C[(size_t)i * ldc + j] * beta;
}

/* M rounded up to whole slivers of CF_MR rows: the rows a packed op(A) holds. */
static int padded_rows(int M) { return (M + CF_MR - 1) / CF_MR * CF_MR; }

size_t cf_gemm_packed_a_floats(int M, int K) { return (size_t)padded_rows(M) * (size_t)(K > 0 ? K : 1); }

/* Depth block k0 of a whole packed op(A) starts at k0 * Mpad: the slivers of all M rows for that
 * block, exactly as pack_a lays them out, so row block i0 is at (k0 * Mpad + i0 * kc). */
void cf_gemm_pack_a(int transA, int M, int K, const float *A, int lda, float *Ap) {
    int m_pad = padded_rows(M);
    for (int k0 = 0; k0 < K; k0 += CF_KC) {
        int kc = K - k0 < CF_KC ? K - k0 : CF_KC;
        pack_a(transA, A, lda, 0, M, k0, kc, Ap + (size_t)k0 * m_pad);
    }
}

static void pack_b_panel(const cf_gemm_b *B, int k0, int kc, int j0, int nc, float *Bp) {
    if (B->pack)
        B->pack(B->ctx, k0, kc, j0, nc, Bp);
    else
        pack_b(B->trans, B->b, B->ldb, k0, kc, j0, nc, Bp);
}

void cf_gemm_ex(int M, int N, int K, const cf_gemm_a *A, const cf_gemm_b *B, float beta, float *C, int ldc,
                float *work) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || (beta != 0.0f && beta != 1.0f)) {
        scale_c(M, N, beta, C, ldc);
        if (K <= 0) return;
        beta = 1.0f;
    }
    int m_pad = padded_rows(M);
    float *Ap = work;
    float *Bp = work + (size_t)CF_MC * CF_KC;
    for (int j0 = 0; j0 < N; j0 += CF_NC) {
        int nc = N - j0 < CF_NC ? N - j0 : CF_NC;
        for (int k0 = 0; k0 < K; k0 += CF_KC) {
            int kc = K - k0 < CF_KC ? K - k0 : CF_KC;
            int accumulate = k0 > 0 || beta != 0.0f;
            pack_b_panel(B, k0, kc, j0, nc, Bp);
            for (int i0 = 0; i0 < M; i0 += CF_MC) {
                int mc = M - i0 < CF_MC ? M - i0 : CF_MC;
                const float *Ablock = Ap;
                if (A->packed)
                    Ablock = A->packed + (size_t)k0 * m_pad + (size_t)i0 * kc;
                else
                    pack_a(A->trans, A->a, A->lda, i0, mc, k0, kc, Ap);
                for (int jr = 0; jr < nc; jr += CF_NR) {
                    int cols = nc - jr < CF_NR ? nc - jr : CF_NR;
                    for (int ir = 0; ir < mc; ir += CF_MR) {
                        int rows = mc - ir < CF_MR ? mc - ir : CF_MR;
                        micro_kernel(kc, Ablock + (size_t)ir * kc, Bp + (size_t)jr * kc,
                                     C + (size_t)(i0 + ir) * ldc + j0 + jr, ldc, rows, cols, accumulate);
                    }
                }
            }
        }
    }
}

void cf_gemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc, float *work) {
    cf_gemm_a a = {transA, A, lda, NULL};
    cf_gemm_b b = {transB, B, ldb, NULL, NULL};
    cf_gemm_ex(M, N, K, &a, &b, beta, C, ldc, work);
}

void cf_gemm_ref(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0.0;
            for (int k = 0; k < K; k++) {
                float b = transB ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                sum += (double)a_at(transA, A, lda, i, k) * b;
            }
            float *c = C + (size_t)i * ldc + j;
            *c = (float)(beta == 0.0f ? sum : beta * *c + sum);
        }
}
