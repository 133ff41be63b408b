/* cifake-train - trains a model spec on CIFAKE and writes a weight file.
 *
 * Reads the Kaggle layout, carves a seeded validation split out of train (duplicates kept on one
 * side), trains with augmentation (flip, pad-and-crop; optionally perturbations and CutMix) and
 * optionally a moving average of the weights, checkpoints every epoch (atomically) and resumes from
 * a checkpoint, keeps the epoch with the lowest validation loss, fits the calibration
 * temperature and the decision threshold on validation, folds batch norm into the convolutions and
 * writes the weight file. The test split is only used to report, at the very end. With --teacher it
 * distils: the targets come from an ensemble of trained weight files (teachers.h).
 *
 * Read from the bottom: main picks a data source (CIFAKE's folders, or --folders' patches), run loads
 * it and builds the model, run_epochs trains, validates and checkpoints each epoch, train_epoch asks
 * the source for each batch and train_step does one optimiser step on it. Above them: the run's state
 * and checkpoints, the weight file's metadata, and the two data sources. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cutmix.h"
#include "dataset.h"
#include "fileio.h"
#include "options.h"
#include "folders.h"
#include "infer.h"
#include "metrics.h"
#include "net.h"
#include "optim.h"
#include "parallel.h"
#include "perturb.h"
#include "progress.h"
#include "teachers.h"
#include "weights.h"

#ifndef CIFAKE_VERSION
#define CIFAKE_VERSION "unknown"
#endif

typedef struct {
    const char *data, *spec, *out, *resume, *checkpoint;
    int epochs, stop_after, patience, batch, threads, val_permille, pad, subset, report_test;
    uint64_t seed, split_seed; /* split_seed: of the validation split (--split-seed; default the seed) */
    float lr, weight_decay;
    float cutmix; /* --cutmix: share of training images given a box of blocks from another image */
    float ema; /* --ema: decay of the weight average that is validated and shipped; 0 = off */
    float perturb_prob; /* --perturb-prob: share of training images given one perturbation (perturb.h) */
    /* --teacher: distillation (teachers.h); the target is teacher_weight * the ensemble's p_fake plus
     * (1 - teacher_weight) * the label */
    const char *teachers[TEACHERS_MAX];
    int n_teachers, teacher_live;
    float teacher_weight;
    optim_kind optim;
    sched_kind sched;
    char command[2048];
    /* --folders: native-resolution patches (folders.h) */
    const char *folders, *val_groups, *exclude_groups;
    int patch, steps_per_epoch, balance_generator;
    float balance_power;
    patch_augment aug;
} train_config;

static const opt_program program = {
    "cifake-train", PROG_TRAIN,
    "usage: cifake-train --data DIR [--model SPEC] [--epochs N] [--seed S] [--out FILE] [--resume CKPT]\n"
    "                    [--checkpoint FILE] [--threads N] [--batch N] [--lr X] [--wd X]\n"
    "                    [--optim sgd|adam] [--schedule onecycle|cosine|constant] [--val-permille N]\n"
    "                    [--pad N] [--subset N] [--no-test] [--stop-after N] [--perturb-prob P]\n"
    "                    [--cutmix P] [--ema DECAY] [--split-seed S] [--patience N]\n"
    "                    [--teacher FILE ... [--teacher-weight W] [--teacher-mode cached|live]]\n"
    "       cifake-train --folders DIR --patch 32|64 --val-groups LIST [--exclude-groups LIST]\n"
    "                    [--steps-per-epoch N] [--jpeg-prob P] [--jpeg-twice P] [--jpeg-quality MIN,MAX]\n"
    "                    [--balance group|generator] [--balance-power A] [common options above]\n"
    "  Trains a model spec on CIFAKE (or, with --folders, a native-resolution patch model on image\n"
    "  folders) and writes a weight file.\n",
    NULL, 0};

/* The options as read by the table (options.h); then the rules between options. */
static int parse_args(int argc, char **argv, train_config *c) {
    opt_args a;
    int status = opt_parse_main(&program, argc, argv, &a);
    if (status) return status;
    memset(c, 0, sizeof *c);
    c->data = opt_text(&a, "--data");
    c->spec = opt_text(&a, "--model");
    c->out = opt_text(&a, "--out");
    c->resume = opt_text(&a, "--resume");
    c->checkpoint = opt_text(&a, "--checkpoint");
    c->epochs = (int)opt_int(&a, "--epochs");
    c->stop_after = (int)opt_int(&a, "--stop-after");
    c->patience = (int)opt_int(&a, "--patience");
    c->batch = (int)opt_int(&a, "--batch");
    c->threads = (int)opt_int(&a, "--threads");
    c->val_permille = (int)opt_int(&a, "--val-permille");
    c->pad = (int)opt_int(&a, "--pad");
    c->subset = (int)opt_int(&a, "--subset");
    c->report_test = !opt_count(&a, "--no-test");
    c->seed = opt_u64(&a, "--seed");
    c->split_seed = opt_count(&a, "--split-seed") ? opt_u64(&a, "--split-seed") : c->seed;
    c->optim = opt_choice(&a, "--optim") == 1 ? OPT_ADAM : OPT_SGD;
    static const sched_kind schedules[] = {SCHED_ONECYCLE, SCHED_COSINE, SCHED_CONSTANT}; /* the choices' order */
    c->sched = schedules[opt_choice(&a, "--schedule")];
    c->lr = opt_count(&a, "--lr") ? opt_float(&a, "--lr") : c->optim == OPT_ADAM ? 1e-3f : 0.1f;
    c->weight_decay = opt_float(&a, "--wd");
    c->cutmix = opt_float(&a, "--cutmix");
    c->ema = opt_float(&a, "--ema");
    c->perturb_prob = opt_float(&a, "--perturb-prob");
    c->n_teachers = opt_count(&a, "--teacher");
    for (int k = 0; k < c->n_teachers; k++) c->teachers[k] = opt_item(&a, "--teacher", k);
    c->teacher_live = opt_choice(&a, "--teacher-mode") == 1;
    c->teacher_weight = opt_float(&a, "--teacher-weight");
    c->folders = opt_text(&a, "--folders");
    c->val_groups = opt_text(&a, "--val-groups");
    c->exclude_groups = opt_text(&a, "--exclude-groups");
    c->patch = (int)opt_int(&a, "--patch");
    c->steps_per_epoch = (int)opt_int(&a, "--steps-per-epoch");
    c->balance_generator = opt_choice(&a, "--balance") == 1;
    c->balance_power = opt_float(&a, "--balance-power");
    int quality[2];
    opt_int_pair(&a, "--jpeg-quality", quality);
    c->aug = (patch_augment){opt_float(&a, "--jpeg-prob"), opt_float(&a, "--jpeg-twice"), quality[0], quality[1], 1,
                             opt_float(&a, "--rescale-prob")};
    if (c->folders) {
        if (!c->val_groups || !*c->val_groups)
            return fprintf(stderr, "cifake-train: --folders needs --val-groups (whole groups held out for validation)\n"), 2;
        if (c->batch % 2) return fprintf(stderr, "cifake-train: --folders needs an even --batch (half REAL, half FAKE)\n"), 2;
        if (!opt_count(&a, "--out")) c->out = "build/wild/wild.bin";
    } else if (!c->data) return fprintf(stderr, "cifake-train: no dataset: pass --data DIR or set CIFAKE_DIR\n"), 2;
    if (c->n_teachers && c->folders) return fprintf(stderr, "cifake-train: --teacher trains CIFAKE models, not --folders ones\n"), 2;
    if (c->n_teachers && c->cutmix > 0 && !c->teacher_live)
        return fprintf(stderr, "cifake-train: --cutmix with --teacher needs --teacher-mode live (a mixed image has no cached target)\n"), 2;
    size_t used = 0;
    for (int i = 0; i < argc && used + 2 < sizeof c->command; i++)
        used += (size_t)snprintf(c->command + used, sizeof c->command - used, "%s%s", i ? " " : "", argv[i]);
    return 0;
}

