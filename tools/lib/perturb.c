#include "perturb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "image_resize.h"
#include "stb_image_write.h"

#define BLUR_MAX_RADIUS 8 /* ceil(3 * 2.5), the largest sigma accepted */

static const perturbation family[] = {
    {PERTURB_JPEG, 90, "jpeg90"},      {PERTURB_JPEG, 75, "jpeg75"},      {PERTURB_JPEG, 50, "jpeg50"},
    {PERTURB_JPEG, 30, "jpeg30"},      {PERTURB_BLUR, 0.5f, "blur0.5"},   {PERTURB_BLUR, 1.0f, "blur1"},
    {PERTURB_NOISE, 2, "noise2"},      {PERTURB_NOISE, 5, "noise5"},      {PERTURB_NOISE, 10, "noise10"},
    {PERTURB_RESCALE, 24, "rescale24"}, {PERTURB_RESCALE, 16, "rescale16"},
};

int perturb_family(const perturbation **list) {
    *list = family;
    return (int)(sizeof family / sizeof family[0]);
}

static uint8_t clamp_byte(float v) {
    float r = roundf(v);
    return (uint8_t)(r < 0.0f ? 0.0f : r > 255.0f ? 255.0f : r);
}

static void append_bytes(void *ctx, void *data, int size) {
    if (size > 0) cf_buffer_append(ctx, data, (size_t)size);
}

/* Encodes with stb_image_write's baseline JPEG writer (4:2:0 chroma at quality <= 90, as CIFAKE's own
 * files) and decodes through the same path as every dataset image, so the model sees exactly what a
 * user's re-saved file would give it. */
static int jpeg_roundtrip(int quality, const uint8_t *in, uint8_t *out, cf_error *err) {
    cf_buffer jpeg = {0};
    int ok = stbi_write_jpg_to_func(append_bytes, &jpeg, PERTURB_SIDE, PERTURB_SIDE, 3, in, quality);
    int rc;
    if (!ok || jpeg.failed) rc = cf_fail(err, "JPEG encoding at quality %d failed (out of memory)", quality);
    else {
        int w, h;
        rc = cf_image_load_model_input(jpeg.data, jpeg.len, out, &w, &h, err);
        if (rc) cf_error_prefix(err, "re-decoding the quality %d JPEG", quality);
        else if (w != PERTURB_SIDE || h != PERTURB_SIDE) rc = cf_fail(err, "re-decoded JPEG is %dx%d, not 32x32", w, h);
    }
    free(jpeg.data);
    return rc;
}

int perturb_jpeg_rgb(int quality, int w, int h, const uint8_t *in, uint8_t *out, cf_error *err) {
    if (!(quality >= 1 && quality <= 100)) return cf_fail(err, "JPEG quality %d is outside 1..100", quality);
    if (w < 1 || h < 1) return cf_fail(err, "cannot JPEG-encode a %dx%d image", w, h);
    cf_buffer jpeg = {0};
    int ok = stbi_write_jpg_to_func(append_bytes, &jpeg, w, h, 3, in, quality);
    int rc;
    cf_image img = {0};
    if (!ok || jpeg.failed) rc = cf_fail(err, "JPEG encoding at quality %d failed (out of memory)", quality);
    else if ((rc = cf_image_decode(jpeg.data, jpeg.len, &img, err))) cf_error_prefix(err, "re-decoding the quality %d JPEG", quality);
    else if (img.width != w || img.height != h)
        rc = cf_fail(err, "re-decoded JPEG is %dx%d, not %dx%d", img.width, img.height, w, h);
    else memcpy(out, img.rgb, (size_t)w * h * 3);
    cf_image_free(&img);
    free(jpeg.data);
    return rc;
}

/* Separable Gaussian with replicated edges: the weights sum to one, so a flat image stays flat,
 * and no dark frame is pulled in from outside the picture. */
static void gaussian_blur(float sigma, const uint8_t *in, uint8_t *out) {
    float kernel[2 * BLUR_MAX_RADIUS + 1];
    int radius = (int)ceilf(3.0f * sigma);
    double sum = 0.0;
    for (int k = -radius; k <= radius; k++) sum += exp(-(double)(k * k) / (2.0 * sigma * sigma));
    for (int k = -radius; k <= radius; k++) kernel[k + radius] = (float)(exp(-(double)(k * k) / (2.0 * sigma * sigma)) / sum);
    float rows[PERTURB_BYTES];
    const int n = PERTURB_SIDE;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            for (int c = 0; c < 3; c++) {
                float acc = 0.0f;
                for (int k = -radius; k <= radius; k++) {
                    int sx = x + k < 0 ? 0 : x + k >= n ? n - 1 : x + k;
                    acc += kernel[k + radius] * in[(y * n + sx) * 3 + c];
                }
                rows[(y * n + x) * 3 + c] = acc;
            }
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            for (int c = 0; c < 3; c++) {
                float acc = 0.0f;
                for (int k = -radius; k <= radius; k++) {
                    int sy = y + k < 0 ? 0 : y + k >= n ? n - 1 : y + k;
                    acc += kernel[k + radius] * rows[(sy * n + x) * 3 + c];
                }
                out[(y * n + x) * 3 + c] = clamp_byte(acc);
            }
}

