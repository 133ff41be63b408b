/* simd.h - the one vector abstraction of the cifake core. Nothing else in the project uses intrinsics.
 *
 * A `vf` holds CF_VF floats:
 *   WebAssembly SIMD128 (emcc -msimd128)  -> 4 lanes
 *   x86 AVX-512F                          -> 16 lanes
 *   x86 AVX2 + FMA                        -> 8 lanes
 *   x86 SSE2                              -> 4 lanes
 *   anything else (or CF_SIMD_SCALAR)     -> 1 lane, plain C
 * Kernels are written once against these inline functions; each has a naive reference twin that the
 * tests compare it with, on every target the tests are built for (native and WebAssembly). */
#ifndef CIFAKE_SIMD_H
#define CIFAKE_SIMD_H

#if defined(CF_SIMD_SCALAR)
#define CF_SIMD_NAME "scalar"
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define CF_SIMD_NAME "wasm-simd128"
#define CF_VF 4
typedef v128_t vf;
static inline vf vf_zero(void) { return wasm_f32x4_splat(0.0f); }
static inline vf vf_set1(float x) { return wasm_f32x4_splat(x); }
static inline vf vf_load(const float *p) { return wasm_v128_load(p); }
static inline void vf_store(float *p, vf v) { wasm_v128_store(p, v); }
static inline vf vf_add(vf a, vf b) { return wasm_f32x4_add(a, b); }
static inline vf vf_sub(vf a, vf b) { return wasm_f32x4_sub(a, b); }
static inline vf vf_mul(vf a, vf b) { return wasm_f32x4_mul(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
static inline vf vf_max(vf a, vf b) { return wasm_f32x4_pmax(a, b); }
#elif defined(__AVX512F__)
#include <immintrin.h>
#define CF_SIMD_NAME "avx512"
#define CF_VF 16
typedef __m512 vf;
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define CF_SIMD_NAME "avx2-fma"
#define CF_VF 8
typedef __m256 vf;
static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
#elif defined(__SSE2__)
#include <emmintrin.h>
#define CF_SIMD_NAME "sse2"
#define CF_VF 4
typedef __m128 vf;
static inline vf vf_zero(void) { return _mm_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm_set1_ps(x); }
static inline vf vf_load(const float *p) { return _mm_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm_storeu_ps(p, v); }
static inline vf vf_add(vf a, vf b) { return _mm_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm_mul_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
static inline vf vf_max(vf a, vf b) { return _mm_max_ps(a, b); }
#else
#define CF_SIMD_NAME "scalar"
#endif

#ifndef CF_VF
#define CF_VF 1
typedef float vf;
static inline vf vf_zero(void) { return 0.0f; }
static inline vf vf_set1(float x) { return x; }
static inline vf vf_load(const float *p) { return *p; }
static inline void vf_store(float *p, vf v) { *p = v; }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_fma(vf a, vf b, vf c) { return a * b + c; }
static inline vf vf_max(vf a, vf b) { return a > b ? a : b; }
#endif

/* Sum of the lanes of v, added in lane order (deterministic on every target). */
static inline float vf_reduce_add(vf v) {
    float lanes[CF_VF];
    vf_store(lanes, v);
    float s = 0.0f;
    for (int i = 0; i < CF_VF; i++) s += lanes[i];
    return s;
}

/* sum(x[i]) over n floats (a plain loop would add one float at a time: without -ffast-math the
 * compiler keeps the serial order). */
static inline float vf_sum(const float *x, int n) {
    vf s = vf_zero();
    int i = 0;
    for (; i + CF_VF <= n; i += CF_VF) s = vf_add(s, vf_load(x + i));
    float t = vf_reduce_add(s);
    for (; i < n; i++) t += x[i];
    return t;
}

/* sum(x[i]) and sum(x[i]^2) over n floats. */
static inline void vf_sum_sumsq(const float *x, int n, float *sum, float *sumsq) {
    vf s = vf_zero(), q = vf_zero();
    int i = 0;
    for (; i + CF_VF <= n; i += CF_VF) {
        vf v = vf_load(x + i);
        s = vf_add(s, v);
        q = vf_fma(v, v, q);
    }
    float ts = vf_reduce_add(s), tq = vf_reduce_add(q);
    for (; i < n; i++) ts += x[i], tq += x[i] * x[i];
    *sum = ts;
    *sumsq = tq;
}

/* sum(a[i]) and sum(a[i] * (b[i] - shift)) over n floats. */
static inline void vf_sum_dot_shifted(const float *a, const float *b, float shift, int n, float *sum, float *dot) {
    vf s = vf_zero(), d = vf_zero(), sh = vf_set1(shift);
    int i = 0;
    for (; i + CF_VF <= n; i += CF_VF) {
        vf va = vf_load(a + i);
        s = vf_add(s, va);
        d = vf_fma(va, vf_sub(vf_load(b + i), sh), d);
    }
    float ts = vf_reduce_add(s), td = vf_reduce_add(d);
    for (; i < n; i++) ts += a[i], td += a[i] * (b[i] - shift);
    *sum = ts;
    *dot = td;
}

#endif
