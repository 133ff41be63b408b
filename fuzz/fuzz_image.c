/* fuzz_image.c - libFuzzer target for the image path through the public API (src/cifake.h):
 * decode + limits + centre crop and resize + classify, then Grad-CAM, Grad-CAM++ and rendering when
 * the image was accepted. Every input must give a result or a clean error; the sanitizers
 * (address, undefined) turn anything else into a crash.
 *
 * One detector serves every input, as the CLI and the page keep one detector for many images: a
 * small model made in memory, or the weight file $CIFAKE_WEIGHTS (fuzz_common.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "fuzz_common.h"

static cifake_detector *detector;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    detector = fuzz_open_detector();
    return 0;
}

/* Anything accepted must look sane: a size within the limits, a probability, a map in [0, 1]. */
static void check_result(const cifake_result *r) {
    if (r->width < 1 || r->height < 1 || r->width > CF_IMAGE_MAX_SIDE || r->height > CF_IMAGE_MAX_SIDE ||
        (size_t)r->width * (size_t)r->height > CF_IMAGE_MAX_PIXELS)
        fuzz_die("accepted an image of %dx%d pixels, outside the limits", r->width, r->height);
    if (!(r->p_fake >= 0.0f && r->p_fake <= 1.0f)) fuzz_die("p_fake %g is not a probability", (double)r->p_fake);
}

static void explain_and_render(void) {
    float cam[CF_MODEL_SIDE * CF_MODEL_SIDE];
    uint8_t rgba[40 * 40 * 4];
    cf_error err;
    for (int method = CIFAKE_CAM_GRADCAM; method <= CIFAKE_CAM_GRADCAMPP; method++) {
        if (cifake_explain(detector, (cifake_cam_method)method, -1, -1, cam, &err)) fuzz_die("explain failed: %s", err.msg);
        for (int i = 0; i < CF_MODEL_SIDE * CF_MODEL_SIDE; i++)
            if (!(cam[i] >= 0.0f && cam[i] <= 1.0f)) fuzz_die("map value %g outside [0, 1]", (double)cam[i]);
    }
    if (cifake_render(detector, cam, 40, CIFAKE_COLORMAP_TURBO, 0.5f, rgba, &err)) fuzz_die("render failed: %s", err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cifake_result r;
    cf_error err = {{0}};
#ifdef FUZZ_JPEG_ONLY /* fuzz-jpeg-msan (fuzz.mk): the JPEG walk alone, without stb_image's zeroed buffers */
    if (size < 3 || memcmp(data, "\xFF\xD8\xFF", 3) != 0) return 0;
#endif
    if (cifake_classify(detector, data, size, &r, &err) == 0) {
        check_result(&r);
        explain_and_render();
    } else if (!err.msg[0]) {
        fuzz_die("classify failed without a message");
    } else {
        float cam[CF_MODEL_SIDE * CF_MODEL_SIDE]; /* a failed classify leaves nothing to explain */
        if (cifake_explain(detector, CIFAKE_CAM_GRADCAM, -1, -1, cam, &err) == 0)
            fuzz_die("explain succeeded after a failed classify");
    }
    return 0;
}