/* ---------- the state of a run, its batch, its checkpoints ---------- */

/* Everything a run carries from epoch to epoch; saved in the checkpoint. */
typedef struct {
    cf_model model, best;
    cf_model ema;      /* --ema: the moving average of model (params and buffers); unused otherwise */
    optimizer opt;
    int epoch;         /* completed epochs */
    int best_epoch;    /* 1-based; 0 = none yet */
    double best_val_loss, train_seconds;
    int augment_failed; /* a perturbation failed (out of memory); augment_err says why */
    cf_error augment_err;
} run_state;

static void run_state_free(run_state *s) {
    optim_free(&s->opt);
    cf_model_free(&s->model);
    cf_model_free(&s->best);
    cf_model_free(&s->ema);
}

/* The weights that are validated, selected and shipped: the moving average with --ema. */
static cf_model *validated_model(const train_config *c, run_state *s) { return c->ema > 0 ? &s->ema : &s->model; }

/* The buffers of one training batch. */
typedef struct {
    float *input;    /* prepared images */
    float *source;   /* --cutmix: the images before mixing */
    float *targets;  /* --cutmix or --teacher: the soft target, P(FAKE), of each image */
    float *teacher_z; /* --teacher: the ensemble's logit of each image */
    int *labels;
    int *flipped;    /* whether each image was mirrored */
    uint64_t *ids;   /* seeds each image's random choices (and dropout's) */
    const float *soft_targets; /* targets when this batch is trained towards them, NULL for the labels */
} train_batch;

static void train_batch_free(train_batch *tb) {
    free(tb->input);
    free(tb->source);
    free(tb->targets);
    free(tb->teacher_z);
    free(tb->labels);
    free(tb->flipped);
    free(tb->ids);
}

/* Buffers for batches of n images of `per` floats each. */
static int train_batch_alloc(train_batch *tb, int n, size_t per, cf_error *err) {
    tb->input = malloc(sizeof(float) * per * n);
    tb->source = malloc(sizeof(float) * per * n);
    tb->targets = malloc(sizeof(float) * n);
    tb->teacher_z = malloc(sizeof(float) * n);
    tb->labels = malloc(sizeof(int) * n);
    tb->flipped = malloc(sizeof(int) * n);
    tb->ids = malloc(sizeof(uint64_t) * n);
    if (!tb->input || !tb->source || !tb->targets || !tb->teacher_z || !tb->labels || !tb->flipped || !tb->ids)
        return cf_fail(err, "out of memory");
    return 0;
}

static void iso_date(char *buf, size_t n) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --teacher: the teachers (files as given), their weight and mode, in a weight file's or checkpoint's
 * metadata; nothing without teachers. */
static int distillation_meta(const train_config *c, cf_meta *meta, cf_error *err) {
    if (!c->n_teachers) return 0;
    char files[2048] = "";
    for (int k = 0; k < c->n_teachers; k++) {
        size_t used = strlen(files);
        snprintf(files + used, sizeof files - used, "%s%s", k ? "," : "", c->teachers[k]);
    }
    return cf_meta_set(meta, CF_META_TEACHERS, files, err) || cf_meta_setf(meta, CF_META_TEACHER_WEIGHT, err, "%g", c->teacher_weight) ||
           cf_meta_set(meta, CF_META_TEACHER_MODE, c->teacher_live ? "live" : "cached", err);
}

/* Whether a checkpoint's metadata records the distillation this run asks for (a run must not resume
 * with other targets than it started with). */
static int same_distillation(const train_config *c, const cf_meta *ckpt, cf_error *err) {
    static const char *const keys[] = {CF_META_TEACHERS, CF_META_TEACHER_WEIGHT, CF_META_TEACHER_MODE};
    cf_meta want = {0};
    int same = !distillation_meta(c, &want, err);
    for (int i = 0; same && i < 3; i++) {
        const char *a = cf_meta_get(&want, keys[i]), *b = cf_meta_get(ckpt, keys[i]);
        same = (!a && !b) || (a && b && !strcmp(a, b));
    }
    cf_meta_free(&want);
    return same;
}

/* The layer spec and input shape of a model, as its weight file and checkpoints record them. */
static int meta_input(cf_meta *meta, const char *spec, cf_shape in, cf_error *err) {
    return cf_meta_set(meta, CF_META_SPEC, spec, err) || cf_meta_setf(meta, CF_META_INPUT, err, "%dx%dx%d", in.c, in.h, in.w);
}

/* The per-channel normalisation of the input pixels. */
static int meta_normalisation(cf_meta *meta, const float mean[3], const float std[3], cf_error *err) {
    return cf_meta_setf(meta, CF_META_MEAN, err, "%.9g,%.9g,%.9g", mean[0], mean[1], mean[2]) ||
           cf_meta_setf(meta, CF_META_STD, err, "%.9g,%.9g,%.9g", std[0], std[1], std[2]);
}

static int save_checkpoint(const train_config *c, const char *path, run_state *s, const float mean[3],
                           const float std[3], cf_error *err) {
    cf_meta meta = {0};
    cf_extras ex = {0};
    int rc = meta_input(&meta, c->spec, s->model.input, err) || meta_normalisation(&meta, mean, std, err) ||
             cf_meta_setf(&meta, CF_META_SEED, err, "%llu", (unsigned long long)c->seed) ||
             cf_meta_setf(&meta, CF_META_SPLIT_SEED, err, "%llu", (unsigned long long)c->split_seed) ||
             cf_meta_setf(&meta, CF_META_EPOCH, err, "%d", s->epoch) ||
             cf_meta_setf(&meta, CF_META_BEST_EPOCH, err, "%d", s->best_epoch) ||
             cf_meta_setf(&meta, CF_META_BEST_VAL_LOSS, err, "%.17g", s->best_val_loss) ||
             cf_meta_setf(&meta, CF_META_TRAIN_SECONDS, err, "%.3f", s->train_seconds) ||
             cf_meta_setf(&meta, CF_META_STEP, err, "%lld", s->opt.step) || distillation_meta(c, &meta, err);
    ex.t[ex.n++] = (cf_tensor){"opt.m1", s->opt.m1, s->opt.n};
    ex.t[ex.n++] = (cf_tensor){"opt.m2", s->opt.m2, s->opt.n};
    ex.t[ex.n++] = (cf_tensor){"best.params", s->best.params, s->best.n_params};
    if (c->ema > 0) ex.t[ex.n++] = (cf_tensor){"ema.params", s->ema.params, s->ema.n_params};
    /* A net without batch norm has no buffers, and the weight format has no empty tensors. */
    if (s->best.n_buffers) {
        ex.t[ex.n++] = (cf_tensor){"best.buffers", s->best.buffers, s->best.n_buffers};
        if (c->ema > 0) ex.t[ex.n++] = (cf_tensor){"ema.buffers", s->ema.buffers, s->ema.n_buffers};
    }
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (!rc) rc = cf_weights_write(&s->model, &meta, &ex, &bytes, &n, err);
    if (!rc) rc = write_file_atomic(path, bytes, n, err);
    free(bytes);
    cf_meta_free(&meta);
    return rc;
}
static int copy_extra(const cf_extras *ex, const char *name, float *dst, size_t n, cf_error *err) {
    for (int i = 0; i < ex->n; i++)
        if (!strcmp(ex->t[i].name, name)) {
            if (ex->t[i].n != n) return cf_fail(err, "checkpoint tensor %s has %zu values, expected %zu", name, ex->t[i].n, n);
            memcpy(dst, ex->t[i].data, sizeof(float) * n);
            return 0;
        }
    return cf_fail(err, "checkpoint has no tensor %s", name);
}

