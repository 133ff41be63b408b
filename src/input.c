/* input.c - pixels as a model's input (input.h). */
#include "input.h"

void cf_normalise(const float mean[3], const float std[3], const uint8_t *rgb, int n_pixels, float *chw) {
    for (int c = 0; c < 3; c++) {
        float scale = 1.0f / (255.0f * std[c]), shift = mean[c] / std[c];
        for (int i = 0; i < n_pixels; i++) chw[c * n_pixels + i] = rgb[i * 3 + c] * scale - shift;
    }
}
