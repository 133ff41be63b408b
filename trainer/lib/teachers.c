/* teachers.c - knowledge distillation targets from an ensemble of weight files (teachers.h). */
#include "teachers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "fileio.h"
#include "infer.h"

int teachers_open(teacher_set *t, const char *const *files, int n, uint64_t split_seed, int val_permille,
                  cf_error *err) {
    memset(t, 0, sizeof *t);
    if (n < 1 || n > TEACHERS_MAX) return cf_fail(err, "%d teachers; 1 to %d are allowed", n, TEACHERS_MAX);
    for (int k = 0; k < n; k++) {
        if (open_detector_files(&files[k], 1, &t->d[k], err)) return teachers_close(t), -1;
        t->n = k + 1;
        const cf_model *m = cifake_model(t->d[k]);
        if (m->input.c != 3 || m->input.h != DS_SIDE || m->input.w != DS_SIDE) {
            cf_fail(err, "%s: a teacher must take 3x%dx%d images, not %dx%dx%d", files[k], DS_SIDE, DS_SIDE, m->input.c,
                    m->input.h, m->input.w);
            return teachers_close(t), -1;
        }
        if (dataset_check_split(cifake_meta(t->d[k]), files[k], split_seed, val_permille, err))
            return teachers_close(t), -1;
    }
    return 0;
}

/* Adds each teacher's calibrated logit / n_teachers of images idx[0..n) of ds to sum[0..n). */
static int add_ensemble_logits(teacher_set *t, const dataset *ds, const int *idx, int n, int threads, float *sum,
                               float *one, cf_error *err) {
    for (int k = 0; k < t->n; k++) {
        const cf_infer_params *p = cifake_params(t->d[k]);
        if (infer_scores(cifake_model(t->d[k]), ds, idx, n, p->mean, p->std, threads, one, err)) return -1;
        for (int i = 0; i < n; i++) sum[i] += one[i] / p->temperature / (float)t->n;
    }
    return 0;
}

int teachers_cache(teacher_set *t, const dataset *ds, const int *idx, int n, int threads, cf_error *err) {
    free(t->cache);
    t->n_cache = ds->n;
    t->cache = malloc(sizeof(float) * 2 * (size_t)ds->n);
    float *upright = calloc((size_t)n + 1, sizeof(float)), *mirrored = calloc((size_t)n + 1, sizeof(float));
    float *one = malloc(sizeof(float) * ((size_t)n + 1));
    int *seq = malloc(sizeof(int) * ((size_t)n + 1));
    dataset flipped = {0};
    int rc = 0;
    if (!t->cache || !upright || !mirrored || !one || !seq) rc = cf_fail(err, "out of memory for the teachers' cache");
    for (int i = 0; !rc && i < 2 * ds->n; i++) t->cache[i] = NAN;
    for (int i = 0; !rc && i < n; i++) seq[i] = i;
    if (!rc) rc = dataset_mirrored(ds, idx, n, &flipped, err);
    if (!rc) rc = add_ensemble_logits(t, ds, idx, n, threads, upright, one, err);
    if (!rc) rc = add_ensemble_logits(t, &flipped, seq, n, threads, mirrored, one, err);
    for (int i = 0; !rc && i < n; i++) {
        t->cache[2 * (size_t)idx[i]] = upright[i];
        t->cache[2 * (size_t)idx[i] + 1] = mirrored[i];
    }
    dataset_free(&flipped);
    free(upright);
    free(mirrored);
    free(one);
    free(seq);
    return rc;
}

float teachers_cached_logit(const teacher_set *t, int image, int flipped) {
    return t->cache[2 * (size_t)image + (flipped ? 1 : 0)];
}

int teachers_go_live(teacher_set *t, int batch, int threads, cf_error *err) {
    t->renormalised = malloc(sizeof(float) * DS_PIXELS * (size_t)batch);
    if (!t->renormalised) return cf_fail(err, "out of memory");
    for (int k = 0; k < t->n; k++) {
        cf_model *m = cifake_model(t->d[k]);
        if (cf_workspace_init(&t->ws[k], m, batch, threads, err)) return -1;
        t->live = k + 1; /* workspaces to free */
        if (cf_workspace_freeze_weights(&t->ws[k], m, err)) return -1;
    }
    t->batch = batch;
    return 0;
}

/* The batch in teacher k's normalisation: the student's input itself when the two agree (they do for
 * teachers trained on the same split), else each value mapped back to pixel/255 and normalised again. */
static const float *teacher_input(teacher_set *t, int k, const float *input, int n, const float mean[3],
                                  const float std[3]) {
    const cf_infer_params *p = cifake_params(t->d[k]);
    if (!memcmp(p->mean, mean, sizeof(float) * 3) && !memcmp(p->std, std, sizeof(float) * 3)) return input;
    const int plane = DS_SIDE * DS_SIDE;
    for (int b = 0; b < n; b++)
        for (int c = 0; c < 3; c++) {
            float scale = std[c] / p->std[c], shift = (mean[c] - p->mean[c]) / p->std[c];
            const float *src = input + (size_t)b * DS_PIXELS + (size_t)c * plane;
            float *dst = t->renormalised + (size_t)b * DS_PIXELS + (size_t)c * plane;
            for (int i = 0; i < plane; i++) dst[i] = src[i] * scale + shift;
        }
    return t->renormalised;
}

void teachers_score_batch(teacher_set *t, const float *input, int n, const float mean[3], const float std[3],
                          float *z) {
    memset(z, 0, sizeof(float) * (size_t)n);
    for (int k = 0; k < t->n; k++) {
        cf_model *m = cifake_model(t->d[k]);
        const cf_infer_params *p = cifake_params(t->d[k]);
        const float *logits = cf_forward(m, &t->ws[k], teacher_input(t, k, input, n, mean, std), n, 0, 0, NULL);
        int outputs = cf_model_outputs(m);
        for (int i = 0; i < n; i++)
            z[i] += cf_fake_score(m, logits + (size_t)i * outputs) / p->temperature / (float)t->n;
    }
}

void teachers_close(teacher_set *t) {
    for (int k = 0; k < t->live; k++) cf_workspace_free(&t->ws[k]);
    for (int k = 0; k < t->n; k++) cifake_close(t->d[k]);
    free(t->renormalised);
    free(t->cache);
    memset(t, 0, sizeof *t);
}
