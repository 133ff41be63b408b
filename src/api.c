/* api.c - the public detector (cifake.h) over the engine: models in order of preference, each with
 * the scope its weight file states, routing, the UNSURE rules, and per-image state for explanations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "loaded_model.h"
#include "image.h"
#include "image_resize.h"
#include "patches.h"

#define CF_PREDICT_MAX_BATCH 1024
/* Patches run through a patch model this many at a time: large enough to keep the kernels busy,
 * small enough that the workspace stays a few MB whatever the image size. */
#define CF_PATCH_BATCH 32

/* Rendering needs the image the user sees, not what the model sees; keeping the analysed square at
 * a bounded size keeps memory flat whatever the input size. */
#define CF_KEEP_SIDE 1024
#define CF_RENDER_MAX_SIDE 2048

/* One model the detector holds: the loaded model (read-only once open) and the state it runs in. */
typedef struct {
    cf_loaded_model loaded;
    cf_workspace ws; /* batch 1 (thumbnail) or CF_PATCH_BATCH (patches), one thread */
    float *input;    /* normalised input of one batch */
    uint8_t *pixels; /* one image or patch of side x side RGB */
    int ws_mirrored; /* the workspace holds the pass over the mirrored pixels (flip averaging) */
} model_slot;

struct cifake_detector {
    model_slot slot[CIFAKE_MAX_MODELS];
    int n_models;
    /* The last image a thumbnail model looked at: Grad-CAM and rendering work on it. */
    int cam_model;   /* its slot, -1 none */
    int cam_label;   /* its predicted class (p_fake >= threshold), the default CAM target */
    int has_input;   /* slot 0's input holds the last image it classified */
    cf_image shown;  /* the analysed square, at most CF_KEEP_SIDE pixels wide */
    /* The last image a patch model looked at, its patches, and a copy at most CF_KEEP_SIDE wide. */
    cf_image whole;
    int source_width, source_height; /* the image the patches were taken from */
    int patch_side, n_patches, patch_cols, patch_cap;
    int *patch_x, *patch_y;
    float *patch_p;
    cf_workspace batch_ws; /* for cf_detector_predict, apart from the slots' so Grad-CAM state survives */
    int batch_cap;
};

/* ---- opening: a loaded model (loaded_model.h) and the state the detector runs it in ---- */

static void slot_free(model_slot *s) {
    if (s->ws.max_batch) cf_workspace_free(&s->ws);
    cf_loaded_model_free(&s->loaded);
    free(s->pixels);
    free(s->input);
    memset(s, 0, sizeof *s);
}

static int slot_open(model_slot *s, const uint8_t *weights, size_t n, cf_error *err) {
    memset(s, 0, sizeof *s);
    if (cf_loaded_model_open(&s->loaded, weights, n, err)) return -1;
    const cf_loaded_model *m = &s->loaded;
    int batch = m->view == CIFAKE_VIEW_PATCHES ? CF_PATCH_BATCH : 1;
    int rc = cf_workspace_init(&s->ws, &m->model, batch, 1, err);
    if (!rc) rc = cf_workspace_freeze_weights(&s->ws, &m->model, err);
    if (!rc) {
        s->input = malloc(sizeof(float) * batch * 3 * m->side * m->side);
        s->pixels = malloc((size_t)m->side * m->side * 3);
        if (!s->input || !s->pixels) rc = cf_fail(err, "out of memory");
    }
    if (rc) slot_free(s);
    return rc;
}

