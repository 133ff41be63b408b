/* Image decoding and resizing tests: real sample JPEGs, synthetic images encoded here in memory
 * (a tiny PNG writer with stored deflate blocks, a BMP writer and an uncompressed GIF writer, so every
 * colour type, bit depth and alpha case can be produced exactly), the resize policy against
 * independent reference computations, and hostile input that must fail cleanly with a clear message. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "image.h"
#include "image_resize.h"
#include "stb_image.h"
#include "test.h"

/* ---- a growable byte buffer for the encoders ---- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} byte_buf;

static void buf_put(byte_buf *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) abort(); /* a test machine out of memory: nothing sensible to do */
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void buf_u8(byte_buf *b, uint32_t v) {
    uint8_t x = (uint8_t)v;
    buf_put(b, &x, 1);
}
static void buf_be16(byte_buf *b, uint32_t v) { buf_u8(b, v >> 8), buf_u8(b, v); }
static void buf_be32(byte_buf *b, uint32_t v) { buf_be16(b, v >> 16), buf_be16(b, v); }
static void buf_le16(byte_buf *b, uint32_t v) { buf_u8(b, v), buf_u8(b, v >> 8); }
static void buf_le32(byte_buf *b, uint32_t v) { buf_le16(b, v), buf_le16(b, v >> 16); }

/* ---- PNG writer: filter 0 rows, zlib stream of stored (uncompressed) deflate blocks ---- */

static void png_chunk(byte_buf *b, const char *type, const uint8_t *data, size_t n) {
    buf_be32(b, (uint32_t)n);
    size_t start = b->len;
    buf_put(b, type, 4);
    if (n) buf_put(b, data, n);
    buf_be32(b, cf_crc32(0, b->data + start, 4 + n));
}

static uint32_t adler32(const uint8_t *p, size_t n) {
    uint32_t a = 1, s = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        s = (s + a) % 65521;
    }
    return s << 16 | a;
}

static void zlib_stored(byte_buf *out, const uint8_t *raw, size_t n) {
    buf_u8(out, 0x78), buf_u8(out, 0x01); /* deflate, 32K window, check bits valid */
    size_t pos = 0;
    do {
        size_t len = n - pos > 65535 ? 65535 : n - pos;
        buf_u8(out, pos + len == n); /* BFINAL, BTYPE=00 (stored) */
        buf_le16(out, (uint32_t)len), buf_le16(out, (uint32_t)~len & 0xFFFF);
        buf_put(out, raw + pos, len);
        pos += len;
    } while (pos < n);
    buf_be32(out, adler32(raw, n));
}

typedef struct {
    int width, height, bit_depth, color_type;
    const uint8_t *rows; /* height rows of row_bytes packed samples (16-bit big-endian) */
    size_t row_bytes;
    const uint8_t *palette; /* PLTE entries, 3 bytes each */
    int palette_count;
    const uint8_t *trns; /* tRNS chunk body */
    size_t trns_len;
} png_spec;

static void png_ihdr(byte_buf *b, uint32_t width, uint32_t height, int bit_depth, int color_type) {
    uint8_t ihdr[13] = {0};
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (uint8_t)(width >> (24 - 8 * i));
        ihdr[4 + i] = (uint8_t)(height >> (24 - 8 * i));
    }
    ihdr[8] = (uint8_t)bit_depth;
    ihdr[9] = (uint8_t)color_type;
    buf_put(b, "\x89PNG\r\n\x1A\n", 8);
    png_chunk(b, "IHDR", ihdr, 13);
}

static byte_buf png_encode(const png_spec *s) {
    byte_buf png = {0}, raw = {0}, z = {0};
    png_ihdr(&png, (uint32_t)s->width, (uint32_t)s->height, s->bit_depth, s->color_type);
    if (s->palette) png_chunk(&png, "PLTE", s->palette, (size_t)s->palette_count * 3);
    if (s->trns) png_chunk(&png, "tRNS", s->trns, s->trns_len);
    for (int y = 0; y < s->height; y++) {
        buf_u8(&raw, 0); /* filter type None */
        buf_put(&raw, s->rows + (size_t)y * s->row_bytes, s->row_bytes);
    }
    zlib_stored(&z, raw.data, raw.len);
    png_chunk(&png, "IDAT", z.data, z.len);
    png_chunk(&png, "IEND", NULL, 0);
    free(raw.data);
    free(z.data);
    return png;
}

/* 8-bit RGB or RGBA PNG from interleaved pixels. */
static byte_buf png_from_pixels(const uint8_t *pixels, int width, int height, int channels) {
    png_spec s = {width, height, 8, channels == 4 ? 6 : channels == 3 ? 2 : channels == 2 ? 4 : 0, pixels,
                  (size_t)width * (size_t)channels, NULL, 0, NULL, 0};
    return png_encode(&s);
}

/* ---- BMP writer: 24-bit, bottom-up, rows padded to 4 bytes ---- */

static byte_buf bmp_encode_rgb(const uint8_t *rgb, int width, int height) {
    byte_buf b = {0};
    uint32_t stride = ((uint32_t)width * 3 + 3) & ~3u, pixels = stride * (uint32_t)height;
    buf_put(&b, "BM", 2);
    buf_le32(&b, 54 + pixels), buf_le32(&b, 0), buf_le32(&b, 54);
    buf_le32(&b, 40), buf_le32(&b, (uint32_t)width), buf_le32(&b, (uint32_t)height);
    buf_le16(&b, 1), buf_le16(&b, 24), buf_le32(&b, 0), buf_le32(&b, pixels);
    buf_le32(&b, 2835), buf_le32(&b, 2835), buf_le32(&b, 0), buf_le32(&b, 0);
    for (int y = height - 1; y >= 0; y--) {
        for (int x = 0; x < width; x++) {
            const uint8_t *p = rgb + ((size_t)y * width + x) * 3;
            buf_u8(&b, p[2]), buf_u8(&b, p[1]), buf_u8(&b, p[0]); /* BGR */
        }
        for (uint32_t pad = (uint32_t)width * 3; pad < stride; pad++) buf_u8(&b, 0);
    }
    return b;
}

/* ---- GIF writer: 4-colour palette, LZW kept at 3-bit codes by a clear code before every pixel ---- */

typedef struct {
    byte_buf *out;
    uint32_t bits, n_bits;
    uint8_t block[255];
    int block_len;
} gif_bit_writer;

static void gif_flush_block(gif_bit_writer *w) {
    if (!w->block_len) return;
    buf_u8(w->out, (uint32_t)w->block_len);
    buf_put(w->out, w->block, (size_t)w->block_len);
    w->block_len = 0;
}

static void gif_put_code(gif_bit_writer *w, uint32_t code) {
    w->bits |= code << w->n_bits; /* LSB first */
    w->n_bits += 3;
    while (w->n_bits >= 8) {
        w->block[w->block_len++] = (uint8_t)w->bits;
        w->bits >>= 8;
        w->n_bits -= 8;
        if (w->block_len == 255) gif_flush_block(w);
    }
}

