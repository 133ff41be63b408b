/* Perturbation tests (tools/lib/perturb.c): each degradation is checked against a property it must
 * have (a flat image stays flat under blur, noise has the asked spread, near-lossless JPEG barely
 * moves pixels, rescaling to the full size is the identity), plus determinism and in-place use. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "image_resize.h"
#include "perturb.h"
#include "test.h"

/* A textured test picture: smooth colour ramps plus a seeded speckle, so every perturbation has
 * something to change. */
static void textured_image(uint8_t *px, uint64_t seed) {
    cf_rng rng = cf_rng_make(seed, 1, 2);
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            px[(y * 32 + x) * 3 + 0] = (uint8_t)(40 + 5 * x + cf_rng_below(&rng, 30));
            px[(y * 32 + x) * 3 + 1] = (uint8_t)(30 + 4 * y + cf_rng_below(&rng, 30));
            px[(y * 32 + x) * 3 + 2] = (uint8_t)(100 + 2 * (x + y) % 90 + cf_rng_below(&rng, 30));
        }
}

static double mean_of(const uint8_t *px) {
    double s = 0;
    for (int i = 0; i < PERTURB_BYTES; i++) s += px[i];
    return s / PERTURB_BYTES;
}

static double variance_of(const uint8_t *px) {
    double m = mean_of(px), s = 0;
    for (int i = 0; i < PERTURB_BYTES; i++) s += (px[i] - m) * (px[i] - m);
    return s / PERTURB_BYTES;
}

static double mean_abs_diff(const uint8_t *a, const uint8_t *b, int *max_diff) {
    double s = 0;
    *max_diff = 0;
    for (int i = 0; i < PERTURB_BYTES; i++) {
        int d = abs(a[i] - b[i]);
        s += d;
        if (d > *max_diff) *max_diff = d;
    }
    return s / PERTURB_BYTES;
}

TEST(perturb_family_has_the_documented_members) {
    const perturbation *list;
    int n = perturb_family(&list);
    CHECK(n == 11);
    int counts[5] = {0};
    for (int i = 0; i < n; i++) {
        counts[list[i].kind]++;
        for (int j = 0; j < i; j++) CHECK_MSG(strcmp(list[i].name, list[j].name), "duplicate name %s", list[i].name);
    }
    CHECK(counts[PERTURB_NONE] == 0 && counts[PERTURB_JPEG] == 4 && counts[PERTURB_BLUR] == 2);
    CHECK(counts[PERTURB_NOISE] == 3 && counts[PERTURB_RESCALE] == 2);
}

TEST(perturb_blur_keeps_flat_images_flat) {
    static const uint8_t colours[][3] = {{0, 0, 0}, {255, 255, 255}, {17, 128, 251}, {200, 3, 99}};
    for (size_t k = 0; k < sizeof colours / sizeof colours[0]; k++)
        for (float sigma = 0.5f; sigma <= 2.5f; sigma += 0.5f) {
            uint8_t in[PERTURB_BYTES], out[PERTURB_BYTES];
            for (int i = 0; i < PERTURB_BYTES; i++) in[i] = colours[k][i % 3];
            perturbation p = {PERTURB_BLUR, sigma, "blur"};
            cf_error err;
            CHECK(perturb_apply(&p, in, out, NULL, &err) == 0);
            CHECK_MSG(!memcmp(in, out, PERTURB_BYTES), "sigma %g changed a flat image", sigma);
        }
}

TEST(perturb_blur_reduces_the_variance_of_noise) {
    uint8_t noise[PERTURB_BYTES], out[PERTURB_BYTES];
    cf_rng rng = cf_rng_make(3, 0, 0);
    for (int i = 0; i < PERTURB_BYTES; i++) noise[i] = (uint8_t)cf_rng_below(&rng, 256);
    double before = variance_of(noise), previous = before;
    for (float sigma = 0.5f; sigma <= 1.0f; sigma += 0.5f) {
        perturbation p = {PERTURB_BLUR, sigma, "blur"};
        cf_error err;
        CHECK(perturb_apply(&p, noise, out, NULL, &err) == 0);
        double after = variance_of(out);
        /* white noise through a 2-D Gaussian keeps about 1/(4 pi sigma^2) of its variance (0.08 at
         * sigma 1; less smoothing at 0.5, whose kernel is mostly its centre tap) */
        CHECK_MSG(after < (sigma < 0.75f ? 0.6 : 0.15) * before, "sigma %g: variance %g -> %g", sigma, before, after);
        CHECK(after < previous); /* more blur, less variance */
        CHECK_NEAR(mean_of(out), mean_of(noise), 2.0); /* the weights sum to one */
        previous = after;
    }
}