static void gaussian_noise(float sigma, const uint8_t *in, uint8_t *out, cf_rng *rng) {
    for (int i = 0; i < PERTURB_BYTES; i++) out[i] = clamp_byte(in[i] + sigma * cf_rng_normal(rng));
}

/* Down with image.h's area averaging, up with its bilinear enlargement: the same resizer that
 * prepares a user's large photo, so "rescale" loses what a small source image would lack. */
static void rescale(int side, const uint8_t *in, uint8_t *out) {
    uint8_t full[PERTURB_BYTES], small[PERTURB_BYTES];
    memcpy(full, in, PERTURB_BYTES);
    cf_image src = {PERTURB_SIDE, PERTURB_SIDE, full};
    cf_image_resize_square(&src, side, small);
    cf_image down = {side, side, small};
    cf_image_resize_square(&down, PERTURB_SIDE, out);
}

int perturb_apply(const perturbation *p, const uint8_t *in, uint8_t *out, cf_rng *rng, cf_error *err) {
    float a = p->amount;
    switch (p->kind) {
    case PERTURB_NONE:
        if (out != in) memmove(out, in, PERTURB_BYTES);
        return 0;
    case PERTURB_JPEG:
        if (!(a >= 1 && a <= 100)) return cf_fail(err, "JPEG quality %g is outside 1..100", a);
        return jpeg_roundtrip((int)a, in, out, err);
    case PERTURB_BLUR:
        if (!(a > 0 && a <= 2.5f)) return cf_fail(err, "blur sigma %g is outside (0, 2.5]", a);
        gaussian_blur(a, in, out);
        return 0;
    case PERTURB_NOISE:
        if (!(a >= 0 && a <= 128)) return cf_fail(err, "noise sigma %g is outside 0..128", a);
        if (!rng) return cf_fail(err, "noise needs a random generator");
        gaussian_noise(a, in, out, rng);
        return 0;
    case PERTURB_RESCALE:
        if (!(a >= 1 && a <= PERTURB_SIDE)) return cf_fail(err, "rescale side %g is outside 1..32", a);
        rescale((int)a, in, out);
        return 0;
    }
    return cf_fail(err, "unknown perturbation kind %d", (int)p->kind);
}

int perturb_random(float prob, const uint8_t *in, uint8_t *out, cf_rng *rng, cf_error *err) {
    const perturbation *list;
    int n = perturb_family(&list);
    if (cf_rng_uniform(rng) >= prob) {
        if (out != in) memmove(out, in, PERTURB_BYTES);
        return 0;
    }
    return perturb_apply(&list[cf_rng_below(rng, (uint32_t)n)], in, out, rng, err);
}

#define WEB_STREAM 0x7765622064656cULL /* "web del": keeps these draws apart from other uses of a seed */

void perturb_web_draw(uint64_t seed, uint64_t key, int w, int h, int min_side, int *out_w, int *out_h, int *quality) {
    cf_rng rng = cf_rng_make(seed, key, WEB_STREAM);
    float f = PERTURB_WEB_SCALE_MIN + (PERTURB_WEB_SCALE_MAX - PERTURB_WEB_SCALE_MIN) * cf_rng_uniform(&rng);
    int q = PERTURB_WEB_QUALITY_MIN + (int)cf_rng_below(&rng, PERTURB_WEB_QUALITY_MAX - PERTURB_WEB_QUALITY_MIN + 1);
    int ow = (int)lroundf((float)w * f), oh = (int)lroundf((float)h * f);
    int floor_w = min_side < w ? min_side : w, floor_h = min_side < h ? min_side : h;
    *out_w = ow < floor_w ? floor_w : ow;
    *out_h = oh < floor_h ? floor_h : oh;
    *quality = q;
}

int perturb_web_rgb(uint64_t seed, uint64_t key, int w, int h, int min_side, const uint8_t *in, uint8_t *out,
                    cf_error *err) {
    if (w < 1 || h < 1) return cf_fail(err, "cannot deliver a %dx%d image", w, h);
    int ow, oh, q;
    perturb_web_draw(seed, key, w, h, min_side, &ow, &oh, &q);
    cf_image img = {w, h, (uint8_t *)in};
    cf_image_resize(&img, ow, oh, out);
    return perturb_jpeg_rgb(q, ow, oh, out, out, err);
}
