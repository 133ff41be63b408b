/* cutmix.h - CutMix for fake detection: mixes a prepared training batch by pasting boxes of whole
 * JPEG blocks between its images, with soft targets (cifake-train --cutmix). */
#ifndef CIFAKE_CUTMIX_H
#define CIFAKE_CUTMIX_H

#include <stdint.h>

#include "dataset.h" /* DS_PIXELS: the floats of one prepared image */

/* With probability p, image i of a prepared batch gets a box of whole 8x8 blocks from image j of
 * source (a copy of the batch before mixing; j drawn from the batch, may be i). Whole blocks keep
 * both images' JPEG grids aligned and put the seams where block edges already are. A REAL image with
 * a FAKE box is partly FAKE: targets[i] is the FAKE share of its area. The draws depend on (seed,
 * ids[i]) only, never on threads. */
void cutmix_batch(float *images, const float *source, const int *labels, const uint64_t *ids, int n, float p,
                  uint64_t seed, float *targets);

#endif
