/* exports.c - the WebAssembly face of the cifake core: src/cifake.h behind signatures made only of
 * 32-bit integers, floats and pointers into the module's linear memory, for web/detector.js.
 *
 *   h = cfw_open(weights, n)              handle, or 0 (message: cfw_last_error())
 *   cfw_classify(h, bytes, n)             0, or -1 (message: cfw_last_error()); then
 *     cfw_label(h) cfw_p_fake(h) cfw_score(h) cfw_width(h) cfw_height(h)
 *   cfw_input(h)                          the last classified image's normalised model input (3*32*32
 *                                         floats, CHW), or 0
 *   cfw_predict(h, input, n, p_fake, score)   n normalised images (n*3*32*32 floats) in one forward
 *                                         pass: n probabilities (and n scores unless score is 0)
 *   cfw_explain(h, method, target, cam)   cam: 32*32 floats in [0, 1]  (method 0 Grad-CAM, 1 Grad-CAM++)
 *   cfw_render(h, cam, side, cmap, alpha, rgba)   rgba: side*side*4 bytes (cmap 0 turbo, 1 jet, 2 viridis)
 *   cfw_meta_count(h) cfw_meta_key(h, i) cfw_meta_value(h, i)   NUL-terminated UTF-8, owned by h
 *   cfw_close(h)
 *   cfw_alloc(n) / cfw_free(p)            buffers for the caller to fill or read
 *   cfw_max_image_bytes()                 the encoded-size limit (image.h)
 *
 * Nothing here aborts or prints: every failure is a status plus a message. The only state outside a
 * handle is the last error message, a fixed buffer, so failing calls cannot leak. The module is
 * single-threaded (one instance per Web Worker). */
#include <stdlib.h>
#include <string.h>

#include "cifake.h"
#include "image.h"
#include "simd.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define CFW_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define CFW_EXPORT
#endif

typedef struct {
    cifake_detector *d;
    cifake_result res;
    int has_result;
} cfw_handle;

static cf_error last_error;

static int fail(const char *msg) {
    cf_fail(&last_error, "%s", msg);
    return -1;
}

CFW_EXPORT void *cfw_alloc(int n) {
    if (n < 0) return NULL;
    return malloc(n > 0 ? (size_t)n : 1);
}

CFW_EXPORT void cfw_free(void *p) { free(p); }

CFW_EXPORT const char *cfw_last_error(void) { return last_error.msg; }

CFW_EXPORT const char *cfw_simd(void) { return CF_SIMD_NAME; }

/* The encoded-size limit, so detector.js can refuse a larger input before copying it into linear
 * memory (which never shrinks: one 1 GB drop would keep the module at 1 GB). */
CFW_EXPORT double cfw_max_image_bytes(void) { return (double)CF_IMAGE_MAX_BYTES; }

CFW_EXPORT cfw_handle *cfw_open(const uint8_t *weights, int n) {
    last_error.msg[0] = 0;
    if (!weights || n <= 0) {
        fail("empty weight file (0 bytes)");
        return NULL;
    }
    cfw_handle *h = calloc(1, sizeof *h);
    if (!h) {
        fail("out of memory");
        return NULL;
    }
    if (cifake_open(weights, (size_t)n, &h->d, &last_error)) {
        free(h);
        return NULL;
    }
    return h;
}

CFW_EXPORT void cfw_close(cfw_handle *h) {
    if (!h) return;
    cifake_close(h->d);
    free(h);
}

CFW_EXPORT int cfw_classify(cfw_handle *h, const uint8_t *image, int n) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    h->has_result = 0;
    if (n < 0) return fail("negative image size");
    if (!image && n > 0) return fail("no image bytes");
    static const uint8_t none[1] = {0};
    if (cifake_classify(h->d, image ? image : none, (size_t)n, &h->res, &last_error)) return -1;
    h->has_result = 1;
    return 0;
}

/* Result of the last successful cfw_classify (zeros after a failed one). */
CFW_EXPORT int cfw_label(const cfw_handle *h) { return h && h->has_result ? h->res.label : 0; }
CFW_EXPORT float cfw_p_fake(const cfw_handle *h) { return h && h->has_result ? h->res.p_fake : 0.0f; }
CFW_EXPORT float cfw_score(const cfw_handle *h) { return h && h->has_result ? h->res.score : 0.0f; }
CFW_EXPORT int cfw_width(const cfw_handle *h) { return h && h->has_result ? h->res.width : 0; }
CFW_EXPORT int cfw_height(const cfw_handle *h) { return h && h->has_result ? h->res.height : 0; }
CFW_EXPORT float cfw_threshold(const cfw_handle *h) { return h ? cifake_params(h->d)->threshold : 0.0f; }

CFW_EXPORT const float *cfw_input(const cfw_handle *h) { return h && h->has_result ? cifake_input(h->d) : NULL; }

CFW_EXPORT int cfw_predict(cfw_handle *h, const float *input, int n, float *p_fake, float *score) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!input || !p_fake) return fail("no input or output buffer");
    return cifake_predict(h->d, input, n, p_fake, score, &last_error) ? -1 : 0;
}

/* target: 0 REAL, 1 FAKE, -1 the predicted class; the last convolution's feature map. */
CFW_EXPORT int cfw_explain(cfw_handle *h, int method, int target, float *cam32) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!cam32) return fail("no output buffer for the map");
    if (method != CF_CAM_GRADCAM && method != CF_CAM_GRADCAMPP) return fail("unknown CAM method (0 Grad-CAM, 1 Grad-CAM++)");
    if (target < -1 || target > 1) return fail("target class must be 0 (REAL), 1 (FAKE) or -1 (predicted)");
    if (!h->has_result) return fail("no classified image to explain (classify one first)");
    return cifake_explain(h->d, (cf_cam_method)method, target, -1, cam32, &last_error) ? -1 : 0;
}

CFW_EXPORT int cfw_render(cfw_handle *h, const float *cam32, int side, int cmap, float alpha, uint8_t *rgba) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!cam32 || !rgba) return fail("no map or output buffer");
    if (cmap < CF_COLORMAP_TURBO || cmap > CF_COLORMAP_VIRIDIS) return fail("unknown colour map (0 turbo, 1 jet, 2 viridis)");
    if (!(alpha >= 0.0f && alpha <= 1.0f)) return fail("alpha must be in [0, 1]");
    if (!h->has_result) return fail("no classified image to draw on (classify one first)");
    return cifake_render(h->d, cam32, side, (cf_colormap)cmap, alpha, rgba, &last_error) ? -1 : 0;
}

CFW_EXPORT int cfw_meta_count(const cfw_handle *h) { return h ? cifake_meta(h->d)->n : 0; }

CFW_EXPORT const char *cfw_meta_key(const cfw_handle *h, int i) {
    if (!h || i < 0 || i >= cifake_meta(h->d)->n) return NULL;
    return cifake_meta(h->d)->key[i];
}

CFW_EXPORT const char *cfw_meta_value(const cfw_handle *h, int i) {
    if (!h || i < 0 || i >= cifake_meta(h->d)->n) return NULL;
    return cifake_meta(h->d)->value[i];
}
