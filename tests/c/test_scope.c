/* test_scope.c - verdicts with an honest scope: which model judges which image, UNSURE when none
 * may or the evidence is weak, the patch grid and its aggregation, and pixels decoded elsewhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "fixtures.h"
#include "image.h"
#include "patches.h"
#include "test.h"

/* A small random model of 32x32 input in a weight file, with extra metadata as "key=value" strings. */
typedef struct {
    uint8_t *bytes;
    size_t n;
} file_bytes;

static file_bytes model_file(const char *const *extra) {
    file_bytes f = {NULL, 0};
    f.bytes = test_random_weight_file("c4,relu,mp,c8,relu,gap,d1", 32, 11, extra, &f.n);
    return f;
}

static const char *const patch_view[] = {"view=patches", NULL};

static const file_bytes no_model = {NULL, 0};

static cifake_detector *open_models(file_bytes a, file_bytes b) {
    cifake_detector *d = NULL;
    cf_error err;
    if (!a.bytes || cifake_open(a.bytes, a.n, &d, &err)) d = NULL;
    if (d && b.bytes && cifake_add_model(d, b.bytes, b.n, &err)) {
        cifake_close(d);
        d = NULL;
    }
    free(a.bytes);
    free(b.bytes);
    return d;
}

/* A deterministic textured RGB image. */
static uint8_t *texture(int w, int h, int seed) {
    uint8_t *rgb = malloc((size_t)w * h * 3);
    cf_rng rng = cf_rng_make((uint64_t)seed, 1, 2);
    for (size_t i = 0; rgb && i < (size_t)w * h * 3; i++) rgb[i] = (uint8_t)cf_rng_below(&rng, 256);
    return rgb;
}

static int classify_rgb(cifake_detector *d, int w, int h, cifake_result *r) {
    uint8_t *rgb = texture(w, h, w * 7 + h);
    cf_error err;
    int rc = rgb ? cifake_classify_pixels(d, rgb, w, h, 3, r, &err) : -1;
    free(rgb);
    return rc;
}

TEST(thumbnail_model_judges_its_own_size_only) {
    const char *extra[] = {"reliability=right here", "reliability_out_of_scope=at chance there", NULL};
    cifake_detector *d = open_models(model_file(extra), no_model);
    CHECK(d != NULL);
    if (!d) return;
    cifake_result r;
    CHECK(classify_rgb(d, 32, 32, &r) == 0);
    CHECK(r.scope == CIFAKE_JUDGED && r.label != CIFAKE_UNSURE && r.model == 0 && !strcmp(r.reliability, "right here"));
    CHECK(r.label == (r.p_fake >= 0.5f ? CIFAKE_FAKE : CIFAKE_REAL) && r.reason[0] == 0 && r.detail[0] == 0);
    CHECK(r.region_width == 32 && r.patch_cols == 0);

    /* larger: out of scope, UNSURE, with the model's guess and its out-of-scope reliability */
    CHECK(classify_rgb(d, 128, 96, &r) == 0);
    CHECK(r.label == CIFAKE_UNSURE && r.scope == CIFAKE_OUT_OF_SCOPE && r.p_fake >= 0.0f && r.p_fake <= 1.0f);
    /* the reason in plain words, the details in the model's terms */
    CHECK_MSG(!strcmp(r.reason, "Larger than anything the model was tested on (32 by 32 pixels at most, this image is "
                                "128 by 96), so it gives no verdict"), "%s", r.reason);
    CHECK(strstr(r.detail, "at most 32x32") && strstr(r.detail, "128x96") && !strcmp(r.reliability, "at chance there"));
    CHECK(r.region_x == 16 && r.region_y == 0 && r.region_width == 96 && r.region_height == 96);

    /* smaller than the input on either side: too small */
    int sizes[][2] = {{1, 37}, {333, 17}, {31, 32}, {1, 1}};
    for (int i = 0; i < 4; i++) {
        CHECK(classify_rgb(d, sizes[i][0], sizes[i][1], &r) == 0);
        char plain[96];
        snprintf(plain, sizeof plain, "Too small to judge: the model needs at least 32 by 32 pixels, this image is %d by %d",
                 sizes[i][0], sizes[i][1]);
        CHECK_MSG(r.label == CIFAKE_UNSURE && r.scope == CIFAKE_TOO_SMALL && !strcmp(r.reason, plain), "%dx%d: %s",
                  sizes[i][0], sizes[i][1], r.reason);
        CHECK_MSG(strstr(r.detail, "too small to judge"), "%s", r.detail);
    }
    cifake_close(d);
}