/* One frame of palette indices (0..3) covering the whole screen; transparent: index or -1. */
static void gif_frame(byte_buf *b, const uint8_t *indices, int width, int height, int transparent) {
    if (transparent >= 0) { /* graphic control extension */
        buf_u8(b, 0x21), buf_u8(b, 0xF9), buf_u8(b, 4), buf_u8(b, 0x01), buf_le16(b, 10);
        buf_u8(b, (uint32_t)transparent), buf_u8(b, 0);
    }
    buf_u8(b, 0x2C), buf_le16(b, 0), buf_le16(b, 0), buf_le16(b, (uint32_t)width), buf_le16(b, (uint32_t)height);
    buf_u8(b, 0); /* no local colour table, not interlaced */
    buf_u8(b, 2); /* LZW minimum code size: clear = 4, end = 5, codes 3 bits wide */
    gif_bit_writer w = {b, 0, 0, {0}, 0};
    for (int i = 0; i < width * height; i++) gif_put_code(&w, 4), gif_put_code(&w, indices[i]);
    gif_put_code(&w, 5);
    if (w.n_bits) w.block[w.block_len++] = (uint8_t)w.bits;
    gif_flush_block(&w);
    buf_u8(b, 0); /* sub-block terminator */
}

static void gif_header(byte_buf *b, int width, int height, const uint8_t palette[12]) {
    buf_put(b, "GIF89a", 6);
    buf_le16(b, (uint32_t)width), buf_le16(b, (uint32_t)height);
    buf_u8(b, 0x81), buf_u8(b, 0), buf_u8(b, 0); /* global table of 4 colours, background 0 */
    buf_put(b, palette, 12);
}

/* ---- helpers for checks ---- */

static int decode_fails_with(const uint8_t *bytes, size_t n, const char *needle, int *failures) {
    cf_image img = {7, 7, NULL};
    cf_error err = {{0}};
    int rc = cf_image_decode(bytes, n, &img, &err);
    CHECK_MSG(rc == -1 && strstr(err.msg, needle), "expected an error containing '%s', got rc %d '%s'", needle, rc,
              err.msg);
    CHECK(img.rgb == NULL && img.width == 0 && img.height == 0);
    cf_image_free(&img);
    /* the header-only path and the model-input path must refuse it the same way */
    cf_error probe_err = {{0}}, load_err = {{0}};
    int w = -1, h = -1;
    uint8_t model_in[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
    int probe_rc = cf_image_probe(bytes, n, &w, &h, &probe_err);
    if (probe_rc == -1) CHECK_MSG(strcmp(probe_err.msg, err.msg) == 0, "probe: '%s'", probe_err.msg);
    CHECK(cf_image_load_model_input(bytes, n, model_in, NULL, NULL, &load_err) == -1);
    CHECK_MSG(strcmp(load_err.msg, err.msg) == 0, "load: '%s'", load_err.msg);
    return rc == -1;
}

static int decode_ok(const uint8_t *bytes, size_t n, cf_image *img, int *failures) {
    cf_error err = {{0}};
    int rc = cf_image_decode(bytes, n, img, &err);
    CHECK_MSG(rc == 0, "decode failed: %s", err.msg);
    return rc == 0;
}

static int pixel_is(const cf_image *img, int x, int y, int r, int g, int b) {
    const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
    return p[0] == r && p[1] == g && p[2] == b;
}

static uint8_t expected_over_white(int value, int alpha) {
    return (uint8_t)floor(value * alpha / 255.0 + (255 - alpha) + 0.5);
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed) {
    cf_rng rng = cf_rng_make(seed, 0, 0);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)cf_rng_next(&rng);
}

/* Reads every .jpg of the sample folder's REAL/ and FAKE/; calls fn on each. Returns files seen. */
typedef void (*sample_fn)(const char *path, const uint8_t *bytes, size_t n, int *failures);

static int for_each_sample(sample_fn fn, int *failures) {
    const char *root = test_sample_dir();
    if (!root) return 0;
    static const char *const classes[] = {"REAL", "FAKE"};
    int seen = 0;
    for (int c = 0; c < 2; c++) {
        char dir_path[1024];
        snprintf(dir_path, sizeof dir_path, "%s/%s", root, classes[c]);
        DIR *dir = opendir(dir_path);
        CHECK_MSG(dir != NULL, "cannot open %s", dir_path);
        if (!dir) continue;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            size_t len = strlen(entry->d_name);
            if (len < 4 || strcmp(entry->d_name + len - 4, ".jpg") != 0) continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
            size_t n = 0;
            uint8_t *bytes = test_read_file(path, &n);
            CHECK_MSG(bytes != NULL, "cannot read %s", path);
            if (!bytes) continue;
            fn(path, bytes, n, failures);
            free(bytes);
            seen++;
        }
        closedir(dir);
    }
    return seen;
}

/* The first sample JPEG (REAL/0000.jpg), for tests that damage a real file; NULL if absent. */
static uint8_t *read_first_sample(size_t *n) {
    const char *root = test_sample_dir();
    if (!root) return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/REAL/0000.jpg", root);
    return test_read_file(path, n);
}

/* ================= real JPEG samples ================= */

