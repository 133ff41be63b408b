/* image.c - decoding untrusted images through stb_image (and libwebp in native builds), after
 * image_check.c has checked their structure. stb_image's failure reason is read right after the
 * failing call (it is thread-local in stb) and turned into a message a user can act on. Resizing
 * is in image_resize.c. */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#include "image_check.h"
#include "stb_image.h"
#ifdef CF_WITH_WEBP
#include <webp/decode.h>
#endif

/* stb_image's short failure codes, turned into messages that say what is wrong with the file. */
static int fail_from_stb_reason(cf_image_format format, int width, int height, const char *reason,
                                cf_error *err) {
    const char *name = cf_image_format_name(format);
    if (!reason) reason = "unknown error";
    if (strcmp(reason, "outofmem") == 0)
        return cf_fail(err, "out of memory decoding a %dx%d %s image (a decoder buffer may not exceed %zu MiB; "
                            "corrupt data can ask for more)", width, height, name, CF_IMAGE_MAX_ALLOC >> 20);
    if (strcmp(reason, "too large") == 0)
        return cf_fail(err, "%s image too large to decode (limits: %d pixels per side, %zu pixels)", name,
                       CF_IMAGE_MAX_SIDE, CF_IMAGE_MAX_PIXELS);
    if (strcmp(reason, "only 8-bit") == 0) return cf_fail(err, "unsupported JPEG: only 8-bit JPEG is supported");
    if (strcmp(reason, "no header height") == 0)
        return cf_fail(err, "unsupported JPEG: the height is only given after the image data (DNL marker)");
    if (strcmp(reason, "BMP RLE") == 0) return cf_fail(err, "unsupported BMP: RLE compression");
    if (strcmp(reason, "BMP JPEG/PNG") == 0) return cf_fail(err, "unsupported BMP: embedded JPEG/PNG compression");
    if (strcmp(reason, "unknown BMP") == 0 || strcmp(reason, "bad BMP") == 0)
        return cf_fail(err, "unsupported BMP variant (%s)", reason);
    if (strcmp(reason, "1/2/4/8/16-bit only") == 0 || strcmp(reason, "bad bits_per_channel") == 0)
        return cf_fail(err, "unsupported PNG bit depth (%s)", reason);
    if (strcmp(reason, "outofdata") == 0)
        return cf_fail(err, "truncated %s data: the file ends before the image data is complete", name);
    return cf_fail(err, "truncated or corrupt %s data (%s)", name, reason);
}

/* Alpha over a white background, rounded to nearest: c*a/255 + (255 - a). */
static uint8_t over_white(uint8_t value, uint8_t alpha) {
    return (uint8_t)(((unsigned)value * alpha + 255u * (255u - alpha) + 127u) / 255u);
}

/* Turns stb's 1-4 channel pixels (grey, grey+alpha, RGB, RGBA) into RGB. Takes ownership of
 * pixels and returns an RGB buffer of count*3 bytes (possibly the same one), or NULL if out of
 * memory (pixels freed either way). */
static uint8_t *to_rgb(uint8_t *pixels, size_t count, int channels) {
    if (channels == 3) return pixels;
    if (channels == 4) { /* in place: pixel i is read at 4i before anything is written at 3i */
        for (size_t i = 0; i < count; i++) {
            const uint8_t *src = pixels + 4 * i;
            uint8_t a = src[3], r = over_white(src[0], a), g = over_white(src[1], a), b = over_white(src[2], a);
            pixels[3 * i] = r;
            pixels[3 * i + 1] = g;
            pixels[3 * i + 2] = b;
        }
        uint8_t *shrunk = realloc(pixels, count * 3);
        return shrunk ? shrunk : pixels; /* a failed shrink leaves the (larger) block valid */
    }
    uint8_t *rgb = malloc(count * 3);
    if (rgb) {
        for (size_t i = 0; i < count; i++) {
            uint8_t grey = channels == 2 ? over_white(pixels[2 * i], pixels[2 * i + 1]) : pixels[i];
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey;
        }
    }
    stbi_image_free(pixels);
    return rgb;
}

/* Hands a decoder's pixels (1 to 4 channels, owned; w * h <= CF_IMAGE_MAX_PIXELS, checked by cf_image_check)
 * over to out as RGB. */
static int take_pixels(cf_image *out, uint8_t *pixels, int w, int h, int channels, cf_error *err) {
    uint8_t *rgb = to_rgb(pixels, (size_t)w * (size_t)h, channels);
    if (!rgb) return cf_fail(err, "out of memory converting a %dx%d image to RGB", w, h);
    out->width = w;
    out->height = h;
    out->rgb = rgb;
    return 0;
}

#ifdef CF_WITH_WEBP
static int fail_from_webp_status(VP8StatusCode status, int width, int height, cf_error *err) {
    switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return cf_fail(err, "out of memory decoding a %dx%d WebP image", width, height);
    case VP8_STATUS_NOT_ENOUGH_DATA:
        return cf_fail(err, "truncated WebP data: the file ends before the image data is complete");
    case VP8_STATUS_UNSUPPORTED_FEATURE: return cf_fail(err, "unsupported WebP: a feature libwebp does not decode");
    case VP8_STATUS_BITSTREAM_ERROR: return cf_fail(err, "corrupt WebP data: the image data is damaged");
    default: return cf_fail(err, "corrupt WebP data: the image data is damaged (libwebp status %d)", (int)status);
    }
}

/* libwebp decodes into a buffer of ours: RGB, or RGBA when the image has alpha (then composited over
 * white like the other formats). Its own working memory is bounded by the size limits, checked before. */
