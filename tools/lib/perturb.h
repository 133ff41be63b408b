/* perturb.h - everyday degradations of a 32x32 RGB image: JPEG re-compression, Gaussian blur,
 * additive Gaussian noise and down-and-up rescaling. cifake-eval --perturb measures how far the
 * verdicts survive them; cifake-train --perturb-prob trains with them.
 *
 * Portable C (also built into the WebAssembly unit tests): no threads, no globals, no printing.
 * Randomness comes only from the caller's cf_rng, so a seed fixes every output. */
#ifndef CIFAKE_PERTURB_H
#define CIFAKE_PERTURB_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "image.h"

#define PERTURB_SIDE CF_MODEL_SIDE
#define PERTURB_BYTES (PERTURB_SIDE * PERTURB_SIDE * 3)

typedef enum {
    PERTURB_NONE,    /* identity */
    PERTURB_JPEG,    /* amount: quality 1..100 (stb_image_write), decoded again by image.h */
    PERTURB_BLUR,    /* amount: Gaussian sigma in pixels, (0, 2.5]; edges replicated */
    PERTURB_NOISE,   /* amount: sigma of additive Gaussian noise on the 0..255 scale, [0, 128]; clamped */
    PERTURB_RESCALE, /* amount: side in pixels, 1..32: area-averaged down to it, bilinear back to 32 */
} perturb_kind;

typedef struct {
    perturb_kind kind;
    float amount;
    const char *name; /* short identifier, e.g. "jpeg50", used in tables and JSON */
} perturbation;

/* The family evaluated by cifake-eval --perturb and drawn from by cifake-train --perturb-prob:
 * jpeg 90/75/50/30, blur 0.5/1, noise 2/5/10, rescale 24/16. Returns the count; *list is static. */
int perturb_family(const perturbation **list);

/* Writes p applied to in into out (both PERTURB_BYTES, HWC RGB; they may be the same buffer).
 * rng is drawn from by noise only (it may be NULL for the other kinds). Fails on an amount out of
 * range or when encoding or decoding fails (out of memory). */
int perturb_apply(const perturbation *p, const uint8_t *in, uint8_t *out, cf_rng *rng, cf_error *err);

/* For training: with probability prob one perturbation of the family, drawn uniformly, else a copy.
 * The draw and the noise both come from rng. */
int perturb_random(float prob, const uint8_t *in, uint8_t *out, cf_rng *rng, cf_error *err);

/* JPEG round trip of a w x h RGB image of any size (stb_image_write's baseline encoder, 4:2:0 chroma at
 * quality <= 90, decoded by image.h): out gets w*h*3 bytes (it may be in). For native-resolution
 * patches and whole images (cifake-train --folders, cifake-eval --folders). */
int perturb_jpeg_rgb(int quality, int w, int h, const uint8_t *in, uint8_t *out, cf_error *err);

/* "As delivered on the web" (cifake-eval --folders --web): a w x h image shrunk by a factor drawn
 * from [PERTURB_WEB_SCALE_MIN, PERTURB_WEB_SCALE_MAX) (image.h's cf_image_resize, area averaging; both
 * sides by the same factor, rounded), then re-encoded as JPEG at a quality drawn from
 * PERTURB_WEB_QUALITY_MIN..MAX and decoded again. The draws come from cf_rng_make(seed, key, ...) alone,
 * key naming the image (e.g. the FNV-1a hash of its path), so each image gets the same draw whatever
 * else is evaluated and in whatever order. No side is shrunk below min_side (an image already smaller
 * keeps its size there). */
#define PERTURB_WEB_SCALE_MIN 0.5f
#define PERTURB_WEB_SCALE_MAX 0.9f
#define PERTURB_WEB_QUALITY_MIN 70
#define PERTURB_WEB_QUALITY_MAX 90

/* The draw: the delivered size and the JPEG quality. */
void perturb_web_draw(uint64_t seed, uint64_t key, int w, int h, int min_side, int *out_w, int *out_h, int *quality);

/* Writes the delivered image into out (out_w * out_h * 3 bytes as perturb_web_draw gives them; out must
 * not overlap in). Fails on a bad size or when encoding or decoding fails. */
int perturb_web_rgb(uint64_t seed, uint64_t key, int w, int h, int min_side, const uint8_t *in, uint8_t *out,
                    cf_error *err);

#endif