/* A value of a checkpoint's metadata, read strictly (cf_parse_*): fallback when the key is absent
 * (NULL: the key is required); anything but the number fails. */
static int meta_count(const cf_meta *meta, const char *key, const char *fallback, long long max, long long *out,
                      cf_error *err) {
    const char *v = cf_meta_get(meta, key) ? cf_meta_get(meta, key) : fallback;
    if (!v || cf_parse_int(v, 0, max, out)) return cf_fail(err, "checkpoint: %s \"%s\" is not a count", key, v ? v : "(missing)");
    return 0;
}

static int meta_real(const cf_meta *meta, const char *key, const char *fallback, double *out, cf_error *err) {
    const char *v = cf_meta_get(meta, key) ? cf_meta_get(meta, key) : fallback;
    if (cf_parse_double(v, out)) return cf_fail(err, "checkpoint: %s \"%s\" is not a number", key, v);
    return 0;
}

/* Where the run stood when the checkpoint was written: epoch, best epoch and loss, time, optimiser step. */
static int checkpoint_progress(const cf_meta *meta, run_state *s, cf_error *err) {
    long long epoch, best_epoch;
    if (meta_count(meta, CF_META_EPOCH, NULL, INT_MAX, &epoch, err) ||
        meta_count(meta, CF_META_BEST_EPOCH, "0", INT_MAX, &best_epoch, err) ||
        meta_count(meta, CF_META_STEP, "0", LLONG_MAX, &s->opt.step, err) ||
        meta_real(meta, CF_META_BEST_VAL_LOSS, "1e300", &s->best_val_loss, err) ||
        meta_real(meta, CF_META_TRAIN_SECONDS, "0", &s->train_seconds, err))
        return -1;
    s->epoch = (int)epoch;
    s->best_epoch = (int)best_epoch;
    return 0;
}

static int load_checkpoint(const train_config *c, run_state *s, cf_error *err) {
    uint8_t *bytes;
    size_t n;
    if (read_file(c->resume, (size_t)1 << 30, &bytes, &n, err)) return -1;
    cf_model m;
    cf_meta meta;
    cf_extras ex;
    int rc = cf_weights_read(bytes, n, &m, &meta, &ex, err);
    free(bytes);
    if (rc) {
        cf_error_prefix(err, "%s", c->resume);
        return -1;
    }
    const char *seed = cf_meta_get(&meta, CF_META_SEED), *split_seed = cf_meta_get(&meta, CF_META_SPLIT_SEED);
    if (!split_seed) split_seed = seed; /* absent from older checkpoints: the seed */
    uint64_t seed_v = 0, split_seed_v = 0;
    if (strcmp(m.spec, c->spec) || m.input.h != s->model.input.h || m.input.w != s->model.input.w ||
        cf_parse_u64(seed, &seed_v) || seed_v != c->seed || cf_parse_u64(split_seed, &split_seed_v) ||
        split_seed_v != c->split_seed)
        rc = cf_fail(err, "%s: checkpoint was made with another model spec or seed (spec '%s', seed %s, split seed %s)",
                     c->resume, m.spec, seed ? seed : "?", split_seed ? split_seed : "?");
    if (!rc && !same_distillation(c, &meta, err))
        rc = cf_fail(err, "%s: checkpoint was made with other --teacher files, weight or mode (teachers %s)", c->resume,
                     cf_meta_get(&meta, CF_META_TEACHERS) ? cf_meta_get(&meta, CF_META_TEACHERS) : "none");
    if (!rc) {
        memcpy(s->model.params, m.params, sizeof(float) * m.n_params);
        memcpy(s->model.buffers, m.buffers, sizeof(float) * m.n_buffers);
        rc = copy_extra(&ex, "opt.m1", s->opt.m1, s->opt.n, err) || copy_extra(&ex, "opt.m2", s->opt.m2, s->opt.n, err) ||
             copy_extra(&ex, "best.params", s->best.params, s->best.n_params, err) ||
             (s->best.n_buffers && copy_extra(&ex, "best.buffers", s->best.buffers, s->best.n_buffers, err)) ||
             (c->ema > 0 && copy_extra(&ex, "ema.params", s->ema.params, s->ema.n_params, err)) ||
             (c->ema > 0 && s->ema.n_buffers && copy_extra(&ex, "ema.buffers", s->ema.buffers, s->ema.n_buffers, err));
    }
    if (!rc) rc = checkpoint_progress(&meta, s, err);
    if (rc) cf_error_prefix(err, "%s", c->resume);
    cf_model_free(&m);
    cf_meta_free(&meta);
    cf_extras_free(&ex);
    return rc;
}

/* Builds the model (and its best copy, optimiser, workspace and --ema average) for input shape `in`,
 * initialised from the seed, or continued from --resume. */
static int start_run(const train_config *c, run_state *s, cf_workspace *ws, cf_shape in, cf_error *err) {
    if (cf_model_build(&s->model, c->spec, in, err) || cf_model_build(&s->best, c->spec, in, err) ||
        optim_init(&s->opt, &s->model, c->optim, c->weight_decay, err) ||
        cf_workspace_init(ws, &s->model, c->batch, c->threads, err))
        return -1;
    cf_model_init_params(&s->model, c->seed);
    if (c->ema > 0 && cf_model_clone(&s->model, &s->ema, err)) return -1; /* the average starts at the start */
    s->best_val_loss = 1e300;
    if (c->resume) {
        if (load_checkpoint(c, s, err)) return -1;
        fprintf(stderr, "resumed from %s after epoch %d\n", c->resume, s->epoch);
    }
    return 0;
}

/* The checkpoint file of a run (--checkpoint, else OUT.ckpt), its folder made. */
static int checkpoint_path(const train_config *c, char *ckpt, size_t n, cf_error *err) {
    snprintf(ckpt, n, "%s", c->checkpoint ? c->checkpoint : c->out);
    if (!c->checkpoint) strncat(ckpt, ".ckpt", n - strlen(ckpt) - 1);
    return make_parent_dirs(ckpt, err);
}

/* After epoch s->epoch was validated with loss (lower is better): keeps the validated weights when
 * they are the best so far. */
static void keep_if_best(const train_config *c, run_state *s, double loss) {
    if (!(loss < s->best_val_loss)) return;
    s->best_val_loss = loss;
    s->best_epoch = s->epoch;
    const cf_model *v = validated_model(c, s);
    memcpy(s->best.params, v->params, sizeof(float) * v->n_params);
    memcpy(s->best.buffers, v->buffers, sizeof(float) * v->n_buffers);
}

/* Whether training is over: all --epochs done, or --patience epochs in a row without a better validation
 * loss. Depends only on the run state, so a run resumed from a checkpoint stops where it would have. */
