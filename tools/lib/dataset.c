#define _POSIX_C_SOURCE 200809L
#include "dataset.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "image.h"
#include "image_resize.h"
#include "input.h"
#include "meta_keys.h"
#include "parallel.h"
#include "string_list.h"

/* Appends the sorted paths of the regular entries of dir (skipping dot-files) to list. */
static int list_folder(const char *dir, string_list *list, int *count, cf_error *err) {
    DIR *d = opendir(dir);
    if (!d) return cf_fail(err, "%s: cannot open folder (expected the Kaggle layout DIR/train/REAL, ...)", dir);
    int start = list->n;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path || string_list_push(list, path)) {
            closedir(d);
            return cf_fail(err, "%s: path too long or out of memory", dir);
        }
    }
    closedir(d);
    *count = list->n - start;
    if (*count == 0) return cf_fail(err, "%s: folder is empty", dir);
    string_list_sort(list, start);
    return 0;
}

void dataset_free(dataset *ds) {
    for (int i = 0; ds->paths && i < ds->n; i++) free(ds->paths[i]);
    free(ds->paths);
    free(ds->pixels);
    free(ds->labels);
    free(ds->hashes);
    memset(ds, 0, sizeof *ds);
}

/* Reads and decodes one file into ds slot i; returns 0 or -1 with err set. */
static int load_one(dataset *ds, int i, cf_error *err) {
    uint8_t *bytes;
    size_t n;
    if (read_file(ds->paths[i], CF_IMAGE_MAX_BYTES, &bytes, &n, err)) return -1;
    ds->hashes[i] = cf_fnv1a64(bytes, n);
    int w, h;
    int rc = cf_image_load_model_input(bytes, n, ds->pixels + (size_t)i * DS_PIXELS, &w, &h, err);
    free(bytes);
    if (rc) cf_error_prefix(err, "%s", ds->paths[i]);
    return rc;
}

int dataset_load(dataset *ds, const char *dir, const char *split, int n_threads, cf_error *err) {
    memset(ds, 0, sizeof *ds);
    (void)n_threads; /* unused in serial builds (no OpenMP) */
    string_list list = {0};
    int n_real = 0, n_fake = 0;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/%s/REAL", dir, split);
    if (list_folder(sub, &list, &n_real, err)) goto fail;
    snprintf(sub, sizeof sub, "%s/%s/FAKE", dir, split);
    if (list_folder(sub, &list, &n_fake, err)) goto fail;
    ds->n = list.n;
    ds->paths = list.v;
    list.v = NULL;
    ds->pixels = malloc((size_t)ds->n * DS_PIXELS);
    ds->labels = malloc(sizeof(int) * ds->n);
    ds->hashes = malloc(sizeof(uint64_t) * ds->n);
    if (!ds->pixels || !ds->labels || !ds->hashes) {
        cf_fail(err, "out of memory for %d images", ds->n);
        goto fail;
    }
    for (int i = 0; i < ds->n; i++) ds->labels[i] = i >= n_real;
    int failed_at = -1;
    cf_error first = {{0}};
    CF_PARALLEL_FOR(n_threads)
    for (int i = 0; i < ds->n; i++) {
        cf_error e;
        if (load_one(ds, i, &e)) {
            CF_CRITICAL
            if (failed_at < 0 || i < failed_at) {
                failed_at = i;
                first = e;
            }
        }
    }
    if (failed_at >= 0) {
        *err = first;
        goto fail;
    }
    return 0;
fail:
    for (int i = 0; list.v && i < list.n; i++) free(list.v[i]);
    free(list.v);
    dataset_free(ds);
    return -1;
}

