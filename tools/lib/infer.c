#include "infer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "patches.h"
#include "perturb.h"

#define INFER_BATCH 256

/* infer_scores, of each image as it is or mirrored (normalisation is per channel, so mirroring the
 * prepared floats is mirroring the pixels). */
static int view_scores(cf_model *m, const dataset *ds, const int *idx, int n, const float mean[3], const float std[3],
                       int n_threads, int mirrored, float *scores, cf_error *err) {
    cf_workspace ws;
    int batch = n < INFER_BATCH ? (n > 0 ? n : 1) : INFER_BATCH;
    if (cf_workspace_init(&ws, m, batch, n_threads, err)) return -1;
    if (cf_workspace_freeze_weights(&ws, m, err)) {
        cf_workspace_free(&ws);
        return -1;
    }
    float *input = malloc(sizeof(float) * DS_PIXELS * batch);
    float *prepared = mirrored ? malloc(sizeof(float) * DS_PIXELS * batch) : input;
    if (!input || !prepared) {
        free(input);
        if (mirrored) free(prepared);
        cf_workspace_free(&ws);
        return cf_fail(err, "out of memory");
    }
    int k = cf_model_outputs(m);
    for (int start = 0; start < n; start += batch) {
        int b = n - start < batch ? n - start : batch;
        for (int i = 0; i < b; i++) dataset_prepare(ds, idx[start + i], mean, std, 0, 0, NULL, prepared + (size_t)i * DS_PIXELS);
        if (mirrored) mirror_planes(prepared, 3 * b, DS_SIDE, input);
        const float *logits = cf_forward(m, &ws, input, b, 0, 0, NULL);
        for (int i = 0; i < b; i++) scores[start + i] = cf_fake_score(m, logits + (size_t)i * k);
    }
    free(input);
    if (mirrored) free(prepared);
    cf_workspace_free(&ws);
    return 0;
}

int infer_scores(cf_model *m, const dataset *ds, const int *idx, int n, const float mean[3], const float std[3],
                 int n_threads, float *scores, cf_error *err) {
    return view_scores(m, ds, idx, n, mean, std, n_threads, 0, scores, err);
}

int infer_mirrored_scores(cf_model *m, const dataset *ds, const int *idx, int n, const float mean[3],
                          const float std[3], int n_threads, float *scores, cf_error *err) {
    return view_scores(m, ds, idx, n, mean, std, n_threads, 1, scores, err);
}

/* The size of image i as scored: its own, or its delivered size under the web condition. */
static void scored_size(const folder_set *fs, int i, int p, int web, uint64_t seed, int *w, int *h) {
    int q;
    *w = fs->width[i], *h = fs->height[i];
    if (web) perturb_web_draw(seed, infer_image_key(fs, i), fs->width[i], fs->height[i], p, w, h, &q);
}

uint64_t infer_image_key(const folder_set *fs, int i) {
    return cf_fnv1a64(fs->path[i], strlen(fs->path[i]));
}

/* infer_patch_scores (web = 0) and infer_patch_scores_web (web = 1). */
static int patch_scores(cf_model *m, const folder_set *fs, const int *idx, int n, int p, int budget,
                        const float mean[3], const float std[3], int jpeg_quality, int web, uint64_t seed, int n_threads,
                        float *scores, cf_error *err) {
    if (m->input.c != 3 || m->input.h != p || m->input.w != p)
        return cf_fail(err, "the model's input is %dx%dx%d, not 3x%dx%d", m->input.c, m->input.h, m->input.w, p, p);
    cf_workspace ws;
    const int batch = INFER_BATCH;
    if (cf_workspace_init(&ws, m, batch, n_threads, err)) return -1;
    if (cf_workspace_freeze_weights(&ws, m, err)) {
        cf_workspace_free(&ws);
        return -1;
    }
    size_t per = (size_t)3 * p * p;
    float *input = malloc(sizeof(float) * per * batch), *patch_logits = NULL;
    int *owner = malloc(sizeof(int) * batch), cap = 0, rc = 0;
    if (!input || !owner) rc = cf_fail(err, "out of memory");
    int k = cf_model_outputs(m), filled = 0;
    /* patches of consecutive images fill batches; each image's patch logits are gathered, then averaged */
    int *first = malloc(sizeof(int) * (n + 1));
    if (!first) rc = cf_fail(err, "out of memory");
    int total = 0;
    for (int j = 0; !rc && j < n; j++) {
        int w, h, cols, rows;
        scored_size(fs, idx[j], p, web, seed, &w, &h);
        first[j] = total;
        total += cf_patch_grid(w, h, p, budget, &cols, &rows);
    }
    if (!rc) {
        first[n] = total;
        cap = total;
        patch_logits = malloc(sizeof(float) * (cap + 1));
        if (!patch_logits) rc = cf_fail(err, "out of memory");
    }
    int next_patch = 0;
    for (int j = 0; !rc && j < n; j++) {
        int i = idx[j], w, h;
        scored_size(fs, i, p, web, seed, &w, &h);
        const uint8_t *rgb = fs->rgb[i];
        uint8_t *recoded = NULL;
        if (web) {
            recoded = malloc((size_t)w * h * 3);
            if (!recoded) rc = cf_fail(err, "out of memory");
            else if (perturb_web_rgb(seed, infer_image_key(fs, i), fs->width[i], fs->height[i], p, rgb, recoded, err))
                rc = -1;
            rgb = recoded;
        } else if (jpeg_quality > 0) {
            recoded = malloc((size_t)w * h * 3);
            if (!recoded) rc = cf_fail(err, "out of memory");
            else if (perturb_jpeg_rgb(jpeg_quality, w, h, rgb, recoded, err)) rc = -1;
            rgb = recoded;
        }
        int cx, cy;
        cf_patch_grid(w, h, p, budget, &cx, &cy);
        for (int gy = 0; !rc && gy < cy; gy++)
            for (int gx = 0; gx < cx; gx++) {
                folders_patch_normalise(rgb, w, cf_patch_offset(gx, cx, w, p), cf_patch_offset(gy, cy, h, p), p, mean, std,
                                        input + per * filled);
                owner[filled++] = next_patch++;
                if (filled == batch || next_patch == total) {
                    const float *logits = cf_forward(m, &ws, input, filled, 0, 0, NULL);
                    for (int b = 0; b < filled; b++) patch_logits[owner[b]] = cf_fake_score(m, logits + (size_t)b * k);
                    filled = 0;
                }
            }
        free(recoded);
    }
    for (int j = 0; !rc && j < n; j++) scores[j] = cf_patch_aggregate(patch_logits + first[j], first[j + 1] - first[j]);
    free(first);
    free(patch_logits);
    free(input);
    free(owner);
    cf_workspace_free(&ws);
    return rc;
}

