#include "faithfulness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

#define FAITH_MAX_BATCH 1024 /* cf_detector_predict's largest batch (detector_internals.h) */

double faith_k(int step) { return (double)step / (FAITH_STEPS - 1); }

int faith_cells(int step, int n_cells) { return (int)lround(faith_k(step) * n_cells); }

int faith_cell_count(int side, int cell) {
    if (side < 1 || cell < 1 || side % cell) return 0;
    return (side / cell) * (side / cell);
}

void faith_cell_scores(const float *map, int side, int cell, float *scores) {
    int per_row = side / cell;
    for (int cy = 0; cy < per_row; cy++)
        for (int cx = 0; cx < per_row; cx++) {
            double sum = 0.0;
            for (int y = cy * cell; y < (cy + 1) * cell; y++)
                for (int x = cx * cell; x < (cx + 1) * cell; x++) sum += map[y * side + x];
            scores[cy * per_row + cx] = (float)(sum / (cell * cell));
        }
}

typedef struct {
    float score, tiebreak;
    int cell;
} ranked;

static int compare_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    if (x->tiebreak != y->tiebreak) return x->tiebreak < y->tiebreak ? 1 : -1;
    return x->cell - y->cell;
}

void faith_rank(const float *scores, const float *tiebreak, int n, int *order) {
    ranked *r = malloc(sizeof *r * (size_t)n);
    if (!r) { /* cannot happen for the few hundred cells of an image; keep the cells in their order */
        for (int i = 0; i < n; i++) order[i] = i;
        return;
    }
    for (int i = 0; i < n; i++) r[i] = (ranked){scores[i], tiebreak[i], i};
    qsort(r, (size_t)n, sizeof *r, compare_ranked);
    for (int i = 0; i < n; i++) order[i] = r[i].cell;
    free(r);
}

/* Copies cell c of src into dst (both FAITH_CHANNELS x side x side). */
static void copy_cell(const float *src, float *dst, int side, int cell, int c) {
    int per_row = side / cell, y0 = c / per_row * cell, x0 = c % per_row * cell;
    for (int ch = 0; ch < FAITH_CHANNELS; ch++)
        for (int y = y0; y < y0 + cell; y++) {
            size_t at = ((size_t)ch * side + y) * side + x0;
            memcpy(dst + at, src + at, sizeof(float) * cell);
        }
}

void faith_compose(const float *image, const float *baseline, int side, int cell, const int *order, float *out) {
    size_t per = (size_t)FAITH_CHANNELS * side * side;
    int n = faith_cell_count(side, cell);
    for (int s = 0; s < FAITH_STEPS; s++) {
        float *del = out + (size_t)s * per, *ins = out + (size_t)(FAITH_STEPS + s) * per;
        memcpy(del, image, sizeof(float) * per);
        memcpy(ins, baseline, sizeof(float) * per);
        for (int i = 0; i < faith_cells(s, n); i++) {
            copy_cell(baseline, del, side, cell, order[i]);
            copy_cell(image, ins, side, cell, order[i]);
        }
    }
}

double faith_auc(const double *curve) {
    double area = 0.0;
    for (int s = 0; s + 1 < FAITH_STEPS; s++) area += (curve[s] + curve[s + 1]) / 2 * (faith_k(s + 1) - faith_k(s));
    return area;
}

int faith_work_init(faith_work *w, int side, int cell, int max_maps, cf_error *err) {
    memset(w, 0, sizeof *w);
    int n = faith_cell_count(side, cell);
    if (!n) return cf_fail(err, "cell size %d does not divide the model's input side %d", cell, side);
    if (max_maps < 1 || 2 * FAITH_STEPS * max_maps > FAITH_MAX_BATCH)
        return cf_fail(err, "%d maps of one image do not fit one batch", max_maps);
    w->side = side, w->cell = cell, w->max_maps = max_maps;
    w->inputs = malloc(sizeof(float) * FAITH_CHANNELS * side * side * 2 * FAITH_STEPS * max_maps);
    w->p_fake = malloc(sizeof(float) * 2 * FAITH_STEPS * max_maps);
    w->scores = malloc(sizeof(float) * n);
    w->order = malloc(sizeof(int) * n);
    w->mirrored = malloc(sizeof(float) * FAITH_CHANNELS * side * side * 2 * FAITH_STEPS * max_maps);
    w->logits = malloc(sizeof(float) * 2 * FAITH_STEPS * max_maps);
    w->mirrored_logits = malloc(sizeof(float) * 2 * FAITH_STEPS * max_maps);
    if (!w->inputs || !w->p_fake || !w->scores || !w->order || !w->mirrored || !w->logits || !w->mirrored_logits) {
        faith_work_free(w);
        return cf_fail(err, "out of memory");
    }
    return 0;
}

void faith_work_free(faith_work *w) {
    free(w->inputs);
    free(w->p_fake);
    free(w->scores);
    free(w->order);
    free(w->mirrored);
    free(w->logits);
    free(w->mirrored_logits);
    memset(w, 0, sizeof *w);
}

/* p_fake of the n inputs of w as the detector gives it: one view, or for a flip-averaged file the
 * mean logit of each input and its mirror at the file's temperature. */
static int detector_p_fake(cifake_detector *d, faith_work *w, int n, cf_error *err) {
    if (!cf_detector_flip_averaged(d)) return cf_detector_predict(d, w->inputs, n, w->p_fake, NULL, err);
    mirror_planes(w->inputs, n * FAITH_CHANNELS, w->side, w->mirrored);
    if (cf_detector_predict(d, w->inputs, n, w->p_fake, w->logits, err) ||
        cf_detector_predict(d, w->mirrored, n, w->p_fake, w->mirrored_logits, err))
        return -1;
    float temperature = cf_detector_params(d)->temperature;
    for (int i = 0; i < n; i++) w->p_fake[i] = cf_sigmoid((w->logits[i] + w->mirrored_logits[i]) / 2 / temperature);
    return 0;
}

int faith_curves(cifake_detector *d, faith_work *w, const float *image, const float *baseline, const float *const *maps,
                 int n_maps, const float *tiebreak, int target, double *deletion, double *insertion, cf_error *err) {
    if (n_maps < 1 || n_maps > w->max_maps) return cf_fail(err, "%d maps, room for %d", n_maps, w->max_maps);
    size_t per = (size_t)FAITH_CHANNELS * w->side * w->side;
    int n = faith_cell_count(w->side, w->cell);
    for (int m = 0; m < n_maps; m++) {
        faith_cell_scores(maps[m], w->side, w->cell, w->scores);
        faith_rank(w->scores, tiebreak, n, w->order);
        faith_compose(image, baseline, w->side, w->cell, w->order, w->inputs + (size_t)m * 2 * FAITH_STEPS * per);
    }
    if (detector_p_fake(d, w, 2 * FAITH_STEPS * n_maps, err)) return -1;
    for (int m = 0; m < n_maps; m++)
        for (int s = 0; s < FAITH_STEPS; s++) {
            double del = w->p_fake[m * 2 * FAITH_STEPS + s], ins = w->p_fake[m * 2 * FAITH_STEPS + FAITH_STEPS + s];
            deletion[m * FAITH_STEPS + s] = target ? del : 1.0 - del;
            insertion[m * FAITH_STEPS + s] = target ? ins : 1.0 - ins;
        }
    return 0;
}