TEST(perturb_noise_has_the_asked_standard_deviation) {
    for (float sigma = 2; sigma <= 10; sigma *= 2.5f) { /* 2, 5, 12.5 */
        uint8_t grey[PERTURB_BYTES], out[PERTURB_BYTES];
        memset(grey, 128, sizeof grey);
        perturbation p = {PERTURB_NOISE, sigma, "noise"};
        cf_rng rng = cf_rng_make(11, 0, 0);
        cf_error err;
        CHECK(perturb_apply(&p, grey, out, &rng, &err) == 0);
        /* rounding to whole levels adds a variance of 1/12; 3072 samples estimate a standard
         * deviation to about 1.3%, so 6% is a generous bound that a wrong scale still breaks */
        double expected = sqrt(sigma * sigma + 1.0 / 12.0);
        CHECK_NEAR(sqrt(variance_of(out)), expected, 0.06 * expected);
        CHECK_NEAR(mean_of(out), 128.0, 0.5);
    }
    /* clamped: noise on a white image can only darken it */
    uint8_t white[PERTURB_BYTES], out[PERTURB_BYTES];
    memset(white, 255, sizeof white);
    perturbation p = {PERTURB_NOISE, 10, "noise10"};
    cf_rng rng = cf_rng_make(12, 0, 0);
    cf_error err;
    CHECK(perturb_apply(&p, white, out, &rng, &err) == 0);
    double m = mean_of(out);
    CHECK(m < 255.0 && m > 245.0);
}

TEST(perturb_jpeg_quality_100_changes_pixels_only_slightly) {
    uint8_t in[PERTURB_BYTES], out[PERTURB_BYTES];
    textured_image(in, 5);
    double previous = 0.0;
    static const int qualities[] = {100, 90, 50, 30};
    for (int k = 0; k < 4; k++) {
        perturbation p = {PERTURB_JPEG, (float)qualities[k], "jpeg"};
        cf_error err;
        CHECK_MSG(perturb_apply(&p, in, out, NULL, &err) == 0, "%s", err.msg);
        int max_diff;
        double mad = mean_abs_diff(in, out, &max_diff);
        if (qualities[k] == 100) {
            CHECK_MSG(mad < 1.5 && max_diff <= 8, "quality 100: mean |diff| %g, max %d", mad, max_diff);
            CHECK(mad > 0.0); /* it did go through a lossy codec */
        } else
            CHECK_MSG(mad > previous, "quality %d: mean |diff| %g, not above %g", qualities[k], mad, previous);
        previous = mad;
    }
}

TEST(perturb_rescale_to_full_size_is_the_identity) {
    uint8_t in[PERTURB_BYTES], out[PERTURB_BYTES];
    textured_image(in, 6);
    perturbation full = {PERTURB_RESCALE, 32, "rescale32"}, half = {PERTURB_RESCALE, 16, "rescale16"};
    cf_error err;
    CHECK(perturb_apply(&full, in, out, NULL, &err) == 0);
    CHECK(!memcmp(in, out, PERTURB_BYTES));
    CHECK(perturb_apply(&half, in, out, NULL, &err) == 0);
    CHECK(memcmp(in, out, PERTURB_BYTES));
    CHECK(variance_of(out) < variance_of(in)); /* the speckle is averaged away */
    CHECK_NEAR(mean_of(out), mean_of(in), 2.0);
}

TEST(perturb_same_seed_same_output_and_in_place_use) {
    const perturbation *list;
    int n = perturb_family(&list);
    uint8_t in[PERTURB_BYTES];
    textured_image(in, 7);
    for (int k = 0; k < n; k++) {
        uint8_t a[PERTURB_BYTES], b[PERTURB_BYTES], c[PERTURB_BYTES];
        cf_rng r1 = cf_rng_make(42, 9, 1), r2 = cf_rng_make(42, 9, 1), r3 = cf_rng_make(43, 9, 1);
        cf_error err;
        memcpy(b, in, sizeof b);
        CHECK(perturb_apply(&list[k], in, a, &r1, &err) == 0);
        CHECK(perturb_apply(&list[k], b, b, &r2, &err) == 0); /* in place */
        CHECK(perturb_apply(&list[k], in, c, &r3, &err) == 0);
        CHECK_MSG(!memcmp(a, b, sizeof a), "%s: same seed, different output", list[k].name);
        CHECK_MSG(memcmp(a, in, sizeof a), "%s left the textured image unchanged", list[k].name);
        /* only noise uses the seed */
        CHECK_MSG(!memcmp(a, c, sizeof a) == (list[k].kind != PERTURB_NOISE), "%s: seed dependence", list[k].name);
    }
}