static void check_sample(const char *path, const uint8_t *bytes, size_t n, int *failures) {
    cf_image img;
    cf_error err = {{0}};
    int rc = cf_image_decode(bytes, n, &img, &err);
    CHECK_MSG(rc == 0, "%s: %s", path, err.msg);
    if (rc) return;
    CHECK_MSG(img.width == 32 && img.height == 32, "%s is %dx%d", path, img.width, img.height);
    int w = 0, h = 0;
    CHECK(cf_image_probe(bytes, n, &w, &h, &err) == 0 && w == 32 && h == 32);
    uint8_t model_in[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
    int ow = 0, oh = 0;
    CHECK_MSG(cf_image_load_model_input(bytes, n, model_in, &ow, &oh, &err) == 0, "%s: %s", path, err.msg);
    CHECK(ow == 32 && oh == 32);
    CHECK_MSG(memcmp(model_in, img.rgb, sizeof model_in) == 0, "%s: model input differs from the decoded pixels",
              path);
    /* a real photo is not a flat colour: guards against a decoder returning a blank buffer */
    int lo = 255, hi = 0;
    for (size_t i = 0; i < sizeof model_in; i++) {
        if (model_in[i] < lo) lo = model_in[i];
        if (model_in[i] > hi) hi = model_in[i];
    }
    CHECK_MSG(hi - lo > 16, "%s: suspiciously flat (%d..%d)", path, lo, hi);
    cf_image_free(&img);
}

TEST(image_sample_jpegs_decode_to_32x32_and_pass_through) {
    if (!test_sample_dir()) {
        test_skip("sample folder ../shared/data/cifake-sample not found");
        return;
    }
    int seen = for_each_sample(check_sample, failures);
    CHECK_MSG(seen >= 2, "only %d sample JPEGs found", seen);
}

/* ================= synthetic images: colour types, bit depths, alpha ================= */

TEST(image_png_grey_replicates_to_rgb) {
    uint8_t grey[7 * 3];
    for (int i = 0; i < 21; i++) grey[i] = (uint8_t)(i * 12);
    png_spec s = {7, 3, 8, 0, grey, 7, NULL, 0, NULL, 0};
    byte_buf png = png_encode(&s);
    cf_image img;
    if (decode_ok(png.data, png.len, &img, failures)) {
        CHECK(img.width == 7 && img.height == 3);
        for (int i = 0; i < 21; i++) CHECK(pixel_is(&img, i % 7, i / 7, grey[i], grey[i], grey[i]));
        cf_image_free(&img);
    }
    free(png.data);
}

TEST(image_png_grey_alpha_composites_over_white) {
    static const uint8_t ga[][2] = {{0, 0}, {0, 255}, {100, 128}, {200, 1}, {255, 77}, {13, 254}};
    png_spec s = {6, 1, 8, 4, &ga[0][0], 12, NULL, 0, NULL, 0};
    byte_buf png = png_encode(&s);
    cf_image img;
    if (decode_ok(png.data, png.len, &img, failures)) {
        CHECK(pixel_is(&img, 0, 0, 255, 255, 255)); /* fully transparent black shows the white behind */
        CHECK(pixel_is(&img, 1, 0, 0, 0, 0));
        for (int x = 0; x < 6; x++) {
            uint8_t e = expected_over_white(ga[x][0], ga[x][1]);
            CHECK_MSG(pixel_is(&img, x, 0, e, e, e), "x=%d expected %d got %d", x, e, img.rgb[3 * x]);
        }
        cf_image_free(&img);
    }
    free(png.data);
}

TEST(image_png_rgba_composites_over_white) {
    static const uint8_t rgba[][4] = {{255, 0, 0, 255}, {255, 0, 0, 0}, {0, 0, 255, 128}, {10, 200, 30, 64}};
    byte_buf png = png_from_pixels(&rgba[0][0], 2, 2, 4);
    cf_image img;
    if (decode_ok(png.data, png.len, &img, failures)) {
        CHECK(pixel_is(&img, 0, 0, 255, 0, 0));
        CHECK(pixel_is(&img, 1, 0, 255, 255, 255));
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 3; c++)
                CHECK_MSG(img.rgb[3 * i + c] == expected_over_white(rgba[i][c], rgba[i][3]), "pixel %d channel %d",
                          i, c);
        cf_image_free(&img);
    }
    free(png.data);
}

TEST(image_png_rgb_passes_exactly_and_trns_colour_key_is_white) {
    uint8_t rgb[5 * 4 * 3];
    fill_random(rgb, sizeof rgb, 11);
    rgb[0] = 1, rgb[1] = 2, rgb[2] = 3; /* pixel (0,0) gets the transparent colour key */
    for (size_t i = 3; i < sizeof rgb; i += 3)
        if (rgb[i] == 1 && rgb[i + 1] == 2 && rgb[i + 2] == 3) rgb[i] = 9;
    byte_buf plain = png_from_pixels(rgb, 5, 4, 3);
    cf_image img;
    if (decode_ok(plain.data, plain.len, &img, failures)) {
        CHECK(img.width == 5 && img.height == 4 && memcmp(img.rgb, rgb, sizeof rgb) == 0);
        cf_image_free(&img);
    }
    static const uint8_t key[6] = {0, 1, 0, 2, 0, 3}; /* 16-bit samples, as tRNS stores them */
    png_spec s = {5, 4, 8, 2, rgb, 15, NULL, 0, key, 6};
    byte_buf keyed = png_encode(&s);
    if (decode_ok(keyed.data, keyed.len, &img, failures)) {
        CHECK(pixel_is(&img, 0, 0, 255, 255, 255));
        CHECK(memcmp(img.rgb + 3, rgb + 3, sizeof rgb - 3) == 0);
        cf_image_free(&img);
    }
    free(plain.data);
    free(keyed.data);
}

TEST(image_png_16_bit_rgb_and_rgba_reduce_to_8_bit) {
    enum { W = 4, H = 3 };
    uint16_t samples[W * H * 4];
    cf_rng rng = cf_rng_make(5, 0, 0);
    for (int i = 0; i < W * H * 4; i++) samples[i] = (uint16_t)cf_rng_next(&rng);
    for (int channels = 3; channels <= 4; channels++) {
        uint8_t rows[W * H * 4 * 2];
        for (int i = 0; i < W * H * channels; i++) {
            uint16_t v = samples[i];
            if (channels == 4 && i % 4 == 3) v = i < 8 ? (i < 4 ? 65535 : 0) : v; /* opaque, transparent */
            samples[i] = v;
            rows[2 * i] = (uint8_t)(v >> 8), rows[2 * i + 1] = (uint8_t)v;
        }
        png_spec s = {W, H, 16, channels == 4 ? 6 : 2, rows, (size_t)W * channels * 2, NULL, 0, NULL, 0};
        byte_buf png = png_encode(&s);
        cf_image img;
        if (decode_ok(png.data, png.len, &img, failures)) {
            CHECK(img.width == W && img.height == H);
            for (int p = 0; p < W * H; p++) {
                for (int c = 0; c < 3; c++) {
                    double v8 = samples[p * channels + c] / 257.0;
                    double expect = channels == 4 ? v8 * (samples[p * 4 + 3] / 65535.0)
                                                         + 255.0 * (1.0 - samples[p * 4 + 3] / 65535.0)
                                                   : v8;
                    CHECK_NEAR(img.rgb[3 * p + c], expect, 1.5); /* stb keeps the high byte */
                }
            }
            if (channels == 4) CHECK(pixel_is(&img, 1, 0, 255, 255, 255));
            cf_image_free(&img);
        }
        free(png.data);
    }
}

TEST(image_png_palette_2_bit_with_transparency) {
    static const uint8_t palette[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9};
    static const uint8_t trns[4] = {255, 255, 255, 0}; /* index 3 fully transparent */
    /* 5 pixels per row at 2 bits: indices 0 1 2 3 0 packed MSB first into 2 bytes */
    static const uint8_t rows[2 * 2] = {0x1B, 0x00, 0xE4, 0xC0}; /* row 1: 3 2 1 0 3 */
    png_spec s = {5, 2, 2, 3, rows, 2, palette, 4, trns, 4};
    byte_buf png = png_encode(&s);
    cf_image img;
    if (decode_ok(png.data, png.len, &img, failures)) {
        CHECK(img.width == 5 && img.height == 2);
        CHECK(pixel_is(&img, 0, 0, 255, 0, 0) && pixel_is(&img, 1, 0, 0, 255, 0));
        CHECK(pixel_is(&img, 2, 0, 0, 0, 255) && pixel_is(&img, 3, 0, 255, 255, 255));
        CHECK(pixel_is(&img, 4, 0, 255, 0, 0));
        CHECK(pixel_is(&img, 0, 1, 255, 255, 255) && pixel_is(&img, 3, 1, 255, 0, 0));
        CHECK(pixel_is(&img, 4, 1, 255, 255, 255));
        cf_image_free(&img);
    }
    free(png.data);
}

