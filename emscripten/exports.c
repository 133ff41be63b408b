/* exports.c - the WebAssembly face of the cifake core: src/cifake.h behind signatures made only of
 * 32-bit integers, floats and pointers into the module's linear memory, for web/detector.js.
 *
 *   h = cfw_open(weights, n)              handle, or 0 (message: cfw_last_error())
 *   cfw_add_model(h, weights, n)          0, or -1: another model, tried after the ones before
 *   cfw_classify(h, bytes, n)             0, or -1 (message: cfw_last_error()); then
 *     cfw_label(h) (0 REAL, 1 FAKE, 2 UNSURE) cfw_scope(h) cfw_p_fake(h) cfw_score(h) cfw_width(h)
 *     cfw_height(h) cfw_model(h) cfw_view(h) cfw_reason(h) cfw_detail(h) cfw_reliability(h)
 *     cfw_geometry(h, out)                out: 7 ints (region x, y, width, height; patch side, cols, rows)
 *     cfw_patches(h, x, y, p_fake, cap)   the patch scores (patch models)
 *   cfw_classify_pixels(h, pixels, w, h, channels)   the same for decoded RGB or RGBA pixels
 *   cfw_cam_side(h)                       side of the map cfw_explain writes
 *   cfw_input(h)                          the last classified image's normalised model input (3*32*32
 *                                         floats, CHW), or 0
 *   cfw_predict(h, input, n, p_fake, score)   n normalised images (n*3*32*32 floats) in one forward
 *                                         pass: n probabilities (and n scores unless score is 0)
 *   cfw_explain(h, method, target, cam)   cam: side*side floats in [0, 1]  (method 0 Grad-CAM, 1 Grad-CAM++)
 *   cfw_render(h, cam, side, cmap, alpha, rgba)   rgba: side*side*4 bytes (cmap 0 turbo, 1 jet, 2 viridis)
 *   cfw_model_count(h) cfw_meta_count(h, m) cfw_meta_key(h, m, i) cfw_meta_value(h, m, i)
 *                                         model m's metadata, NUL-terminated UTF-8, owned by h
 *   cfw_close(h)
 *   cfw_provenance(h, bytes, n, rgba, w, hh)   reads what the file declares about its origin (metadata;
 *                                         A1111 stealth data in a PNG's alpha channel, and in rgba, w x hh
 *                                         pixels the caller decoded, when rgba is not 0):
 *                                         the "provenance" JSON of cifake-detect --json, owned by h, or 0
 *                                         (out of memory: cfw_last_error()); C2PA not yet checked
 *   cfw_provenance_json(h)                that JSON again, after a cfw_provenance_set_c2pa_status
 *   cfw_provenance_c2pa_store(h, size)    the C2PA manifest store as found (bytes owned by h; *size), or 0
 *   cfw_provenance_set_c2pa_status(h, status, signer, problem)   a verifier's result for the C2PA
 *                                         signal (status: cf_verified, 0 n/a .. 5 invalid)
 *   cfw_provenance_decide(h)              the verdict rules (src/provenance.h) on the last classification:
 *                                         cfw_label and cfw_reason then give the combined verdict
 *   cfw_alloc(n) / cfw_free(p)            buffers for the caller to fill or read
 *   cfw_max_image_bytes()                 the encoded-size limit (image.h)
 *
 * Nothing here aborts or prints: every failure is a status plus a message. The only state outside a
 * handle is the last error message, a fixed buffer, so failing calls cannot leak. The module is
 * single-threaded (one instance per Web Worker). */
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "image.h"
#include "provenance.h"
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
    cifake_result pixel_res; /* the pixel model's verdict alone, before the provenance rules */
    cf_provenance prov;      /* the last file's provenance (cfw_provenance) */
    int has_prov;
    char *prov_json;         /* its JSON, NUL-terminated */
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

CFW_EXPORT int cfw_add_model(cfw_handle *h, const uint8_t *weights, int n) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!weights || n <= 0) return fail("empty weight file (0 bytes)");
    return cifake_add_model(h->d, weights, (size_t)n, &last_error) ? -1 : 0;
}

static void forget_provenance(cfw_handle *h) {
    if (h->has_prov) cf_provenance_free(&h->prov);
    h->has_prov = 0;
    free(h->prov_json);
    h->prov_json = NULL;
}

