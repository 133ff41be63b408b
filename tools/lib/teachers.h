/* teachers.h - knowledge distillation: trained CIFAKE weight files (the teachers) whose ensemble gives
 * the targets a student network is trained towards (cifake-train --teacher).
 *
 * The ensemble's FAKE logit for an image is the mean of the files' calibrated logits, s_k / T_k: the
 * rule cifake-eval uses to score an ensemble, so the targets are the probabilities that ensemble
 * reports. The teachers score either
 *   - live: the exact batch the student is trained on, after its flip, translation, perturbation or
 *     CutMix, at the price of every teacher's forward pass at every step; or
 *   - cached: every training image once upright and once mirrored, before training. Flips then get
 *     exact targets; translated or perturbed images get the clean image's.
 * A teacher whose file asks for flip averaging (tta=flip) gives the mean logit of the image and its
 * mirror image, as the detector scores with that file.
 *
 * Usage:
 *   teacher_set t;
 *   teachers_open(&t, files, n, split_seed, val_permille, &err);   // refuses files of another split
 *   teachers_cache(&t, &train, idx, n_idx, threads, &err);          // cached, or:
 *   teachers_go_live(&t, batch, threads, &err);                     // live
 *   ... teachers_cached_logit(&t, image, flipped) or teachers_score_batch(&t, input, n, mean, std, z)
 *   teachers_close(&t);
 */
#ifndef CIFAKE_TEACHERS_H
#define CIFAKE_TEACHERS_H

#include <stdint.h>

#include "dataset.h"
#include "loaded_model.h"
#include "net.h"

#define TEACHERS_MAX 8

typedef struct {
    int n;
    cf_loaded_model model[TEACHERS_MAX];
    /* live */
    cf_workspace ws[TEACHERS_MAX];
    int live, batch;
    float *renormalised; /* a batch in one teacher's normalisation, when it differs from the student's */
    float *mirrored;     /* that batch mirrored, for a flip-averaged teacher */
    float *u, *m;        /* one teacher's logits of the batch and of its mirror */
    /* cached: logit of dataset image i at [2 i] (upright) and [2 i + 1] (mirrored); NAN if not scored */
    float *cache;
} teacher_set;

/* Opens the weight files; each must be a 3x32x32 model that held out the validation split of
 * (split_seed, val_permille), or the student would be chosen on images its teachers learned. */
int teachers_open(teacher_set *t, const char *const *files, int n, uint64_t split_seed, int val_permille,
                  cf_error *err);

/* Scores images idx[0..n) of ds upright and mirrored, for teachers_cached_logit. */
int teachers_cache(teacher_set *t, const dataset *ds, const int *idx, int n, int threads, cf_error *err);

/* The ensemble logit of dataset image i (cached by teachers_cache), mirrored when flipped. */
float teachers_cached_logit(const teacher_set *t, int image, int flipped);

/* Prepares live scoring of batches of up to `batch` images. */
int teachers_go_live(teacher_set *t, int batch, int threads, cf_error *err);

/* Ensemble logits z[0..n) of a batch prepared for the student (normalised with mean and std, CHW). */
void teachers_score_batch(teacher_set *t, const float *input, int n, const float mean[3], const float std[3],
                          float *z);

void teachers_close(teacher_set *t);

#endif
