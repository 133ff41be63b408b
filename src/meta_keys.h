/* meta_keys.h - the metadata keys of a weight file, in one table: name, type of value, and what the
 * key means. The trainer writes its keys by these names, the detector (api.c, weights.c) reads them,
 * cifake-export --set checks the values it is given against their types and --keys prints the table
 * (the keys' documentation). A weight file may hold other keys too: the table names the ones the
 * project writes or reads. */
#ifndef CIFAKE_META_KEYS_H
#define CIFAKE_META_KEYS_H

#include "common.h"

/* What the detector reads: the model and how to run it. */
#define CF_META_SPEC "spec"
#define CF_META_INPUT "input"
#define CF_META_MEAN "mean"
#define CF_META_STD "std"
#define CF_META_CLASSES "classes"
#define CF_META_THRESHOLD "threshold"
#define CF_META_TEMPERATURE "temperature"
/* The input geometry of a model: CF_VIEW_THUMBNAIL (the whole image resized to the input; also meant
 * when the key is absent) or CF_VIEW_PATCHES (a grid of native-resolution patches of the input's side
 * covering the image, their logits averaged: patches.h). */
#define CF_META_VIEW "view"
#define CF_VIEW_THUMBNAIL "thumbnail"
#define CF_VIEW_PATCHES "patches"
/* Test-time augmentation of a thumbnail model: CF_TTA_FLIP scores an image as the mean of the model's
 * logits on it and on its mirror image; absent or CF_TTA_NONE: the image alone. */
#define CF_META_TTA "tta"
#define CF_TTA_FLIP "flip"
#define CF_TTA_NONE "none"
#define CF_META_SCOPE_MAX_SIDE "scope_max_side"
/* Patch models: at most this many patches an image, a spread sample of the grid when it has more
 * (patches.h); absent or 0: every patch of the grid. */
#define CF_META_PATCH_BUDGET "patch_budget"
#define CF_META_UNSURE_BAND "unsure_band"
#define CF_META_RELIABILITY "reliability"
#define CF_META_RELIABILITY_OUT_OF_SCOPE "reliability_out_of_scope"
/* The one accuracy figure shown to users (page, README): the detector as it scores (its test-time
 * augmentation and UNSURE band) on its test split: the share of the images it gives a verdict on,
 * and the share of those verdicts that are right. test_accuracy (the network alone, every image
 * decided) is the trainer's figure, for the model card. */
#define CF_META_VERDICT_COVERAGE "verdict_coverage"
#define CF_META_VERDICT_ACCURACY "verdict_accuracy"
#define CF_META_NAME "name"
#define CF_META_AGGREGATE "aggregate"

/* How the model was trained (written by cifake-train; checkpoints hold the run's state too). */
#define CF_META_TRAIN_SPEC "train_spec"
#define CF_META_DATA "data"
#define CF_META_SEED "seed"
#define CF_META_SPLIT_SEED "split_seed"
#define CF_META_VAL_PERMILLE "val_permille"
#define CF_META_THREADS "threads"
#define CF_META_COMMAND "command"
#define CF_META_DATE "date"
#define CF_META_TRAINER_VERSION "trainer_version"
#define CF_META_EPOCHS "epochs"
#define CF_META_PERTURB_PROB "perturb_prob"
#define CF_META_EMA "ema"
#define CF_META_CUTMIX "cutmix"
#define CF_META_TEACHERS "teachers"
#define CF_META_TEACHER_WEIGHT "teacher_weight"
#define CF_META_TEACHER_MODE "teacher_mode"
#define CF_META_BEST_EPOCH "best_epoch"
#define CF_META_EPOCHS_RUN "epochs_run"
#define CF_META_PATIENCE "patience"
#define CF_META_TRAIN_SECONDS "train_seconds"
#define CF_META_PARAMS "params"
#define CF_META_VAL_ACCURACY "val_accuracy"
#define CF_META_VAL_AUROC "val_auroc"
#define CF_META_VAL_AUROC_JPEG90 "val_auroc_jpeg90"
#define CF_META_TEST_ACCURACY "test_accuracy"
#define CF_META_TEST_AUROC "test_auroc"
#define CF_META_TEST_F1 "test_f1"
#define CF_META_TEST_N "test_n"
#define CF_META_TRAIN_GROUPS "train_groups"
#define CF_META_VAL_GROUPS "val_groups"
#define CF_META_EXCLUDE_GROUPS "exclude_groups"
#define CF_META_STEPS_PER_EPOCH "steps_per_epoch"
#define CF_META_BATCH "batch"
#define CF_META_AUGMENT "augment"
#define CF_META_BALANCE "balance"
#define CF_META_EPOCH "epoch"
#define CF_META_BEST_VAL_LOSS "best_val_loss"
#define CF_META_STEP "step"

typedef enum {
    CF_VALUE_TEXT,    /* any text */
    CF_VALUE_INTEGER, /* a whole number, e.g. 26 or -1 */
    CF_VALUE_NUMBER,  /* a number, e.g. 0.5 or 1e-3 (nan where a metric is undefined) */
    CF_VALUE_NUMBERS, /* `count` numbers separated by commas */
    CF_VALUE_SHAPE,   /* CxHxW, three positive whole numbers */
    CF_VALUE_CHOICE,  /* one of the words in `choices`, separated by '|' */
} cf_value_type;

typedef struct {
    const char *name;
    cf_value_type type;
    int count;           /* CF_VALUE_NUMBERS: how many */
    const char *choices; /* CF_VALUE_CHOICE: "a|b" */
    const char *doc;
} cf_meta_key;

/* The table, in the order the keys are documented; n_keys gets its length. */
const cf_meta_key *cf_meta_keys(int *n_keys);

/* The table's entry of a key, or NULL for a key the project neither writes nor reads. */
const cf_meta_key *cf_meta_key_find(const char *name);

/* The type of a key's value in words, e.g. "number", "3 numbers", "thumbnail|patches". */
const char *cf_meta_key_type_name(const cf_meta_key *k, char *buf, size_t n);

/* Checks that value has the key's type; on failure says what was expected. Types only: what the
 * detector does with a value (a band's order, a side's range) it checks when it opens the file. */
int cf_meta_key_check(const cf_meta_key *k, const char *value, cf_error *err);

#endif
