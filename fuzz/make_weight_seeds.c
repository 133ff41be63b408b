/* make_weight_seeds.c - writes small, valid weight files into a folder: the seed corpus of the
 * weight-loader fuzz target (the shipped 1.1 MB file is too large to mutate quickly). The specs
 * cover every layer kind, both heads, batch norm to fold, and extra tensors after the model.
 *
 *   make_weight_seeds DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "weights.h"

static const char *SPECS[] = {
    "c4,relu,mp,c4,relu,gap,d1",
    "c2,bn,relu,mp,c3,bn,relu,gap,d2",
    "c3k5v,relu,mp,c2,relu,mp,flat,d4,relu,drop0.5,d1",
    "c2k1,mp,mp,mp,flat,d1",
};

static int write_seed(const char *dir, int index, const char *spec, int with_extra, cf_error *err) {
    cf_model m;
    cf_meta meta = {0};
    if (cf_model_build(&m, spec, (cf_shape){3, 32, 32}, err)) return -1;
    cf_model_init_params(&m, (uint64_t)index + 1);
    for (size_t i = 0; i < m.n_buffers; i++) m.buffers[i] = 0.5f + 0.01f * (float)i; /* positive variances */
    int rc = cf_meta_set(&meta, "spec", spec, err) || cf_meta_set(&meta, "input", "3x32x32", err) ||
             cf_meta_set(&meta, "mean", "0.5,0.5,0.5", err) || cf_meta_set(&meta, "std", "0.25,0.25,0.25", err) ||
             cf_meta_set(&meta, "classes", "REAL,FAKE", err) || cf_meta_set(&meta, "threshold", "0.5", err) ||
             cf_meta_set(&meta, "temperature", "1.25", err) || cf_meta_set(&meta, "data", "fuzz seed", err);
    cf_extras extras = {1, {{"opt.m", m.params, m.n_params < 8 ? m.n_params : 8}}};
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (!rc) rc = cf_weights_write(&m, &meta, with_extra ? &extras : NULL, &bytes, &n, err);
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%d%s.bin", dir, index, with_extra ? "-extra" : "");
    if (!rc) rc = write_file_atomic(path, bytes, n, err);
    free(bytes);
    cf_meta_free(&meta);
    cf_model_free(&m);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_weight_seeds DIR\n");
        return 2;
    }
    cf_error err;
    if (make_dirs(argv[1], &err)) {
        fprintf(stderr, "make_weight_seeds: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < (int)(sizeof SPECS / sizeof SPECS[0]); i++)
        for (int extra = 0; extra <= 1; extra++)
            if (write_seed(argv[1], i, SPECS[i], extra, &err)) {
                fprintf(stderr, "make_weight_seeds: %s: %s\n", SPECS[i], err.msg);
                return 1;
            }
    return 0;
}