TEST(scope_max_side_in_the_file_widens_the_scope_and_is_checked) {
    const char *wide[] = {"view=thumbnail", "scope_max_side=200", NULL};
    cifake_detector *d = open_models(model_file(wide), no_model);
    cifake_result r;
    CHECK(d && classify_rgb(d, 200, 150, &r) == 0 && r.scope == CIFAKE_JUDGED);
    CHECK(d && classify_rgb(d, 201, 150, &r) == 0 && r.scope == CIFAKE_OUT_OF_SCOPE);
    cifake_close(d);
    const char *bad[][2] = {{"scope_max_side=-3", NULL}, {"unsure_band=0.7,0.3", NULL}, {"unsure_band=0.3", NULL},
                            {"view=sideways", NULL}};
    for (int i = 0; i < 4; i++) {
        file_bytes f = model_file(bad[i]);
        cf_error err = {{0}};
        CHECK_MSG(f.bytes && cifake_open(f.bytes, f.n, &d, &err) == -1 && d == NULL, "%s accepted", bad[i][0]);
        CHECK_MSG(strstr(err.msg, "weight file"), "%s: %s", bad[i][0], err.msg);
        free(f.bytes);
    }
}

TEST(unsure_band_makes_weak_evidence_unsure) {
    const char *all[] = {"unsure_band=0,1", NULL}, *none[] = {"unsure_band=0.2,0.2", NULL};
    cifake_detector *d = open_models(model_file(all), no_model);
    cifake_result r;
    CHECK(d && classify_rgb(d, 32, 32, &r) == 0);
    CHECK(r.label == CIFAKE_UNSURE && r.scope == CIFAKE_WEAK_EVIDENCE && strstr(r.detail, "weak evidence"));
    CHECK_MSG(!strcmp(r.reason, "The evidence is too weak either way for a verdict"), "%s", r.reason);
    cifake_close(d);
    d = open_models(model_file(none), no_model);
    CHECK(d && classify_rgb(d, 32, 32, &r) == 0 && r.scope == CIFAKE_JUDGED); /* an empty band decides all */
    cifake_close(d);
}

/* The patch model's score is the mean of its patch logits: invert each patch probability. */
static float mean_logit(const float *p, int n, float temperature) {
    float logits[64];
    for (int i = 0; i < n; i++) logits[i] = temperature * logf(p[i] / (1.0f - p[i]));
    return cf_patch_aggregate(logits, n);
}

static const char *const patch_view_budget[] = {"view=patches", "patch_budget=6", NULL};

TEST(a_patch_budget_scores_a_spread_sample_of_the_grid) {
    cifake_detector *d = open_models(model_file(patch_view_budget), no_model);
    CHECK(d != NULL);
    if (!d) return;
    cifake_result r;
    /* a 4 x 3 grid over 100 x 70 pixels, budget 6: a smaller grid in the same proportion, spread to the edges */
    CHECK(classify_rgb(d, 100, 70, &r) == 0 && r.scope == CIFAKE_JUDGED);
    CHECK(r.patch_cols * r.patch_rows <= 6 && r.patch_cols >= 2);
    int x[12], y[12];
    float p[12];
    int n = cifake_patches(d, x, y, p, 12);
    CHECK(n == r.patch_cols * r.patch_rows);
    CHECK(x[0] == 0 && y[0] == 0 && x[r.patch_cols - 1] == 68);
    CHECK_NEAR(r.score, mean_logit(p, n, 1.5f), 1e-3);
    /* the same patches score the same as in the full grid of a detector without a budget */
    cifake_detector *full = open_models(model_file(patch_view), no_model);
    cifake_result rf;
    int fx[12], fy[12];
    float fp[12];
    CHECK(full && classify_rgb(full, 100, 70, &rf) == 0 && cifake_patches(full, fx, fy, fp, 12) == 12);
    for (int i = 0; full && i < n; i++)
        for (int j = 0; j < 12; j++)
            if (fx[j] == x[i] && fy[j] == y[i]) CHECK(fabsf(fp[j] - p[i]) < 1e-6f);
    /* its drawing covers the whole image: every pixel takes a sampled patch's value */
    int w = 0, h = 0;
    uint8_t *rgba = malloc(100 * 70 * 4);
    cf_error err;
    CHECK(rgba && cifake_render_patches(d, 100, CIFAKE_COLORMAP_TURBO, 1.0f, rgba, &w, &h, &err) == 0 && w == 100 && h == 70);
    free(rgba);
    cifake_close(full);
    cifake_close(d);
    /* a budget is refused on a thumbnail model, and out of range */
    static const char *const thumb_budget[] = {"patch_budget=10", NULL};
    static const char *const bad_budget[] = {"view=patches", "patch_budget=-1", NULL};
    CHECK(open_models(model_file(thumb_budget), no_model) == NULL);
    CHECK(open_models(model_file(bad_budget), no_model) == NULL);
}