CFW_EXPORT void cfw_close(cfw_handle *h) {
    if (!h) return;
    forget_provenance(h);
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
    h->pixel_res = h->res;
    h->has_result = 1;
    return 0;
}

CFW_EXPORT int cfw_classify_pixels(cfw_handle *h, const uint8_t *pixels, int width, int height, int channels) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    h->has_result = 0;
    if (!pixels) return fail("no pixels");
    if (cifake_classify_pixels(h->d, pixels, width, height, channels, &h->res, &last_error)) return -1;
    h->pixel_res = h->res;
    h->has_result = 1;
    return 0;
}

/* Result of the last successful classification (zeros after a failed one). */
CFW_EXPORT int cfw_label(const cfw_handle *h) { return h && h->has_result ? (int)h->res.label : 0; }
CFW_EXPORT int cfw_scope(const cfw_handle *h) { return h && h->has_result ? (int)h->res.scope : 0; }
CFW_EXPORT int cfw_model(const cfw_handle *h) { return h && h->has_result ? h->res.model : -1; }
CFW_EXPORT int cfw_view(const cfw_handle *h) { return h && h->has_result ? (int)h->res.view : 0; }
CFW_EXPORT const char *cfw_reason(const cfw_handle *h) { return h && h->has_result ? h->res.reason : ""; }
CFW_EXPORT const char *cfw_detail(const cfw_handle *h) { return h && h->has_result ? h->res.detail : ""; }
CFW_EXPORT const char *cfw_reliability(const cfw_handle *h) {
    return h && h->has_result && h->res.reliability ? h->res.reliability : "";
}

CFW_EXPORT int cfw_geometry(const cfw_handle *h, int *out) {
    if (!h || !h->has_result || !out) return -1;
    const cifake_result *r = &h->res;
    int values[7] = {r->region_x, r->region_y, r->region_width, r->region_height, r->patch_side, r->patch_cols,
                     r->patch_rows};
    memcpy(out, values, sizeof values);
    return 0;
}

CFW_EXPORT int cfw_patches(const cfw_handle *h, int *x, int *y, float *p_fake, int cap) {
    return h && h->has_result ? cifake_patches(h->d, x, y, p_fake, cap) : 0;
}

CFW_EXPORT int cfw_cam_side(const cfw_handle *h) { return h ? cifake_cam_side(h->d) : 0; }
CFW_EXPORT float cfw_p_fake(const cfw_handle *h) { return h && h->has_result ? h->res.p_fake : 0.0f; }
CFW_EXPORT float cfw_score(const cfw_handle *h) { return h && h->has_result ? h->res.score : 0.0f; }
CFW_EXPORT int cfw_width(const cfw_handle *h) { return h && h->has_result ? h->res.width : 0; }
CFW_EXPORT int cfw_height(const cfw_handle *h) { return h && h->has_result ? h->res.height : 0; }
CFW_EXPORT float cfw_threshold(const cfw_handle *h) { return h ? cf_detector_params(h->d)->threshold : 0.0f; }

CFW_EXPORT const float *cfw_input(const cfw_handle *h) { return h && h->has_result ? cf_detector_input(h->d) : NULL; }

CFW_EXPORT int cfw_predict(cfw_handle *h, const float *input, int n, float *p_fake, float *score) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!input || !p_fake) return fail("no input or output buffer");
    return cf_detector_predict(h->d, input, n, p_fake, score, &last_error) ? -1 : 0;
}

/* target: 0 REAL, 1 FAKE, -1 the predicted class; the last convolution's feature map. */
CFW_EXPORT int cfw_explain(cfw_handle *h, int method, int target, float *cam) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!cam) return fail("no output buffer for the map");
    if (method != CIFAKE_CAM_GRADCAM && method != CIFAKE_CAM_GRADCAMPP) return fail("unknown CAM method (0 Grad-CAM, 1 Grad-CAM++)");
    if (target < -1 || target > 1) return fail("target class must be 0 (REAL), 1 (FAKE) or -1 (predicted)");
    if (!h->has_result) return fail("no classified image to explain (classify one first)");
    return cifake_explain(h->d, (cifake_cam_method)method, target, -1, cam, &last_error) ? -1 : 0;
}