TEST(image_bmp_24_bit_orientation_and_channel_order) {
    enum { W = 5, H = 3 }; /* odd width: rows need padding */
    uint8_t rgb[W * H * 3];
    fill_random(rgb, sizeof rgb, 21);
    rgb[0] = 250, rgb[1] = 10, rgb[2] = 20; /* top-left: distinctly red */
    byte_buf bmp = bmp_encode_rgb(rgb, W, H);
    cf_image img;
    if (decode_ok(bmp.data, bmp.len, &img, failures)) {
        CHECK(img.width == W && img.height == H);
        CHECK(pixel_is(&img, 0, 0, 250, 10, 20));
        CHECK(memcmp(img.rgb, rgb, sizeof rgb) == 0);
        cf_image_free(&img);
    }
    /* a BMP cut short inside its pixel rows must not be padded with invented pixels */
    decode_fails_with(bmp.data, bmp.len - 10, "truncated BMP", failures);
    free(bmp.data);
}

TEST(image_gif_first_frame_with_transparency) {
    enum { W = 6, H = 4 };
    static const uint8_t palette[12] = {0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 255, 0};
    uint8_t first[W * H], second[W * H];
    for (int i = 0; i < W * H; i++) {
        first[i] = (i % W) < 3 ? 1 : 3; /* left half red, right half transparent */
        second[i] = 2;                  /* all blue: must not be what we get */
    }
    byte_buf gif = {0};
    gif_header(&gif, W, H, palette);
    gif_frame(&gif, first, W, H, 3);
    gif_frame(&gif, second, W, H, -1);
    buf_u8(&gif, 0x3B);
    cf_image img;
    if (decode_ok(gif.data, gif.len, &img, failures)) {
        CHECK(img.width == W && img.height == H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                CHECK_MSG(x < 3 ? pixel_is(&img, x, y, 255, 0, 0) : pixel_is(&img, x, y, 255, 255, 255),
                          "pixel %d,%d", x, y);
        cf_image_free(&img);
    }
    /* cut inside the first frame's data: refused instead of padded with background */
    byte_buf header_only = {0};
    gif_header(&header_only, W, H, palette);
    decode_fails_with(gif.data, header_only.len + 20, "truncated GIF", failures);
    decode_fails_with(gif.data, header_only.len, "truncated GIF", failures);
    free(header_only.data);
    free(gif.data);
}

/* ================= JPEG variants the samples do not cover ================= */

/* Made once with Pillow (no JPEG encoder here): a 16x16 progressive JPEG, left half (200,30,40),
 * right half (20,90,220), quality 95. */
static const uint8_t PROGRESSIVE_JPEG_16X16[536] = {
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02,
    0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04,
    0x04, 0x03, 0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06,
    0x07, 0x09, 0x07, 0x06, 0x06, 0x08, 0x0B, 0x08, 0x09, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x06, 0x08,
    0x0B, 0x0C, 0x0B, 0x0A, 0x0C, 0x09, 0x0A, 0x0A, 0x0A, 0xFF, 0xDB, 0x00, 0x43, 0x01, 0x02, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x05, 0x03, 0x03, 0x05, 0x0A, 0x07, 0x06, 0x07, 0x0A, 0x0A, 0x0A, 0x0A,
    0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A,
    0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A,
    0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0xFF, 0xC2,
    0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11,
    0x01, 0xFF, 0xC4, 0x00, 0x15, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x07, 0xFF, 0xC4, 0x00, 0x14, 0x01, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0xFF, 0xDA,
    0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x10, 0x03, 0x10, 0x00, 0x00, 0x01, 0x91, 0xA1, 0xA3, 0x54,
    0xDF, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x05,
    0x02, 0x1F, 0xFF, 0xC4, 0x00, 0x18, 0x11, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x45, 0x83, 0xC3, 0xFF, 0xDA, 0x00, 0x08,
    0x01, 0x03, 0x01, 0x01, 0x3F, 0x01, 0x7B, 0x47, 0xDB, 0x99, 0xFF, 0xC4, 0x00, 0x18, 0x11, 0x00,
    0x02, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x07, 0x44, 0x83, 0xC2, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x02, 0x01, 0x01, 0x3F, 0x01, 0x52, 0x4D,
    0xAF, 0x67, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x06,
    0x3F, 0x02, 0x1F, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00,
    0x01, 0x3F, 0x21, 0x1F, 0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00,
    0x00, 0x10, 0x03, 0xFF, 0xC4, 0x00, 0x14, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x03, 0x01,
    0x01, 0x3F, 0x10, 0x3F, 0xFF, 0xC4, 0x00, 0x14, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x02,
    0x01, 0x01, 0x3F, 0x10, 0x5F, 0xFF, 0xC4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xFF, 0xDA, 0x00, 0x08, 0x01,
    0x01, 0x00, 0x01, 0x3F, 0x10, 0x1F, 0xFF, 0xD9,
};

/* The same two colours at 8x8, saved as a 4-component (CMYK, Adobe APP14) JPEG. */
static const uint8_t CMYK_JPEG_8X8[388] = {
    0xFF, 0xD8, 0xFF, 0xEE, 0x00, 0x0E, 0x41, 0x64, 0x6F, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01,
    0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03,
    0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06, 0x07, 0x09,
    0x07, 0x06, 0x06, 0x08, 0x0B, 0x08, 0x09, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x06, 0x08, 0x0B, 0x0C,
    0x0B, 0x0A, 0x0C, 0x09, 0x0A, 0x0A, 0x0A, 0xFF, 0xC0, 0x00, 0x14, 0x08, 0x00, 0x08, 0x00, 0x08,
    0x04, 0x43, 0x11, 0x00, 0x4D, 0x11, 0x00, 0x59, 0x11, 0x00, 0x4B, 0x11, 0x00, 0xFF, 0xC4, 0x00,
    0x1F, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0xFF, 0xC4,
    0x00, 0xB5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00,
    0x00, 0x01, 0x7D, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13,
    0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15,
    0x52, 0xD1, 0xF0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25,
    0x26, 0x27, 0x28, 0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46,
    0x47, 0x48, 0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86,
    0x87, 0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4,
    0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2,
    0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9,
    0xDA, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5,
    0xF6, 0xF7, 0xF8, 0xF9, 0xFA, 0xFF, 0xDA, 0x00, 0x0E, 0x04, 0x43, 0x00, 0x4D, 0x00, 0x59, 0x00,
    0x4B, 0x00, 0x00, 0x3F, 0x00, 0xF3, 0x7F, 0xF8, 0x3A, 0x27, 0xFE, 0x68, 0x9F, 0xFD, 0xCC, 0x1F,
    0xFB, 0x61, 0x5F, 0x9D, 0xFF, 0x00, 0xB1, 0x37, 0xFC, 0xCC, 0x9F, 0xF6, 0xE9, 0xFF, 0x00, 0xB5,
    0x6A, 0xC7, 0xFC, 0x1A, 0xED, 0xFF, 0x00, 0x35, 0xB3, 0xFE, 0xE5, 0xFF, 0x00, 0xFD, 0xBF, 0xAF,
    0xDF, 0xCA, 0xFF, 0xD9,
};

static int near_colour(const cf_image *img, int x, int y, int r, int g, int b, int tol) {
    const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
    return abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
}

TEST(image_jpeg_progressive_decodes_and_cmyk_is_refused) {
    cf_image img;
    if (decode_ok(PROGRESSIVE_JPEG_16X16, sizeof PROGRESSIVE_JPEG_16X16, &img, failures)) {
        CHECK(img.width == 16 && img.height == 16);
        for (int y = 1; y < 15; y++) {
            CHECK_MSG(near_colour(&img, 2, y, 200, 30, 40, 4), "left, row %d", y);
            CHECK_MSG(near_colour(&img, 13, y, 20, 90, 220, 4), "right, row %d", y);
        }
        cf_image_free(&img);
    }
    /* CMYK is refused with a message that says what to do (stb_image would decode it approximately) */
    decode_fails_with(CMYK_JPEG_8X8, sizeof CMYK_JPEG_8X8, "unsupported JPEG: CMYK colour (4 components)", failures);
    /* 16x16 is enlarged to the model's 32x32: colours stay, the halves stay left and right */
    uint8_t out[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
    cf_error err = {{0}};
    CHECK(cf_image_load_model_input(PROGRESSIVE_JPEG_16X16, sizeof PROGRESSIVE_JPEG_16X16, out, NULL, NULL, &err) == 0);
    CHECK(abs(out[(16 * 32 + 3) * 3] - 200) <= 4 && abs(out[(16 * 32 + 28) * 3 + 2] - 220) <= 4);
}

TEST(image_jpeg_with_too_many_scans_is_refused_before_decoding) {
    /* The progressive file's last scan (header and 2 bytes of data) repeated until there are more
     * scans than the limit: each would be decoded over the whole image, so the count is capped. The
     * copies have Ah/Al 0/0: the last scan left its coefficients at bit 0, so each copy is a valid
     * new first pass over them (a repeated refinement from bit 1 would be refused earlier). */
    static const uint8_t last_scan[11] = {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x3F, 0x10, 0x1F};
    size_t body = sizeof PROGRESSIVE_JPEG_16X16 - 2; /* without the end marker */
    CHECK(memcmp(PROGRESSIVE_JPEG_16X16 + body - sizeof last_scan, last_scan, sizeof last_scan) == 0);
    uint8_t again[sizeof last_scan];
    memcpy(again, last_scan, sizeof again);
    again[9] = 0x00;
    byte_buf many = {0};
    buf_put(&many, PROGRESSIVE_JPEG_16X16, body);
    for (int i = 0; i < CF_JPEG_MAX_SCANS; i++) buf_put(&many, again, sizeof again);
    buf_put(&many, "\xFF\xD9", 2);
    decode_fails_with(many.data, many.len, "more than 100 scans", failures);
    free(many.data);
}

/* ================= centre crop ================= */

TEST(image_center_square_geometry) {
    int x0, y0, side;
    cf_image_center_square(96, 32, &x0, &y0, &side);
    CHECK(x0 == 32 && y0 == 0 && side == 32);
    cf_image_center_square(32, 96, &x0, &y0, &side);
    CHECK(x0 == 0 && y0 == 32 && side == 32);
    cf_image_center_square(33, 32, &x0, &y0, &side);
    CHECK(x0 == 0 && y0 == 0 && side == 32);
    cf_image_center_square(5, 9, &x0, &y0, &side);
    CHECK(x0 == 0 && y0 == 2 && side == 5);
    cf_image_center_square(40, 40, &x0, &y0, &side);
    CHECK(x0 == 0 && y0 == 0 && side == 40);
    cf_image_center_square(0, 10, &x0, &y0, &side);
    CHECK(side == 0 && x0 == 0 && y0 == 0);
}

static void fill_thirds(uint8_t *rgb, int w, int h, int horizontal) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int pos = horizontal ? x : y, len = horizontal ? w : h;
            int middle = pos >= len / 3 && pos < 2 * len / 3;
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = middle ? 255 : 0, p[1] = 0, p[2] = middle ? 0 : 255;
        }
}

