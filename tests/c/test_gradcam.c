/* Grad-CAM and the detector API: maps in range, the all-zero case, refusals, resizing, colour maps,
 * blending, and classify -> explain -> render on real sample images. */
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "fixtures.h"
#include "test.h"

TEST(cam_feature_layer_choice_and_refusals) {
    cf_model m;
    cf_error err = {{0}};
    cf_model_build(&m, "c8,bn,relu,mp,c4,relu,gap,d1", (cf_shape){3, 16, 16}, &err);
    int f = -1;
    CHECK(cf_cam_feature_layer(&m, -1, &f, &err) == 0 && f == 5); /* c4 then relu */
    CHECK(cf_cam_feature_layer(&m, 0, &f, &err) == 0 && f == 2);  /* c8, bn, relu */
    CHECK(cf_cam_feature_layer(&m, 3, &f, &err) == -1 && strstr(err.msg, "not a convolution"));
    cf_model_free(&m);
    cf_model_build(&m, "flat,d4,relu,d1", (cf_shape){3, 4, 4}, &err);
    CHECK(cf_cam_feature_layer(&m, -1, &f, &err) == -1 && strstr(err.msg, "no convolution"));
    cf_model_free(&m);
}

TEST(cam_all_zero_map_is_zeros_not_nan) {
    /* all-zero weights and biases: no positive evidence anywhere */
    cf_model m;
    cf_error err;
    cf_model_build(&m, "c4,relu,gap,d1", (cf_shape){3, 8, 8}, &err);
    cf_workspace ws;
    cf_workspace_init(&ws, &m, 1, 1, &err);
    float x[192];
    for (int i = 0; i < 192; i++) x[i] = (float)(i % 7) - 3.0f;
    cf_forward(&m, &ws, x, 1, 0, 0, NULL);
    float map[64];
    int fh, fw;
    for (int method = 0; method < 2; method++) {
        CHECK(cf_gradcam(&m, &ws, 1, 1, (cifake_cam_method)method, map, &fh, &fw, &err) == 0);
        CHECK(fh == 8 && fw == 8);
        for (int i = 0; i < 64; i++) CHECK(map[i] == 0.0f);
    }
    cf_workspace_free(&ws);
    cf_model_free(&m);
}

TEST(cam_maps_are_normalised_and_targets_differ) {
    size_t n;
    uint8_t *w = test_random_weight_file("c8,bn,relu,mp,c16,bn,relu,gap,d1", 32, 5, NULL, &n); /* BN, so folding runs */
    cifake_detector *d;
    cf_error err;
    CHECK(cifake_open(w, n, &d, &err) == 0);
    uint8_t rgb[3072];
    for (int i = 0; i < 3072; i++) rgb[i] = (uint8_t)((i * 37) ^ (i >> 5));
    float cam[2][1024];
    CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAM, 1, -1, cam[0], &err) == -1 && strstr(err.msg, "classify one first"));
    cifake_result r;
    CHECK(cf_detector_classify_rgb(d, rgb, &r, &err) == 0);
    CHECK(r.p_fake > 0.0f && r.p_fake < 1.0f && r.width == 32);
    for (int target = 0; target < 2; target++) {
        CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAMPP, target, -1, cam[target], &err) == 0);
        float lo = 1, hi = 0;
        for (int i = 0; i < 1024; i++) lo = cam[target][i] < lo ? cam[target][i] : lo, hi = cam[target][i] > hi ? cam[target][i] : hi;
        CHECK(lo >= 0.0f && hi <= 1.0f);
    }
    CHECK(memcmp(cam[0], cam[1], sizeof cam[0]) != 0);
    CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAM, -1, 2, cam[0], &err) == -1 && strstr(err.msg, "not a convolution"));
    /* explaining twice gives the same map: the backward pass leaves the forward state intact */
    float again[1024];
    CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAMPP, 1, -1, again, &err) == 0);
    CHECK(memcmp(again, cam[1], sizeof again) == 0);
    uint8_t *rgba = malloc(256 * 256 * 4);
    CHECK(cifake_render(d, cam[1], 256, CIFAKE_COLORMAP_TURBO, 0.5f, rgba, &err) == 0);
    CHECK(rgba[3] == 255 && rgba[256 * 256 * 4 - 1] == 255);
    CHECK(cifake_render(d, cam[1], 0, CIFAKE_COLORMAP_TURBO, 0.5f, rgba, &err) == -1 && strstr(err.msg, "overlay size"));
    free(rgba);
    cifake_close(d);
    free(w);
}