static int training_done(const train_config *c, const run_state *s) {
    return s->epoch >= c->epochs || (c->patience > 0 && s->best_epoch > 0 && s->epoch - s->best_epoch >= c->patience);
}

/* Saves the checkpoint of the epoch just finished; *stop is set when --stop-after asks to end here. */
static int end_epoch(const train_config *c, run_state *s, const char *ckpt, const float mean[3], const float std[3],
                     int *stop, cf_error *err) {
    if (save_checkpoint(c, ckpt, s, mean, std, err)) return -1;
    if (s->epoch < c->epochs && training_done(c, s))
        fprintf(stderr, "early stopping after epoch %d: no better validation loss for %d epochs; best epoch %d\n",
                s->epoch, c->patience, s->best_epoch);
    *stop = c->stop_after > 0 && s->epoch >= c->stop_after && !training_done(c, s);
    if (*stop) fprintf(stderr, "stopping after epoch %d as asked; continue with --resume %s\n", s->epoch, ckpt);
    return 0;
}

/* ---------- the weight file ---------- */

/* The keys every weight file records after its calibration: its classes, threshold and temperature. */
static int meta_calibration(cf_meta *meta, float threshold, float temperature, cf_error *err) {
    return cf_meta_set(meta, CF_META_CLASSES, "REAL,FAKE", err) || cf_meta_setf(meta, CF_META_THRESHOLD, err, "%.9g", threshold) ||
           cf_meta_setf(meta, CF_META_TEMPERATURE, err, "%.9g", temperature);
}

/* How the run was made: its threads, command line, date, trainer version and epoch budget. */
static int meta_provenance(const train_config *c, cf_meta *meta, cf_error *err) {
    char date[32];
    iso_date(date, sizeof date);
    return cf_meta_setf(meta, CF_META_THREADS, err, "%d", c->threads) || cf_meta_set(meta, CF_META_COMMAND, c->command, err) ||
           cf_meta_set(meta, CF_META_DATE, date, err) || cf_meta_set(meta, CF_META_TRAINER_VERSION, CIFAKE_VERSION, err) ||
           cf_meta_setf(meta, CF_META_EPOCHS, err, "%d", c->epochs);
}

/* How the run went: the kept epoch, the epochs trained, the patience, the time and the parameter count. */
static int meta_outcome(const train_config *c, const run_state *s, const cf_model *folded, cf_meta *meta,
                        cf_error *err) {
    return cf_meta_setf(meta, CF_META_BEST_EPOCH, err, "%d", s->best_epoch) ||
           cf_meta_setf(meta, CF_META_EPOCHS_RUN, err, "%d", s->epoch) ||
           cf_meta_setf(meta, CF_META_PATIENCE, err, "%d", c->patience) ||
           cf_meta_setf(meta, CF_META_TRAIN_SECONDS, err, "%.0f", s->train_seconds) ||
           cf_meta_setf(meta, CF_META_PARAMS, err, "%zu", folded->n_params);
}

/* Unless an earlier step failed (rc), serialises the folded model with its metadata and writes it
 * atomically to path; frees both either way. */
static int write_model_file(int rc, const char *path, cf_model *folded, cf_meta *meta, cf_error *err) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    if (!rc)
        rc = cf_weights_write(folded, meta, NULL, &bytes, &n, err) || make_parent_dirs(path, err) ||
             write_file_atomic(path, bytes, n, err);
    if (!rc) fprintf(stderr, "wrote %s (%zu bytes, %zu parameters)\n", path, n, folded->n_params);
    free(bytes);
    cf_meta_free(meta);
    cf_model_free(folded);
    return rc;
}

/* ---------- where the batches come from ---------- */

/* A run's data: it fills every training batch, validates each epoch and writes the weight file. Two
 * kinds, each a struct that begins with this one: CIFAKE's 32x32 images, whole as a thumbnail model
 * sees them (thumb_source, optionally with --teacher targets), and folders of images of any size cut
 * into patches (patch_source, --folders). `load` sets the fields after the functions; run frees the split. */
typedef struct data_source data_source;
struct data_source {
    int (*load)(data_source *src, const train_config *c, cf_error *err);
    /* After the model is built (may be NULL): --teacher opens the teachers then. */
    int (*attach)(data_source *src, const train_config *c, cf_error *err);
    /* Before each epoch (may be NULL): CIFAKE shuffles its images. */
    void (*begin_epoch)(data_source *src, const train_config *c, int epoch);
    /* Fills the batch of step `step` of epoch s->epoch; on failure sets s->augment_failed. */
    void (*fill_batch)(data_source *src, const train_config *c, run_state *s, int step, train_batch *tb);
    /* After an epoch: the loss that selects the kept epoch (lower is better) and the middle of its log line. */
    int (*validate)(data_source *src, const train_config *c, run_state *s, double *loss, char *log, size_t n,
                    cf_error *err);
    int (*write_weights)(data_source *src, const train_config *c, run_state *s, cf_error *err);
    void (*free)(data_source *src);
    cf_shape input;
    float mean[3], std[3];
    int steps_per_epoch;
    char model_note[32]; /* said after the spec in the model's log line */
    int *train_idx, n_train; /* the training images (the first n_train of train_idx) */
    int *val_idx, n_val;     /* the held-out validation images */
};

/* ---------- CIFAKE: whole 32x32 images ---------- */

typedef struct {
    data_source base;
    dataset train, test;
    int *order;              /* this epoch's shuffle of the training images */
    teacher_set teachers;    /* --teacher */
} thumb_source;

static void thumb_free(data_source *src) {
    thumb_source *d = (thumb_source *)src;
    teachers_close(&d->teachers);
    free(d->order);
    dataset_free(&d->train);
    dataset_free(&d->test);
}

static int thumb_load(data_source *src, const train_config *c, cf_error *err) {
    thumb_source *d = (thumb_source *)src;
    double t0 = now_seconds();
    fprintf(stderr, "loading %s/train ...\n", c->data);
    if (dataset_load(&d->train, c->data, "train", c->threads, err)) return -1;
    if (c->report_test) {
        fprintf(stderr, "loading %s/test ...\n", c->data);
        if (dataset_load(&d->test, c->data, "test", c->threads, err)) return -1;
    }
    if (dataset_split(&d->train, c->split_seed, c->val_permille, &src->train_idx, &src->n_train, &src->val_idx,
                      &src->n_val, err))
        return -1;
    if (c->subset > 0 && c->subset < src->n_train) { /* a seeded subset, for quick runs */
        cf_rng rng = cf_rng_make(c->seed, 0x5B5Eu, 0);
        for (int i = src->n_train - 1; i > 0; i--) {
            int j = (int)cf_rng_below(&rng, (uint32_t)i + 1), t = src->train_idx[i];
            src->train_idx[i] = src->train_idx[j];
            src->train_idx[j] = t;
        }
        src->n_train = c->subset;
    }
    if (src->n_train < c->batch)
        return cf_fail(err, "only %d training images, fewer than one batch of %d", src->n_train, c->batch);
    fprintf(stderr, "loaded in %.1f s: %d train, %d validation, %d test images\n", now_seconds() - t0, src->n_train,
            src->n_val, d->test.n);
    d->order = malloc(sizeof(int) * src->n_train);
    if (!d->order) return cf_fail(err, "out of memory");
    dataset_channel_stats(&d->train, src->train_idx, src->n_train, src->mean, src->std);
    src->input = (cf_shape){3, DS_SIDE, DS_SIDE};
    src->steps_per_epoch = src->n_train / c->batch;
    return 0;
}

