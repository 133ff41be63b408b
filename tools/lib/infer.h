/* infer.h - batched inference over dataset images and metric reporting, shared by the trainer and
 * cifake-eval. */
#ifndef CIFAKE_INFER_H
#define CIFAKE_INFER_H

#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "folders.h"
#include "metrics.h"
#include "net.h"

/* FAKE scores (cf_fake_score: a logit) for images idx[0..n) of ds, inference mode, in batches. */
int infer_scores(cf_model *m, const dataset *ds, const int *idx, int n, const float mean[3], const float std[3],
                 int n_threads, float *scores, cf_error *err);
/* The same, of each image's mirror image (left to right). */
int infer_mirrored_scores(cf_model *m, const dataset *ds, const int *idx, int n, const float mean[3],
                          const float std[3], int n_threads, float *scores, cf_error *err);

/* Image-level FAKE scores of a patch model (input 3 x p x p) for images idx[0..n) of fs: the mean
 * (cf_patch_aggregate) of the patch logits over the grid of native-resolution patches covering the
 * whole image, or over a spread sample of at most budget of them (patches.h; 0: the whole grid), as
 * the detector scores it. With jpeg_quality > 0 each image is first re-encoded whole as JPEG at
 * that quality (stb_image_write) and decoded again. */
int infer_patch_scores(cf_model *m, const folder_set *fs, const int *idx, int n, int p, int budget, const float mean[3],
                       const float std[3], int jpeg_quality, int n_threads, float *scores, cf_error *err);
/* The same, of each image as delivered on the web (perturb_web_rgb: shrunk by a factor in [0.5, 0.9),
 * re-encoded as JPEG at quality 70..90, no side below p), the draws from seed and infer_image_key. */
int infer_patch_scores_web(cf_model *m, const folder_set *fs, const int *idx, int n, int p, int budget,
                           const float mean[3], const float std[3], uint64_t seed, int n_threads, float *scores,
                           cf_error *err);
/* The key of image i's own draws: the FNV-1a hash of its path relative to the folder. */
uint64_t infer_image_key(const folder_set *fs, int i);

/* Each of n planes of side x side floats mirrored left to right, into out (a batch of CHW images:
 * n = images x channels). */
void mirror_planes(const float *in, int n, int side, float *out);

/* Metrics of scores at temperature T and threshold. */
void score_metrics(const float *scores, const int *labels, int n, float temperature, float threshold, metrics *out);

void metrics_print(FILE *f, const char *title, const metrics *m, int json);

#endif