TEST(image_non_square_is_centre_cropped) {
    for (int horizontal = 0; horizontal <= 1; horizontal++) {
        for (int scale = 1; scale <= 3; scale++) { /* 96x32 (crop only), 192x64 and 288x96 (crop + shrink) */
            int w = horizontal ? 96 * scale : 32 * scale, h = horizontal ? 32 * scale : 96 * scale;
            uint8_t *rgb = malloc((size_t)w * h * 3);
            if (!rgb) abort();
            fill_thirds(rgb, w, h, horizontal);
            byte_buf png = png_from_pixels(rgb, w, h, 3);
            uint8_t out[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
            int ow = 0, oh = 0;
            cf_error err = {{0}};
            CHECK_MSG(cf_image_load_model_input(png.data, png.len, out, &ow, &oh, &err) == 0, "%s", err.msg);
            CHECK(ow == w && oh == h);
            int all_red = 1;
            for (int i = 0; i < CF_MODEL_SIDE * CF_MODEL_SIDE; i++)
                all_red &= out[3 * i] == 255 && out[3 * i + 1] == 0 && out[3 * i + 2] == 0;
            CHECK_MSG(all_red, "%dx%d: the centre crop is not all red", w, h);
            free(png.data);
            free(rgb);
        }
    }
}

/* ================= resizing ================= */

static cf_image make_image(int w, int h) {
    cf_image img = {w, h, malloc((size_t)w * h * 3)};
    if (!img.rgb) abort();
    return img;
}

TEST(image_32x32_passes_through_bit_exact) {
    cf_image img = make_image(32, 32);
    fill_random(img.rgb, 32 * 32 * 3, 1);
    uint8_t out[32 * 32 * 3];
    cf_image_resize_square(&img, 32, out);
    CHECK(memcmp(out, img.rgb, sizeof out) == 0);
    /* through PNG, which is lossless, the model input is the same bytes */
    byte_buf png = png_from_pixels(img.rgb, 32, 32, 3);
    cf_error err = {{0}};
    memset(out, 0, sizeof out);
    CHECK(cf_image_load_model_input(png.data, png.len, out, NULL, NULL, &err) == 0);
    CHECK(memcmp(out, img.rgb, sizeof out) == 0);
    free(png.data);
    cf_image_free(&img);
    /* 32x40: the centre 32x32 rows 4..35 pass through unchanged */
    cf_image tall = make_image(32, 40);
    fill_random(tall.rgb, 32 * 40 * 3, 2);
    cf_image_resize_square(&tall, 32, out);
    CHECK(memcmp(out, tall.rgb + 4 * 32 * 3, sizeof out) == 0);
    cf_image_free(&tall);
}

TEST(image_shrink_checkerboards_average_exactly) {
    cf_image img = make_image(64, 64);
    uint8_t out[32 * 32 * 3];
    /* single-pixel checkerboard: every output pixel covers two 0s and two 255s -> 127.5 -> 128 */
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) memset(img.rgb + ((size_t)y * 64 + x) * 3, (x + y) % 2 ? 255 : 0, 3);
    cf_image_resize_square(&img, 32, out);
    int uniform = 1;
    for (size_t i = 0; i < sizeof out; i++) uniform &= out[i] == 128;
    CHECK_MSG(uniform, "pixel checkerboard: first value %d", out[0]);
    /* 2x2-block checkerboard: output pixels align with blocks, so no bleeding at all */
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) memset(img.rgb + ((size_t)y * 64 + x) * 3, (x / 2 + y / 2) % 2 ? 255 : 0, 3);
    cf_image_resize_square(&img, 32, out);
    int sharp = 1;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) sharp &= out[(y * 32 + x) * 3] == ((x + y) % 2 ? 255 : 0);
    CHECK(sharp);
    cf_image_free(&img);
}

