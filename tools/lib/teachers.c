/* teachers.c - knowledge distillation targets from an ensemble of weight files (teachers.h). */
#include "teachers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "infer.h"

int teachers_open(teacher_set *t, const char *const *files, int n, uint64_t split_seed, int val_permille,
                  cf_error *err) {
    memset(t, 0, sizeof *t);
    if (n < 1 || n > TEACHERS_MAX) return cf_fail(err, "%d teachers; 1 to %d are allowed", n, TEACHERS_MAX);
    for (int k = 0; k < n; k++) {
        if (open_model_file(files[k], &t->model[k], err)) return teachers_close(t), -1;
        t->n = k + 1;
        const cf_model *m = &t->model[k].model;
        if (m->input.c != 3 || m->input.h != DS_SIDE || m->input.w != DS_SIDE) {
            cf_fail(err, "%s: a teacher must take 3x%dx%d images, not %dx%dx%d", files[k], DS_SIDE, DS_SIDE, m->input.c,
                    m->input.h, m->input.w);
            return teachers_close(t), -1;
        }
        if (dataset_check_split(&t->model[k].meta, files[k], split_seed, val_permille, err))
            return teachers_close(t), -1;
    }
    return 0;
}

/* Adds teacher k's calibrated logits / n_teachers of the n images, upright (u) and mirrored (m), to the
 * ensemble's sums (sum_m may be NULL); a flip-averaged teacher adds the mean of the two to both. */
static void add_teacher(const teacher_set *t, int k, const float *u, const float *m, int n, float *sum_u,
                        float *sum_m) {
    float w = 1.0f / t->model[k].params.temperature / (float)t->n;
    int both = t->model[k].flip_average;
    for (int i = 0; i < n; i++) {
        float upright = both ? (u[i] + m[i]) / 2 : u[i];
        sum_u[i] += w * upright;
        if (sum_m) sum_m[i] += w * (both ? upright : m[i]);
    }
}

int teachers_cache(teacher_set *t, const dataset *ds, const int *idx, int n, int threads, cf_error *err) {
    free(t->cache);
    t->cache = malloc(sizeof(float) * 2 * (size_t)ds->n);
    float *upright = calloc((size_t)n + 1, sizeof(float)), *mirrored = calloc((size_t)n + 1, sizeof(float));
    float *u = malloc(sizeof(float) * ((size_t)n + 1)), *m = malloc(sizeof(float) * ((size_t)n + 1));
    int rc = 0;
    if (!t->cache || !upright || !mirrored || !u || !m) rc = cf_fail(err, "out of memory for the teachers' cache");
    for (int i = 0; !rc && i < 2 * ds->n; i++) t->cache[i] = NAN;
    for (int k = 0; !rc && k < t->n; k++) {
        const cf_infer_params *p = &t->model[k].params;
        cf_model *model = &t->model[k].model;
        rc = infer_scores(model, ds, idx, n, p->mean, p->std, threads, u, err) ||
             infer_mirrored_scores(model, ds, idx, n, p->mean, p->std, threads, m, err);
        if (!rc) add_teacher(t, k, u, m, n, upright, mirrored);
    }
    for (int i = 0; !rc && i < n; i++) {
        t->cache[2 * (size_t)idx[i]] = upright[i];
        t->cache[2 * (size_t)idx[i] + 1] = mirrored[i];
    }
    free(upright);
    free(mirrored);
    free(u);
    free(m);
    return rc;
}

float teachers_cached_logit(const teacher_set *t, int image, int flipped) {
    return t->cache[2 * (size_t)image + (flipped ? 1 : 0)];
}

int teachers_go_live(teacher_set *t, int batch, int threads, cf_error *err) {
    t->renormalised = malloc(sizeof(float) * DS_PIXELS * (size_t)batch);
    t->mirrored = malloc(sizeof(float) * DS_PIXELS * (size_t)batch);
    t->u = malloc(sizeof(float) * (size_t)batch);
    t->m = malloc(sizeof(float) * (size_t)batch);
    if (!t->renormalised || !t->mirrored || !t->u || !t->m) return cf_fail(err, "out of memory");
    for (int k = 0; k < t->n; k++) {
        cf_model *m = &t->model[k].model;
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
    const cf_infer_params *p = &t->model[k].params;
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

/* Teacher k's logits of a batch already in its normalisation, into out. */
static void teacher_logits(teacher_set *t, int k, const float *input, int n, float *out) {
    cf_model *m = &t->model[k].model;
    const float *logits = cf_forward(m, &t->ws[k], input, n, 0, 0, NULL);
    int outputs = cf_model_outputs(m);
    for (int i = 0; i < n; i++) out[i] = cf_fake_score(m, logits + (size_t)i * outputs);
}

void teachers_score_batch(teacher_set *t, const float *input, int n, const float mean[3], const float std[3],
                          float *z) {
    memset(z, 0, sizeof(float) * (size_t)n);
    for (int k = 0; k < t->n; k++) {
        const float *x = teacher_input(t, k, input, n, mean, std);
        teacher_logits(t, k, x, n, t->u);
        if (t->model[k].flip_average) {
            mirror_planes(x, 3 * n, DS_SIDE, t->mirrored);
            teacher_logits(t, k, t->mirrored, n, t->m);
        }
        add_teacher(t, k, t->u, t->m, n, z, NULL);
    }
}

void teachers_close(teacher_set *t) {
    for (int k = 0; k < t->live; k++) cf_workspace_free(&t->ws[k]);
    for (int k = 0; k < t->n; k++) cf_loaded_model_free(&t->model[k]);
    free(t->renormalised);
    free(t->mirrored);
    free(t->u);
    free(t->m);
    free(t->cache);
    memset(t, 0, sizeof *t);
}
