/* detector_internals.h - the detector's internals for the project's own tools and tests (not
 * installed; web/detector.js is the JavaScript API, cifake.h the C one): the first model's network,
 * metadata and inference settings, and batch inference on prepared inputs. Programs that only
 * classify images need cifake.h alone. */
#ifndef CIFAKE_DETECTOR_INTERNALS_H
#define CIFAKE_DETECTOR_INTERNALS_H

#include "cifake.h"
#include "gradcam.h"
#include "input.h"
#include "loaded_model.h"
#include "net.h"
#include "weights.h"

/* The first model (the weight file given to cifake_open) as loaded, read-only: the detector runs it.
 * A tool that runs a model itself opens one (loaded_model.h, open_model_file) instead. */
const cf_loaded_model *cf_detector_model(const cifake_detector *d);
const cf_meta *cf_detector_meta(const cifake_detector *d);
const cf_infer_params *cf_detector_params(const cifake_detector *d);
/* Whether the first model scores an image with its mirror image (its file's tta=flip). */
int cf_detector_flip_averaged(const cifake_detector *d);

/* Classifies an already-prepared RGB image of the first model's input size (HWC bytes) with the
 * first model, whatever its scope (the trainer's tools use it on dataset images). */
int cf_detector_classify_rgb(cifake_detector *d, const uint8_t *rgb, cifake_result *res, cf_error *err);

/* The normalised input of the last image the first model classified as a thumbnail (3 x side x side
 * floats, CHW); NULL before the first. Lets another engine be fed exactly what this one saw. */
const float *cf_detector_input(const cifake_detector *d);

/* Classifies n images already normalised for the first model (n x 3 x side x side floats, CHW each)
 * in one forward pass: p_fake[i] (and score[i] when score is not NULL). n in [1, 1024]; the last
 * classified image and its Grad-CAM state stay as they were. One view: a file's tta=flip is not
 * applied here (the network alone, as other engines run it). */
int cf_detector_predict(cifake_detector *d, const float *input, int n, float *p_fake, float *score, cf_error *err);

#endif
