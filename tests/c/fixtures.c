/* fixtures.c - weight files for the C tests (see fixtures.h). */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weights.h"

/* The same value for every input channel, comma-separated. */
static void per_channel(char *out, size_t size, const char *value, int channels) {
    out[0] = '\0';
    for (int c = 0; c < channels; c++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", c ? "," : "", value);
}

static int set_defaults(cf_meta *meta, const cf_model *m, cf_error *err) {
    char input[48], mean[64], std[64];
    snprintf(input, sizeof input, "%dx%dx%d", m->input.c, m->input.h, m->input.w);
    per_channel(mean, sizeof mean, "0.5", m->input.c);
    per_channel(std, sizeof std, "0.25", m->input.c);
    return cf_meta_set(meta, "spec", m->spec, err) || cf_meta_set(meta, "input", input, err) ||
           cf_meta_set(meta, "mean", mean, err) || cf_meta_set(meta, "std", std, err) ||
           cf_meta_set(meta, "classes", "REAL,FAKE", err) || cf_meta_set(meta, "threshold", "0.5", err) ||
           cf_meta_set(meta, "temperature", "1.5", err);
}

static int set_extra(cf_meta *meta, const char *const *extra, cf_error *err) {
    for (int i = 0; extra && extra[i]; i++)
        if (cf_meta_set_pair(meta, extra[i], err)) return -1;
    return 0;
}

uint8_t *test_weight_file(const cf_model *m, const char *const *extra, size_t *n) {
    cf_meta meta = {0};
    cf_error err;
    uint8_t *bytes = NULL;
    if (set_defaults(&meta, m, &err) || set_extra(&meta, extra, &err) ||
        cf_weights_write(m, &meta, NULL, &bytes, n, &err)) {
        fprintf(stderr, "  test_weight_file: %s\n", err.msg);
        bytes = NULL;
    }
    cf_meta_free(&meta);
    return bytes;
}

uint8_t *test_random_weight_file(const char *spec, int side, uint64_t seed, const char *const *extra, size_t *n) {
    cf_model m;
    cf_error err;
    if (cf_model_build(&m, spec, (cf_shape){3, side, side}, &err)) {
        fprintf(stderr, "  test_random_weight_file: %s\n", err.msg);
        return NULL;
    }
    cf_model_init_params(&m, seed);
    uint8_t *bytes = test_weight_file(&m, extra, n);
    cf_model_free(&m);
    return bytes;
}
