/* Folder dataset tests (tools/lib/folders.c) and whole-image patch scores (infer_patch_scores): a small
 * folder tree of PNG files written here, with a manifest whose generator names hold commas and
 * spaces; loading at native resolution, selections, the source-split check, balanced sampling, the
 * training patch and the patch grid of an image's score. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fileio.h"
#include "folders.h"
#include "infer.h"
#include "model.h"
#include "patches.h"
#include "perturb.h"
#include "stb_image_write.h"
#include "test.h"

static void append_bytes(void *ctx, void *data, int size) {
    if (size > 0) cf_buffer_append(ctx, data, (size_t)size);
}

/* Pixel value of a test image at (x, y, channel): a pattern that differs between images by seed. */
static uint8_t pattern(int seed, int x, int y, int c) { return (uint8_t)((x * 7 + y * 13 + c * 50 + seed * 31) % 251); }

static int write_png(const char *dir, const char *rel, int w, int h, int seed) {
    uint8_t *rgb = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) rgb[((size_t)y * w + x) * 3 + c] = pattern(seed, x, y, c);
    cf_buffer png = {0};
    stbi_write_png_to_func(append_bytes, &png, w, h, 3, rgb, w * 3);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    cf_error err;
    int rc = png.failed || make_parent_dirs(path, &err) || write_file_atomic(path, png.data, png.len, &err);
    free(png.data);
    free(rgb);
    return rc;
}

static const char *MANIFEST = "crop\tclass\tgroup\tgenerator\tsource_file\n"
                              "real/cams/r1.png\treal\tcams\tcamera-photo\treal/cams/r1.png\n"
                              "real/cams/r2.png\treal\tcams\tcamera-photo\treal/cams/r2.png\n"
                              "real/flickr/f1.png\treal\tflickr\tcamera-photo\treal/flickr/f1.png\n"
                              "fake/gen/a_0.png\tfake\tgen\tmodel-x (v1, beta)\tfake/gen/a.png\n"
                              "fake/gen/a_1.png\tfake\tgen\tmodel-x (v1, beta)\tfake/gen/a.png\n"
                              "fake/gen/b_0.png\tfake\tgen\tmodel-y\tfake/gen/b.png\n";