TEST(bilinear_resize_matches_half_pixel_definition) {
    float src[4] = {0, 1, 2, 3}, dst[16];
    cf_resize_bilinear(src, 2, 2, dst, 4, 4);
    /* PyTorch interpolate(2x2 -> 4x4, bilinear, align_corners=False), row 0: 0, .25, .75, 1 */
    CHECK_NEAR(dst[0], 0.0, 1e-6);
    CHECK_NEAR(dst[1], 0.25, 1e-6);
    CHECK_NEAR(dst[2], 0.75, 1e-6);
    CHECK_NEAR(dst[3], 1.0, 1e-6);
    CHECK_NEAR(dst[5], 0.25 + 0.5, 1e-6); /* (y .25, x .25): 0.25*2*... */
    CHECK_NEAR(dst[15], 3.0, 1e-6);
    float same[4];
    cf_resize_bilinear(src, 2, 2, same, 2, 2);
    CHECK(memcmp(same, src, sizeof src) == 0);
}

TEST(colormaps_hit_their_published_endpoints) {
    uint8_t c[3];
    cf_colormap_rgb(CIFAKE_COLORMAP_VIRIDIS, 0.0f, c); /* viridis #440154 */
    CHECK(abs(c[0] - 0x44) <= 3 && abs(c[1] - 0x01) <= 3 && abs(c[2] - 0x54) <= 3);
    cf_colormap_rgb(CIFAKE_COLORMAP_VIRIDIS, 1.0f, c); /* #fde725 */
    CHECK(abs(c[0] - 0xfd) <= 3 && abs(c[1] - 0xe7) <= 3 && abs(c[2] - 0x25) <= 4);
    cf_colormap_rgb(CIFAKE_COLORMAP_TURBO, 0.0f, c); /* turbo: dark at 0, green in the middle, red at 1 */
    CHECK(c[0] + c[1] + c[2] < 150);
    cf_colormap_rgb(CIFAKE_COLORMAP_TURBO, 0.5f, c);
    CHECK(c[1] > c[0] && c[1] > c[2] && c[1] > 200);
    cf_colormap_rgb(CIFAKE_COLORMAP_TURBO, 1.0f, c);
    CHECK(c[0] > c[1] && c[0] > c[2] && c[0] > 100);
    cf_colormap_rgb(CIFAKE_COLORMAP_JET, 0.0f, c); /* jet: dark blue */
    CHECK(c[0] == 0 && c[1] == 0 && c[2] == 128);
    cf_colormap_rgb(CIFAKE_COLORMAP_JET, 0.5f, c); /* green-ish middle */
    CHECK(c[1] == 255);
    cf_colormap_rgb(CIFAKE_COLORMAP_TURBO, 0.0f / 0.0f, c); /* NaN is treated as 0, not UB */
    cifake_colormap cm;
    CHECK(cf_colormap_parse("viridis", &cm) == 0 && cm == CIFAKE_COLORMAP_VIRIDIS);
    CHECK(cf_colormap_parse("rainbow", &cm) == -1);
    cifake_cam_method mm;
    CHECK(cf_cam_method_parse("gradcampp", &mm) == 0 && mm == CIFAKE_CAM_GRADCAMPP);
    CHECK(cf_cam_method_parse("x", &mm) == -1);
}

TEST(blend_is_a_per_pixel_mix) {
    float map[2] = {0.0f, 1.0f};
    uint8_t rgb[6] = {200, 100, 0, 10, 20, 30}, out[8], col[3];
    cf_cam_blend(map, rgb, 2, 1, CIFAKE_COLORMAP_JET, 0.25f, out);
    cf_colormap_rgb(CIFAKE_COLORMAP_JET, 1.0f, col);
    CHECK(out[0] == (uint8_t)(0.75f * 200 + 0.25f * 0 + 0.5f) && out[3] == 255);
    CHECK(out[4] == (uint8_t)(0.75f * 10 + 0.25f * col[0] + 0.5f));
    cf_cam_blend(map, rgb, 2, 1, CIFAKE_COLORMAP_JET, 0.0f, out); /* alpha 0: the image itself */
    CHECK(out[0] == 200 && out[1] == 100 && out[5] == 20);
}
