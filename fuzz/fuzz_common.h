/* fuzz_common.h - helpers shared by the libFuzzer targets (not part of the library). */
#ifndef CIFAKE_FUZZ_COMMON_H
#define CIFAKE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cifake.h"
#include "detector_internals.h"
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

/* A small detector made in memory ("c4,relu,mp,c8,relu,gap,d1", seeded weights): the image path is
 * what is fuzzed, and a small model runs it ~30 times faster than the shipped one. */
static inline cifake_detector *fuzz_small_detector(void) {
    cf_model m;
    cf_meta meta = {0};
    cf_error err;
    if (cf_model_build(&m, "c4,relu,mp,c8,relu,gap,d1", (cf_shape){3, CF_MODEL_SIDE, CF_MODEL_SIDE}, &err))
        fuzz_die("%s", err.msg);
    cf_model_init_params(&m, 1);
    const char *kv[] = {"spec", m.spec, "input", "3x32x32", "mean", "0.5,0.5,0.5", "std", "0.25,0.25,0.25",
                        "classes", "REAL,FAKE", "threshold", "0.5", "temperature", "1"};
    for (int i = 0; i < 14; i += 2)
        if (cf_meta_set(&meta, kv[i], kv[i + 1], &err)) fuzz_die("%s", err.msg);
    uint8_t *bytes = NULL;
    size_t n = 0;
    cifake_detector *d = NULL;
    if (cf_weights_write(&m, &meta, NULL, &bytes, &n, &err) || cifake_open(bytes, n, &d, &err)) fuzz_die("%s", err.msg);
    free(bytes);
    cf_meta_free(&meta);
    cf_model_free(&m);
    return d;
}

/* The detector the image target feeds: the weight file $CIFAKE_WEIGHTS when set (e.g. the shipped
 * weights/cifake.bin), else the small one above. */
static inline cifake_detector *fuzz_open_detector(void) {
    const char *path = getenv("CIFAKE_WEIGHTS");
    if (!path || !*path) return fuzz_small_detector();
    size_t n = 0;
    unsigned char *bytes = fuzz_read_file(path, &n);
    if (!bytes) fuzz_die("cannot read the weight file %s", path);
    cifake_detector *d = NULL;
    cf_error err;
    if (cifake_open(bytes, n, &d, &err)) fuzz_die("%s: %s", path, err.msg);
    free(bytes);
    return d;
}

#endif
