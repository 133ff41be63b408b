/* gradcam.h - class activation maps (Grad-CAM and Grad-CAM++), upsampling, colour maps, blending.
 *
 * The map is computed for the feature map of one convolution layer: its output after the batch norm
 * and ReLU that directly follow it (the block's output, what the next stage sees; a Keras Conv2D
 * with activation="relu" gives the same tensor). Default: the last convolution.
 *
 *   Grad-CAM:   w_k = mean_ij g_kij,  map = ReLU(sum_k w_k A_kij)
 *   Grad-CAM++: a_kij = g^2 / (2 g^2 + (sum_ab A_kab) g^3)  (0 where g == 0),
 *               w_k = sum_ij a_kij ReLU(g_kij),  map = ReLU(sum_k w_k A_kij)
 * where A is the feature map and g = d(class score)/dA from one backward pass through the head only
 * (the layers after the CAM layer). The class score is the logit of the class (for a sigmoid head:
 * z for FAKE, -z for REAL). The map is divided by its maximum (an all-zero map stays all zeros: no
 * positive evidence) and upsampled bilinearly (half-pixel centres, as PyTorch's
 * interpolate(mode="bilinear", align_corners=False)). */
#ifndef CIFAKE_GRADCAM_H
#define CIFAKE_GRADCAM_H

#include <stdint.h>

#include "common.h"
#include "net.h"

/* Index of the layer whose output is the CAM feature map for conv layer `conv_layer` (-1: the last
 * conv): the conv itself, or the BN/ReLU right after it. Fails for a non-conv layer. */
int cf_cam_feature_layer(const cf_model *m, int conv_layer, int *feature_layer, cf_error *err);

/* Computes the map for image 0 of the last forward pass in ws (which must be in inference mode),
 * for class `target` (0 REAL, 1 FAKE). Writes fh x fw floats (the feature map's size) into map. */
int cf_gradcam(cf_model *m, cf_workspace *ws, int feature_layer, int target, cifake_cam_method method, float *map, int *fh,
               int *fw, cf_error *err);

/* Bilinear resize of a single-channel map (half-pixel centres, edge clamped). */
void cf_resize_bilinear(const float *src, int sh, int sw, float *dst, int dh, int dw);

/* Colour of v in [0,1] under a colour map, as 8-bit RGB. */
void cf_colormap_rgb(cifake_colormap cmap, float v, uint8_t rgb[3]);
int cf_colormap_parse(const char *name, cifake_colormap *cmap);
int cf_cam_method_parse(const char *name, cifake_cam_method *method);

/* Blends a colour-mapped map over an RGB image of the same size: out = (1 - alpha) * image +
 * alpha * colour(map), per pixel, rounded; out is RGBA (alpha 255). */
void cf_cam_blend(const float *map, const uint8_t *rgb, int w, int h, cifake_colormap cmap, float alpha, uint8_t *rgba);

#endif
