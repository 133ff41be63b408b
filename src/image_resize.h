/* image_resize.h - a decoded image (image.h) resized, and the model's 32x32 input from encoded bytes.
 *
 * Resizing policy: a non-square image is centre-cropped to its largest central square (the model
 * was trained on square CIFAR-style images, and squashing would distort the local texture the
 * detector relies on); the square is then resized to 32x32 by exact area averaging when shrinking
 * (every source pixel contributes in proportion to its overlap with the output pixel) and by
 * bilinear interpolation when enlarging. A 32x32 image passes through unchanged, bit for bit. */
#ifndef CIFAKE_IMAGE_RESIZE_H
#define CIFAKE_IMAGE_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* The crop square used by the resizing policy: the largest centred square of a w x h image. */
void cf_image_center_square(int w, int h, int *x0, int *y0, int *side);

/* Centre-crops and resizes img to out_side x out_side RGB (policy above). out has out_side^2*3 bytes. */
void cf_image_resize_square(const cf_image *img, int out_side, uint8_t *out);

/* Resizes the whole image to out_w x out_h RGB (area averaging when shrinking both ways, bilinear
 * otherwise), e.g. to draw a map over the whole image. out has out_w*out_h*3 bytes. */
void cf_image_resize(const cf_image *img, int out_w, int out_h, uint8_t *out);

/* Convenience: decode + resize to the model's 32x32 input. Fills width/height of the original. */
int cf_image_load_model_input(const uint8_t *bytes, size_t n, uint8_t out[CF_MODEL_SIDE * CF_MODEL_SIDE * 3],
                              int *orig_width, int *orig_height, cf_error *err);

#endif