int cifake_open(const uint8_t *weights, size_t n, cifake_detector **out, cf_error *err) {
    *out = NULL;
    cifake_detector *d = calloc(1, sizeof *d);
    if (!d) return cf_fail(err, "out of memory");
    d->cam_model = -1;
    if (cifake_add_model(d, weights, n, err)) {
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

int cifake_add_model(cifake_detector *d, const uint8_t *weights, size_t n, cf_error *err) {
    if (d->n_models == CIFAKE_MAX_MODELS) return cf_fail(err, "a detector holds at most %d models", CIFAKE_MAX_MODELS);
    if (slot_open(&d->slot[d->n_models], weights, n, err)) return -1;
    d->n_models++;
    return 0;
}

void cifake_close(cifake_detector *d) {
    if (!d) return;
    for (int k = 0; k < d->n_models; k++) slot_free(&d->slot[k]);
    cf_image_free(&d->shown);
    cf_image_free(&d->whole);
    if (d->batch_cap) cf_workspace_free(&d->batch_ws);
    free(d->patch_x);
    free(d->patch_y);
    free(d->patch_p);
    free(d);
}

/* ---- running one model ---- */

/* Finite weights can still overflow to infinity and NaN on the way (values near FLT_MAX), which
 * would make a verdict of nothing. */
static int check_score(float score, cf_error *err) {
    if (isnan(score))
        return cf_fail(err, "the model's output is not a number (the weight file's values are out of range)");
    return 0;
}

static float calibrated(const model_slot *s, float score) { return cf_sigmoid(score / s->loaded.params.temperature); }

/* Mirrors slot s's side x side pixels left to right, in place. */
static void mirror_pixels(model_slot *s) {
    int side = s->loaded.side;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side / 2; x++) {
            uint8_t *a = s->pixels + ((size_t)y * side + x) * 3, *b = s->pixels + ((size_t)y * side + side - 1 - x) * 3;
            for (int c = 0; c < 3; c++) {
                uint8_t t = a[c];
                a[c] = b[c];
                b[c] = t;
            }
        }
}

static void normalise_pixels(model_slot *s) {
    cf_loaded_model *m = &s->loaded;
    cf_normalise(m->params.mean, m->params.std, s->pixels, m->side * m->side, s->input);
}

/* One inference pass of slot s on its pixels, or on their mirror image: the FAKE logit. The workspace
 * keeps the pass (Grad-CAM); the input stays the pixels' own (cf_detector_input). */
static float forward_view(model_slot *s, int mirrored) {
    cf_loaded_model *m = &s->loaded;
    if (mirrored) mirror_pixels(s);
    normalise_pixels(s);
    float score = cf_fake_score(&m->model, cf_forward(&m->model, &s->ws, s->input, 1, 0, 0, NULL));
    if (mirrored) {
        mirror_pixels(s);
        normalise_pixels(s);
    }
    s->ws_mirrored = mirrored;
    return score;
}

/* Runs slot k on its prepared pixels (one side x side image): the FAKE logit, with tta=flip the mean
 * of the mirror image's and the image's. The image's pass runs last, so the workspace and input
 * hold it. */
static int run_thumbnail_pixels(cifake_detector *d, int k, float *score, cf_error *err) {
    model_slot *s = &d->slot[k];
    float mirrored = s->loaded.flip_average ? forward_view(s, 1) : 0.0f;
    *score = forward_view(s, 0);
    if (s->loaded.flip_average) *score = (*score + mirrored) / 2;
    if (check_score(*score, err)) return -1;
    d->cam_model = k;
    d->cam_label = calibrated(s, *score) >= s->loaded.params.threshold;
    if (k == 0) d->has_input = 1;
    return 0;
}

/* Keeps the square the thumbnail model analysed (resized to at most CF_KEEP_SIDE) for cifake_render. */
static int keep_shown(cifake_detector *d, const cf_image *img, cf_error *err) {
    int x0, y0, side;
    cf_image_center_square(img->width, img->height, &x0, &y0, &side);
    int keep = side < CF_KEEP_SIDE ? side : CF_KEEP_SIDE;
    cf_image_free(&d->shown);
    d->shown.rgb = malloc((size_t)keep * keep * 3);
    if (!d->shown.rgb) return cf_fail(err, "out of memory");
    d->shown.width = d->shown.height = keep;
    cf_image_resize_square(img, keep, d->shown.rgb);
    return 0;
}

static int run_thumbnail(cifake_detector *d, int k, const cf_image *img, cifake_result *res, cf_error *err) {
    model_slot *s = &d->slot[k];
    cf_image_resize_square(img, s->loaded.side, s->pixels);
    if (keep_shown(d, img, err) || run_thumbnail_pixels(d, k, &res->score, err)) return -1;
    cf_image_center_square(img->width, img->height, &res->region_x, &res->region_y, &res->region_width);
    res->region_height = res->region_width;
    return 0;
}

static int reserve_patches(cifake_detector *d, int n, cf_error *err) {
    if (n <= d->patch_cap) return 0;
    int *x = realloc(d->patch_x, sizeof(int) * n), *y = x ? realloc(d->patch_y, sizeof(int) * n) : NULL;
    if (x) d->patch_x = x;
    if (y) d->patch_y = y;
    float *p = y ? realloc(d->patch_p, sizeof(float) * n) : NULL;
    if (!p) return cf_fail(err, "out of memory for %d patches", n);
    d->patch_p = p;
    d->patch_cap = n;
    return 0;
}

/* Keeps img at most CF_KEEP_SIDE pixels on its longer side, for cifake_render_patches. */
static int keep_whole(cifake_detector *d, const cf_image *img, cf_error *err) {
    int longer = img->width > img->height ? img->width : img->height;
    int w = img->width, h = img->height;
    if (longer > CF_KEEP_SIDE) {
        w = (int)((long long)w * CF_KEEP_SIDE / longer);
        h = (int)((long long)h * CF_KEEP_SIDE / longer);
        w = w < 1 ? 1 : w;
        h = h < 1 ? 1 : h;
    }
    cf_image_free(&d->whole);
    d->whole.rgb = malloc((size_t)w * h * 3);
    if (!d->whole.rgb) return cf_fail(err, "out of memory");
    d->whole.width = w;
    d->whole.height = h;
    cf_image_resize(img, w, h, d->whole.rgb);
    return 0;
}

/* Copies the side x side patch at (x, y) of img into rgb. */
static void copy_patch(const cf_image *img, int x, int y, int side, uint8_t *rgb) {
    for (int row = 0; row < side; row++)
        memcpy(rgb + (size_t)row * side * 3, img->rgb + ((size_t)(y + row) * img->width + x) * 3, (size_t)side * 3);
}

/* Scores every patch of the grid over img with slot k (a spread sample of it beyond the model's
 * patch budget), CF_PATCH_BATCH at a time; the image's score is their aggregate (patches.h). Patch
 * logits are kept in d->patch_p, then made probabilities. */
static int run_patches(cifake_detector *d, int k, const cf_image *img, cifake_result *res, cf_error *err) {
    model_slot *s = &d->slot[k];
    cf_loaded_model *m = &s->loaded;
    int cols, rows;
    int n = cf_patch_grid(img->width, img->height, m->side, m->patch_budget, &cols, &rows), per = m->side * m->side;
    if (reserve_patches(d, n, err) || keep_whole(d, img, err)) return -1;
    for (int i = 0; i < n; i++) {
        d->patch_x[i] = cf_patch_offset(i % cols, cols, img->width, m->side);
        d->patch_y[i] = cf_patch_offset(i / cols, rows, img->height, m->side);
    }
    for (int first = 0; first < n; first += CF_PATCH_BATCH) {
        int count = n - first < CF_PATCH_BATCH ? n - first : CF_PATCH_BATCH;
        for (int b = 0; b < count; b++) {
            copy_patch(img, d->patch_x[first + b], d->patch_y[first + b], m->side, s->pixels);
            cf_normalise(m->params.mean, m->params.std, s->pixels, per, s->input + (size_t)b * 3 * per);
        }
        const float *logits = cf_forward(&m->model, &s->ws, s->input, count, 0, 0, NULL);
        int outputs = cf_model_outputs(&m->model);
        for (int b = 0; b < count; b++) d->patch_p[first + b] = cf_fake_score(&m->model, logits + (size_t)b * outputs);
    }
    res->score = cf_patch_aggregate(d->patch_p, n);
    if (check_score(res->score, err)) return -1;
    for (int i = 0; i < n; i++) d->patch_p[i] = calibrated(s, d->patch_p[i]);
    d->n_patches = n;
    d->patch_cols = cols;
    d->patch_side = m->side;
    d->source_width = img->width;
    d->source_height = img->height;
    res->patch_side = m->side;
    res->patch_cols = cols;
    res->patch_rows = rows;
    res->region_width = img->width;
    res->region_height = img->height;
    return 0;
}

/* Slot k looks at img: score, p_fake, the analysed region and the model's identity in res. */
static int look(cifake_detector *d, int k, const cf_image *img, cifake_result *res, cf_error *err) {
    model_slot *s = &d->slot[k];
    res->model = k;
    res->view = s->loaded.view;
    int rc = res->view == CIFAKE_VIEW_PATCHES ? run_patches(d, k, img, res, err) : run_thumbnail(d, k, img, res, err);
    if (rc) return -1;
    res->p_fake = calibrated(s, res->score);
    return 0;
}

/* ---- routing and the UNSURE rules ---- */

static int too_small(const model_slot *s, const cf_image *img) {
    return img->width < s->loaded.side || img->height < s->loaded.side;
}

static int out_of_scope(const model_slot *s, const cf_image *img) {
    return s->loaded.max_side > 0 && (img->width > s->loaded.max_side || img->height > s->loaded.max_side);
}

static const char *model_name(const model_slot *s) {
    const char *name = cf_meta_get(&s->loaded.meta, CF_META_NAME);
    return name ? name : s->loaded.view == CIFAKE_VIEW_PATCHES ? "the patch model" : "the thumbnail model";
}

/* The verdict of slot k on an image in its scope: REAL or FAKE by the threshold, UNSURE inside the
 * model's band. */
static void decide(const model_slot *s, cifake_result *res) {
    res->scope = CIFAKE_JUDGED;
    res->reliability = s->loaded.reliability;
    if (res->p_fake >= s->loaded.unsure_lo && res->p_fake < s->loaded.unsure_hi) {
        res->label = CIFAKE_UNSURE;
        res->scope = CIFAKE_WEAK_EVIDENCE;
        snprintf(res->reason, sizeof res->reason, "The evidence is too weak either way for a verdict");
        snprintf(res->detail, sizeof res->detail,
                 "weak evidence: P(fake) %.2f lies in %s's uncertain band [%.2f, %.2f)", res->p_fake, model_name(s),
                 s->loaded.unsure_lo, s->loaded.unsure_hi);
        return;
    }
    res->label = res->p_fake >= s->loaded.params.threshold ? CIFAKE_FAKE : CIFAKE_REAL;
}

static int smallest_side(const cifake_detector *d) {
    int side = d->slot[0].loaded.side;
    for (int k = 1; k < d->n_models; k++)
        if (d->slot[k].loaded.side < side) side = d->slot[k].loaded.side;
    return side;
}

/* The first model whose scope holds img judges it. When none does, the label is UNSURE, but the first
 * model that can look at the image still does (a thumbnail model can look at any image), so its
 * guess can be reported, explained and measured. */
static int route(cifake_detector *d, const cf_image *img, cifake_result *res, cf_error *err) {
    int out_of_scope_model = -1, thumbnail_model = -1;
    for (int k = 0; k < d->n_models; k++) {
        const model_slot *s = &d->slot[k];
        if (thumbnail_model < 0 && s->loaded.view == CIFAKE_VIEW_THUMBNAIL) thumbnail_model = k;
        if (too_small(s, img)) continue;
        if (out_of_scope(s, img)) {
            if (out_of_scope_model < 0) out_of_scope_model = k;
            continue;
        }
        if (look(d, k, img, res, err)) return -1;
        decide(s, res);
        return 0;
    }
    int k = out_of_scope_model >= 0 ? out_of_scope_model : thumbnail_model;
    if (k >= 0 && look(d, k, img, res, err)) return -1;
    res->label = CIFAKE_UNSURE;
    if (out_of_scope_model < 0) {
        res->scope = CIFAKE_TOO_SMALL;
        snprintf(res->reason, sizeof res->reason,
                 "Too small to judge: the model needs at least %d by %d pixels, this image is %d by %d",
                 smallest_side(d), smallest_side(d), img->width, img->height);
        snprintf(res->detail, sizeof res->detail,
                 "too small to judge: %dx%d pixels; the model needs at least %d on each side", img->width, img->height,
                 smallest_side(d));
        return 0;
    }
    const model_slot *s = &d->slot[k];
    res->scope = CIFAKE_OUT_OF_SCOPE;
    res->reliability = s->loaded.reliability_out_of_scope;
    snprintf(res->reason, sizeof res->reason,
             "Larger than anything the model was tested on (%d by %d pixels at most, this image is %d by %d), "
             "so it gives no verdict", s->loaded.max_side, s->loaded.max_side, img->width, img->height);
    snprintf(res->detail, sizeof res->detail,
             "out of scope: %s judges images of at most %dx%d pixels, this one is %dx%d", model_name(s),
             s->loaded.max_side, s->loaded.max_side, img->width, img->height);
    return 0;
}

static void reset_result(cifake_detector *d, cifake_result *res) {
    memset(res, 0, sizeof *res);
    res->label = CIFAKE_UNSURE;
    res->p_fake = res->score = NAN;
    res->model = -1;
    res->reliability = "";
    d->cam_model = -1;
    d->has_input = 0;
    d->n_patches = 0;
}

/* Classifies a decoded image (taking ownership of its pixels). */
static int classify_image(cifake_detector *d, cf_image *img, cifake_result *res, cf_error *err) {
    res->width = img->width;
    res->height = img->height;
    int rc = route(d, img, res, err);
    cf_image_free(img);
    if (rc) reset_result(d, res);
    return rc;
}

int cifake_classify(cifake_detector *d, const uint8_t *image, size_t n, cifake_result *res, cf_error *err) {
    reset_result(d, res);
    cf_image img;
    if (cf_image_decode(image, n, &img, err)) return -1;
    return classify_image(d, &img, res, err);
}

int cifake_classify_pixels(cifake_detector *d, const uint8_t *pixels, int width, int height, int channels,
                           cifake_result *res, cf_error *err) {
    reset_result(d, res);
    cf_image img;
    if (cf_image_from_pixels(pixels, width, height, channels, &img, err)) return -1;
    return classify_image(d, &img, res, err);
}

int cf_detector_classify_rgb(cifake_detector *d, const uint8_t *rgb, cifake_result *res, cf_error *err) {
    reset_result(d, res);
    model_slot *s = &d->slot[0];
    if (s->loaded.view != CIFAKE_VIEW_THUMBNAIL) return cf_fail(err, "the first model looks at patches, not thumbnails");
    memcpy(s->pixels, rgb, (size_t)s->loaded.side * s->loaded.side * 3);
    cf_image img = {s->loaded.side, s->loaded.side, s->pixels};
    if (keep_shown(d, &img, err) || run_thumbnail_pixels(d, 0, &res->score, err)) {
        reset_result(d, res);
        return -1;
    }
    res->width = res->height = res->region_width = res->region_height = s->loaded.side;
    res->model = 0;
    res->p_fake = calibrated(s, res->score);
    decide(s, res);
    return 0;
}

/* ---- after classifying: patches, explanations, rendering ---- */

int cifake_patches(const cifake_detector *d, int *x, int *y, float *p_fake, int cap) {
    int n = d->n_patches < cap ? d->n_patches : cap;
    for (int i = 0; i < n; i++) {
        if (x) x[i] = d->patch_x[i];
        if (y) y[i] = d->patch_y[i];
        if (p_fake) p_fake[i] = d->patch_p[i];
    }
    return d->n_patches;
}

int cifake_cam_side(const cifake_detector *d) { return d->slot[d->cam_model >= 0 ? d->cam_model : 0].loaded.side; }

/* tta=flip: the score is the mean of two views, so the map is the mean of theirs: the image's map and
 * the mirror view's map mirrored back, divided by its maximum. The workspace holds one view's pass:
 * that view's map comes first, so each call runs one forward pass (the other view's) and leaves the
 * workspace holding that one. */
static int flip_averaged_map(model_slot *s, int feature, int target, cifake_cam_method method, float *map, int *fh,
                             int *fw, cf_error *err) {
    float *mirror_map = malloc(sizeof(float) * s->loaded.side * s->loaded.side);
    if (!mirror_map) return cf_fail(err, "out of memory");
    float *view_map[2] = {map, mirror_map};
    int first = s->ws_mirrored;
    int rc = cf_gradcam(&s->loaded.model, &s->ws, feature, target, method, view_map[first], fh, fw, err);
    if (!rc) {
        forward_view(s, !first);
        rc = cf_gradcam(&s->loaded.model, &s->ws, feature, target, method, view_map[!first], fh, fw, err);
    }
    float max = 0.0f;
    for (int y = 0; !rc && y < *fh; y++)
        for (int x = 0; x < *fw; x++) {
            int i = y * *fw + x;
            map[i] = (map[i] + mirror_map[y * *fw + *fw - 1 - x]) / 2;
            if (map[i] > max) max = map[i];
        }
    for (int i = 0; !rc && max > 0.0f && i < *fh * *fw; i++) map[i] /= max; /* a map is divided by its maximum */
    free(mirror_map);
    return rc;
}

int cifake_explain(cifake_detector *d, cifake_cam_method method, int target, int conv_layer, float *cam, cf_error *err) {
    if (d->cam_model < 0) return cf_fail(err, "no image a thumbnail model looked at to explain (classify one first)");
    model_slot *s = &d->slot[d->cam_model];
    int feature, fh, fw, side = s->loaded.side;
    if (cf_cam_feature_layer(&s->loaded.model, conv_layer, &feature, err)) return -1;
    if (s->loaded.model.layers[feature].out.h * s->loaded.model.layers[feature].out.w > side * side)
        return cf_fail(err, "CAM layer is larger than the input");
    float *map = malloc(sizeof(float) * side * side);
    if (!map) return cf_fail(err, "out of memory");
    if (target < 0) target = d->cam_label;
    int rc = s->loaded.flip_average ? flip_averaged_map(s, feature, target, method, map, &fh, &fw, err)
                                    : cf_gradcam(&s->loaded.model, &s->ws, feature, target, method, map, &fh, &fw, err);
    if (!rc) cf_resize_bilinear(map, fh, fw, cam, side, side);
    free(map);
    return rc;
}

int cifake_render(cifake_detector *d, const float *cam, int side, cifake_colormap cmap, float alpha, uint8_t *rgba,
                  cf_error *err) {
    if (d->cam_model < 0 || !d->shown.rgb) return cf_fail(err, "no classified image to draw on (classify one first)");
    if (side < 1 || side > CF_RENDER_MAX_SIDE) return cf_fail(err, "overlay size %d outside 1..%d", side, CF_RENDER_MAX_SIDE);
    int cam_side = d->slot[d->cam_model].loaded.side;
    uint8_t *rgb = malloc((size_t)side * side * 3);
    float *map = malloc(sizeof(float) * side * side);
    if (!rgb || !map) {
        free(rgb);
        free(map);
        return cf_fail(err, "out of memory");
    }
    cf_image_resize_square(&d->shown, side, rgb);
    cf_resize_bilinear(cam, cam_side, cam_side, map, side, side);
    cf_cam_blend(map, rgb, side, side, cmap, alpha, rgba);
    free(rgb);
    free(map);
    return 0;
}

/* The patch map at the drawing's size: each pixel the mean p_fake of the patches covering it; a pixel
 * between the patches of a sampled grid takes the patch of its cell (the grid's columns and rows
 * dividing the drawing evenly). */
static void patch_map(const cifake_detector *d, int w, int h, float *map, float *count) {
    double sx = (double)w / d->source_width, sy = (double)h / d->source_height;
    memset(map, 0, sizeof(float) * w * h);
    memset(count, 0, sizeof(float) * w * h);
    for (int i = 0; i < d->n_patches; i++) {
        int x0 = (int)(d->patch_x[i] * sx), x1 = (int)((d->patch_x[i] + d->patch_side) * sx);
        int y0 = (int)(d->patch_y[i] * sy), y1 = (int)((d->patch_y[i] + d->patch_side) * sy);
        x1 = x1 > x0 ? (x1 < w ? x1 : w) : x0 + 1;
        y1 = y1 > y0 ? (y1 < h ? y1 : h) : y0 + 1;
        for (int y = y0; y < y1 && y < h; y++)
            for (int x = x0; x < x1 && x < w; x++) {
                map[(size_t)y * w + x] += d->patch_p[i];
                count[(size_t)y * w + x] += 1.0f;
            }
    }
    int cols = d->patch_cols, rows = d->n_patches / d->patch_cols;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t k = (size_t)y * w + x;
            int cell = (int)((long long)y * rows / h) * cols + (int)((long long)x * cols / w);
            map[k] = count[k] > 0.0f ? map[k] / count[k] : d->patch_p[cell];
        }
}