/* --teacher: opens the teachers and, in cached mode, has them score the training images. Their time
 * is reported here and not counted in the run's training time. */
static int thumb_attach_teachers(data_source *src, const train_config *c, cf_error *err) {
    thumb_source *d = (thumb_source *)src;
    if (!c->n_teachers) return 0;
    double t0 = now_seconds();
    teacher_set *t = &d->teachers;
    if (teachers_open(t, c->teachers, c->n_teachers, c->split_seed, c->val_permille, err)) return -1;
    if (c->teacher_live) return teachers_go_live(t, c->batch, c->threads, err);
    if (teachers_cache(t, &d->train, src->train_idx, src->n_train, c->threads, err)) return -1;
    fprintf(stderr, "%d teacher%s scored %d training images upright and mirrored in %.1f s\n", t->n, t->n > 1 ? "s" : "",
            src->n_train, now_seconds() - t0);
    return 0;
}

/* A seeded shuffle of the training images for each epoch. */
static void thumb_shuffle(data_source *src, const train_config *c, int epoch) {
    thumb_source *d = (thumb_source *)src;
    memcpy(d->order, src->train_idx, sizeof(int) * src->n_train);
    cf_rng shuffle = cf_rng_make(c->seed, 0x5417u, (uint64_t)epoch);
    for (int i = src->n_train - 1; i > 0; i--) {
        int j = (int)cf_rng_below(&shuffle, (uint32_t)i + 1), t = d->order[i];
        d->order[i] = d->order[j];
        d->order[j] = t;
    }
}

/* --perturb-prob: one random perturbation of image i, then the usual flip and translation from aug.
 * The perturbation draws from its own stream, so the flips and translations are those of a run
 * without the option, and the whole remains a function of (seed, epoch, image). Returns -1 on
 * failure, else whether the image was mirrored. */
static int prepare_perturbed(const train_config *c, const thumb_source *d, int i, uint64_t id, cf_rng *aug, float *out,
                             cf_error *err) {
    uint8_t pixels[DS_PIXELS];
    cf_rng rng = cf_rng_make(c->seed, id, 0x9E27u);
    if (perturb_random(c->perturb_prob, d->train.pixels + (size_t)i * DS_PIXELS, pixels, &rng, err)) return -1;
    dataset one = {.n = 1, .pixels = pixels};
    return dataset_prepare(&one, 0, d->base.mean, d->base.std, 1, c->pad, aug, out);
}

/* --teacher: mixes the teachers' opinion of each image of the prepared batch into its target (the
 * label, or CutMix's area share when set). */
static void teacher_targets(const train_config *c, thumb_source *d, train_batch *tb, const int *batch_idx) {
    teacher_set *t = &d->teachers;
    if (c->teacher_live) teachers_score_batch(t, tb->input, c->batch, d->base.mean, d->base.std, tb->teacher_z);
    for (int i = 0; i < c->batch; i++) {
        float z = c->teacher_live ? tb->teacher_z[i] : teachers_cached_logit(t, batch_idx[i], tb->flipped[i]);
        float hard = c->cutmix > 0 ? tb->targets[i] : (float)tb->labels[i];
        tb->targets[i] = c->teacher_weight * cf_sigmoid(z) + (1 - c->teacher_weight) * hard;
    }
}

/* The images of one step of the shuffle, augmented (flip, translation, --perturb-prob), then mixed
 * (--cutmix) and given the teachers' targets (--teacher). */
static void thumb_fill_batch(data_source *src, const train_config *c, run_state *s, int step, train_batch *tb) {
    thumb_source *d = (thumb_source *)src;
    const int *batch_idx = d->order + (size_t)step * c->batch;
    uint64_t epoch = (uint64_t)s->epoch;
    CF_PARALLEL_FOR(c->threads)
    for (int i = 0; i < c->batch; i++) {
        uint64_t id = (epoch << 32) | (uint64_t)batch_idx[i];
        cf_rng rng = cf_rng_make(c->seed, id, 0xA06u);
        float *out = tb->input + (size_t)i * DS_PIXELS;
        cf_error e;
        if (c->perturb_prob <= 0)
            tb->flipped[i] = dataset_prepare(&d->train, batch_idx[i], src->mean, src->std, 1, c->pad, &rng, out);
        else if ((tb->flipped[i] = prepare_perturbed(c, d, batch_idx[i], id, &rng, out, &e)) < 0) {
            CF_CRITICAL
            {
                s->augment_failed = 1;
                s->augment_err = e;
            }
        }
        tb->labels[i] = d->train.labels[batch_idx[i]];
        tb->ids[i] = id;
    }
    if (s->augment_failed) return;
    if (c->cutmix > 0) {
        memcpy(tb->source, tb->input, sizeof(float) * DS_PIXELS * c->batch);
        cutmix_batch(tb->input, tb->source, tb->labels, tb->ids, c->batch, c->cutmix, c->seed, tb->targets);
    }
    if (c->n_teachers) teacher_targets(c, d, tb, batch_idx);
    tb->soft_targets = c->cutmix > 0 || c->n_teachers ? tb->targets : NULL;
}

static int labels_of(const dataset *ds, const int *idx, int n, int **out) {
    *out = malloc(sizeof(int) * (n + 1));
    if (!*out) return -1;
    for (int i = 0; i < n; i++) (*out)[i] = ds->labels[idx[i]];
    return 0;
}

/* The validation split's loss, accuracy and AUROC of the validated weights. */
static int thumb_validate(data_source *src, const train_config *c, run_state *s, double *loss, char *log, size_t n,
                           cf_error *err) {
    thumb_source *d = (thumb_source *)src;
    float *scores = malloc(sizeof(float) * (src->n_val + 1));
    int *labels = NULL;
    if (!scores || labels_of(&d->train, src->val_idx, src->n_val, &labels)) {
        free(scores);
        return cf_fail(err, "out of memory");
    }
    metrics val;
    int rc = infer_scores(validated_model(c, s), &d->train, src->val_idx, src->n_val, src->mean, src->std, c->threads,
                          scores, err);
    if (!rc) {
        score_metrics(scores, labels, src->n_val, 1.0f, 0.5f, &val);
        *loss = val.loss;
        snprintf(log, n, "val loss %.4f, val acc %.4f, val auroc %.5f", *loss, val.accuracy, val.auroc);
    }
    free(scores);
    free(labels);
    return rc;
}

/* The test split's metrics of the folded model (the test split is only ever used here, to report). */
static int thumb_test_metrics(const train_config *c, const thumb_source *d, cf_model *folded, float temperature,
                               float threshold, metrics *tst, cf_error *err) {
    const dataset *test = &d->test;
    int *all = malloc(sizeof(int) * test->n);
    float *ts = malloc(sizeof(float) * test->n);
    int rc = !all || !ts ? cf_fail(err, "out of memory") : 0;
    for (int i = 0; !rc && i < test->n; i++) all[i] = i;
    if (!rc) rc = infer_scores(folded, test, all, test->n, d->base.mean, d->base.std, c->threads, ts, err);
    if (!rc) {
        score_metrics(ts, test->labels, test->n, temperature, threshold, tst);
        metrics_print(stderr, "test", tst, 0);
    }
    free(all);
    free(ts);
    return rc;
}