int dataset_split(const dataset *ds, uint64_t seed, int permille, int **train_idx, int *n_train, int **val_idx,
                  int *n_val, cf_error *err) {
    *train_idx = malloc(sizeof(int) * (ds->n + 1));
    *val_idx = malloc(sizeof(int) * (ds->n + 1));
    if (!*train_idx || !*val_idx) {
        free(*train_idx);
        free(*val_idx);
        return cf_fail(err, "out of memory");
    }
    *n_train = *n_val = 0;
    for (int i = 0; i < ds->n; i++) {
        int in_val = (int)(cf_mix64(ds->hashes[i] ^ cf_mix64(seed)) % 1000) < permille;
        if (in_val) (*val_idx)[(*n_val)++] = i;
        else (*train_idx)[(*n_train)++] = i;
    }
    if (*n_train == 0 || (permille > 0 && *n_val == 0)) {
        free(*train_idx);
        free(*val_idx);
        return cf_fail(err, "too few images (%d) to carve a validation split", ds->n);
    }
    return 0;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int dataset_leaked(const dataset *test, const dataset *train, int **idx, int *n, cf_error *err) {
    uint64_t *sorted = malloc(sizeof(uint64_t) * (train->n + 1));
    *idx = malloc(sizeof(int) * (test->n + 1));
    if (!sorted || !*idx) {
        free(sorted);
        free(*idx);
        return cf_fail(err, "out of memory");
    }
    memcpy(sorted, train->hashes, sizeof(uint64_t) * train->n);
    qsort(sorted, (size_t)train->n, sizeof(uint64_t), compare_u64);
    *n = 0;
    for (int i = 0; i < test->n; i++)
        if (bsearch(&test->hashes[i], sorted, (size_t)train->n, sizeof(uint64_t), compare_u64)) (*idx)[(*n)++] = i;
    free(sorted);
    return 0;
}

void dataset_channel_stats(const dataset *ds, const int *idx, int n, float mean[3], float std[3]) {
    double sum[3] = {0}, sq[3] = {0};
    for (int k = 0; k < n; k++) {
        const uint8_t *px = ds->pixels + (size_t)idx[k] * DS_PIXELS;
        for (int p = 0; p < 32 * 32; p++)
            for (int c = 0; c < 3; c++) {
                double v = px[p * 3 + c] / 255.0;
                sum[c] += v;
                sq[c] += v * v;
            }
    }
    double count = (double)n * 32 * 32;
    for (int c = 0; c < 3; c++) {
        double m = sum[c] / count;
        mean[c] = (float)m;
        std[c] = (float)sqrt(sq[c] / count - m * m);
    }
}

int dataset_recorded_split(const cf_meta *meta, uint64_t *split_seed, int *permille, cf_error *err) {
    const char *seed = cf_meta_get(meta, CF_META_SPLIT_SEED), *per = cf_meta_get(meta, CF_META_VAL_PERMILLE);
    long long p;
    if (!seed) seed = cf_meta_get(meta, CF_META_SEED);
    if (!seed || !per) return cf_fail(err, "weight file does not record its validation split (split_seed or seed, val_permille)");
    if (cf_parse_u64(seed, split_seed) || cf_parse_int(per, 1, 1000, &p))
        return cf_fail(err, "weight file: validation split \"%s\", val_permille \"%s\" are not a seed and 1..1000", seed, per);
    *permille = (int)p;
    return 0;
}

int dataset_check_split(const cf_meta *meta, const char *file, uint64_t split_seed, int permille, cf_error *err) {
    const char *seed = cf_meta_get(meta, CF_META_SPLIT_SEED), *per = cf_meta_get(meta, CF_META_VAL_PERMILLE);
    if (!seed) seed = cf_meta_get(meta, CF_META_SEED);
    char want_seed[32], want_per[16];
    snprintf(want_seed, sizeof want_seed, "%llu", (unsigned long long)split_seed);
    snprintf(want_per, sizeof want_per, "%d", permille);
    if (!seed || strcmp(seed, want_seed) || !per || strcmp(per, want_per))
        return cf_fail(err, "%s held out another validation split (split seed %s, val_permille %s; expected %s and %s)",
                       file, seed ? seed : "missing", per ? per : "missing", want_seed, want_per);
    return 0;
}

int dataset_prepare(const dataset *ds, int i, const float mean[3], const float std[3], int augment, int pad,
                    cf_rng *rng, float *out) {
    const uint8_t *px = ds->pixels + (size_t)i * DS_PIXELS;
    if (!augment) {
        cf_normalise(mean, std, px, DS_SIDE * DS_SIDE, out);
        return 0;
    }
    int flip = cf_rng_below(rng, 2);
    int dx = pad ? (int)cf_rng_below(rng, 2 * pad + 1) - pad : 0;
    int dy = pad ? (int)cf_rng_below(rng, 2 * pad + 1) - pad : 0;
    for (int c = 0; c < 3; c++) {
        float scale = 1.0f / (255.0f * std[c]), shift = mean[c] / std[c];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                int sy = y + dy, sx = (flip ? 31 - x : x) + dx;
                /* zero padding in pixel space is the value that normalises to -mean/std */
                float v = (sy < 0 || sy >= 32 || sx < 0 || sx >= 32) ? 0.0f : px[(sy * 32 + sx) * 3 + c];
                out[c * 1024 + y * 32 + x] = v * scale - shift;
            }
    }
    return flip;
}