/* Makes the test tree in a fresh temporary folder; returns 0 on success. */
static int make_tree(char *dir, size_t n, int with_manifest) {
    snprintf(dir, n, "/tmp/cifake-folders-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    int rc = write_png(dir, "real/cams/r1.png", 40, 30, 1) || write_png(dir, "real/cams/r2.png", 64, 64, 2) ||
             write_png(dir, "real/flickr/f1.png", 70, 70, 3) || write_png(dir, "fake/gen/a_0.png", 64, 64, 4) ||
             write_png(dir, "fake/gen/a_1.png", 64, 64, 5) || write_png(dir, "fake/gen/b_0.png", 80, 64, 6);
    if (!rc && with_manifest) {
        char path[512];
        cf_error err;
        snprintf(path, sizeof path, "%s/MANIFEST.tsv", dir);
        rc = write_file_atomic(path, MANIFEST, strlen(MANIFEST), &err);
    }
    return rc;
}

static void remove_tree(const char *dir) {
    static const char *const files[] = {"real/cams/r1.png", "real/cams/r2.png", "real/flickr/f1.png", "fake/gen/a_0.png",
                                        "fake/gen/a_1.png", "fake/gen/b_0.png", "MANIFEST.tsv", "real/cams",
                                        "real/flickr", "fake/gen", "real", "fake", ""};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
}

static int find(const folder_set *fs, const char *path) {
    for (int i = 0; i < fs->n; i++)
        if (!strcmp(fs->path[i], path)) return i;
    return -1;
}

/* The test tree (with its manifest) loaded with 32-pixel patches in mind; -1 (the test is skipped)
 * when no temporary folder can be written, -2 when loading fails. */
static int load_tree(char *dir, size_t n, folder_set *fs) {
    cf_error err;
    if (make_tree(dir, n, 1)) {
        test_skip("cannot write a temporary folder");
        return -1;
    }
    if (folders_load(fs, dir, NULL, NULL, 32, 1, NULL, &err)) {
        fprintf(stderr, "  loading the test tree: %s\n", err.msg);
        remove_tree(dir);
        return -2;
    }
    return 0;
}

TEST(folders_load_native_resolution_with_manifest_and_selections) {
    char dir[64];
    if (make_tree(dir, sizeof dir, 1)) {
        test_skip("cannot write a temporary folder");
        return;
    }
    folder_set fs;
    cf_error err;
    int small = -1;
    CHECK(folders_load(&fs, dir, NULL, NULL, 32, 1, &small, &err) == 0);
    CHECK(fs.n == 5 && small == 1); /* r1 is 40x30: too small for a 32-pixel patch */
    int b = find(&fs, "fake/gen/b_0.png"), a0 = find(&fs, "fake/gen/a_0.png"), a1 = find(&fs, "fake/gen/a_1.png");
    int f1 = find(&fs, "real/flickr/f1.png");
    CHECK(b >= 0 && a0 >= 0 && a1 >= 0 && f1 >= 0 && find(&fs, "real/cams/r1.png") < 0);
    if (b >= 0 && a0 >= 0 && a1 >= 0 && f1 >= 0) {
        CHECK(fs.width[b] == 80 && fs.height[b] == 64 && fs.label[b] == 1 && fs.label[f1] == 0); /* not resized */
        int same = 1;
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 80; x++)
                for (int c = 0; c < 3; c++) same &= fs.rgb[b][((size_t)y * 80 + x) * 3 + c] == pattern(6, x, y, c);
        CHECK(same);
        CHECK(!strcmp(fs.generator_name[fs.generator[a0]], "model-x (v1, beta)"));
        CHECK(fs.source[a0] == fs.source[a1] && fs.source[a0] != fs.source[b]);
        CHECK(!strcmp(fs.group_name[fs.group[b]], "gen"));
        folder_selection s;
        CHECK(folders_selection_parse(&s, "gen:model-x,flickr", &err) == 0 && s.n == 2);
        CHECK(folders_image_matches(&fs, a0, &s) && folders_image_matches(&fs, f1, &s) && !folders_image_matches(&fs, b, &s));
        folders_selection_free(&s);
        /* the crops of one source on two sides of a split are refused, naming the source */
        int *side = calloc((size_t)fs.n, sizeof(int));
        CHECK(folders_check_sources(&fs, side, &err) == 0);
        side[a1] = 1;
        CHECK(folders_check_sources(&fs, side, &err) == -1 && strstr(err.msg, "fake/gen/a.png"));
        free(side);
    }
    folders_free(&fs);
    /* only and skip */
    folder_selection only, skip;
    CHECK(folders_selection_parse(&only, "gen:model-y", &err) == 0);
    CHECK(folders_load(&fs, dir, &only, NULL, 32, 1, NULL, &err) == 0 && fs.n == 1);
    folders_free(&fs);
    CHECK(folders_selection_parse(&skip, "cams,gen:model-x", &err) == 0);
    CHECK(folders_load(&fs, dir, NULL, &skip, 32, 1, NULL, &err) == 0 && fs.n == 2);
    folders_free(&fs);
    CHECK(folders_load(&fs, dir, &only, &skip, 100, 1, NULL, &err) == -1 && strstr(err.msg, "at least 100x100"));
    folders_selection_free(&only);
    folders_selection_free(&skip);
    CHECK(folders_selection_parse(&only, "a,,b", &err) == -1 && strstr(err.msg, "empty name"));
    /* a file the manifest does not list */
    CHECK(write_png(dir, "fake/gen/c_0.png", 40, 40, 7) == 0);
    CHECK(folders_load(&fs, dir, NULL, NULL, 32, 1, NULL, &err) == -1 && strstr(err.msg, "fake/gen/c_0.png is not in"));
    char extra[128];
    snprintf(extra, sizeof extra, "%s/fake/gen/c_0.png", dir);
    remove(extra);
    remove_tree(dir);
}

TEST(folders_without_manifest_use_group_and_file) {
    char dir[64];
    if (make_tree(dir, sizeof dir, 0)) {
        test_skip("cannot write a temporary folder");
        return;
    }
    folder_set fs;
    cf_error err;
    CHECK(folders_load(&fs, dir, NULL, NULL, 16, 1, NULL, &err) == 0 && fs.n == 6);
    int a0 = find(&fs, "fake/gen/a_0.png"), a1 = find(&fs, "fake/gen/a_1.png");
    CHECK(a0 >= 0 && a1 >= 0);
    if (a0 >= 0 && a1 >= 0) {
        CHECK(!strcmp(fs.generator_name[fs.generator[a0]], "gen"));
        CHECK(fs.source[a0] != fs.source[a1]); /* each file is its own source */
    }
    folders_free(&fs);
    CHECK(folders_load(&fs, "/nonexistent/cifake", NULL, NULL, 16, 1, NULL, &err) == -1 && strstr(err.msg, "cannot open"));
    remove_tree(dir);
}

