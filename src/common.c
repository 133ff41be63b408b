#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cf_fail(cf_error *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void cf_error_prefix(cf_error *err, const char *fmt, ...) {
    if (!err) return;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3, len = strlen(old);
    if (len > room) len = room;
    memcpy(err->msg + n + 2, old, len);
    err->msg[n + 2 + len] = 0;
}

uint64_t cf_mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

cf_rng cf_rng_make(uint64_t seed, uint64_t stream_a, uint64_t stream_b) {
    cf_rng r = {cf_mix64(cf_mix64(cf_mix64(seed) ^ stream_a) ^ stream_b)};
    return r;
}

uint64_t cf_rng_next(cf_rng *rng) {
    rng->state += 0x9E3779B97F4A7C15ull;
    return cf_mix64(rng->state);
}

float cf_rng_uniform(cf_rng *rng) { return (float)(cf_rng_next(rng) >> 40) * (1.0f / 16777216.0f); }

float cf_rng_normal(cf_rng *rng) {
    double u1 = ((double)(cf_rng_next(rng) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(cf_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint32_t cf_rng_below(cf_rng *rng, uint32_t n) { return (uint32_t)(((cf_rng_next(rng) >> 32) * n) >> 32); }

/* CRC-32 (IEEE, reflected), slicing by 8: eight bytes per step through eight tables. The bitwise
 * loop cost 8 ms natively and about 50 ms in WebAssembly on a 1.1 MB weight file, a large part of
 * the page's time to its first verdict. The tables (8 KB) are built on the stack for each call
 * (about 2,300 shifts): no global state, and negligible beside any checksum worth computing. */
uint32_t cf_crc32(uint32_t crc, const void *data, size_t n) {
    uint32_t t[8][256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        t[0][i] = c;
    }
    for (int s = 1; s < 8; s++)
        for (int i = 0; i < 256; i++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    const uint8_t *p = data;
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][p[4]] ^
              t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

uint64_t cf_fnv1a64(const void *data, size_t n) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

void *cf_aligned_alloc(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    return aligned_alloc(64, rounded);
}

void *cf_aligned_calloc(size_t bytes) {
    void *p = cf_aligned_alloc(bytes);
    if (p) memset(p, 0, (bytes + 63) / 64 * 64);
    return p;
}

void cf_aligned_free(void *p) { free(p); }

void cf_buffer_append(cf_buffer *b, const void *bytes, size_t n) {
    if (b->failed || n == 0) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *data = realloc(b->data, cap);
        if (!data) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

/* strtoll/strtoull/strtod skip leading space and take a sign; a value of a file or a command line
 * starts with its first digit (or '-', '.'). */
static int starts_number(const char *s) { return s && ((*s >= '0' && *s <= '9') || *s == '-' || *s == '.'); }

int cf_parse_int(const char *s, long long min, long long max, long long *out) {
    if (!starts_number(s)) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int cf_parse_u64(const char *s, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *out = (uint64_t)v;
    return 0;
}

int cf_parse_double(const char *s, double *out) {
    if (!starts_number(s)) return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}