/* Writes the final weight file: best epoch, BN folded, calibration and provenance in the metadata. */
static int thumb_write_weights(data_source *src, const train_config *c, run_state *s, cf_error *err) {
    thumb_source *d = (thumb_source *)src;
    int n_val = src->n_val;
    cf_model folded;
    if (cf_model_fold_bn(&s->best, &folded, err)) return -1;
    float *scores = malloc(sizeof(float) * (n_val + 1)), *p = malloc(sizeof(float) * (n_val + 1));
    int *val_labels = NULL;
    int rc = !scores || !p || labels_of(&d->train, src->val_idx, n_val, &val_labels) ? cf_fail(err, "out of memory") : 0;
    if (!rc) rc = infer_scores(&folded, &d->train, src->val_idx, n_val, src->mean, src->std, c->threads, scores, err);
    float temperature = 1.0f, threshold = 0.5f;
    metrics val = {0}, tst = {0};
    if (!rc) {
        temperature = fit_temperature(scores, val_labels, n_val);
        for (int i = 0; i < n_val; i++) p[i] = cf_sigmoid(scores[i] / temperature);
        threshold = pick_threshold(p, val_labels, n_val);
        score_metrics(scores, val_labels, n_val, temperature, threshold, &val);
        fprintf(stderr, "calibration on validation: temperature %.4f, threshold %.4f\n", temperature, threshold);
        metrics_print(stderr, "validation (best epoch)", &val, 0);
    }
    if (!rc && c->report_test) rc = thumb_test_metrics(c, d, &folded, temperature, threshold, &tst, err);
    cf_meta meta = {0};
    if (!rc)
        rc = meta_input(&meta, folded.spec, folded.input, err) || meta_normalisation(&meta, src->mean, src->std, err) ||
             meta_calibration(&meta, threshold, temperature, err) || cf_meta_set(&meta, CF_META_TRAIN_SPEC, c->spec, err) ||
             cf_meta_setf(&meta, CF_META_DATA, err, "CIFAKE train split (%d training, %d validation images)", src->n_train, n_val) ||
             cf_meta_setf(&meta, CF_META_SEED, err, "%llu", (unsigned long long)c->seed) ||
             cf_meta_setf(&meta, CF_META_SPLIT_SEED, err, "%llu", (unsigned long long)c->split_seed) ||
             cf_meta_setf(&meta, CF_META_VAL_PERMILLE, err, "%d", c->val_permille) || meta_provenance(c, &meta, err) ||
             cf_meta_setf(&meta, CF_META_PERTURB_PROB, err, "%g", c->perturb_prob) ||
             cf_meta_setf(&meta, CF_META_EMA, err, "%g", c->ema) ||
             cf_meta_setf(&meta, CF_META_CUTMIX, err, "%g", c->cutmix) || distillation_meta(c, &meta, err) ||
             meta_outcome(c, s, &folded, &meta, err) ||
             cf_meta_setf(&meta, CF_META_VAL_ACCURACY, err, "%.4f", val.accuracy) ||
             cf_meta_setf(&meta, CF_META_VAL_AUROC, err, "%.5f", val.auroc);
    if (!rc && c->report_test)
        rc = cf_meta_setf(&meta, CF_META_TEST_ACCURACY, err, "%.4f", tst.accuracy) ||
             cf_meta_setf(&meta, CF_META_TEST_AUROC, err, "%.5f", tst.auroc) ||
             cf_meta_setf(&meta, CF_META_TEST_F1, err, "%.4f", tst.f1) || cf_meta_setf(&meta, CF_META_TEST_N, err, "%d", tst.n);
    free(scores);
    free(p);
    free(val_labels);
    return write_model_file(rc, c->out, &folded, &meta, err);
}

/* ---------- --folders: native-resolution patches ---------- */

typedef struct {
    data_source base;
    folder_set fs;
    folder_selection skip; /* --exclude-groups */
    int *val_labels; /* twice n_val: as-is, then re-encoded */
    folder_sampler sampler;
    char *train_groups; /* comma-separated names, for the metadata */
} patch_source;

static void patch_free(data_source *src) {
    patch_source *d = (patch_source *)src;
    folders_sampler_free(&d->sampler);
    free(d->val_labels);
    free(d->train_groups);
    folders_free(&d->fs);
    folders_selection_free(&d->skip);
}

/* The JPEG quality of the re-encoded copy of every validation image (besides the images as they are). */
#define VAL_JPEG_QUALITY 90

/* Splits the loaded images into training and validation (--val-groups) and names the training groups. */
static int patch_split(const train_config *c, patch_source *d, cf_error *err) {
    data_source *src = &d->base;
    folder_selection val;
    if (folders_selection_parse(&val, c->val_groups, err)) return -1;
    const folder_set *fs = &d->fs;
    int *side = malloc(sizeof(int) * (fs->n + 1));
    src->train_idx = malloc(sizeof(int) * (fs->n + 1));
    src->val_idx = malloc(sizeof(int) * (fs->n + 1));
    d->val_labels = malloc(sizeof(int) * (2 * fs->n + 1));
    size_t names_len = 1;
    for (int g = 0; g < fs->n_groups; g++) names_len += strlen(fs->group_name[g]) + 1;
    d->train_groups = calloc(names_len, 1);
    int rc = 0, classes[2][2] = {{0}};
    if (!side || !src->train_idx || !src->val_idx || !d->val_labels || !d->train_groups) rc = cf_fail(err, "out of memory");
    for (int i = 0; !rc && i < fs->n; i++) {
        side[i] = folders_image_matches(fs, i, &val);
        if (side[i]) src->val_idx[src->n_val++] = i;
        else src->train_idx[src->n_train++] = i;
        classes[side[i]][fs->label[i]]++;
    }
    if (!rc) rc = folders_check_sources(fs, side, err);
    if (!rc && (!classes[1][0] || !classes[1][1]))
        rc = cf_fail(err, "--val-groups %s selects %d REAL and %d FAKE images; validation needs both", c->val_groups,
                     classes[1][0], classes[1][1]);
    if (!rc && (!classes[0][0] || !classes[0][1]))
        rc = cf_fail(err, "training keeps %d REAL and %d FAKE images; it needs both", classes[0][0], classes[0][1]);
    for (int k = 0; !rc && k < 2 * src->n_val; k++) d->val_labels[k] = fs->label[src->val_idx[k % src->n_val]];
    for (int g = 0; !rc && g < fs->n_groups; g++) {
        int used = 0;
        for (int k = 0; k < src->n_train && !used; k++) used = fs->group[src->train_idx[k]] == g;
        if (!used) continue;
        if (*d->train_groups) strcat(d->train_groups, ",");
        strcat(d->train_groups, fs->group_name[g]);
    }
    if (!rc)
        fprintf(stderr, "training: %d REAL and %d FAKE images (groups %s); validation: %d REAL and %d FAKE images\n",
                classes[0][0], classes[0][1], d->train_groups, classes[1][0], classes[1][1]);
    free(side);
    folders_selection_free(&val);
    return rc;
}

static int patch_load(data_source *src, const train_config *c, cf_error *err) {
    patch_source *d = (patch_source *)src;
    int n_small = 0;
    double t0 = now_seconds();
    if (folders_selection_parse(&d->skip, c->exclude_groups, err)) return -1;
    fprintf(stderr, "loading %s (excluding %s) ...\n", c->folders, c->exclude_groups ? c->exclude_groups : "nothing");
    if (folders_load(&d->fs, c->folders, NULL, &d->skip, c->patch, c->threads, &n_small, err)) return -1;
    fprintf(stderr, "decoded %d images in %.1f s (%d smaller than %d px skipped)\n", d->fs.n, now_seconds() - t0, n_small,
            c->patch);
    if (patch_split(c, d, err) ||
        folders_sampler_init(&d->sampler, &d->fs, src->train_idx, src->n_train, c->balance_generator, c->balance_power, err))
        return -1;
    folders_channel_stats(&d->fs, src->train_idx, src->n_train, src->mean, src->std);
    src->input = (cf_shape){3, c->patch, c->patch};
    src->steps_per_epoch = c->steps_per_epoch;
    snprintf(src->model_note, sizeof src->model_note, " on %dx%d patches", c->patch, c->patch);
    return 0;
}