TEST(image_shrink_by_two_equals_2x2_mean) {
    cf_image img = make_image(64, 64);
    fill_random(img.rgb, 64 * 64 * 3, 3);
    uint8_t out[32 * 32 * 3];
    cf_image_resize_square(&img, 32, out);
    int mismatches = 0;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            for (int c = 0; c < 3; c++) {
                int sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) sum += img.rgb[((size_t)(2 * y + dy) * 64 + 2 * x + dx) * 3 + c];
                mismatches += out[(y * 32 + x) * 3 + c] != (sum + 2) / 4; /* round half up */
            }
    CHECK_MSG(mismatches == 0, "%d values differ from the naive 2x2 mean", mismatches);
    cf_image_free(&img);
}

/* Independent reference: integrate the source over each output cell with fractional overlaps. */
static double overlap_1d(double a0, double a1, double b0, double b1) {
    double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0.0;
}

static double reference_area_value(const cf_image *img, int side, int out_side, int ox, int oy, int c) {
    double scale = (double)side / out_side, acc = 0.0;
    for (int y = 0; y < side; y++) {
        double wy = overlap_1d(oy * scale, (oy + 1) * scale, y, y + 1);
        if (wy == 0.0) continue;
        for (int x = 0; x < side; x++) {
            double wx = overlap_1d(ox * scale, (ox + 1) * scale, x, x + 1);
            if (wx != 0.0) acc += wx * wy * img->rgb[((size_t)y * img->width + x) * 3 + c];
        }
    }
    return acc / (scale * scale);
}

TEST(image_shrink_fractional_ratios_match_reference) {
    static const int sides[] = {33, 48, 50, 97, 100};
    for (size_t k = 0; k < sizeof sides / sizeof *sides; k++) {
        int side = sides[k];
        cf_image img = make_image(side, side);
        fill_random(img.rgb, (size_t)side * side * 3, 100 + k);
        uint8_t out[32 * 32 * 3];
        cf_image_resize_square(&img, 32, out);
        double worst = 0.0;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
                for (int c = 0; c < 3; c++) {
                    double d = fabs(out[(y * 32 + x) * 3 + c] - reference_area_value(&img, side, 32, x, y, c));
                    if (d > worst) worst = d;
                }
        CHECK_MSG(worst <= 0.5 + 1e-6, "side %d: off by %g from the exact area mean", side, worst);
        cf_image_free(&img);
    }
}

TEST(image_shrink_constant_stays_constant) {
    static const int sides[] = {33, 37, 100, 1000, 1023};
    for (size_t k = 0; k < sizeof sides / sizeof *sides; k++) {
        cf_image img = make_image(sides[k], sides[k]);
        for (size_t i = 0; i < (size_t)sides[k] * sides[k]; i++)
            img.rgb[3 * i] = 200, img.rgb[3 * i + 1] = 77, img.rgb[3 * i + 2] = 1;
        uint8_t out[32 * 32 * 3];
        cf_image_resize_square(&img, 32, out);
        int constant = 1;
        for (int i = 0; i < 32 * 32; i++) constant &= out[3 * i] == 200 && out[3 * i + 1] == 77 && out[3 * i + 2] == 1;
        CHECK_MSG(constant, "side %d", sides[k]);
        cf_image_free(&img);
    }
}

TEST(image_enlarge_16_to_32_is_smooth_and_in_range) {
    cf_image img = make_image(16, 16);
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            uint8_t *p = img.rgb + ((size_t)y * 16 + x) * 3;
            p[0] = (uint8_t)(x * 16), p[1] = (uint8_t)(y * 16), p[2] = 100;
        }
    uint8_t out[32 * 32 * 3];
    cf_image_resize_square(&img, 32, out);
    int monotone = 1, in_range = 1, constant_blue = 1, max_step = 0;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            const uint8_t *p = out + (y * 32 + x) * 3;
            in_range &= p[0] <= 240 && p[1] <= 240;
            constant_blue &= p[2] == 100;
            if (x > 0) {
                int step = p[0] - p[-3];
                monotone &= step >= 0;
                if (step > max_step) max_step = step;
            }
            if (y > 0) monotone &= p[1] >= p[1 - 32 * 3];
        }
    CHECK(monotone && in_range && constant_blue);
    CHECK_MSG(max_step <= 8, "largest step between neighbours %d (source steps are 16)", max_step);
    /* half-pixel centres: output 0 sits at source -0.25 (clamped to 0), output 1 at 0.25, 2 at 0.75 */
    CHECK(out[0] == 0 && out[3] == 4 && out[6] == 12 && out[31 * 3] == 240);
    cf_image_free(&img);
}

TEST(image_resize_degenerate_inputs_are_defined) {
    uint8_t out[4 * 4 * 3];
    memset(out, 0xAA, sizeof out);
    cf_image empty = {0, 0, NULL};
    cf_image_resize_square(&empty, 4, out);
    int zero = 1;
    for (size_t i = 0; i < sizeof out; i++) zero &= out[i] == 0;
    CHECK(zero);
    cf_image_resize_square(NULL, 4, out);
    cf_image_resize_square(&empty, 0, out);
    cf_image one = make_image(1, 1);
    one.rgb[0] = 10, one.rgb[1] = 20, one.rgb[2] = 30;
    cf_image_resize_square(&one, 4, out);
    int same = 1;
    for (int i = 0; i < 16; i++) same &= out[3 * i] == 10 && out[3 * i + 1] == 20 && out[3 * i + 2] == 30;
    CHECK(same);
    cf_image_free(&one);
    cf_image_free(&one); /* second free of an emptied struct is harmless */
    cf_image_free(NULL);
}

/* ================= hostile input ================= */

TEST(image_rejects_empty_tiny_and_random_input) {
    static const uint8_t one_byte[1] = {0xFF};
    decode_fails_with(one_byte, 0, "empty file (0 bytes)", failures);
    decode_fails_with(NULL, 0, "empty file (0 bytes)", failures);
    decode_fails_with(one_byte, 1, "not a supported image", failures);
    decode_fails_with((const uint8_t *)"\xFF\xD8", 2, "not a supported image", failures);
    decode_fails_with((const uint8_t *)"\xFF\xD8\xFF", 3, "truncated JPEG", failures);
    decode_fails_with((const uint8_t *)"\x89PNG\r\n\x1A\n", 8, "truncated PNG", failures);
    decode_fails_with((const uint8_t *)"GIF89a", 6, "truncated GIF", failures);
    decode_fails_with((const uint8_t *)"BM", 2, "truncated BMP", failures);
    uint8_t noise[4096];
    for (uint64_t seed = 0; seed < 50; seed++) {
        fill_random(noise, sizeof noise, seed);
        if (noise[0] == 0xFF || noise[0] == 0x89 || noise[0] == 'G' || noise[0] == 'B') noise[0] = 0;
        decode_fails_with(noise, 1 + (size_t)(seed * 83) % sizeof noise, "not a supported image", failures);
    }
}

