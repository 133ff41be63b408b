/* peak_fma - the machine's measured single-precision peak: a loop of independent multiply-add chains
 * in the widest vectors the compiler targets, 2 flops per lane per step.
 *
 * Native (gcc -O3 -march=native -ffp-contract=fast -fopenmp): the multiply-add contracts into one
 * FMA instruction on AVX2/AVX-512 machines.
 *   peak_fma THREADS SECONDS   prints {"isa", "lanes", "threads", "gflops"} (best of 3 runs)
 * WebAssembly (emcc -O3 -msimd128, a standalone module with no entry): SIMD128 has no FMA, so each
 * step is one f32x4.mul and one f32x4.add; tests/bench/peak_wasm.mjs times the exported
 * peak_fma_run(steps) in Node. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdint.h>

#if defined(__AVX512F__)
#define LANES 16
#define ISA "avx512"
#elif defined(__AVX__)
#define LANES 8
#define ISA "avx2"
#else
#define LANES 4
#if defined(__wasm_simd128__)
#define ISA "wasm-simd128"
#else
#define ISA "sse"
#endif
#endif

typedef float vec __attribute__((vector_size(LANES * 4)));

/* Enough independent chains to hide the latency of the multiply-add on 2 pipes, few enough to stay
 * in registers (16 vector registers on AVX2 and SIMD128 engines). */
#define CHAINS 12

/* Runs `steps` steps of CHAINS vector multiply-adds; returns a sum so nothing is optimised away. */
float peak_fma_run(int64_t steps, float a_seed) {
    vec acc[CHAINS], a, b;
    for (int l = 0; l < LANES; l++) a[l] = a_seed, b[l] = 1e-3f * (float)(l + 1);
    for (int c = 0; c < CHAINS; c++) acc[c] = b * (float)(c + 1);
    for (int64_t s = 0; s < steps; s++)
        for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * a + b;
    float sum = 0;
    for (int c = 0; c < CHAINS; c++)
        for (int l = 0; l < LANES; l++) sum += acc[c][l];
    return sum;
}

int peak_fma_flops_per_step(void) { return 2 * LANES * CHAINS; }

#ifndef __EMSCRIPTEN__
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 0.3;
    if (threads < 1) threads = 1;
    /* calibrate the step count on one thread */
    int64_t steps = 1 << 16;
    for (;;) {
        double t0 = now();
        volatile float sink = peak_fma_run(steps, 0.9999f);
        (void)sink;
        if (now() - t0 > seconds / 4) break;
        steps *= 2;
    }
    steps *= 4;
    double best = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        total += peak_fma_run(steps, 0.9999f - 1e-6f * (float)omp_get_thread_num());
        double gflops = (double)peak_fma_flops_per_step() * (double)steps * threads / (now() - t0) * 1e-9;
        if (total != total) return 1; /* keeps total alive */
        if (gflops > best) best = gflops;
    }
    printf("{\"isa\": \"%s\", \"lanes\": %d, \"threads\": %d, \"gflops\": %.2f}\n", ISA, LANES, threads, best);
    return 0;
}
#endif