static int decode_webp(const uint8_t *bytes, size_t n, int width, int height, cf_image *out, cf_error *err) {
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config) || WebPGetFeatures(bytes, n, &config.input) != VP8_STATUS_OK)
        return cf_fail(err, "corrupt or unsupported WebP header");
    int channels = config.input.has_alpha ? 4 : 3;
    size_t count = (size_t)width * (size_t)height; /* <= CF_IMAGE_MAX_PIXELS, checked by cf_image_check */
    uint8_t *pixels = malloc(count * (size_t)channels);
    if (!pixels) return cf_fail(err, "out of memory decoding a %dx%d WebP image", width, height);
    config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = pixels;
    config.output.u.RGBA.stride = width * channels;
    config.output.u.RGBA.size = count * (size_t)channels;
    VP8StatusCode status = WebPDecode(bytes, n, &config);
    int decoded_width = config.output.width, decoded_height = config.output.height;
    WebPFreeDecBuffer(&config.output);
    if (status != VP8_STATUS_OK) {
        free(pixels);
        return fail_from_webp_status(status, width, height, err);
    }
    if (decoded_width != width || decoded_height != height) {
        free(pixels);
        return cf_fail(err, "corrupt WebP: decoded %dx%d pixels, the header says %dx%d", decoded_width, decoded_height,
                       width, height);
    }
    return take_pixels(out, pixels, width, height, channels, err);
}
#endif

/* Decodes a probed stb format (not WebP) into pixels of `desired` channels (0: as the file has
 * them, reported in *channels), after the palette fix-up cf_image_check asked for. */
static int decode_stb(const uint8_t *bytes, size_t n, cf_image_format format, cf_palette_padding *palette,
                      int width, int height, int desired, uint8_t **out, int *channels, cf_error *err) {
    uint8_t *padded = NULL;
    if (palette->added) { /* n + 1024 stays below INT_MAX */
        padded = cf_image_with_full_palette(bytes, n, format, palette, &n);
        if (!padded)
            return cf_fail(err, "out of memory decoding a %dx%d %s image", width, height, cf_image_format_name(format));
        bytes = padded;
    }
    int w = 0, h = 0;
    *channels = 0;
    /* Desired channels 0: keep what the file has (stb adds alpha for PNG tRNS, which the header
     * alone does not reveal); 16-bit PNGs come back as 8-bit, a GIF as its first frame in RGBA. */
    uint8_t *pixels = stbi_load_from_memory(bytes, (int)n, &w, &h, channels, desired);
    free(padded);
    if (!pixels) return fail_from_stb_reason(format, width, height, stbi_failure_reason(), err);
    if (desired) *channels = desired;
    if (w != width || h != height || *channels < 1 || *channels > 4) {
        stbi_image_free(pixels);
        return cf_fail(err, "corrupt %s: decoded %dx%d pixels with %d channels, the header says %dx%d",
                       cf_image_format_name(format), w, h, *channels, width, height);
    }
    *out = pixels;
    return 0;
}

int cf_image_decode(const uint8_t *bytes, size_t n, cf_image *out, cf_error *err) {
    if (!out) return cf_fail(err, "internal error: no output image");
    out->width = out->height = 0;
    out->rgb = NULL;
    cf_image_format format;
    cf_palette_padding palette;
    int width, height, channels;
    if (cf_image_check(bytes, n, &format, &palette, &width, &height, err)) return -1;
#ifdef CF_WITH_WEBP
    if (format == CF_FORMAT_WEBP) return decode_webp(bytes, n, width, height, out, err);
#endif
    uint8_t *pixels;
    if (decode_stb(bytes, n, format, &palette, width, height, 0, &pixels, &channels, err)) return -1;
    return take_pixels(out, pixels, width, height, channels, err);
}

int cf_image_decode_png_rgba(const uint8_t *bytes, size_t n, uint8_t **rgba, int *width, int *height,
                             cf_error *err) {
    *rgba = NULL;
    *width = *height = 0;
    cf_image_format format;
    cf_palette_padding palette;
    int w, h, channels;
    if (cf_image_check(bytes, n, &format, &palette, &w, &h, err)) return -1;
    if (format != CF_FORMAT_PNG) return cf_fail(err, "not a PNG image");
    if (decode_stb(bytes, n, format, &palette, w, h, 4, rgba, &channels, err)) return -1;
    *width = w;
    *height = h;
    return 0;
}

int cf_image_from_pixels(const uint8_t *pixels, int width, int height, int channels, cf_image *out, cf_error *err) {
    out->width = out->height = 0;
    out->rgb = NULL;
    if (channels != 3 && channels != 4) return cf_fail(err, "pixels must have 3 (RGB) or 4 (RGBA) channels, not %d", channels);
    if (width < 0 || height < 0) return cf_fail(err, "negative image size %dx%d", width, height);
    if (cf_image_check_dimensions((uint64_t)width, (uint64_t)height, CF_FORMAT_PIXELS, err)) return -1;
    size_t count = (size_t)width * (size_t)height;
    uint8_t *rgb = malloc(count * 3);
    if (!rgb) return cf_fail(err, "out of memory copying a %dx%d image", width, height);
    if (channels == 3) memcpy(rgb, pixels, count * 3);
    for (size_t i = 0; channels == 4 && i < count; i++)
        for (int c = 0; c < 3; c++) rgb[3 * i + c] = over_white(pixels[4 * i + c], pixels[4 * i + 3]);
    out->width = width;
    out->height = height;
    out->rgb = rgb;
    return 0;
}

void cf_image_free(cf_image *img) {
    if (!img) return;
    free(img->rgb); /* stb's buffer or ours: both come from malloc (see stb_impl.c) */
    img->rgb = NULL;
    img->width = img->height = 0;
}