TEST(image_rejects_text_and_other_formats_by_name) {
    const char *text = "REAL,FAKE\nthis is a CSV file, not a picture\n";
    decode_fails_with((const uint8_t *)text, strlen(text), "looks like text", failures);
    const char *utf8 = "caf\xC3\xA9 \xE2\x82\xAC 42\n"; /* "café € 42": UTF-8 is text too */
    decode_fails_with((const uint8_t *)utf8, strlen(utf8), "looks like text", failures);
    uint8_t binary[64];
    fill_random(binary, sizeof binary, 99);
    binary[0] = 'x', binary[1] = 0xFF; /* not text, not an image: no guess at what it is */
    cf_error err = {{0}};
    CHECK(cf_image_decode(binary, sizeof binary, &(cf_image){0, 0, NULL}, &err) == -1);
#ifdef CF_WITH_WEBP /* native builds decode WebP (tests/c/test_webp.c) */
    CHECK_MSG(strcmp(err.msg, "not a supported image (JPEG, PNG, BMP, GIF, WebP)") == 0, "%s", err.msg);
#else
    CHECK_MSG(strcmp(err.msg, "not a supported image (JPEG, PNG, BMP, GIF)") == 0, "%s", err.msg);
    decode_fails_with((const uint8_t *)"RIFF\x10\0\0\0WEBPVP8 ", 16, "WebP is not supported", failures);
#endif
    decode_fails_with((const uint8_t *)"II*\0\x08\0\0\0", 8, "TIFF is not supported", failures);
    decode_fails_with((const uint8_t *)"\0\0\0\x18" "ftypheic\0\0\0\0", 16, "HEIF/AVIF", failures);
}

TEST(image_rejects_over_byte_limit_before_reading) {
    /* The length is checked before any byte is read, so a one-byte buffer with a huge claimed length
     * is safe here (AddressSanitizer would catch any read past it). */
    static const uint8_t tiny[1] = {0xFF};
    decode_fails_with(tiny, CF_IMAGE_MAX_BYTES + 1, "over the limit of 67108864 bytes", failures);
    decode_fails_with(tiny, (size_t)-1, "over the limit", failures);
}

static byte_buf png_header_only(uint32_t width, uint32_t height) {
    byte_buf b = {0};
    png_ihdr(&b, width, height, 8, 2);
    /* a token IDAT and IEND: only the header should ever be looked at */
    static const uint8_t idat[11] = {0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1};
    png_chunk(&b, "IDAT", idat, sizeof idat);
    png_chunk(&b, "IEND", NULL, 0);
    return b;
}

TEST(image_rejects_oversized_headers_before_decoding) {
    byte_buf big = png_header_only(20000, 20000);
    CHECK(cf_crc32(0, big.data + 12, 17) == ((uint32_t)big.data[29] << 24 | (uint32_t)big.data[30] << 16 |
                                             (uint32_t)big.data[31] << 8 | big.data[32])); /* valid IHDR CRC */
    decode_fails_with(big.data, big.len, "image is 20000x20000 pixels, over the limit of 40000000 pixels", failures);
    byte_buf thin = png_header_only(1, 50000000);
    decode_fails_with(thin.data, thin.len, "image is 1x50000000 pixels, over the limit of 40000000 pixels", failures);
    decode_fails_with(thin.data, thin.len, "the limit of 16384 pixels per side", failures);
    byte_buf wide = png_header_only(16385, 1);
    decode_fails_with(wide.data, wide.len, "over the limit of 16384 pixels per side", failures);
    byte_buf huge = png_header_only(0xFFFFFFFFu, 0xFFFFFFFFu); /* w*h must not overflow */
    decode_fails_with(huge.data, huge.len, "over the limit of 40000000 pixels", failures);
    byte_buf zero = png_header_only(0, 10);
    decode_fails_with(zero.data, zero.len, "corrupt PNG", failures);
    free(big.data), free(thin.data), free(wide.data), free(huge.data), free(zero.data);

    /* the same limits from GIF and BMP headers */
    static const uint8_t palette[12] = {0};
    byte_buf gif = {0};
    gif_header(&gif, 65535, 65535, palette);
    decode_fails_with(gif.data, gif.len, "image is 65535x65535 pixels, over the limit of 40000000 pixels", failures);
    free(gif.data);
    gif = (byte_buf){0};
    gif_header(&gif, 20000, 2, palette);
    decode_fails_with(gif.data, gif.len, "pixels per side", failures);
    free(gif.data);
    uint8_t pixel[3] = {1, 2, 3};
    byte_buf bmp = bmp_encode_rgb(pixel, 1, 1);
    for (int i = 0; i < 4; i++) bmp.data[18 + i] = (uint8_t)(20000u >> (8 * i)), bmp.data[22 + i] = bmp.data[18 + i];
    decode_fails_with(bmp.data, bmp.len, "image is 20000x20000 pixels", failures);
    bmp.data[22 + 3] = 0x80; /* height INT32_MIN: the absolute value must not overflow */
    bmp.data[22] = bmp.data[23] = bmp.data[24] = 0;
    decode_fails_with(bmp.data, bmp.len, "over the limit", failures);
    free(bmp.data);
}

/* Offset of the sample's first SOF0 frame header marker (FF C0), or 0. */
static size_t find_sof(const uint8_t *b, size_t n) {
    for (size_t i = 2; i + 9 < n; i++)
        if (b[i] == 0xFF && b[i + 1] == 0xC0) return i;
    return 0;
}

TEST(image_rejects_damaged_and_unsupported_jpegs) {
    size_t n = 0;
    uint8_t *jpeg = read_first_sample(&n);
    if (!jpeg) {
        test_skip("sample REAL/0000.jpg not found");
        return;
    }
    decode_fails_with(jpeg, n / 2, "truncated JPEG", failures);
    decode_fails_with(jpeg, n - 2, "truncated JPEG", failures); /* everything but the end marker */
    decode_fails_with(jpeg, 20, "truncated JPEG", failures);
    size_t sof = find_sof(jpeg, n);
    CHECK(sof > 0);
    if (sof) {
        uint8_t *copy = malloc(n);
        if (!copy) abort();
        memcpy(copy, jpeg, n);
        copy[sof + 5] = 0xEA, copy[sof + 6] = 0x60, copy[sof + 7] = 0xEA, copy[sof + 8] = 0x60; /* 60000x60000 */
        decode_fails_with(copy, n, "image is 60000x60000 pixels, over the limit of 40000000 pixels", failures);
        memcpy(copy, jpeg, n);
        copy[sof + 1] = 0xC3;
        decode_fails_with(copy, n, "lossless", failures);
        memcpy(copy, jpeg, n);
        copy[sof + 1] = 0xC9;
        decode_fails_with(copy, n, "arithmetic", failures);
        memcpy(copy, jpeg, n);
        copy[sof + 4] = 12;
        decode_fails_with(copy, n, "12-bit", failures);
        free(copy);
    }
    /* A Huffman table whose code counts add up to more than 256: stb_image 2.27 would write past
     * its tables, so it must be refused before stb_image sees it. */
    size_t dht = 0;
    for (size_t i = 2; i + 22 < n && !dht; i++)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC4) dht = i;
    CHECK(dht > 0);
    if (dht) {
        jpeg[dht + 5 + 14] = 200, jpeg[dht + 5 + 15] = 200; /* counts for 15- and 16-bit codes */
        decode_fails_with(jpeg, n, "Huffman table with", failures);
    }
    free(jpeg);
}