TEST(folders_sampler_balances_classes_and_units) {
    char dir[64];
    folder_set fs;
    cf_error err;
    int loaded = load_tree(dir, sizeof dir, &fs);
    CHECK(loaded != -2);
    if (loaded) return;
    int idx[8], n = fs.n, y = find(&fs, "fake/gen/b_0.png");
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int power = 0; power <= 1; power++) {
        folder_sampler s;
        CHECK(folders_sampler_init(&s, &fs, idx, n, 1, (float)power, &err) == 0);
        cf_rng rng = cf_rng_make(3, 4, 5);
        int draws = 6000, model_y = 0, wrong_class = 0;
        for (int k = 0; k < draws; k++) {
            int i = folders_sampler_draw(&s, 1, &rng);
            model_y += i == y;
            wrong_class += fs.label[i] != 1;
            wrong_class += fs.label[folders_sampler_draw(&s, 0, &rng)] != 0;
        }
        /* two generators of fakes, 2 and 1 images: alike (1/2 each) at power 0, by image (1/3) at power 1 */
        double share = (double)model_y / draws, want = power ? 1.0 / 3 : 0.5;
        CHECK_MSG(share > want - 0.03 && share < want + 0.03, "power %d: model-y share %.3f", power, share);
        CHECK(wrong_class == 0);
        folders_sampler_free(&s);
    }
    folders_free(&fs);
    remove_tree(dir);
}

/* Whether out is the normalised p x p window of rgb (w wide) at some offset, possibly mirrored. */
static int is_window(const float *out, const uint8_t *rgb, int w, int h, int p, double tol, double *best) {
    *best = 1e30;
    for (int y0 = 0; y0 + p <= h; y0++)
        for (int x0 = 0; x0 + p <= w; x0++)
            for (int flip = 0; flip < 2; flip++) {
                double d = 0;
                for (int c = 0; c < 3 && d <= *best * p * p * 3; c++)
                    for (int y = 0; y < p; y++)
                        for (int x = 0; x < p; x++) {
                            int sx = flip ? x0 + p - 1 - x : x0 + x;
                            double v = rgb[((size_t)(y0 + y) * w + sx) * 3 + c] / 255.0;
                            d += fabs(out[((size_t)c * p + y) * p + x] - v);
                        }
                d /= (double)p * p * 3;
                if (d < *best) *best = d;
            }
    return *best <= tol;
}

TEST(folders_train_patch_is_a_native_window_and_jpeg_stays_close) {
    char dir[64];
    folder_set fs;
    cf_error err;
    int loaded = load_tree(dir, sizeof dir, &fs);
    CHECK(loaded != -2);
    if (loaded) return;
    int b = find(&fs, "fake/gen/b_0.png");
    float mean[3] = {0, 0, 0}, std[3] = {1, 1, 1}, out[3 * 32 * 32];
    patch_augment none = {0, 0, 90, 90, 1, 0}, jpeg = {1, 1, 90, 95, 1, 0}, shrink = {0, 0, 90, 90, 0, 1};
    cf_rng rng = cf_rng_make(1, 2, 3);
    double best;
    for (int k = 0; k < 4 && b >= 0; k++) {
        CHECK(folders_train_patch(&fs, b, 32, &none, mean, std, &rng, out, &err) == 0);
        CHECK_MSG(is_window(out, fs.rgb[b], 80, 64, 32, 1e-6, &best), "closest window differs by %g", best);
        CHECK(folders_train_patch(&fs, b, 32, &jpeg, mean, std, &rng, out, &err) == 0);
        /* re-encoded twice at quality 90..95: no window exactly, but close to one (the pattern is sharp-edged) */
        CHECK_MSG(!is_window(out, fs.rgb[b], 80, 64, 32, 1e-6, &best) && best < 0.1, "closest window %g", best);
        /* shrunk: no native window any more */
        CHECK(folders_train_patch(&fs, b, 32, &shrink, mean, std, &rng, out, &err) == 0);
        CHECK_MSG(!is_window(out, fs.rgb[b], 80, 64, 32, 1e-3, &best), "a shrunk patch equals a native window");
    }
    folders_free(&fs);
    remove_tree(dir);
}