CFW_EXPORT int cfw_render(cfw_handle *h, const float *cam, int side, int cmap, float alpha, uint8_t *rgba) {
    last_error.msg[0] = 0;
    if (!h) return fail("no detector");
    if (!cam || !rgba) return fail("no map or output buffer");
    if (cmap < CIFAKE_COLORMAP_TURBO || cmap > CIFAKE_COLORMAP_VIRIDIS) return fail("unknown colour map (0 turbo, 1 jet, 2 viridis)");
    if (!(alpha >= 0.0f && alpha <= 1.0f)) return fail("alpha must be in [0, 1]");
    if (!h->has_result) return fail("no classified image to draw on (classify one first)");
    return cifake_render(h->d, cam, side, (cifake_colormap)cmap, alpha, rgba, &last_error) ? -1 : 0;
}

CFW_EXPORT int cfw_model_count(const cfw_handle *h) { return h ? cifake_model_count(h->d) : 0; }
CFW_EXPORT int cfw_meta_count(const cfw_handle *h, int model) { return h ? cifake_meta_count(h->d, model) : 0; }

CFW_EXPORT const char *cfw_meta_key(const cfw_handle *h, int model, int i) {
    return h ? cifake_meta_key(h->d, model, i) : NULL;
}

CFW_EXPORT const char *cfw_meta_value(const cfw_handle *h, int model, int i) {
    return h ? cifake_meta_value(h->d, model, i) : NULL;
}

/* ---- provenance ---------------------------------------------------------------------------------- */

static const char *provenance_to_json(cfw_handle *h) {
    free(h->prov_json);
    h->prov_json = NULL;
    cf_buffer b = {0};
    cf_provenance_json(&h->prov, &b);
    cf_buffer_append(&b, "", 1);
    if (b.failed) {
        free(b.data);
        fail("out of memory writing the provenance");
        return NULL;
    }
    h->prov_json = (char *)b.data;
    return h->prov_json;
}

CFW_EXPORT const char *cfw_provenance(cfw_handle *h, const uint8_t *bytes, int n, const uint8_t *rgba, int width,
                                      int height) {
    last_error.msg[0] = 0;
    if (!h || n < 0 || (!bytes && n > 0)) {
        fail(h ? "no file bytes" : "no detector");
        return NULL;
    }
    forget_provenance(h);
    static const uint8_t none[1] = {0};
    if (cf_provenance_read(bytes ? bytes : none, (size_t)n, &h->prov, &last_error)) return NULL;
    h->has_prov = 1;
    /* the core reads a PNG's own alpha channel; pixels decoded elsewhere (e.g. a WebP) come as rgba */
    if (rgba && width > 0 && height > 0 && cf_provenance_read_stealth(&h->prov, rgba, width, height, &last_error))
        return NULL;
    return provenance_to_json(h);
}

CFW_EXPORT const char *cfw_provenance_json(cfw_handle *h) {
    return h && h->has_prov ? (h->prov_json ? h->prov_json : provenance_to_json(h)) : NULL;
}

CFW_EXPORT const uint8_t *cfw_provenance_c2pa_store(const cfw_handle *h, int *size) {
    if (size) *size = 0;
    if (!h || !h->has_prov || !h->prov.c2pa_store) return NULL;
    if (size) *size = (int)h->prov.c2pa_store_size; /* <= CF_PROV_MAX_STORE */
    return h->prov.c2pa_store;
}

CFW_EXPORT int cfw_provenance_set_c2pa_status(cfw_handle *h, int status, const char *signer, const char *problem) {
    last_error.msg[0] = 0;
    if (!h || !h->has_prov) return fail("no provenance read (call cfw_provenance first)");
    if (status < CF_VERIFIED_NA || status > CF_VERIFIED_INVALID) return fail("unknown C2PA status");
    if (h->prov.c2pa_signal < 0) return fail("the file has no Content Credentials to set a status on");
    cf_provenance_set_c2pa_status(&h->prov, (cf_verified)status, signer ? signer : "", problem ? problem : "");
    return provenance_to_json(h) ? 0 : -1;
}

/* Always from the pixel verdict alone, so deciding again after a new C2PA status gives the same
 * result as deciding once. */
CFW_EXPORT int cfw_provenance_decide(cfw_handle *h) {
    last_error.msg[0] = 0;
    if (!h || !h->has_prov) return fail("no provenance read (call cfw_provenance first)");
    if (!h->has_result) return fail("no classified image to decide on");
    h->res = h->pixel_res;
    cf_provenance_decide(&h->prov, &h->res);
    return 0;
}
