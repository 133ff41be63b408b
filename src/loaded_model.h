/* loaded_model.h - a model loaded from a weight file for inference: the network with batch norm
 * folded, its metadata, its inference settings (normalisation, threshold, temperature) and the scope
 * its file states (view, the image sides it judges, the UNSURE band, test-time augmentation).
 *
 * Read-only once open: the state a model runs in (a workspace, buffers) belongs to whoever runs it.
 * The detector (api.c) holds up to CIFAKE_MAX_MODELS of them, each with its own state; the tools open
 * one directly when they need a model and not a detector (as whisper.cpp keeps model and state apart). */
#ifndef CIFAKE_LOADED_MODEL_H
#define CIFAKE_LOADED_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cifake.h"
#include "common.h"
#include "model.h"
#include "weights.h"

typedef struct {
    cf_model model; /* batch norm folded */
    cf_meta meta;
    cf_infer_params params;
    cifake_view view;
    int side;                   /* input side: the thumbnail, or the patch */
    int max_side;               /* longest image side the model judges; 0: no limit */
    int patch_budget;           /* patch models: most patches an image (a spread sample); 0: all */
    float unsure_lo, unsure_hi; /* UNSURE when unsure_lo <= p_fake < unsure_hi */
    int flip_average;           /* tta=flip: the score is the mean logit of the image and its mirror */
    const char *reliability, *reliability_out_of_scope; /* from meta; "" when absent */
} cf_loaded_model;

/* Reads a weight file, folds batch norm, and parses and checks its inference settings and scope, as
 * cifake_open does (the same messages). On failure nothing is left to free. */
int cf_loaded_model_open(cf_loaded_model *m, const uint8_t *weights, size_t n, cf_error *err);
void cf_loaded_model_free(cf_loaded_model *m);

#endif
