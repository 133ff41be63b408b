/* patches.h - the grid of native-resolution patches a patch model analyses, and how their scores
 * become one score for the image. The trainer (validation on whole images) and the detector both
 * use these functions, so an image is scored the same way in both.
 *
 * Along a side of n pixels, a patch side of p gives ceil(n / p) patches (none when n < p), spread
 * evenly: the first starts at 0, the last ends at n, and neighbours overlap when n is not a multiple
 * of p. The grid covers every pixel of the image; no pixel is resampled. */
#ifndef CIFAKE_PATCHES_H
#define CIFAKE_PATCHES_H

#include "common.h"

/* Patches along a side of n pixels (0 when n < p or p < 1). */
int cf_patch_count(int n, int p);

/* Offset of patch i (0 <= i < count, count = cf_patch_count(n, p) or the count of a sampled grid)
 * along that side. */
int cf_patch_offset(int i, int count, int n, int p);

/* The grid a patch model analyses over a width x height image: the full grid (cf_patch_count along
 * each side), or, when it has more than budget patches (budget > 0), a spread sample of it: fewer
 * columns and rows in the same proportion, at most budget patches, placed by cf_patch_offset so that
 * the first starts at 0 and the last ends at the edge, with gaps between (every pixel a sampled patch
 * holds is still at native resolution). Returns cols * rows. */
#define CF_PATCH_BUDGET_MAX 1000000
int cf_patch_grid(int width, int height, int p, int budget, int *cols, int *rows);

/* The patch budget a weight file states (its patch_budget value, or NULL: 0, the whole grid). */
int cf_patch_budget_read(const char *text, int *budget, cf_error *err);

/* The image's score from its patches' FAKE logits: their mean (every patch is an equal witness; a
 * generated image is generated everywhere). */
float cf_patch_aggregate(const float *logits, int n);

#endif
