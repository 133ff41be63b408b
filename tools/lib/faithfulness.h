/* faithfulness.h - are the explanations faithful? Deletion and insertion curves of a saliency map
 * (Petsiuk, Das and Saenko 2018, "RISE"): rank an image's cells by the map, then
 *   deletion:  replace the top k% of cells by a baseline image, k = 0, 5, ..., 100, and follow the
 *              model's probability of the explained class (it should fall fast: low area);
 *   insertion: start from the baseline and put back the top k% of cells (it should rise fast: high
 *              area).
 * Deletion at 0% and insertion at 100% are the image itself; deletion at 100% and insertion at 0% are
 * the baseline. The area under each curve is taken by the trapezoid rule over k in [0, 1].
 *
 * Cells are square blocks of `cell` pixels of the model's side x side input (cell 1: single pixels);
 * a cell's score is the mean of the map over its pixels. Images are normalised CHW floats (3 planes). */
#ifndef CIFAKE_FAITHFULNESS_H
#define CIFAKE_FAITHFULNESS_H

#include "detector_internals.h"

#define FAITH_STEPS 21 /* k = 0, 5, ..., 100 % */
#define FAITH_CHANNELS 3

/* k of step s in [0, 1], and the number of the n cells it covers: round(k * n). */
double faith_k(int step);
int faith_cells(int step, int n_cells);

/* Cells per image for a side and a cell size (0 unless cell divides side). */
int faith_cell_count(int side, int cell);

/* The mean of a side x side map over each cell, cells row by row. */
void faith_cell_scores(const float *map, int side, int cell, float *scores);

/* order[0..n): the cells by score, highest first; equal scores (the zeros of a ReLU'd map, say) by
 * tiebreak, highest first, so ties fall in an order that favours no part of the image. */
void faith_rank(const float *scores, const float *tiebreak, int n, int *order);

/* Writes the 2 * FAITH_STEPS inputs of one ranking: the deletion steps, then the insertion steps,
 * each FAITH_CHANNELS x side x side floats. image and baseline have that layout too. */
void faith_compose(const float *image, const float *baseline, int side, int cell, const int *order, float *out);

/* Area under a curve sampled at the FAITH_STEPS values of k, trapezoid rule on [0, 1]. */
double faith_auc(const double *curve);

/* Scratch for faith_curves: room for the inputs of up to max_maps rankings of one image (one batch:
 * 2 * FAITH_STEPS * max_maps images, at most cf_detector_predict's 1024). */
typedef struct {
    int side, cell, max_maps;
    float *inputs, *p_fake, *scores;
    float *mirrored, *logits, *mirrored_logits; /* for a flip-averaged file (tta=flip) */
    int *order;
} faith_work;

int faith_work_init(faith_work *w, int side, int cell, int max_maps, cf_error *err);
void faith_work_free(faith_work *w);

/* The curves of n_maps maps of one image, in one batch through the detector's first model: for map
 * m, deletion[m * FAITH_STEPS + s] and insertion[m * FAITH_STEPS + s] are the probability of class
 * target (1 FAKE: p_fake, 0 REAL: 1 - p_fake, at the file's temperature) at step s, as the detector
 * gives it (for a file with tta=flip, from the mean logit of each input and its mirror). image and
 * baseline are normalised inputs of the model (FAITH_CHANNELS x side x side); maps[m] are side x side;
 * tiebreak is one value per cell. */
int faith_curves(cifake_detector *d, faith_work *w, const float *image, const float *baseline, const float *const *maps,
                 int n_maps, const float *tiebreak, int target, double *deletion, double *insertion, cf_error *err);

#endif