int cifake_render_patches(cifake_detector *d, int max_side, cifake_colormap cmap, float alpha, uint8_t *rgba, int *width,
                          int *height, cf_error *err) {
    if (!d->n_patches || !d->whole.rgb) return cf_fail(err, "no image a patch model looked at to draw on");
    if (max_side < 1 || max_side > CF_RENDER_MAX_SIDE)
        return cf_fail(err, "drawing size %d outside 1..%d", max_side, CF_RENDER_MAX_SIDE);
    int longer = d->source_width > d->source_height ? d->source_width : d->source_height;
    int side = longer < max_side ? longer : max_side;
    int w = (int)((long long)d->source_width * side / longer), h = (int)((long long)d->source_height * side / longer);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    float *map = malloc(sizeof(float) * w * h), *count = malloc(sizeof(float) * w * h);
    int rc = rgb && map && count ? 0 : cf_fail(err, "out of memory");
    if (!rc) {
        cf_image_resize(&d->whole, w, h, rgb);
        patch_map(d, w, h, map, count);
        cf_cam_blend(map, rgb, w, h, cmap, alpha, rgba);
        *width = w;
        *height = h;
    }
    free(rgb);
    free(map);
    free(count);
    return rc;
}

/* ---- batch inference on prepared inputs (tools, benchmarks) ---- */

