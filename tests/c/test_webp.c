/* test_webp.c - WebP decoding (native builds, with libwebp: CF_WITH_WEBP), on the valid WebP files of
 * the hostile-input table (tests/hostile/make_webp.c wrote them from known pixels). A build without
 * libwebp (WebAssembly) must refuse each of them by name instead. Paths are relative to the repository
 * root, where make runs the tests. */
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "test.h"

#define CASES "tests/hostile/cases/"

/* Decodes CASES name; 0 with img filled, -1 with err (or a skip when the file is not there). */
static int decode_case(const char *name, cf_image *img, cf_error *err) {
    char path[512];
    snprintf(path, sizeof path, CASES "%s", name);
    size_t n = 0;
    uint8_t *bytes = test_read_file(path, &n);
    if (!bytes) {
        test_skip(CASES " not found (run from the repository root)");
        return cf_fail(err, "cannot read %s", path);
    }
    int rc = cf_image_decode(bytes, n, img, err);
    free(bytes);
    return rc;
}

#ifdef CF_WITH_WEBP

/* The pixel patterns make_webp.c encoded. */
static int rgb_pattern(int x, int y, int c) { return (x * 9 + y * 5 + c * 70) % 256; }
static int rgba_pattern(int x, int y, int c) {
    return c == 3 ? (x * 23 + y * 41) % 256 : (x * 13 + y * 7 + c * 50) % 256;
}
static int lossy_pattern(int x, int y, int c) { return (x * 7 + y * 5 + c * 60) % 256; }

/* The pixels of rgba-lossless.webp composited over white, as the decoder must give them. */
static int over_white_pattern(int x, int y, int c) {
    int a = rgba_pattern(x, y, 3), v = rgba_pattern(x, y, c);
    return (v * a + 255 * (255 - a) + 127) / 255;
}

/* Decodes CASES name, checks that it is w x h, and returns the mean absolute difference of its RGB
 * values from expected(x, y, c); -1 when it could not be decoded (a failed check, or a skip when the
 * file is not there). */
static double decoded_difference(const char *name, int w, int h, int (*expected)(int, int, int), int *failures) {
    cf_image img = {0, 0, NULL};
    cf_error err = {{0}};
    if (decode_case(name, &img, &err)) {
        CHECK_MSG(strstr(err.msg, "cannot read"), "%s: %s", name, err.msg);
        return -1;
    }
    CHECK_MSG(img.width == w && img.height == h, "%s: %dx%d, expected %dx%d", name, img.width, img.height, w, h);
    double diff = 0;
    for (int y = 0; y < h && img.width == w && img.height == h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) diff += abs(img.rgb[(y * w + x) * 3 + c] - expected(x, y, c));
    cf_image_free(&img);
    return diff / (w * h * 3.0);
}

TEST(webp_lossless_decodes_to_its_exact_pixels) {
    double diff = decoded_difference("rgb-lossless.webp", 16, 16, rgb_pattern, failures);
    CHECK_MSG(diff <= 0, "mean difference %.3f from the encoded pixels", diff);
}

TEST(webp_alpha_is_composited_over_white) {
    double diff = decoded_difference("rgba-lossless.webp", 12, 12, over_white_pattern, failures);
    CHECK_MSG(diff <= 0, "mean difference %.3f from the pixels over white", diff);
}

TEST(webp_lossy_decodes_to_its_size_and_near_its_pixels) {
    double diff = decoded_difference("lossy.webp", 40, 24, lossy_pattern, failures);
    CHECK_MSG(diff < 16.0, "mean difference %.2f from the encoded pixels", diff);

    cf_error err = {{0}};
    size_t n = 0;
    uint8_t *bytes = test_read_file(CASES "lossy.webp", &n);
    int w = 0, h = 0;
    CHECK(bytes && cf_image_probe(bytes, n, &w, &h, &err) == 0 && w == 40 && h == 24);
    free(bytes);
}

TEST(webp_named_among_the_supported_formats) {
    static const uint8_t binary[16] = {'x', 0xFF, 0x00, 0x13, 0x80, 0x81, 0x82, 0x83};
    cf_image img = {0, 0, NULL};
    cf_error err = {{0}};
    CHECK(cf_image_decode(binary, sizeof binary, &img, &err) == -1);
    CHECK_MSG(strcmp(err.msg, "not a supported image (JPEG, PNG, BMP, GIF, WebP)") == 0, "%s", err.msg);
    CHECK(cf_image_decode((const uint8_t *)"RIFF\x10\0\0\0WEBPVP8 ", 16, &img, &err) == -1 &&
          strstr(err.msg, "truncated WebP data: the file ends inside the header"));
}

#else

TEST(webp_refused_by_name_without_libwebp) {
    static const char *names[] = {"rgb-lossless.webp", "rgba-lossless.webp", "lossy.webp"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        cf_image img = {0, 0, NULL};
        cf_error err = {{0}};
        CHECK_MSG(decode_case(names[i], &img, &err) == -1 &&
                      (strstr(err.msg, "WebP is not supported") || strstr(err.msg, "cannot read")),
                  "%s: %s", names[i], err.msg);
    }
}

#endif