TEST(patch_scores_average_the_grid_covering_the_image) {
    /* "gap,d1" makes each patch's logit w . (channel means of the patch) + b, so the image score can be
     * written down from the grid: an 80x64 image with 32-pixel patches has columns at 0, 24, 48 (three:
     * ceil(80/32), the last ending at 80) and rows at 0, 32 */
    char dir[64];
    folder_set fs;
    cf_error err;
    cf_model m;
    int loaded = load_tree(dir, sizeof dir, &fs);
    CHECK(loaded != -2);
    if (loaded) return;
    CHECK(cf_model_build(&m, "gap,d1", (cf_shape){3, 32, 32}, &err) == 0);
    m.params[0] = 0.5f, m.params[1] = -1.0f, m.params[2] = 2.0f, m.params[3] = 0.25f;
    int b = find(&fs, "fake/gen/b_0.png");
    float mean[3] = {0.1f, 0.2f, 0.3f}, std[3] = {0.5f, 0.25f, 0.2f}, score = 0, recoded = 0;
    CHECK(b >= 0 && infer_patch_scores(&m, &fs, &b, 1, 32, 0, mean, std, 0, 1, &score, &err) == 0);
    double want = 0, left[2] = {0, 0};
    const int xs[3] = {0, 24, 48}, ys[2] = {0, 32};
    for (int gy = 0; gy < 2; gy++)
        for (int gx = 0; gx < 3; gx++) {
            double z = m.params[3];
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++) s += (pattern(6, xs[gx] + x, ys[gy] + y, c) / 255.0 - mean[c]) / std[c];
                z += m.params[c] * s / 1024;
            }
            want += z / 6;
            if (gx == 0) left[gy] = z;
        }
    CHECK_NEAR(score, want, 1e-4);
    /* a patch budget of 2 (the detector's spread sample, patches.h): one column of two, at the left */
    float sampled = 0;
    CHECK(infer_patch_scores(&m, &fs, &b, 1, 32, 2, mean, std, 0, 1, &sampled, &err) == 0);
    CHECK_NEAR(sampled, (left[0] + left[1]) / 2, 1e-5);
    CHECK(fabs(sampled - score) > 1e-3); /* not the whole grid's score */
    CHECK(infer_patch_scores(&m, &fs, &b, 1, 32, 0, mean, std, 90, 1, &recoded, &err) == 0);
    CHECK(recoded != score && fabs(recoded - score) < 0.2);
    /* as delivered on the web: the grid of the shrunk image, the same for the same seed and path */
    float web = 0, again = 0, other = 0;
    CHECK(infer_patch_scores_web(&m, &fs, &b, 1, 32, 0, mean, std, 1, 1, &web, &err) == 0);
    CHECK(infer_patch_scores_web(&m, &fs, &b, 1, 32, 0, mean, std, 1, 1, &again, &err) == 0);
    CHECK(infer_patch_scores_web(&m, &fs, &b, 1, 32, 0, mean, std, 2, 1, &other, &err) == 0);
    CHECK(web == again && web != score && fabs(web - score) < 0.3);
    CHECK(other != web);
    {
        int w, h, q;
        perturb_web_draw(1, infer_image_key(&fs, b), fs.width[b], fs.height[b], 32, &w, &h, &q);
        uint8_t *px = malloc((size_t)w * h * 3);
        CHECK(px && perturb_web_rgb(1, infer_image_key(&fs, b), fs.width[b], fs.height[b], 32, fs.rgb[b], px, &err) == 0);
        if (px) { /* gap,d1: the mean over the grid's patches of the linear map of their channel means */
            int cx = cf_patch_count(w, 32), cy = cf_patch_count(h, 32);
            double want_web = 0;
            for (int gy = 0; gy < cy; gy++)
                for (int gx = 0; gx < cx; gx++) {
                    int x0 = cf_patch_offset(gx, cx, w, 32), y0 = cf_patch_offset(gy, cy, h, 32);
                    double z = m.params[3];
                    for (int c = 0; c < 3; c++) {
                        double s = 0;
                        for (int y = 0; y < 32; y++)
                            for (int x = 0; x < 32; x++)
                                s += (px[((size_t)(y0 + y) * w + x0 + x) * 3 + c] / 255.0 - mean[c]) / std[c];
                        z += m.params[c] * s / 1024;
                    }
                    want_web += z / (cx * cy);
                }
            CHECK_NEAR(web, want_web, 1e-4);
        }
        free(px);
    }
    CHECK(infer_patch_scores(&m, &fs, &b, 1, 64, 0, mean, std, 0, 1, &score, &err) == -1 && strstr(err.msg, "not 3x64x64"));
    cf_model_free(&m);
    folders_free(&fs);
    remove_tree(dir);
}
