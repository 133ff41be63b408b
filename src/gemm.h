/* gemm.h - single-precision matrix multiply, the hot kernel behind convolution and dense layers.
 *
 *   C[M x N] = beta * C + op(A) * op(B)
 *   op(A)[i][k] = transA ? A[k * lda + i] : A[i * lda + k]      (M x K)
 *   op(B)[k][j] = transB ? B[j * ldb + k] : B[k * ldb + j]      (K x N)
 *
 * beta is 0 or 1 in practice; with beta == 0, C is not read (it may hold garbage).
 * cf_gemm packs panels of A and B into `work` (cf_gemm_work_floats() floats, 64-byte aligned) and runs
 * a register-blocked SIMD micro-kernel over them (BLIS style). It is single-threaded: callers
 * parallelise over images or output blocks, which keeps results deterministic.
 * cf_gemm_ref is the naive triple loop the fast kernel is tested against. */
#ifndef CIFAKE_GEMM_H
#define CIFAKE_GEMM_H

#include <stddef.h>

#include "simd.h"

/* Micro-tile: CF_MR rows of C by CF_NV vectors (CF_NR = CF_NV * CF_VF columns), chosen so the
 * accumulators plus one broadcast and CF_NV loads fit the target's vector registers. For 4 lanes
 * (WebAssembly, SSE2) 2 x 4 was the fastest of the shapes tried in Node 20: V8 keeps its 8
 * accumulators in registers, where 6 x 2 spilled and ran at about half the speed. */
#if CF_VF == 16
#define CF_MR 8
#define CF_NV 2
#elif CF_VF == 8
#define CF_MR 6
#define CF_NV 2
#elif CF_VF == 4
#define CF_MR 2
#define CF_NV 4
#else
#define CF_MR 4
#define CF_NV 4
#endif
#define CF_NR (CF_NV * CF_VF)
/* The largest B panel the GEMM asks a packer for: CF_GEMM_KC rows by CF_GEMM_MAX_NC columns. */
#define CF_GEMM_KC 256
#define CF_GEMM_MAX_NC 1024

size_t cf_gemm_work_floats(void);

void cf_gemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc, float *work);

/* The general form behind cf_gemm. op(A) is a matrix (trans, a, lda) or, when `packed` is set, a
 * whole op(A) packed once by cf_gemm_pack_a (weights reused across the images of a batch). op(B)
 * is a matrix (trans, b, ldb) or, when `pack` is set, a callback that writes the panel of rows
 * [k0, k0+kc) and columns [j0, j0+nc) in slivers of CF_NR columns, k-major:
 * Bp[s*kc + k*NR + c] = op(B)[k0+k][j0+s+c], zero past nc (s a multiple of NR). A convolution packs
 * straight from its input image this way, without an im2col copy. */
typedef struct {
    int trans;
    const float *a;
    int lda;
    const float *packed;
} cf_gemm_a;

typedef void (*cf_pack_b_fn)(const void *ctx, int k0, int kc, int j0, int nc, float *Bp);

typedef struct {
    int trans;
    const float *b;
    int ldb;
    cf_pack_b_fn pack;
    const void *ctx;
} cf_gemm_b;

size_t cf_gemm_packed_a_floats(int M, int K);
void cf_gemm_pack_a(int transA, int M, int K, const float *A, int lda, float *Ap);
void cf_gemm_ex(int M, int N, int K, const cf_gemm_a *A, const cf_gemm_b *B, float beta, float *C, int ldc,
                float *work);

void cf_gemm_ref(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc);

#endif
