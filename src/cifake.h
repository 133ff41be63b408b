/* cifake.h - the public C API of the cifake detector. Self-contained: standard headers only.
 *
 *   cifake_detector *d;  cifake_error err;
 *   if (cifake_open(weight_bytes, n, &d, &err)) { puts(err.msg); ... }
 *   cifake_add_model(d, other_weight_bytes, m, &err);     // optional: a second model, tried in order
 *   cifake_result r;
 *   if (cifake_classify(d, image_bytes, size, &r, &err) == 0)
 *       printf("%s %s\n", cifake_label_name(r.label), r.label == CIFAKE_UNSURE ? r.reason : "");
 *   cifake_close(d);
 *
 * A verdict is REAL, FAKE or UNSURE. Each model judges only the images it has been shown to judge
 * (its scope, read from its weight file): a thumbnail model (CIFAKE: 32x32 images) judges images of
 * its own input size; a patch model judges images at least one patch large. The first model whose
 * scope holds the image judges it; an image no model takes is UNSURE (too small, or out of scope),
 * and so is one whose probability falls in the judging model's UNSURE band (weak evidence). UNSURE
 * is a result, not an error. The weight file also carries sentences saying how often the model was
 * measured right on the kind of image in question (cifake_result.reliability).
 *
 * A detector owns everything it needs for one image at a time. Not thread-safe: use one detector per
 * thread. Every fallible call returns 0, or -1 with a message in err.
 *
 * Names: everything public is cifake_ / CIFAKE_ and declared here; the library's internals are cf_ /
 * CF_ (docs/layout.md, "Names"), so a cifake_ name anywhere is part of this API. */
#ifndef CIFAKE_H
#define CIFAKE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cifake_error {
    char msg[512];
} cifake_error;

typedef struct cifake_detector cifake_detector;

typedef enum { CIFAKE_REAL = 0, CIFAKE_FAKE = 1, CIFAKE_UNSURE = 2 } cifake_label;

/* Why a result has its label. */
typedef enum {
    CIFAKE_JUDGED = 0,        /* a model in scope gave a verdict */
    CIFAKE_TOO_SMALL = 1,     /* smaller than every model's input: UNSURE */
    CIFAKE_OUT_OF_SCOPE = 2,  /* no model takes images like this: UNSURE */
    CIFAKE_WEAK_EVIDENCE = 3, /* in scope, but p_fake inside the model's UNSURE band */
} cifake_scope;

/* How a model looks at an image. */
typedef enum {
    CIFAKE_VIEW_THUMBNAIL = 0, /* the centre square, resized to the model's input */
    CIFAKE_VIEW_PATCHES = 1,   /* a grid of native-resolution patches covering the whole image */
} cifake_view;

typedef enum { CIFAKE_CAM_GRADCAM = 0, CIFAKE_CAM_GRADCAMPP = 1 } cifake_cam_method;
typedef enum { CIFAKE_COLORMAP_TURBO = 0, CIFAKE_COLORMAP_JET = 1, CIFAKE_COLORMAP_VIRIDIS = 2 } cifake_colormap;

typedef struct {
    cifake_label label;
    cifake_scope scope;
    /* The calibrated probability of FAKE from the model that looked. On an UNSURE image out of every
     * model's scope it is the first able model's guess (a thumbnail model can look at any image),
     * for information and measurement only; NaN when no model could look. */
    float p_fake;
    float score;      /* its raw FAKE logit (patch models: the mean of the patch logits) */
    int width, height;      /* the decoded image */
    int model;              /* index of the model that looked (0 = the file given to cifake_open), -1 none */
    cifake_view view;       /* that model's view */
    int region_x, region_y, region_width, region_height; /* the part of the image it analysed */
    int patch_side, patch_cols, patch_rows;              /* patch models: the grid (cifake_patches) */
    char reason[256];        /* why UNSURE, in plain words for anyone (provenance rules may add theirs); "" otherwise */
    char detail[256];        /* the same in the engine's terms, with its numbers (sizes, P(fake), band); "" otherwise */
    const char *reliability; /* measured reliability of that model on this kind of image; "" when the
                                weight file states none (owned by the detector) */
} cifake_result;