TEST(perturb_random_applies_with_the_asked_probability) {
    uint8_t in[PERTURB_BYTES], out[PERTURB_BYTES];
    textured_image(in, 8);
    cf_rng rng = cf_rng_make(1, 2, 3);
    cf_error err;
    int changed = 0, trials = 400;
    for (int t = 0; t < trials; t++) {
        CHECK(perturb_random(0.25f, in, out, &rng, &err) == 0);
        changed += memcmp(in, out, sizeof in) != 0;
    }
    /* every family member changes this image; 400 draws at p = 0.25 give 100 +- 9 */
    CHECK_MSG(changed > 70 && changed < 130, "changed %d of %d", changed, trials);
    for (int t = 0; t < 20; t++) {
        CHECK(perturb_random(0.0f, in, out, &rng, &err) == 0);
        CHECK(!memcmp(in, out, sizeof in));
    }
}

TEST(perturb_rejects_amounts_out_of_range) {
    uint8_t in[PERTURB_BYTES] = {0}, out[PERTURB_BYTES];
    const perturbation bad[] = {{PERTURB_JPEG, 0, "q0"},   {PERTURB_JPEG, 101, "q101"}, {PERTURB_BLUR, 0, "b0"},
                                {PERTURB_BLUR, 3, "b3"},   {PERTURB_NOISE, -1, "n-1"},  {PERTURB_RESCALE, 0, "r0"},
                                {PERTURB_RESCALE, 33, "r33"}, {(perturb_kind)99, 1, "?"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cf_error err = {{0}};
        cf_rng rng = cf_rng_make(1, 0, 0);
        CHECK_MSG(perturb_apply(&bad[k], in, out, &rng, &err) == -1, "%s accepted", bad[k].name);
        CHECK(err.msg[0] != 0);
    }
    perturbation noise = {PERTURB_NOISE, 2, "noise2"};
    cf_error err;
    CHECK(perturb_apply(&noise, in, out, NULL, &err) == -1);
}

/* The "as delivered on the web" condition (cifake-eval --folders --web): its draws stay in the documented
 * ranges, depend on the seed and the image's key only, respect the smallest side, and the delivered image
 * is exactly the area-averaged shrink followed by a JPEG round trip at the drawn quality. */
TEST(perturb_web_draws_stay_in_range_and_depend_on_seed_and_key) {
    int seen_low = 0, seen_high = 0, qmin = 100, qmax = 0, differ = 0;
    for (uint64_t key = 0; key < 400; key++) {
        int w, h, q, w2, h2, q2;
        perturb_web_draw(7, key, 1000, 600, 32, &w, &h, &q);
        CHECK_MSG(w >= 500 && w <= 900 && h >= 300 && h <= 540, "key %llu: %dx%d", (unsigned long long)key, w, h);
        CHECK(abs(w * 600 - h * 1000) <= 1000); /* one factor for both sides, rounded */
        CHECK(q >= PERTURB_WEB_QUALITY_MIN && q <= PERTURB_WEB_QUALITY_MAX);
        seen_low |= w < 550, seen_high |= w > 850;
        qmin = q < qmin ? q : qmin, qmax = q > qmax ? q : qmax;
        perturb_web_draw(7, key, 1000, 600, 32, &w2, &h2, &q2);
        CHECK(w2 == w && h2 == h && q2 == q);
        perturb_web_draw(8, key, 1000, 600, 32, &w2, &h2, &q2);
        differ += w2 != w || q2 != q;
    }
    CHECK(seen_low && seen_high && qmin == 70 && qmax == 90);
    CHECK(differ > 350);
    int w, h, q;
    perturb_web_draw(1, 3, 34, 33, 32, &w, &h, &q); /* never below the smallest side, nor above the image */
    CHECK(w == 32 && h == 32);
    perturb_web_draw(1, 3, 20, 300, 32, &w, &h, &q);
    CHECK(w == 20 && h >= 150 && h <= 270);
}

TEST(perturb_web_rgb_is_shrink_then_jpeg) {
    enum { W = 96, H = 64 };
    uint8_t *in = malloc(W * H * 3), *out = malloc(W * H * 3), *want = malloc(W * H * 3);
    CHECK(in && out && want);
    if (!in || !out || !want) return;
    cf_rng rng = cf_rng_make(5, 6, 7);
    for (int i = 0; i < W * H * 3; i++) in[i] = (uint8_t)((i / 3 % W) * 2 + (i / 3 / W) + cf_rng_below(&rng, 40));
    cf_error err;
    int w, h, q;
    perturb_web_draw(1, 42, W, H, 32, &w, &h, &q);
    CHECK(w < W && h < H);
    CHECK(perturb_web_rgb(1, 42, W, H, 32, in, out, &err) == 0);
    cf_image img = {W, H, in};
    cf_image_resize(&img, w, h, want);
    CHECK(perturb_jpeg_rgb(q, w, h, want, want, &err) == 0);
    CHECK(memcmp(out, want, (size_t)w * h * 3) == 0);
    CHECK(perturb_web_rgb(1, 42, 0, H, 32, in, out, &err) == -1);
    free(in);
    free(out);
    free(want);
}
