/* parallel.h - OpenMP when the compiler provides it (native trainer), plain serial loops otherwise
 * (WebAssembly, or a build without -fopenmp). Loops use a static schedule so each thread always gets
 * the same contiguous chunk: with a fixed thread count, every sum is taken in the same order and
 * training is bit-for-bit reproducible. */
#ifndef CIFAKE_PARALLEL_H
#define CIFAKE_PARALLEL_H

#define CF_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#include <omp.h>
#define CF_PARALLEL_FOR(nthreads) CF_PRAGMA(omp parallel for schedule(static) num_threads(nthreads))
#define CF_PARALLEL(nthreads) CF_PRAGMA(omp parallel num_threads(nthreads))
#define CF_FOR CF_PRAGMA(omp for schedule(static))
#define CF_CRITICAL CF_PRAGMA(omp critical)
static inline int cf_thread_id(void) { return omp_get_thread_num(); }
static inline int cf_max_threads(void) { return omp_get_max_threads(); }
#else
#define CF_PARALLEL_FOR(nthreads)
#define CF_PARALLEL(nthreads)
#define CF_FOR
#define CF_CRITICAL
static inline int cf_thread_id(void) { return 0; }
static inline int cf_max_threads(void) { return 1; }
#endif

#endif