/* Random patches, half REAL, half FAKE, each from an image the sampler draws (folders.h). */
static void patch_fill_batch(data_source *src, const train_config *c, run_state *s, int step, train_batch *tb) {
    patch_source *d = (patch_source *)src;
    size_t per = (size_t)3 * c->patch * c->patch;
    uint64_t global = (uint64_t)s->epoch * (uint64_t)c->steps_per_epoch + (uint64_t)step;
    CF_PARALLEL_FOR(c->threads)
    for (int i = 0; i < c->batch; i++) {
        uint64_t id = (global << 20) | (uint64_t)i;
        cf_rng rng = cf_rng_make(c->seed, id, 0xF01Du);
        int lab = i & 1; /* half REAL, half FAKE */
        int img = folders_sampler_draw(&d->sampler, lab, &rng);
        cf_error e;
        if (folders_train_patch(&d->fs, img, c->patch, &c->aug, src->mean, src->std, &rng, tb->input + per * i, &e)) {
            CF_CRITICAL
            {
                s->augment_failed = 1;
                s->augment_err = e;
            }
        }
        tb->labels[i] = lab;
        tb->ids[i] = id;
    }
    tb->soft_targets = NULL;
}

/* Whole-image scores of the validation images, as they are (scores[0..n_val)) and re-encoded as JPEG
 * at VAL_JPEG_QUALITY (scores[n_val..2 n_val)). */
static int patch_val_scores(const train_config *c, cf_model *m, const patch_source *d, float *scores, cf_error *err) {
    const data_source *src = &d->base;
    return infer_patch_scores(m, &d->fs, src->val_idx, src->n_val, c->patch, 0, src->mean, src->std, 0, c->threads,
                              scores, err) ||
           infer_patch_scores(m, &d->fs, src->val_idx, src->n_val, c->patch, 0, src->mean, src->std, VAL_JPEG_QUALITY,
                              c->threads, scores + src->n_val, err);
}

/* The model-selection criterion: the mean of the validation AUROCs as-is and re-encoded (a model that
 * tells the classes apart by their file format fails the second); the "loss" is minus it. */
