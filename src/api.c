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
};

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
    if (!rc && (d->model.input.h != CF_MODEL_SIDE || d->model.input.w != CF_MODEL_SIDE))
        rc = cf_fail(err, "weight file input is %dx%d; this detector feeds %dx%d images", d->model.input.h,
                     d->model.input.w, CF_MODEL_SIDE, CF_MODEL_SIDE);
    if (!rc) rc = cf_infer_params_parse(&d->meta, &d->model, &d->params, err);
    if (!rc) rc = cf_workspace_init(&d->ws, &d->model, 1, 1, err);
    if (rc) {
        cifake_close(d);
        return -1;
    }
    *out = d;
    return 0;
}

void cifake_close(cifake_detector *d) {
    if (!d) return;
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

void cifake_classify_rgb32(cifake_detector *d, const uint8_t *rgb, cifake_result *res) {
    cifake_normalise(d->params.mean, d->params.std, rgb, d->input);
    const float *logits = cf_forward(&d->model, &d->ws, d->input, 1, 0, 0, NULL);
    res->score = cf_fake_score(&d->model, logits);
    res->p_fake = cf_sigmoid(res->score / d->params.temperature);
    res->label = res->p_fake >= d->params.threshold;
}

int cifake_classify(cifake_detector *d, const uint8_t *image, size_t n, cifake_result *res, cf_error *err) {
    memset(res, 0, sizeof *res);
    if (cf_image_load_model_input(image, n, d->rgb, &res->width, &res->height, err)) return -1;
    int w = res->width, h = res->height;
    cifake_classify_rgb32(d, d->rgb, res);
    res->width = w;
    res->height = h;
    return 0;
}

const cf_meta *cifake_meta(const cifake_detector *d) { return &d->meta; }
const cf_infer_params *cifake_params(const cifake_detector *d) { return &d->params; }
cf_model *cifake_model(cifake_detector *d) { return &d->model; }
