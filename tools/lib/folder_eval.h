/* folder_eval.h - measuring the detector on folders of real and fake images of any size and format
 * (cifake-eval --real DIR --fake DIR). */
#ifndef CIFAKE_FOLDER_EVAL_H
#define CIFAKE_FOLDER_EVAL_H

#include "detector_internals.h"

typedef struct {
    const char *real, *fake;
    const char *const *weights; /* models in routing order, as cifake-detect takes them */
    int n_weights, threads, json;
} folder_eval_config;

/* Classifies every image under real and fake through cifake_classify and prints, overall and per
 * group (first-level subfolder; files directly in a folder form a group named after it): n, the raw
 * AUROC of p_fake (FAKE positive; the model's guesses on UNSURE images included; a group against all
 * images of the other class), the share called FAKE (false alarms for real images, catches for
 * fakes), the coverage (share given REAL or FAKE) and the accuracy of the decided images; n/a (JSON
 * null) where there is nothing to measure. */
int folder_eval_run(const folder_eval_config *c, cf_error *err);

#endif
