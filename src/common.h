/* common.h - errors, deterministic random numbers, checksums and aligned memory for the cifake core.
 *
 * Every fallible function in src/ returns 0 on success and -1 on failure, after writing a
 * human-readable message into a caller-provided cf_error. Nothing in src/ prints, exits or keeps
 * global state, so the same code serves the trainer, the CLI tools and the WebAssembly module. */
#ifndef CIFAKE_COMMON_H
#define CIFAKE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "cifake.h"

/* The public error type under the internal prefix. */
typedef cifake_error cf_error;

/* Formats a message into err (if not NULL) and returns -1, so callers can write
 * `return cf_fail(err, "...", ...);`. */
int cf_fail(cf_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prepends "prefix: " to an existing message (used to add a file name or context). */
void cf_error_prefix(cf_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Small counter-based generator (SplitMix64): a stream is fully determined by its seed, which lets
 * every image, epoch and layer derive its own independent stream from (seed, epoch, index) and makes
 * training reproducible whatever order threads run in. */
typedef struct {
    uint64_t state;
} cf_rng;

uint64_t cf_mix64(uint64_t x);
cf_rng cf_rng_make(uint64_t seed, uint64_t stream_a, uint64_t stream_b);
uint64_t cf_rng_next(cf_rng *rng);
float cf_rng_uniform(cf_rng *rng);         /* [0, 1) */
float cf_rng_normal(cf_rng *rng);          /* standard normal (Box-Muller) */
uint32_t cf_rng_below(cf_rng *rng, uint32_t n); /* [0, n) */

uint32_t cf_crc32(uint32_t crc, const void *data, size_t n);
uint64_t cf_fnv1a64(const void *data, size_t n);

/* A growable byte buffer; after a failed allocation it stays failed and appends are ignored, so a
 * writer checks once at the end. Free data with free(). */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} cf_buffer;

void cf_buffer_append(cf_buffer *b, const void *bytes, size_t n);

/* 64-byte aligned allocations for SIMD buffers; cf_aligned_free accepts NULL. */
void *cf_aligned_alloc(size_t bytes);
void *cf_aligned_calloc(size_t bytes);
void cf_aligned_free(void *p);

/* Numbers read strictly from text (metadata values, command-line options): the whole of s must be
 * the number, with no leading space or sign strtol would skip ("12x", " 12", "" are refused), and
 * within the range. Each returns 0 with *out set, or -1 leaving *out alone. */
int cf_parse_int(const char *s, long long min, long long max, long long *out);
int cf_parse_u64(const char *s, uint64_t *out); /* digits only: no sign, so "-1" cannot wrap */
int cf_parse_double(const char *s, double *out); /* finite */

#endif
