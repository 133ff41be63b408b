/* make_webp.c - writes the valid WebP cases of the hostile-input table with libwebp's encoder (run once;
 * the outputs are checked in, and generate.mjs derives the damaged WebP cases from them):
 *
 *   gcc -std=c11 -O2 tests/hostile/make_webp.c -lwebp -o /tmp/make_webp && /tmp/make_webp tests/hostile/cases
 *
 * rgb-lossless.webp   16x16 lossless, the pixels of rgb.png (so both must give the same p_fake)
 * rgba-lossless.webp  12x12 lossless with alpha, the pixels of rgba.png
 * lossy.webp          40x24 lossy (non-square, so the centre crop is exercised) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <webp/encode.h>

/* The patterns of generate.mjs: rgb.png's and rgba.png's rows. */
static uint8_t rgb_pattern(int x, int y, int c) { return (uint8_t)((x * 9 + y * 5 + c * 70) % 256); }
static uint8_t rgba_pattern(int x, int y, int c) {
    return (uint8_t)(c == 3 ? (x * 23 + y * 41) % 256 : (x * 13 + y * 7 + c * 50) % 256);
}
static uint8_t lossy_pattern(int x, int y, int c) { return (uint8_t)((x * 7 + y * 5 + c * 60) % 256); }

static int write_file(const char *dir, const char *name, const uint8_t *bytes, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "make_webp: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* channels 3 or 4; quality < 0: lossless */
static int write_webp(const char *dir, const char *name, int w, int h, int channels,
                      uint8_t (*pattern)(int, int, int), float quality) {
    uint8_t *pixels = malloc((size_t)w * h * channels);
    if (!pixels) return -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++) pixels[((size_t)y * w + x) * channels + c] = pattern(x, y, c);
    uint8_t *out = NULL;
    size_t n;
    int stride = w * channels;
    if (quality < 0)
        n = channels == 4 ? WebPEncodeLosslessRGBA(pixels, w, h, stride, &out) : WebPEncodeLosslessRGB(pixels, w, h, stride, &out);
    else
        n = channels == 4 ? WebPEncodeRGBA(pixels, w, h, stride, quality, &out) : WebPEncodeRGB(pixels, w, h, stride, quality, &out);
    free(pixels);
    int rc = n ? write_file(dir, name, out, n) : -1;
    WebPFree(out);
    return rc;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/hostile/cases";
    int rc = write_webp(dir, "rgb-lossless.webp", 16, 16, 3, rgb_pattern, -1) ||
             write_webp(dir, "rgba-lossless.webp", 12, 12, 4, rgba_pattern, -1) ||
             write_webp(dir, "lossy.webp", 40, 24, 3, lossy_pattern, 80);
    return rc ? 1 : 0;
}
