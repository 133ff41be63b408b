/* loaded_model.c - opening a model from a weight file (loaded_model.h). */
#include "loaded_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "patches.h"

/* Folding batch norm divides by sqrt(running variance): a negative or huge variance in a (finite)
 * file would give NaN or infinite parameters, so the folded model is checked as a whole. */
static int check_finite_params(const cf_model *m, cf_error *err) {
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(m->params[i]))
            return cf_fail(err, "weight file damaged: folding batch norm gives a parameter that is not a finite "
                                "number (negative running variance?)");
    return 0;
}

static const char *meta_text(const cf_meta *meta, const char *key) {
    const char *v = cf_meta_get(meta, key);
    return v ? v : "";
}

/* view, scope_max_side and unsure_band: how the model looks at an image and which images it judges.
 * A thumbnail model judges by default only images of its own input size: it has been measured on
 * nothing else. A patch model judges any image at least one patch large. */
static int parse_scope(cf_loaded_model *s, cf_error *err) {
    const char *view = cf_meta_get(&s->meta, CF_META_VIEW);
    if (!view || !strcmp(view, CF_VIEW_THUMBNAIL)) s->view = CIFAKE_VIEW_THUMBNAIL;
    else if (!strcmp(view, CF_VIEW_PATCHES)) s->view = CIFAKE_VIEW_PATCHES;
    else return cf_fail(err, "weight file: unknown view \"%s\" (thumbnail or patches)", view);
    cf_shape in = s->model.input;
    if (in.c != 3 || in.h != in.w || in.h < 1)
        return cf_fail(err, "weight file input is %dx%dx%d; the detector feeds square RGB inputs", in.c, in.h, in.w);
    s->side = in.h;
    s->max_side = s->view == CIFAKE_VIEW_THUMBNAIL ? s->side : 0;
    const char *max_side = cf_meta_get(&s->meta, CF_META_SCOPE_MAX_SIDE);
    if (max_side) {
        long long v;
        if (cf_parse_int(max_side, 0, CF_IMAGE_MAX_SIDE, &v))
            return cf_fail(err, "weight file: scope_max_side \"%s\" is not a side in 0..%d", max_side, CF_IMAGE_MAX_SIDE);
        s->max_side = (int)v;
    }
    if (cf_patch_budget_read(cf_meta_get(&s->meta, CF_META_PATCH_BUDGET), &s->patch_budget, err)) return -1;
    if (s->patch_budget && s->view != CIFAKE_VIEW_PATCHES)
        return cf_fail(err, "weight file: patch_budget applies to patch models");
    s->unsure_lo = s->unsure_hi = 0.0f;
    const char *band = cf_meta_get(&s->meta, CF_META_UNSURE_BAND);
    if (band) {
        char *mid, *end;
        float lo = strtof(band, &mid), hi = *mid == ',' ? strtof(mid + 1, &end) : -1.0f;
        if (*mid != ',' || *end || !(lo >= 0.0f && lo <= hi && hi <= 1.0f))
            return cf_fail(err, "weight file: unsure_band \"%s\" is not LO,HI with 0 <= LO <= HI <= 1", band);
        s->unsure_lo = lo;
        s->unsure_hi = hi;
    }
    const char *tta = cf_meta_get(&s->meta, CF_META_TTA);
    s->flip_average = tta && !strcmp(tta, CF_TTA_FLIP);
    if (tta && !s->flip_average && strcmp(tta, CF_TTA_NONE))
        return cf_fail(err, "weight file: unknown tta \"%s\" (flip or none)", tta);
    if (s->flip_average && s->view != CIFAKE_VIEW_THUMBNAIL)
        return cf_fail(err, "weight file: tta=flip applies to thumbnail models");
    s->reliability = meta_text(&s->meta, CF_META_RELIABILITY);
    s->reliability_out_of_scope = meta_text(&s->meta, CF_META_RELIABILITY_OUT_OF_SCOPE);
    return 0;
}

void cf_loaded_model_free(cf_loaded_model *m) {
    cf_model_free(&m->model);
    cf_meta_free(&m->meta);
    memset(m, 0, sizeof *m);
}

int cf_loaded_model_open(cf_loaded_model *m, const uint8_t *weights, size_t n, cf_error *err) {
    memset(m, 0, sizeof *m);
    cf_model raw;
    if (cf_weights_read(weights, n, &raw, &m->meta, NULL, err)) return -1;
    int rc = cf_model_fold_bn(&raw, &m->model, err);
    cf_model_free(&raw);
    if (rc) {
        cf_meta_free(&m->meta);
        return -1;
    }
    rc = check_finite_params(&m->model, err);
    if (!rc) rc = cf_infer_params_parse(&m->meta, &m->model, &m->params, err);
    if (!rc) rc = parse_scope(m, err);
    if (rc) cf_loaded_model_free(m);
    return rc;
}
