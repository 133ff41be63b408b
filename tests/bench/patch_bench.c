/* patch_bench - how long the detector takes on a full-size photo with a native-resolution patch
 * model: the patches of the grid over a WIDTH x HEIGHT image through cifake_classify_pixels (every
 * patch, or a spread sample of at most BUDGET: the weight file's patch_budget, patches.h).
 *
 *   patch_bench SPEC PATCH WIDTH HEIGHT OUT.bin [RUNS [BUDGET]]
 *
 * Builds SPEC for PATCH x PATCH inputs with seeded random weights (speed does not depend on their
 * values), writes it as a patch-model weight file to OUT.bin (the WebAssembly half of the bench,
 * patch_bench.mjs, times the same file), and times RUNS classifications of one random image after
 * a warm-up. Prints one JSON line: the grid, the multiply-adds and the median and best times. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detector_internals.h"
#include "fileio.h"
#include "patches.h"
#include "timing.h"

/* The patch model as a weight file: the spec with random weights and the metadata of a patch model. */
static int write_model(const char *spec, int patch, int budget, const char *out, uint8_t **bytes, size_t *n,
                       double *madds, cf_error *err) {
    cf_model m;
    if (cf_model_build(&m, spec, (cf_shape){3, patch, patch}, err)) return -1;
    cf_model_init_params(&m, 1);
    *madds = 0;
    for (int l = 0; l < m.n_layers; l++)
        if (m.layers[l].kind == CF_CONV || m.layers[l].kind == CF_DENSE)
            *madds += (double)m.layers[l].n_weight * (m.layers[l].kind == CF_CONV ? m.layers[l].out.h * m.layers[l].out.w : 1);
    cf_meta meta = {0};
    char input[32];
    snprintf(input, sizeof input, "3x%dx%d", patch, patch);
    int rc = cf_meta_set(&meta, "spec", spec, err) || cf_meta_set(&meta, "input", input, err) ||
             cf_meta_set(&meta, "mean", "0.5,0.5,0.5", err) || cf_meta_set(&meta, "std", "0.25,0.25,0.25", err) ||
             cf_meta_set(&meta, "classes", "REAL,FAKE", err) || cf_meta_set(&meta, "threshold", "0.5", err) ||
             cf_meta_set(&meta, "temperature", "1", err) || cf_meta_set(&meta, CF_META_VIEW, CF_VIEW_PATCHES, err) ||
             cf_meta_set(&meta, "name", "patch bench model (random weights)", err) ||
             (budget > 0 && cf_meta_setf(&meta, CF_META_PATCH_BUDGET, err, "%d", budget)) ||
             cf_weights_write(&m, &meta, NULL, bytes, n, err) || write_file_atomic(out, *bytes, *n, err);
    cf_meta_free(&meta);
    cf_model_free(&m);
    return rc ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: patch_bench SPEC PATCH WIDTH HEIGHT OUT.bin [RUNS [BUDGET]]\n");
        return 2;
    }
    const char *spec = argv[1], *out = argv[5];
    int patch = atoi(argv[2]), width = atoi(argv[3]), height = atoi(argv[4]), runs = argc > 6 ? atoi(argv[6]) : 5;
    int budget = argc > 7 ? atoi(argv[7]) : 0;
    if (runs < 1 || runs > 100) runs = 5;
    cf_error err;
    uint8_t *bytes = NULL;
    size_t n = 0;
    double madds;
    cifake_detector *d = NULL;
    if (write_model(spec, patch, budget, out, &bytes, &n, &madds, &err) || cifake_open(bytes, n, &d, &err)) {
        fprintf(stderr, "patch_bench: %s\n", err.msg);
        return 1;
    }
    free(bytes);
    size_t pixels = (size_t)width * height * 3;
    uint8_t *rgb = malloc(pixels);
    cf_rng rng = cf_rng_make(7, 0, 0);
    for (size_t i = 0; rgb && i < pixels; i++) rgb[i] = (uint8_t)cf_rng_below(&rng, 256);
    double ms[100];
    cifake_result r;
    int rc = rgb ? cifake_classify_pixels(d, rgb, width, height, 3, &r, &err) : -1; /* warm-up */
    for (int k = 0; !rc && k < runs; k++) {
        double t0 = now_ms();
        rc = cifake_classify_pixels(d, rgb, width, height, 3, &r, &err);
        ms[k] = now_ms() - t0;
    }
    if (rc) {
        fprintf(stderr, "patch_bench: %s\n", rgb ? err.msg : "out of memory");
        return 1;
    }
    qsort(ms, (size_t)runs, sizeof *ms, compare_doubles);
    int grid = cf_patch_count(width, patch) * cf_patch_count(height, patch);
    printf("{\"spec\": \"%s\", \"patch\": %d, \"width\": %d, \"height\": %d, \"patches\": %d, \"grid_patches\": %d, "
           "\"budget\": %d, \"madds_per_patch\": %.0f, \"median_ms\": %.1f, \"best_ms\": %.1f, \"runs\": %d}\n",
           spec, patch, width, height, r.patch_cols * r.patch_rows, grid, budget, madds, ms[runs / 2], ms[0], runs);
    free(rgb);
    cifake_close(d);
    return 0;
}
