/* image_check.h - the structure checks every encoded image passes before it is decoded (image_check.c),
 * shared by the decoders in image.c. Internal to the image files: other code calls image.h. */
#ifndef CIFAKE_IMAGE_CHECK_H
#define CIFAKE_IMAGE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* CF_FORMAT_PIXELS: pixels decoded elsewhere (cf_image_from_pixels). */
typedef enum {
    CF_FORMAT_UNKNOWN,
    CF_FORMAT_JPEG,
    CF_FORMAT_PNG,
    CF_FORMAT_GIF,
    CF_FORMAT_BMP,
    CF_FORMAT_WEBP,
    CF_FORMAT_PIXELS,
} cf_image_format;

/* A PNG or BMP palette of fewer than 256 entries. stb_image 2.27 keeps both in uninitialised stack
 * arrays of 256 entries and looks every pixel's index up unchecked, so a pixel indexing past the
 * palette would take its colour from whatever an earlier call left on the stack (found by
 * fuzz-image-msan). cf_image_decode hands stb_image a copy with the palette padded with black to 256
 * entries instead: such pixels are black. */
typedef struct {
    size_t insert_at, added;  /* zero bytes to insert into the copy there; added 0: no padding */
    size_t png_chunk_at;      /* PNG: the PLTE chunk, whose length and CRC the copy updates */
    uint32_t palette_entries; /* PNG: the entries of the file's own PLTE */
} cf_palette_padding;

/* The name of a format in messages ("JPEG", ...; "image" for the others). */
const char *cf_image_format_name(cf_image_format format);

/* Refuses a size of zero or over the limits of image.h, naming the format. */
int cf_image_check_dimensions(uint64_t width, uint64_t height, cf_image_format format, cf_error *err);

/* Everything that can be said about the input without decoding a pixel: its size, format, header and
 * completeness, and the decoder's own reading of the header, which must agree. Sets *format, the
 * palette fix-up stb_image needs (*palette) and the size. */
int cf_image_check(const uint8_t *bytes, size_t n, cf_image_format *format, cf_palette_padding *palette, int *width,
                   int *height, cf_error *err);

/* A copy of a PNG or BMP with its palette padded with black to 256 entries: zeros inserted where
 * the palette ends, and the PNG chunk's length and CRC, or the BMP's file size and pixel data offset,
 * updated. NULL if out of memory. */
uint8_t *cf_image_with_full_palette(const uint8_t *bytes, size_t n, cf_image_format format,
                                   const cf_palette_padding *palette, size_t *out_n);

#endif
