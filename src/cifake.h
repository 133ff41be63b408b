/* cifake.h - the small public API the command-line tools and the WebAssembly exports both call.
 *
 *   cifake_detector *d;  cf_error err;
 *   if (cifake_open(weight_bytes, n, &d, &err)) { puts(err.msg); ... }
 *   cifake_result r;
 *   if (cifake_classify(d, image_bytes, m, &r, &err) == 0) printf("%s %.4f\n", r.label ? "FAKE" : "REAL", r.p_fake);
 *   cifake_close(d);
 *
 * A detector owns everything it needs for one image at a time: after cifake_open, classifying does
 * not allocate on the model path (decoding an image does allocate its pixels). Not thread-safe: use
 * one detector per thread. */
#ifndef CIFAKE_H
#define CIFAKE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "gradcam.h"
#include "model.h"
#include "weights.h"

typedef struct {
    int label;     /* 0 REAL, 1 FAKE (p_fake >= the file's threshold) */
    float p_fake;  /* calibrated probability that the image is FAKE */
    float score;   /* raw FAKE logit before calibration */
    int width, height; /* size of the decoded image before cropping and resizing */
} cifake_result;

typedef struct cifake_detector cifake_detector;

int cifake_open(const uint8_t *weights, size_t n, cifake_detector **out, cf_error *err);
void cifake_close(cifake_detector *d);

/* Decodes an encoded image (JPEG, PNG, BMP, GIF; limits in image.h) and classifies it. */
int cifake_classify(cifake_detector *d, const uint8_t *image, size_t n, cifake_result *res, cf_error *err);

/* Classifies an already-prepared 32x32 RGB image (HWC bytes). */
int cifake_classify_rgb32(cifake_detector *d, const uint8_t *rgb, cifake_result *res, cf_error *err);

/* The normalised model input of the last classified image: 3 x 32 x 32 floats (CHW), as
 * cifake_normalise wrote them; NULL before the first classification. Lets another engine be fed
 * exactly what this one saw. */
const float *cifake_input(const cifake_detector *d);

/* Classifies n images already normalised (n x 3 x 32 x 32 floats, CHW each) in one forward pass:
 * p_fake[i] (and score[i] when score is not NULL) as cifake_classify computes them. The batch
 * workspace grows to the largest n seen (n in [1, 1024]); the last classified image, its Grad-CAM
 * state and its rendering stay as they were. */
int cifake_predict(cifake_detector *d, const float *input, int n, float *p_fake, float *score, cf_error *err);

/* Class activation map of the last classified image, for class target (0 REAL, 1 FAKE, -1 the
 * predicted class), at the model's input resolution: 32 x 32 floats in [0, 1] into cam32. Costs one
 * backward pass through the layers after the CAM layer. conv_layer: -1 for the last convolution. */
int cifake_explain(cifake_detector *d, cf_cam_method method, int target, int conv_layer, float *cam32, cf_error *err);

/* Draws cam32 (from cifake_explain) over the last classified image: the image's centre square (the
 * part the model saw) resized to side x side, the map upsampled bilinearly to the same size, colour
 * mapped and alpha-blended. rgba receives side*side*4 bytes. side in [1, 2048]. */
int cifake_render(cifake_detector *d, const float *cam32, int side, cf_colormap cmap, float alpha, uint8_t *rgba,
                  cf_error *err);

const cf_meta *cifake_meta(const cifake_detector *d);
const cf_infer_params *cifake_params(const cifake_detector *d);
cf_model *cifake_model(cifake_detector *d);

/* Writes the normalised CHW float input for a 32x32 RGB HWC image, as the model sees it:
 * (pixel / 255 - mean[c]) / std[c]. The trainer and the detector both use this one function. */
void cifake_normalise(const float mean[3], const float std[3], const uint8_t *rgb, float *chw);

#endif