/* The second line of defence (src/stb_impl.c): stb_image's allocations start zeroed. JPEGs that
 * image.c refuses because stb_image would read memory they never wrote (a Huffman or quantisation
 * table not defined, a component without a scan) go straight to stb_image here, each after the freed
 * heap was filled with 0xA5 and then with 0x00: the outcome must be the same both times. With plain
 * malloc it followed the heap (other pixels, other errors; in a long-lived process, what earlier
 * images left). Under MemorySanitizer (make test-msan) any read of unwritten memory fails it too. */
static void fill_freed_heap(uint8_t pattern) {
    /* each block is followed by a small one that stays allocated until the end, so the freed blocks
     * stay in the allocator's free lists instead of being merged into the top and given back */
    void *blocks[32], *guards[32];
    int count = 0;
    for (size_t size = 256; size <= ((size_t)64 << 10) && count < 32; size += size / 2, count++) {
        blocks[count] = malloc(size);
        if (blocks[count]) memset(blocks[count], pattern, size);
        guards[count] = malloc(16);
    }
    for (int i = 0; i < count; i++) free(blocks[i]);
    for (int i = 0; i < count; i++) free(guards[i]);
}

static void stb_outcome(const uint8_t *bytes, size_t n, char *out, size_t out_len) {
    int w = 0, h = 0, channels = 0;
    uint8_t *pixels = stbi_load_from_memory(bytes, (int)n, &w, &h, &channels, 0);
    if (!pixels) {
        snprintf(out, out_len, "failed: %s", stbi_failure_reason());
        return;
    }
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < (size_t)w * h * channels; i++) hash = (hash ^ pixels[i]) * 16777619u;
    snprintf(out, out_len, "%dx%d, %d channels, FNV-1a %08x", w, h, channels, (unsigned)hash);
    stbi_image_free(pixels);
}

TEST(image_stb_allocations_start_zeroed) {
    static const char *const files[] = {"tests/regress/image/jpeg-progressive-undefined-table.jpg",
                                        "tests/hostile/cases/jpeg-undefined-quant-table.jpg",
                                        "tests/hostile/cases/jpeg-component-without-scan.jpg"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n = 0;
        uint8_t *bytes = test_read_file(files[f], &n);
        if (!bytes) {
            test_skip("hostile JPEGs not found (run from the repository root)");
            return;
        }
        char outcome[2][128];
        for (int round = 0; round < 2; round++) {
            fill_freed_heap(round ? 0x00 : 0xA5);
            stb_outcome(bytes, n, outcome[round], sizeof outcome[round]);
        }
        CHECK_MSG(!strcmp(outcome[0], outcome[1]), "%s: after a heap of 0xA5: %s; after a heap of 0x00: %s", files[f],
                  outcome[0], outcome[1]);
        free(bytes);
    }
}

TEST(image_rejects_damaged_png_data) {
    uint8_t rgb[8 * 8 * 3];
    fill_random(rgb, sizeof rgb, 8);
    byte_buf png = png_from_pixels(rgb, 8, 8, 3);
    /* cut inside IDAT, before IEND, and with a broken zlib header: each must fail, never decode */
    decode_fails_with(png.data, png.len / 2, "PNG", failures);
    decode_fails_with(png.data, 40, "PNG", failures);
    png.data[41] = 0xFF; /* zlib CMF byte inside IDAT */
    decode_fails_with(png.data, png.len, "corrupt PNG", failures);
    free(png.data);
}

/* Flips random bytes of valid files (a sample JPEG and synthetic PNG, GIF, BMP) and decodes each
 * variant: nothing may crash or trip the sanitizers, and whatever decodes has a sane size. */
static void fuzz_one_format(const uint8_t *valid, size_t n, uint64_t seed, int rounds, int *failures) {
    uint8_t *copy = malloc(n);
    if (!copy) abort();
    cf_rng rng = cf_rng_make(seed, 1, 2);
    for (int r = 0; r < rounds; r++) {
        memcpy(copy, valid, n);
        int flips = 1 + (int)cf_rng_below(&rng, 8);
        for (int f = 0; f < flips; f++) copy[cf_rng_below(&rng, (uint32_t)n)] = (uint8_t)cf_rng_next(&rng);
        size_t len = cf_rng_below(&rng, 4) == 0 ? 1 + cf_rng_below(&rng, (uint32_t)n) : n;
        cf_image img;
        cf_error err = {{0}};
        if (cf_image_decode(copy, len, &img, &err) == 0) {
            CHECK(img.width > 0 && img.height > 0 && img.width <= CF_IMAGE_MAX_SIDE && img.height <= CF_IMAGE_MAX_SIDE);
            CHECK((size_t)img.width * img.height <= CF_IMAGE_MAX_PIXELS);
            uint8_t out[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
            cf_image_resize_square(&img, CF_MODEL_SIDE, out);
            cf_image_free(&img);
        } else {
            CHECK(err.msg[0] != 0 && img.rgb == NULL);
        }
    }
    free(copy);
}

TEST(image_mutated_files_never_crash) {
    uint8_t rgb[12 * 9 * 4];
    fill_random(rgb, sizeof rgb, 77);
    byte_buf png = png_from_pixels(rgb, 12, 9, 4);
    fuzz_one_format(png.data, png.len, 1, 400, failures);
    byte_buf bmp = bmp_encode_rgb(rgb, 12, 9);
    fuzz_one_format(bmp.data, bmp.len, 2, 400, failures);
    static const uint8_t palette[12] = {0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 255, 0};
    uint8_t indices[12 * 9];
    for (int i = 0; i < 12 * 9; i++) indices[i] = rgb[i] & 3;
    byte_buf gif = {0};
    gif_header(&gif, 12, 9, palette);
    gif_frame(&gif, indices, 12, 9, 1);
    buf_u8(&gif, 0x3B);
    fuzz_one_format(gif.data, gif.len, 3, 400, failures);
    size_t n = 0;
    uint8_t *jpeg = read_first_sample(&n);
    if (jpeg) fuzz_one_format(jpeg, n, 4, 400, failures);
    free(jpeg);
    free(png.data), free(bmp.data), free(gif.data);
}