/* Opens a detector on a weight file (the bytes are copied; the caller may free them). */
int cifake_open(const uint8_t *weights, size_t n, cifake_detector **out, cifake_error *err);
/* Adds another model, tried after the ones before it (at most CIFAKE_MAX_MODELS in all). */
int cifake_add_model(cifake_detector *d, const uint8_t *weights, size_t n, cifake_error *err);
void cifake_close(cifake_detector *d);
#define CIFAKE_MAX_MODELS 4

/* Decodes an encoded image (JPEG, PNG, BMP, GIF; WebP where the build has it) and classifies it. */
int cifake_classify(cifake_detector *d, const uint8_t *image, size_t n, cifake_result *res, cifake_error *err);
/* Classifies pixels decoded elsewhere (e.g. by a browser): width x height, channels 3 (RGB) or 4
 * (RGBA, alpha composited over white), rows top to bottom, no padding. The same limits apply. */
int cifake_classify_pixels(cifake_detector *d, const uint8_t *pixels, int width, int height, int channels,
                           cifake_result *res, cifake_error *err);

/* Patch scores of the last classified image when a patch model looked at it: up to cap patches, row
 * by row; x, y (top-left corners in image pixels) and p_fake may each be NULL. Returns the number of
 * patches (0 when the last image was not analysed in patches). */
int cifake_patches(const cifake_detector *d, int *x, int *y, float *p_fake, int cap);

/* Class activation map of the last image a thumbnail model looked at, for class target (0 REAL,
 * 1 FAKE, -1 the predicted class), at the model's input resolution: side x side floats in [0, 1]
 * (side = cifake_cam_side). conv_layer: -1 for the last convolution, else a 0-based layer index. */
int cifake_explain(cifake_detector *d, cifake_cam_method method, int target, int conv_layer, float *cam,
                   cifake_error *err);
int cifake_cam_side(const cifake_detector *d);

/* Draws cam over the region the model analysed (the centre square), resized to side x side, colour
 * mapped and alpha-blended: side*side*4 RGBA bytes. side in [1, 2048]. */
int cifake_render(cifake_detector *d, const float *cam, int side, cifake_colormap cmap, float alpha, uint8_t *rgba,
                  cifake_error *err);

/* Draws the patch scores of the last image a patch model looked at over the whole image: each pixel
 * coloured by the mean p_fake of the patches covering it (colour map over [0, 1], alpha-blended).
 * The drawing keeps the image's aspect ratio, its longer side max_side (or the image's own when
 * smaller; max_side in [1, 2048]): *width x *height RGBA pixels into rgba, which must hold
 * max_side*max_side*4 bytes. */
int cifake_render_patches(cifake_detector *d, int max_side, cifake_colormap cmap, float alpha, uint8_t *rgba,
                          int *width, int *height, cifake_error *err);

/* A model's weight-file metadata (model 0 .. cifake_model_count - 1): key/value pairs, owned by d. */
int cifake_model_count(const cifake_detector *d);
int cifake_meta_count(const cifake_detector *d, int model);
const char *cifake_meta_key(const cifake_detector *d, int model, int i);
const char *cifake_meta_value(const cifake_detector *d, int model, int i);
/* The value of one key, or NULL. */
const char *cifake_meta_get(const cifake_detector *d, int model, const char *key);

const char *cifake_label_name(cifake_label label);   /* "REAL", "FAKE", "UNSURE" */
const char *cifake_scope_name(cifake_scope scope);   /* "judged", "too-small", "out-of-scope", "weak-evidence" */

#ifdef __cplusplus
}
#endif

#endif
