/* fuzz_common.h - helpers shared by the libFuzzer targets (not part of the library). */
#ifndef CIFAKE_FUZZ_COMMON_H
#define CIFAKE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cifake.h"
#include "image.h"

/* A broken invariant: report it and abort, which libFuzzer records as a crash with its input. */
static inline void fuzz_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz invariant broken: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static inline unsigned char *fuzz_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0, got;
    do {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) fuzz_die("out of memory reading %s", path);
            buf = grown;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    *n = len;
    return buf;
}

/* The detector the image target feeds: $CIFAKE_WEIGHTS, else weights/cifake.bin. */
static inline cifake_detector *fuzz_open_detector(void) {
    const char *path = getenv("CIFAKE_WEIGHTS");
    if (!path || !*path) path = "weights/cifake.bin";
    size_t n = 0;
    unsigned char *bytes = fuzz_read_file(path, &n);
    if (!bytes) fuzz_die("cannot read the weight file %s (run from the repository root or set CIFAKE_WEIGHTS)", path);
    cifake_detector *d = NULL;
    cf_error err;
    if (cifake_open(bytes, n, &d, &err)) fuzz_die("%s: %s", path, err.msg);
    free(bytes);
    return d;
}

#endif