const float *cf_detector_input(const cifake_detector *d) { return d->has_input ? d->slot[0].input : NULL; }

int cf_detector_predict(cifake_detector *d, const float *input, int n, float *p_fake, float *score, cf_error *err) {
    model_slot *s = &d->slot[0];
    if (n < 1 || n > CF_PREDICT_MAX_BATCH) return cf_fail(err, "batch of %d images outside 1..%d", n, CF_PREDICT_MAX_BATCH);
    if (n > d->batch_cap) {
        if (d->batch_cap) cf_workspace_free(&d->batch_ws);
        d->batch_cap = 0;
        if (cf_workspace_init(&d->batch_ws, &s->loaded.model, n, 1, err)) return -1;
        if (cf_workspace_freeze_weights(&d->batch_ws, &s->loaded.model, err)) {
            cf_workspace_free(&d->batch_ws);
            return -1;
        }
        d->batch_cap = n;
    }
    const float *logits = cf_forward(&s->loaded.model, &d->batch_ws, input, n, 0, 0, NULL);
    int outputs = cf_model_outputs(&s->loaded.model);
    for (int i = 0; i < n; i++) {
        float sc = cf_fake_score(&s->loaded.model, logits + (size_t)i * outputs);
        p_fake[i] = calibrated(s, sc);
        if (score) score[i] = sc;
    }
    return 0;
}