TEST(full_size_images_route_to_the_patch_model_over_the_whole_grid) {
    cifake_detector *d = open_models(model_file(NULL), model_file(patch_view));
    CHECK(d != NULL && cifake_model_count(d) == 2);
    if (!d) return;
    cifake_result r;
    CHECK(classify_rgb(d, 32, 32, &r) == 0 && r.model == 0 && r.view == CIFAKE_VIEW_THUMBNAIL);
    CHECK(cifake_patches(d, NULL, NULL, NULL, 0) == 0);

    CHECK(classify_rgb(d, 100, 70, &r) == 0); /* not multiples of the patch: overlapping edges */
    CHECK(r.model == 1 && r.view == CIFAKE_VIEW_PATCHES && r.scope == CIFAKE_JUDGED && r.label != CIFAKE_UNSURE);
    CHECK(r.patch_side == 32 && r.patch_cols == 4 && r.patch_rows == 3);
    CHECK(r.region_x == 0 && r.region_y == 0 && r.region_width == 100 && r.region_height == 70);
    int x[12], y[12];
    float p[12];
    CHECK(cifake_patches(d, x, y, p, 12) == 12);
    CHECK(x[0] == 0 && y[0] == 0 && x[3] == 68 && y[11] == 38 && x[11] == 68);
    CHECK_NEAR(r.score, mean_logit(p, 12, 1.5f), 1e-3);
    CHECK_NEAR(r.p_fake, 1.0f / (1.0f + expf(-r.score / 1.5f)), 1e-6);

    cifake_close(d);

    /* each patch scores as that patch alone would (through a detector with the patch model only) */
    d = open_models(model_file(patch_view), no_model);
    uint8_t *rgb = texture(100, 70, 100 * 7 + 70), patch[32 * 32 * 3];
    for (int row = 0; rgb && row < 32; row++) memcpy(patch + row * 96, rgb + ((size_t)(y[5] + row) * 100 + x[5]) * 3, 96);
    cifake_result alone;
    cf_error err;
    CHECK(d && rgb && cifake_classify_pixels(d, patch, 32, 32, 3, &alone, &err) == 0);
    CHECK(d && fabsf(alone.p_fake - p[5]) < 1e-6f);
    free(rgb);
    cifake_close(d);

    /* a patch model alone: too small below one patch, no upper limit */
    d = open_models(model_file(patch_view), no_model);
    CHECK(d && classify_rgb(d, 31, 400, &r) == 0 && r.scope == CIFAKE_TOO_SMALL && isnan(r.p_fake));
    CHECK(d && classify_rgb(d, 2000, 40, &r) == 0 && r.scope == CIFAKE_JUDGED && r.patch_cols == 63 && r.patch_rows == 2);
    cifake_close(d);
}

TEST(pixels_decoded_elsewhere_classify_like_the_encoded_file) {
    const char *dir = test_sample_dir();
    if (!dir) {
        test_skip("shared samples not found");
        return;
    }
    size_t n, wn;
    char path[1024];
    snprintf(path, sizeof path, "%s/FAKE/0 (2).jpg", dir);
    uint8_t *jpeg = test_read_file(path, &n), *weights = test_read_file("weights/cifake.bin", &wn);
    cifake_detector *d = NULL;
    cf_error err;
    CHECK(jpeg && weights && cifake_open(weights, wn, &d, &err) == 0);
    cf_image img;
    cifake_result a, b, c;
    CHECK(d && cf_image_decode(jpeg, n, &img, &err) == 0);
    if (d && img.rgb) {
        uint8_t *rgba = malloc((size_t)img.width * img.height * 4);
        for (int i = 0; rgba && i < img.width * img.height; i++) {
            memcpy(rgba + 4 * i, img.rgb + 3 * i, 3);
            rgba[4 * i + 3] = 255;
        }
        CHECK(cifake_classify(d, jpeg, n, &a, &err) == 0);
        CHECK(cifake_classify_pixels(d, img.rgb, img.width, img.height, 3, &b, &err) == 0);
        CHECK(rgba && cifake_classify_pixels(d, rgba, img.width, img.height, 4, &c, &err) == 0);
        CHECK(a.p_fake == b.p_fake && b.p_fake == c.p_fake && a.label == c.label);
        CHECK(cifake_classify_pixels(d, rgba, img.width, img.height, 2, &c, &err) == -1 && strstr(err.msg, "channels"));
        CHECK(cifake_classify_pixels(d, rgba, 20000, 20000, 4, &c, &err) == -1 && strstr(err.msg, "over the limit"));
        free(rgba);
        cf_image_free(&img);
    }
    free(jpeg);
    free(weights);
    cifake_close(d);
}

/* rgb (w x h) mirrored left to right into out. */
static void mirror_rgb(const uint8_t *rgb, int w, int h, uint8_t *out) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) memcpy(out + ((size_t)y * w + x) * 3, rgb + ((size_t)y * w + w - 1 - x) * 3, 3);
}