int infer_patch_scores(cf_model *m, const folder_set *fs, const int *idx, int n, int p, int budget, const float mean[3],
                       const float std[3], int jpeg_quality, int n_threads, float *scores, cf_error *err) {
    return patch_scores(m, fs, idx, n, p, budget, mean, std, jpeg_quality, 0, 0, n_threads, scores, err);
}

int infer_patch_scores_web(cf_model *m, const folder_set *fs, const int *idx, int n, int p, int budget,
                           const float mean[3], const float std[3], uint64_t seed, int n_threads, float *scores,
                           cf_error *err) {
    return patch_scores(m, fs, idx, n, p, budget, mean, std, 0, 1, seed, n_threads, scores, err);
}

void score_metrics(const float *scores, const int *labels, int n, float temperature, float threshold, metrics *out) {
    float *p = calloc((size_t)n + 1, sizeof(float));
    if (!p) {
        out->n = 0;
        return;
    }
    for (int i = 0; i < n; i++) p[i] = cf_sigmoid(scores[i] / temperature);
    metrics_compute(scores, p, labels, n, threshold, out);
    calibration c;
    if (!calibration_compute(p, labels, n, ECE_BINS, &c)) out->ece = c.ece;
    for (int i = 0; i < n; i++) p[i] = cf_sigmoid(scores[i]);
    if (!calibration_compute(p, labels, n, ECE_BINS, &c)) out->ece_t1 = c.ece;
    free(p);
}

void metrics_print(FILE *f, const char *title, const metrics *m, int json) {
    if (json) {
        fprintf(f,
                "{\"split\": \"%s\", \"n\": %d, \"accuracy\": %.6f, \"precision\": %.6f, \"recall\": %.6f, "
                "\"f1\": %.6f, \"auroc\": %.6f, \"loss\": %.6f, ",
                title, m->n, m->accuracy, m->precision, m->recall, m->f1, m->auroc, m->loss);
        if (isfinite(m->ece) && isfinite(m->ece_t1))
            fprintf(f, "\"ece\": %.6f, \"ece_t1\": %.6f, \"ece_bins\": %d, ", m->ece, m->ece_t1, ECE_BINS);
        fprintf(f, "\"confusion\": {\"tp\": %d, \"fp\": %d, \"tn\": %d, \"fn\": %d}}\n", m->tp, m->fp, m->tn, m->fn);
        return;
    }
    fprintf(f, "%s (n = %d, FAKE is the positive class)\n", title, m->n);
    fprintf(f, "  accuracy  %.4f\n  precision %.4f\n  recall    %.4f\n  f1        %.4f\n  auroc     %.5f\n  loss      %.4f\n",
            m->accuracy, m->precision, m->recall, m->f1, m->auroc, m->loss);
    if (isfinite(m->ece) && isfinite(m->ece_t1))
        fprintf(f, "  ece       %.4f (%d bins; %.4f at temperature 1)\n", m->ece, ECE_BINS, m->ece_t1);
    fprintf(f, "  confusion          predicted REAL  predicted FAKE\n");
    fprintf(f, "    actual REAL      %14d  %14d\n", m->tn, m->fp);
    fprintf(f, "    actual FAKE      %14d  %14d\n", m->fn, m->tp);
}

void mirror_planes(const float *in, int n, int side, float *out) {
    for (size_t row = 0; row < (size_t)n * side; row++)
        for (int x = 0; x < side; x++) out[row * side + x] = in[row * side + side - 1 - x];
}