static int patch_validate(data_source *src, const train_config *c, run_state *s, double *loss, char *log, size_t n,
                          cf_error *err) {
    patch_source *d = (patch_source *)src;
    float *scores = malloc(sizeof(float) * (2 * src->n_val + 1));
    if (!scores) return cf_fail(err, "out of memory");
    metrics plain, recoded;
    int rc = patch_val_scores(c, validated_model(c, s), d, scores, err);
    if (!rc) {
        score_metrics(scores, d->val_labels, src->n_val, 1.0f, 0.5f, &plain);
        score_metrics(scores + src->n_val, d->val_labels, src->n_val, 1.0f, 0.5f, &recoded);
        *loss = -0.5 * (plain.auroc + recoded.auroc);
        snprintf(log, n, "val loss %.4f, val auroc %.5f, val auroc jpeg90 %.5f", plain.loss, plain.auroc, recoded.auroc);
    }
    free(scores);
    return rc;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of the p of images of one class (nearest rank), or fallback when there are none. */
static float class_quantile(const float *p, const int *labels, int n, int label, double q, float fallback) {
    float *v = malloc(sizeof(float) * (n + 1));
    int k = 0;
    for (int i = 0; v && i < n; i++)
        if (labels[i] == label) v[k++] = p[i];
    float r = fallback;
    if (k) {
        qsort(v, (size_t)k, sizeof(float), compare_floats);
        int at = (int)ceil(q * k) - 1;
        r = v[at < 0 ? 0 : at >= k ? k - 1 : at];
    }
    free(v);
    return r;
}
static int patch_write_weights(data_source *src, const train_config *c, run_state *s, cf_error *err) {
    patch_source *d = (patch_source *)src;
    cf_model folded;
    if (cf_model_fold_bn(&s->best, &folded, err)) return -1;
    int n2 = 2 * src->n_val;
    float *scores = malloc(sizeof(float) * (n2 + 1)), *p = malloc(sizeof(float) * (n2 + 1));
    int rc = !scores || !p ? cf_fail(err, "out of memory") : patch_val_scores(c, &folded, d, scores, err);
    float temperature = 1, threshold = 0.5f, lo = 0.5f, hi = 0.5f;
    metrics plain = {0}, recoded = {0};
    if (!rc) {
        /* calibration on the validation images as-is and re-encoded together */
        temperature = fit_temperature(scores, d->val_labels, n2);
        for (int i = 0; i < n2; i++) p[i] = cf_sigmoid(scores[i] / temperature);
        threshold = pick_threshold(p, d->val_labels, n2);
        /* the UNSURE band: FAKE only above what 95% of validation reals stay under, REAL only below what
         * 90% of validation fakes stay over; never narrower than the threshold itself */
        hi = class_quantile(p, d->val_labels, n2, 0, 0.95, threshold);
        lo = class_quantile(p, d->val_labels, n2, 1, 0.10, threshold);
        if (hi < threshold) hi = threshold;
        if (lo > threshold) lo = threshold;
        score_metrics(scores, d->val_labels, src->n_val, temperature, threshold, &plain);
        score_metrics(scores + src->n_val, d->val_labels, src->n_val, temperature, threshold, &recoded);
        fprintf(stderr, "calibration on validation: temperature %.4f, threshold %.4f, UNSURE band [%.4f, %.4f)\n",
                temperature, threshold, lo, hi);
        metrics_print(stderr, "validation groups (best epoch), as they are", &plain, 0);
        metrics_print(stderr, "validation groups (best epoch), re-encoded as JPEG quality 90", &recoded, 0);
    }
    cf_meta meta = {0};
    if (!rc)
        rc = meta_input(&meta, folded.spec, folded.input, err) || cf_meta_set(&meta, CF_META_VIEW, CF_VIEW_PATCHES, err) ||
             meta_normalisation(&meta, src->mean, src->std, err) || meta_calibration(&meta, threshold, temperature, err) ||
             cf_meta_setf(&meta, CF_META_UNSURE_BAND, err, "%.6f,%.6f", lo, hi) ||
             cf_meta_set(&meta, CF_META_AGGREGATE, "mean of the patch logits over the patch grid (patches.h)", err) ||
             cf_meta_set(&meta, CF_META_TRAIN_SPEC, c->spec, err) ||
             cf_meta_setf(&meta, CF_META_DATA, err, "image folders %s: %d training images, %d validation images", c->folders,
                          src->n_train, src->n_val) ||
             cf_meta_set(&meta, CF_META_TRAIN_GROUPS, d->train_groups, err) ||
             cf_meta_set(&meta, CF_META_VAL_GROUPS, c->val_groups, err) ||
             cf_meta_set(&meta, CF_META_EXCLUDE_GROUPS, c->exclude_groups ? c->exclude_groups : "", err) ||
             cf_meta_setf(&meta, CF_META_SEED, err, "%llu", (unsigned long long)c->seed) || meta_provenance(c, &meta, err) ||
             cf_meta_setf(&meta, CF_META_STEPS_PER_EPOCH, err, "%d", c->steps_per_epoch) ||
             cf_meta_setf(&meta, CF_META_BATCH, err, "%d", c->batch) ||
             cf_meta_setf(&meta, CF_META_AUGMENT, err, "jpeg_prob %g, jpeg_twice %g, jpeg_quality %d..%d, rescale_prob %g, flips",
                          c->aug.jpeg_prob, c->aug.jpeg_twice, c->aug.jpeg_min, c->aug.jpeg_max, c->aug.rescale_prob) ||
             cf_meta_setf(&meta, CF_META_BALANCE, err, "%s^%g", c->balance_generator ? "generator" : "group", c->balance_power) ||
             cf_meta_setf(&meta, CF_META_EMA, err, "%g", c->ema) || meta_outcome(c, s, &folded, &meta, err) ||
             cf_meta_setf(&meta, CF_META_VAL_AUROC, err, "%.5f", plain.auroc) ||
             cf_meta_setf(&meta, CF_META_VAL_AUROC_JPEG90, err, "%.5f", recoded.auroc);
    free(scores);
    free(p);
    return write_model_file(rc, c->out, &folded, &meta, err);
}

/* ---------- the training loop ---------- */

/* --ema: ema += (1 - d) * (model - ema) over parameters and batch-norm statistics, after optimiser
 * step t. The decay ramps up as (1 + t) / (10 + t) so the average soon forgets the random start. */
static void ema_update(cf_model *ema, const cf_model *m, float decay, long long t) {
    float ramp = (float)(1 + t) / (float)(10 + t), d = decay < ramp ? decay : ramp;
    for (size_t i = 0; i < m->n_params; i++) ema->params[i] += (1 - d) * (m->params[i] - ema->params[i]);
    for (size_t i = 0; i < m->n_buffers; i++) ema->buffers[i] += (1 - d) * (m->buffers[i] - ema->buffers[i]);
}

/* One optimiser step on a filled batch: forward, the loss against the batch's soft targets when it has
 * them (else its labels), backward, the update at the scheduled rate (*lr), the moving average.
 * Returns the batch's loss. */
static float train_step(const train_config *c, run_state *s, cf_workspace *ws, const train_batch *tb,
                        long long total_steps, float *lr) {
    const float *logits = cf_forward(&s->model, ws, tb->input, c->batch, 1, c->seed, tb->ids);
    float *dlogits = cf_output_grad(ws);
    float loss = tb->soft_targets ? cf_loss_soft(&s->model, logits, tb->soft_targets, c->batch, dlogits)
                                  : cf_loss(&s->model, logits, tb->labels, c->batch, dlogits);
    cf_model_zero_grads(&s->model);
    cf_backward(&s->model, ws, 0, s->model.n_layers - 1, CF_GRAD_PARAMS);
    *lr = schedule_lr(c->sched, c->lr, s->opt.step, total_steps);
    optim_step(&s->opt, &s->model, *lr);
    if (c->ema > 0) ema_update(&s->ema, &s->model, c->ema, s->opt.step);
    return loss;
}

/* One epoch: the source's batches, one step each; returns the mean training loss. */
static double train_epoch(const train_config *c, run_state *s, cf_workspace *ws, data_source *src, train_batch *tb,
                          long long total_steps) {
    int steps = src->steps_per_epoch;
    if (src->begin_epoch) src->begin_epoch(src, c, s->epoch);
    char label[64], extra[96] = "";
    snprintf(label, sizeof label, "epoch %d/%d", s->epoch + 1, c->epochs);
    progress bar;
    progress_start(&bar, label, (long long)steps * c->batch);
    double loss_sum = 0.0;
    for (int step = 0; step < steps; step++) {
        src->fill_batch(src, c, s, step, tb);
        if (s->augment_failed) break;
        float lr;
        loss_sum += train_step(c, s, ws, tb, total_steps, &lr);
        snprintf(extra, sizeof extra, "loss %.4f lr %.4f", loss_sum / (step + 1), lr);
        progress_update(&bar, c->batch, extra);
    }
    progress_finish(&bar, extra);
    return steps ? loss_sum / steps : 0.0;
}

/* Trains epochs until training_done: each one trained, validated, kept if best, logged and
 * checkpointed. *stopped: --stop-after ended the run early (no weight file is written then). */
static int run_epochs(const train_config *c, run_state *s, cf_workspace *ws, data_source *src, train_batch *tb,
                      const char *ckpt, int *stopped, cf_error *err) {
    long long total_steps = (long long)c->epochs * src->steps_per_epoch;
    *stopped = 0;
    while (!training_done(c, s)) {
        double e0 = now_seconds();
        double train_loss = train_epoch(c, s, ws, src, tb, total_steps);
        if (s->augment_failed) {
            *err = s->augment_err;
            return -1;
        }
        double loss = 0.0;
        char log[192];
        if (src->validate(src, c, s, &loss, log, sizeof log, err)) return -1;
        s->epoch++;
        keep_if_best(c, s, loss);
        s->train_seconds += now_seconds() - e0;
        fprintf(stderr, "epoch %d: train loss %.4f, %s%s (%.0f s total)\n", s->epoch, train_loss, log,
                s->best_epoch == s->epoch ? " *best*" : "", s->train_seconds);
        if (end_epoch(c, s, ckpt, src->mean, src->std, stopped, err)) return -1;
        if (*stopped) return 0;
    }
    return 0;
}

/* A whole run: load the data, build (or resume) the model, train epoch after epoch, write the weights. */
static int run(const train_config *c, data_source *src, cf_error *err) {
    run_state s = {0};
    cf_workspace ws = {0};
    train_batch tb = {0};
    char ckpt[4096];
    int rc = -1, stopped = 0;
    if (src->load(src, c, err) || start_run(c, &s, &ws, src->input, err)) goto done;
    fprintf(stderr, "model %s%s: %zu parameters; %d threads, batch %d, %s lr %g, wd %g\n", c->spec, src->model_note,
            s.model.n_params, c->threads, c->batch, c->optim == OPT_ADAM ? "adam" : "sgd-nesterov", c->lr, c->weight_decay);
    if (train_batch_alloc(&tb, c->batch, (size_t)cf_shape_size(src->input), err) ||
        (src->attach && src->attach(src, c, err)) || checkpoint_path(c, ckpt, sizeof ckpt, err) ||
        run_epochs(c, &s, &ws, src, &tb, ckpt, &stopped, err))
        goto done;
    rc = stopped ? 0 : src->write_weights(src, c, &s, err);
done:
    train_batch_free(&tb);
    cf_workspace_free(&ws);
    run_state_free(&s);
    src->free(src);
    free(src->train_idx);
    free(src->val_idx);
    return rc;
}

int main(int argc, char **argv) {
    train_config c;
    int status = parse_args(argc, argv, &c);
    if (status) return status == 1 ? 0 : status;
    thumb_source thumbs = {.base = {thumb_load, thumb_attach_teachers, thumb_shuffle, thumb_fill_batch, thumb_validate,
                                    thumb_write_weights, thumb_free}};
    patch_source patches = {.base = {patch_load, NULL, NULL, patch_fill_batch, patch_validate, patch_write_weights,
                                     patch_free}};
    cf_error err;
    if (run(&c, c.folders ? &patches.base : &thumbs.base, &err)) {
        fprintf(stderr, "cifake-train: %s\n", err.msg);
        return 1;
    }
    return 0;
}
