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

size_t cf_gemm_work_floats(void);

void cf_gemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc, float *work);

void cf_gemm_ref(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc);

#endif
