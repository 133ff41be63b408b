/* image.h - decoding untrusted encoded images into RGB pixels.
 *
 * Formats: JPEG (baseline and progressive, greyscale or colour), PNG (8/16-bit, palette, grey, alpha), BMP, GIF (first
 * frame), through stb_image; in native builds (CF_WITH_WEBP) also WebP (lossy, lossless, extended; still
 * images only), through libwebp. Grey becomes RGB by replication; alpha is composited over white
 * (a transparent pixel has no colour of its own, and white is what a viewer shows).
 *
 * Limits, checked from the header before any pixel is decoded:
 *   encoded size <= CF_IMAGE_MAX_BYTES, width and height <= CF_IMAGE_MAX_SIDE,
 *   width * height <= CF_IMAGE_MAX_PIXELS, JPEG scans <= CF_JPEG_MAX_SCANS;
 * and while decoding, no single allocation above CF_IMAGE_MAX_ALLOC.
 * Refused: CMYK JPEG, 12-bit, lossless, arithmetic-coded and hierarchical JPEG, truncated files.
 *
 * The structure checks are in image_check.c, decoding in image.c, and the centre crop and resizing
 * to the model's input in image_resize.h (as stb keeps stb_image and stb_image_resize apart). */
#ifndef CIFAKE_IMAGE_H
#define CIFAKE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define CF_IMAGE_MAX_BYTES ((size_t)64 << 20) /* 64 MiB of encoded data */
#define CF_IMAGE_MAX_SIDE 16384
#define CF_IMAGE_MAX_PIXELS ((size_t)40000000) /* 40 megapixels */
#define CF_JPEG_MAX_SCANS 100 /* progressive passes; each one is decoded over the whole image */
/* No single allocation inside the decoder may exceed this: the largest legitimate one is a
 * 40-megapixel 16-bit RGBA PNG's inflated data (8 bytes a pixel plus a filter byte a row); a PNG
 * whose compressed data inflates past its header's size (a "zlib bomb") stops here. */
#define CF_IMAGE_MAX_ALLOC (CF_IMAGE_MAX_PIXELS * 8 + ((size_t)1 << 20))
#define CF_MODEL_SIDE 32

/* A decoded image, RGB interleaved, 3 bytes per pixel, rows top to bottom. */
typedef struct {
    int width, height;
    uint8_t *rgb; /* width * height * 3 bytes, owned; free with cf_image_free */
} cf_image;

/* Decodes encoded bytes to RGB after checking the limits above. On failure returns -1 with a message
 * such as "not a supported image (JPEG, PNG, BMP, GIF)", "image is 20000x20000 pixels, over the
 * limit of 40000000 pixels", "truncated or corrupt JPEG data", "empty file (0 bytes)". */
int cf_image_decode(const uint8_t *bytes, size_t n, cf_image *out, cf_error *err);
void cf_image_free(cf_image *img);

/* Decodes a PNG to RGBA, alpha kept (for data hidden in the alpha channel, provenance.h), after the
 * same checks and limits as cf_image_decode. *rgba is owned by the caller (free()). */
int cf_image_decode_png_rgba(const uint8_t *bytes, size_t n, uint8_t **rgba, int *width, int *height,
                             cf_error *err);

/* Copies pixels decoded elsewhere (channels 3: RGB, 4: RGBA, alpha composited over white) into an
 * RGB image, after the same size limits as cf_image_decode. */
int cf_image_from_pixels(const uint8_t *pixels, int width, int height, int channels, cf_image *out, cf_error *err);

/* Reads width and height from the header only (no pixel decoding); fails like cf_image_decode on
 * unsupported or oversized input. */
int cf_image_probe(const uint8_t *bytes, size_t n, int *width, int *height, cf_error *err);

#endif
