#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cifake.h"
#include "image.h"

struct cifake_detector {
    cf_model model; /* batch norm folded */
    cf_meta meta;
    cf_infer_params params;
    cf_workspace ws; /* batch 1, one thread */
    float input[3 * CF_MODEL_SIDE * CF_MODEL_SIDE];
    uint8_t rgb[3 * CF_MODEL_SIDE * CF_MODEL_SIDE];
    int has_forward;  /* ws holds the forward pass of the last classified image */
    int last_label;   /* its predicted class */
    cf_image shown;   /* the last image's centre square, at most CF_KEEP_SIDE pixels wide, for rendering */
    int has_input;    /* input holds the last classified image */
    cf_workspace batch_ws; /* for cifake_predict, kept apart from ws so Grad-CAM state survives */
    int batch_cap;         /* images batch_ws holds; 0 before the first cifake_predict */
};

#define CF_PREDICT_MAX_BATCH 1024

/* Rendering needs the image the user sees, not the 32x32 the model sees; keeping its centre square
 * at a bounded size keeps memory flat whatever the input size. */
#define CF_KEEP_SIDE 1024
#define CF_RENDER_MAX_SIDE 2048

/* Folding batch norm divides by sqrt(running variance): a negative or huge variance in a (finite)
 * file would give NaN or infinite parameters, so the folded model is checked as a whole. */
static int check_finite_params(const cf_model *m, cf_error *err) {
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(m->params[i]))
            return cf_fail(err, "weight file damaged: folding batch norm gives a parameter that is not a finite "
                                "number (negative running variance?)");
    return 0;
}

int cifake_open(const uint8_t *weights, size_t n, cifake_detector **out, cf_error *err) {
    *out = NULL;
    cifake_detector *d = calloc(1, sizeof *d);
    if (!d) return cf_fail(err, "out of memory");
    cf_model raw;
    if (cf_weights_read(weights, n, &raw, &d->meta, NULL, err)) {
        free(d);
        return -1;
    }
    int rc = cf_model_fold_bn(&raw, &d->model, err);
    cf_model_free(&raw);
    if (!rc) rc = check_finite_params(&d->model, err);
    if (!rc && (d->model.input.h != CF_MODEL_SIDE || d->model.input.w != CF_MODEL_SIDE))
        rc = cf_fail(err, "weight file input is %dx%d; this detector feeds %dx%d images", d->model.input.h,
                     d->model.input.w, CF_MODEL_SIDE, CF_MODEL_SIDE);
    if (!rc) rc = cf_infer_params_parse(&d->meta, &d->model, &d->params, err);
    if (!rc) rc = cf_workspace_init(&d->ws, &d->model, 1, 1, err);
    if (!rc) rc = cf_workspace_freeze_weights(&d->ws, &d->model, err);
    if (rc) {
        cifake_close(d);
        return -1;
    }
    *out = d;
    return 0;
}

void cifake_close(cifake_detector *d) {
    if (!d) return;
    cf_image_free(&d->shown);
    if (d->batch_cap) cf_workspace_free(&d->batch_ws);
    cf_workspace_free(&d->ws);
    cf_model_free(&d->model);
    cf_meta_free(&d->meta);
    free(d);
}

void cifake_normalise(const float mean[3], const float std[3], const uint8_t *rgb, float *chw) {
    int n = CF_MODEL_SIDE * CF_MODEL_SIDE;
    for (int c = 0; c < 3; c++) {
        float scale = 1.0f / (255.0f * std[c]), shift = mean[c] / std[c];
        for (int i = 0; i < n; i++) chw[c * n + i] = rgb[i * 3 + c] * scale - shift;
    }
}

/* Runs the model on d->rgb (already the 32x32 model input). Finite weights can still overflow to
 * infinity and NaN on the way (values near FLT_MAX), which would make a verdict of nothing. */
static int classify_prepared(cifake_detector *d, cifake_result *res, cf_error *err) {
    cifake_normalise(d->params.mean, d->params.std, d->rgb, d->input);
    const float *logits = cf_forward(&d->model, &d->ws, d->input, 1, 0, 0, NULL);
    float score = cf_fake_score(&d->model, logits);
    if (isnan(score))
        return cf_fail(err, "the model's output is not a number (the weight file's values are out of range)");
    res->score = score;
    res->p_fake = cf_sigmoid(score / d->params.temperature);
    res->label = res->p_fake >= d->params.threshold;
    d->has_forward = 1;
    d->has_input = 1;
    d->last_label = res->label;
    return 0;
}

const float *cifake_input(const cifake_detector *d) { return d->has_input ? d->input : NULL; }