/* tta=flip: the score is the mean of the logits of the image and its mirror, so an image and its
 * mirror get the same score, and the heatmap of one is the other's mirrored. */
TEST(flip_averaging_scores_and_explains_both_views) {
    const char *flip[] = {"tta=flip", NULL}, *none[] = {"tta=none", NULL};
    cifake_detector *tta = open_models(model_file(flip), no_model);
    cifake_detector *plain = open_models(model_file(none), no_model);
    CHECK(tta != NULL && plain != NULL);
    if (!tta || !plain) return;
    uint8_t *rgb = texture(32, 32, 5), mirrored[32 * 32 * 3];
    mirror_rgb(rgb, 32, 32, mirrored);
    cifake_result a, b, pa, pb;
    cf_error err;
    CHECK(!cifake_classify_pixels(plain, rgb, 32, 32, 3, &pa, &err));
    CHECK(!cifake_classify_pixels(plain, mirrored, 32, 32, 3, &pb, &err));
    CHECK(fabsf(pa.score - pb.score) > 1e-4f); /* the random model is not symmetric by itself */
    CHECK(!cifake_classify_pixels(tta, mirrored, 32, 32, 3, &b, &err));
    float cam_b[32 * 32], cam_a[32 * 32];
    CHECK(!cifake_explain(tta, CIFAKE_CAM_GRADCAM, 1, -1, cam_b, &err));
    CHECK(!cifake_classify_pixels(tta, rgb, 32, 32, 3, &a, &err));
    CHECK_NEAR(a.score, (pa.score + pb.score) / 2, 1e-5);
    CHECK_NEAR(a.score, b.score, 1e-5);
    CHECK_NEAR(a.p_fake, 1.0f / (1.0f + expf(-a.score / 1.5f)), 1e-6); /* the file's temperature, 1.5 */
    CHECK(!cifake_explain(tta, CIFAKE_CAM_GRADCAM, 1, -1, cam_a, &err));
    float worst = 0.0f, top = 0.0f;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            float d = fabsf(cam_a[y * 32 + x] - cam_b[y * 32 + 31 - x]);
            if (d > worst) worst = d;
            if (cam_a[y * 32 + x] > top) top = cam_a[y * 32 + x];
        }
    CHECK_NEAR(worst, 0.0, 1e-4);
    CHECK(top > 0.0f); /* a map, not all zeros */
    /* explaining again gives the same map: the image's own pass is restored after the mirror's */
    float again[32 * 32];
    CHECK(!cifake_explain(tta, CIFAKE_CAM_GRADCAM, 1, -1, again, &err));
    CHECK(!memcmp(again, cam_a, sizeof again));
    free(rgb);
    cifake_close(tta);
    cifake_close(plain);

    /* only for thumbnails, and only known values */
    const char *bad[] = {"tta=rotate", NULL};
    CHECK(open_models(model_file(bad), no_model) == NULL);
    const char *flip_patches[] = {"view=patches", "tta=flip", NULL};
    CHECK(open_models(model_file(flip_patches), no_model) == NULL);
}

/* Each model's metadata through the public API: by index and by key, out-of-range asks give NULL. */
TEST(metadata_of_each_model_by_index_and_by_key) {
    const char *first[] = {"name=first model", NULL}, *second[] = {"name=second model", "tta=flip", NULL};
    cifake_detector *d = open_models(model_file(first), model_file(second));
    CHECK(d != NULL);
    if (!d) return;
    CHECK(cifake_model_count(d) == 2);
    CHECK(!strcmp(cifake_meta_get(d, 0, "name"), "first model"));
    CHECK(!strcmp(cifake_meta_get(d, 1, "name"), "second model"));
    CHECK(cifake_meta_get(d, 0, "tta") == NULL);
    CHECK(!strcmp(cifake_meta_get(d, 1, "tta"), "flip"));
    CHECK(!strcmp(cifake_meta_get(d, 1, "temperature"), "1.5"));
    int n = cifake_meta_count(d, 1), found = 0;
    CHECK(n >= 9); /* spec, input, mean, std, classes, threshold, temperature, name, tta */
    for (int i = 0; i < n; i++) {
        const char *k = cifake_meta_key(d, 1, i), *v = cifake_meta_value(d, 1, i);
        CHECK(k != NULL && v != NULL);
        if (k && v && !strcmp(k, "name")) found += !strcmp(v, "second model");
        if (k && v) CHECK(!strcmp(cifake_meta_get(d, 1, k), v)); /* by index and by key agree */
    }
    CHECK(found == 1);
    CHECK(cifake_meta_key(d, 1, n) == NULL && cifake_meta_value(d, 1, -1) == NULL);
    CHECK(cifake_meta_get(d, 2, "name") == NULL && cifake_meta_count(d, 2) == 0 && cifake_meta_count(d, -1) == 0);
    cifake_close(d);
}
