/* meta_keys.c - the table of metadata keys (meta_keys.h) and the checks of their values. */
#include "meta_keys.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT(name, doc) {name, CF_VALUE_TEXT, 0, NULL, doc}
#define INTEGER(name, doc) {name, CF_VALUE_INTEGER, 0, NULL, doc}
#define NUMBER(name, doc) {name, CF_VALUE_NUMBER, 0, NULL, doc}

static const cf_meta_key keys[] = {
    /* what the detector reads */
    TEXT(CF_META_SPEC, "layer spec of the stored model (model.h); batch norm folded into the convolutions"),
    {CF_META_INPUT, CF_VALUE_SHAPE, 0, NULL, "input shape CxHxW (3x32x32: the model sees 32x32 RGB)"},
    {CF_META_MEAN, CF_VALUE_NUMBERS, 3, NULL, "per-channel mean of the training pixels (0..1), R,G,B"},
    {CF_META_STD, CF_VALUE_NUMBERS, 3, NULL, "per-channel standard deviation of the training pixels, R,G,B"},
    TEXT(CF_META_CLASSES, "class names, REAL,FAKE"),
    NUMBER(CF_META_THRESHOLD, "FAKE when the calibrated p_fake >= threshold (fitted on validation)"),
    NUMBER(CF_META_TEMPERATURE, "calibration: p_fake = sigmoid(logit / temperature) (fitted on validation)"),
    {CF_META_VIEW, CF_VALUE_CHOICE, 0, CF_VIEW_THUMBNAIL "|" CF_VIEW_PATCHES,
     "what the model looks at: the whole image resized to its input (default), or a grid of native patches"},
    {CF_META_TTA, CF_VALUE_CHOICE, 0, CF_TTA_FLIP "|" CF_TTA_NONE,
     "test-time augmentation: flip scores the mean logit of the image and its mirror image"},
    INTEGER(CF_META_SCOPE_MAX_SIDE, "largest image side the model was measured on; larger images are out of scope (0: none)"),
    INTEGER(CF_META_PATCH_BUDGET, "patch models: at most this many patches an image, spread over it (0: every patch)"),
    {CF_META_UNSURE_BAND, CF_VALUE_NUMBERS, 2, NULL, "LO,HI: a p_fake in [LO, HI) is UNSURE (weak evidence)"},
    TEXT(CF_META_RELIABILITY, "what was measured about the model's verdicts in its scope, shown with each"),
    TEXT(CF_META_RELIABILITY_OUT_OF_SCOPE, "what is known about images outside the model's scope"),
    NUMBER(CF_META_VERDICT_COVERAGE, "share of the test split the detector gives a verdict on (as it scores: tta, UNSURE band)"),
    NUMBER(CF_META_VERDICT_ACCURACY, "share of those verdicts that are right: the accuracy figure shown to users"),
    TEXT(CF_META_NAME, "the model's name in messages"),
    TEXT(CF_META_AGGREGATE, "patch models: how the patch logits become the image's score"),
    /* how the model was trained */
    TEXT(CF_META_TRAIN_SPEC, "layer spec as trained (before batch norm was folded)"),
    TEXT(CF_META_DATA, "the training data: split and image counts"),
    INTEGER(CF_META_SEED, "--seed of the run"),
    INTEGER(CF_META_SPLIT_SEED, "--split-seed: seed of the validation split"),
    INTEGER(CF_META_VAL_PERMILLE, "--val-permille: share of train held out for validation, in 1/1000"),
    INTEGER(CF_META_THREADS, "--threads of the run"),
    TEXT(CF_META_COMMAND, "the command line of the run"),
    TEXT(CF_META_DATE, "when the file was written, UTC (ISO 8601)"),
    TEXT(CF_META_TRAINER_VERSION, "git describe of the trainer's source"),
    INTEGER(CF_META_EPOCHS, "--epochs: the most epochs the run trains"),
    NUMBER(CF_META_PERTURB_PROB, "--perturb-prob"),
    NUMBER(CF_META_EMA, "--ema: decay of the weight average (0: off)"),
    NUMBER(CF_META_CUTMIX, "--cutmix"),
    TEXT(CF_META_TEACHERS, "--teacher files, comma-separated (distillation)"),
    NUMBER(CF_META_TEACHER_WEIGHT, "--teacher-weight"),
    {CF_META_TEACHER_MODE, CF_VALUE_CHOICE, 0, "cached|live", "--teacher-mode"},
    INTEGER(CF_META_BEST_EPOCH, "the epoch whose weights the file holds (1-based)"),
    INTEGER(CF_META_EPOCHS_RUN, "epochs trained (fewer than epochs after early stopping)"),
    INTEGER(CF_META_PATIENCE, "--patience (0: off)"),
    NUMBER(CF_META_TRAIN_SECONDS, "training time in seconds"),
    INTEGER(CF_META_PARAMS, "parameters of the stored model"),
    NUMBER(CF_META_VAL_ACCURACY, "validation accuracy at the threshold"),
    NUMBER(CF_META_VAL_AUROC, "validation AUROC"),
    NUMBER(CF_META_VAL_AUROC_JPEG90, "patch models: validation AUROC re-encoded as JPEG quality 90"),
    NUMBER(CF_META_TEST_ACCURACY, "test accuracy at the threshold"),
    NUMBER(CF_META_TEST_AUROC, "test AUROC"),
    NUMBER(CF_META_TEST_F1, "test F1 (FAKE positive)"),
    INTEGER(CF_META_TEST_N, "test images"),
    TEXT(CF_META_TRAIN_GROUPS, "patch models: the groups trained on"),
    TEXT(CF_META_VAL_GROUPS, "patch models: --val-groups"),
    TEXT(CF_META_EXCLUDE_GROUPS, "patch models: --exclude-groups"),
    INTEGER(CF_META_STEPS_PER_EPOCH, "patch models: --steps-per-epoch"),
    INTEGER(CF_META_BATCH, "patch models: --batch"),
    TEXT(CF_META_AUGMENT, "patch models: the augmentation"),
    TEXT(CF_META_BALANCE, "patch models: --balance and --balance-power"),
    /* a checkpoint's run state */
    INTEGER(CF_META_EPOCH, "checkpoints: epochs completed"),
    NUMBER(CF_META_BEST_VAL_LOSS, "checkpoints: the best validation loss so far"),
    INTEGER(CF_META_STEP, "checkpoints: optimiser steps taken"),
};

