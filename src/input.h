/* input.h - pixels as a model's input. The trainer and the detector both use this one function, so
 * a model sees the same floats for an image in training, evaluation and the browser. */
#ifndef CIFAKE_INPUT_H
#define CIFAKE_INPUT_H

#include <stdint.h>

/* Writes the normalised CHW floats for n_pixels RGB HWC pixels: (pixel / 255 - mean[c]) / std[c]. */
void cf_normalise(const float mean[3], const float std[3], const uint8_t *rgb, int n_pixels, float *chw);

#endif