int cifake_predict(cifake_detector *d, const float *input, int n, float *p_fake, float *score, cf_error *err) {
    if (n < 1 || n > CF_PREDICT_MAX_BATCH) return cf_fail(err, "batch of %d images outside 1..%d", n, CF_PREDICT_MAX_BATCH);
    if (n > d->batch_cap) {
        if (d->batch_cap) cf_workspace_free(&d->batch_ws);
        d->batch_cap = 0;
        if (cf_workspace_init(&d->batch_ws, &d->model, n, 1, err)) return -1;
        if (cf_workspace_freeze_weights(&d->batch_ws, &d->model, err)) {
            cf_workspace_free(&d->batch_ws);
            return -1;
        }
        d->batch_cap = n;
    }
    const float *logits = cf_forward(&d->model, &d->batch_ws, input, n, 0, 0, NULL);
    int outputs = cf_model_outputs(&d->model);
    for (int i = 0; i < n; i++) {
        float s = cf_fake_score(&d->model, logits + (size_t)i * outputs);
        p_fake[i] = cf_sigmoid(s / d->params.temperature);
        if (score) score[i] = s;
    }
    return 0;
}

static int keep_shown(cifake_detector *d, const cf_image *img, cf_error *err);

int cifake_classify_rgb32(cifake_detector *d, const uint8_t *rgb, cifake_result *res, cf_error *err) {
    memset(res, 0, sizeof *res);
    d->has_forward = d->has_input = 0;
    memcpy(d->rgb, rgb, sizeof d->rgb);
    cf_image img = {CF_MODEL_SIDE, CF_MODEL_SIDE, d->rgb};
    if (keep_shown(d, &img, err) || classify_prepared(d, res, err)) return -1;
    res->width = res->height = CF_MODEL_SIDE;
    return 0;
}

/* Keeps the centre square of img (resized to at most CF_KEEP_SIDE) for cifake_render. */
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

int cifake_classify(cifake_detector *d, const uint8_t *image, size_t n, cifake_result *res, cf_error *err) {
    memset(res, 0, sizeof *res);
    d->has_forward = d->has_input = 0;
    cf_image img;
    if (cf_image_decode(image, n, &img, err)) return -1;
    cf_image_resize_square(&img, CF_MODEL_SIDE, d->rgb);
    int rc = keep_shown(d, &img, err);
    res->width = img.width;
    res->height = img.height;
    cf_image_free(&img);
    if (rc || classify_prepared(d, res, err)) {
        memset(res, 0, sizeof *res);
        return -1;
    }
    return 0;
}

int cifake_explain(cifake_detector *d, cf_cam_method method, int target, int conv_layer, float *cam32, cf_error *err) {
    if (!d->has_forward) return cf_fail(err, "no classified image to explain (classify one first)");
    int feature, fh, fw;
    float map[CF_MODEL_SIDE * CF_MODEL_SIDE];
    if (cf_cam_feature_layer(&d->model, conv_layer, &feature, err)) return -1;
    if (d->model.layers[feature].out.h * d->model.layers[feature].out.w > CF_MODEL_SIDE * CF_MODEL_SIDE)
        return cf_fail(err, "CAM layer is larger than the input");
    if (target < 0) target = d->last_label;
    if (cf_gradcam(&d->model, &d->ws, feature, target, method, map, &fh, &fw, err)) return -1;
    cf_resize_bilinear(map, fh, fw, cam32, CF_MODEL_SIDE, CF_MODEL_SIDE);
    return 0;
}

int cifake_render(cifake_detector *d, const float *cam32, int side, cf_colormap cmap, float alpha, uint8_t *rgba,
                  cf_error *err) {
    if (!d->shown.rgb) return cf_fail(err, "no classified image to draw on (classify one first)");
    if (side < 1 || side > CF_RENDER_MAX_SIDE) return cf_fail(err, "overlay size %d outside 1..%d", side, CF_RENDER_MAX_SIDE);
    uint8_t *rgb = malloc((size_t)side * side * 3);
    float *map = malloc(sizeof(float) * side * side);
    if (!rgb || !map) {
        free(rgb);
        free(map);
        return cf_fail(err, "out of memory");
    }
    cf_image_resize_square(&d->shown, side, rgb);
    cf_resize_bilinear(cam32, CF_MODEL_SIDE, CF_MODEL_SIDE, map, side, side);
    cf_cam_blend(map, rgb, side, side, cmap, alpha, rgba);
    free(rgb);
    free(map);
    return 0;
}

const cf_meta *cifake_meta(const cifake_detector *d) { return &d->meta; }
const cf_infer_params *cifake_params(const cifake_detector *d) { return &d->params; }
cf_model *cifake_model(cifake_detector *d) { return &d->model; }