const cf_meta_key *cf_meta_keys(int *n_keys) {
    *n_keys = (int)(sizeof keys / sizeof keys[0]);
    return keys;
}

const cf_meta_key *cf_meta_key_find(const char *name) {
    for (size_t i = 0; name && i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name)) return &keys[i];
    return NULL;
}

const char *cf_meta_key_type_name(const cf_meta_key *k, char *buf, size_t n) {
    switch (k->type) {
    case CF_VALUE_INTEGER: return "integer";
    case CF_VALUE_NUMBER: return "number";
    case CF_VALUE_NUMBERS: snprintf(buf, n, "%d numbers", k->count); return buf;
    case CF_VALUE_SHAPE: return "CxHxW";
    case CF_VALUE_CHOICE: return k->choices;
    default: return "text";
    }
}

/* A whole number that fits 64 bits, signed or not, all of s (cf_parse_*: no leading space or '+'). */
static int is_integer(const char *s) {
    long long v;
    uint64_t u;
    return !cf_parse_int(s, LLONG_MIN, LLONG_MAX, &v) || !cf_parse_u64(s, &u);
}

/* A number that takes the text from s up to end (a comma or the end): *next is past it. */
static int is_number(const char *s, const char **next) {
    if (!*s || *s == ' ' || *s == ',') return 0;
    char *end;
    (void)strtod(s, &end);
    if (end == s || (*end && *end != ',')) return 0;
    *next = end;
    return 1;
}

static int is_numbers(const char *s, int count) {
    for (int i = 0; i < count; i++) {
        if (!is_number(s, &s)) return 0;
        if (i + 1 < count && *s++ != ',') return 0;
    }
    return !*s;
}

static int is_shape(const char *s) {
    int c, h, w, used = 0;
    return sscanf(s, "%dx%dx%d%n", &c, &h, &w, &used) == 3 && !s[used] && c > 0 && h > 0 && w > 0 && *s != ' ';
}

static int is_choice(const char *s, const char *choices) {
    size_t n = strlen(s);
    for (const char *c = choices; c && *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (n && len == n && !strncmp(c, s, n)) return 1;
        c = bar ? bar + 1 : NULL;
    }
    return 0;
}

int cf_meta_key_check(const cf_meta_key *k, const char *value, cf_error *err) {
    int ok;
    switch (k->type) {
    case CF_VALUE_INTEGER: ok = is_integer(value); break;
    case CF_VALUE_NUMBER: {
        const char *end;
        ok = is_number(value, &end) && !*end;
        break;
    }
    case CF_VALUE_NUMBERS: ok = is_numbers(value, k->count); break;
    case CF_VALUE_SHAPE: ok = is_shape(value); break;
    case CF_VALUE_CHOICE: ok = is_choice(value, k->choices); break;
    default: ok = 1;
    }
    if (ok) return 0;
    char buf[32];
    return cf_fail(err, "%s \"%s\" is not a value of its type (%s)", k->name, value, cf_meta_key_type_name(k, buf, sizeof buf));
}