/* ---- metadata ---- */

const cf_loaded_model *cf_detector_model(const cifake_detector *d) { return &d->slot[0].loaded; }
const cf_meta *cf_detector_meta(const cifake_detector *d) { return &d->slot[0].loaded.meta; }
const cf_infer_params *cf_detector_params(const cifake_detector *d) { return &d->slot[0].loaded.params; }
int cf_detector_flip_averaged(const cifake_detector *d) { return d->slot[0].loaded.flip_average; }

int cifake_model_count(const cifake_detector *d) { return d->n_models; }

static const cf_meta *slot_meta(const cifake_detector *d, int model) {
    return model >= 0 && model < d->n_models ? &d->slot[model].loaded.meta : NULL;
}

int cifake_meta_count(const cifake_detector *d, int model) {
    const cf_meta *m = slot_meta(d, model);
    return m ? m->n : 0;
}

const char *cifake_meta_key(const cifake_detector *d, int model, int i) {
    const cf_meta *m = slot_meta(d, model);
    return m && i >= 0 && i < m->n ? m->key[i] : NULL;
}

const char *cifake_meta_value(const cifake_detector *d, int model, int i) {
    const cf_meta *m = slot_meta(d, model);
    return m && i >= 0 && i < m->n ? m->value[i] : NULL;
}

const char *cifake_meta_get(const cifake_detector *d, int model, const char *key) {
    const cf_meta *m = slot_meta(d, model);
    return m ? cf_meta_get(m, key) : NULL;
}

const char *cifake_label_name(cifake_label label) {
    return label == CIFAKE_REAL ? "REAL" : label == CIFAKE_FAKE ? "FAKE" : "UNSURE";
}

const char *cifake_scope_name(cifake_scope scope) {
    static const char *const names[] = {"judged", "too-small", "out-of-scope", "weak-evidence"};
    return scope >= CIFAKE_JUDGED && scope <= CIFAKE_WEAK_EVIDENCE ? names[scope] : "unknown";
}
