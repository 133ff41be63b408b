/* cifake-eval - measures a weight file on a CIFAKE split: accuracy, precision, recall, F1 (FAKE is
 * the positive class), AUROC, loss, confusion matrix, n. Images go through the same decoding and
 * normalisation as cifake-detect; the threshold and temperature are the weight file's own.
 * With --perturb, the same split clean and under each degradation of perturb.h, one row each.
 * Several --weights evaluate their ensemble: the mean of the files' calibrated logits (score / T).
 * With --real DIR --fake DIR, any images through the detector's own path (folder_eval.h).
 * Calibration: the expected calibration error (metrics.h, ECE_BINS bins) at the file's temperature
 * and at temperature 1; --calibration FILE.png also draws the reliability diagram of both.
 * With --folders DIR, a patch model on image folders with a manifest, per group and generator (folders.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loaded_model.h"
#include "dataset.h"
#include "fileio.h"
#include "options.h"
#include "folders.h"
#include "metrics.h"
#include "weights.h"
#include "folder_eval.h"
#include "infer.h"
#include "patches.h"
#include "json.h"
#include "parallel.h"
#include "perturb.h"
#include "plot.h"
#include "progress.h"

/* The most --weights files (their ensemble); the options table says the same. */
#define MAX_ENSEMBLE 8

static const opt_program program = {
    "cifake-eval", PROG_EVAL,
    "usage: cifake-eval --weights FILE [--weights FILE...] [--data DIR] [--split test|val]\n"
    "                   [--exclude-leaked] [--json] [--threads N] [--perturb [--seed S]]\n"
    "                   [--tta none|flip] [--calibration FILE.png] [--bands]\n"
    "       cifake-eval [--weights FILE...] --real DIR --fake DIR [--json] [--threads N]\n"
    "       cifake-eval --weights FILE --folders DIR [--groups LIST] [--band LO,HI] [--jpeg Q] [--web [--seed S]]\n"
    "                   [--scores TSV]\n"
    "  Measures weight files on a CIFAKE split, on any images through the detector's path (--real,\n"
    "  --fake), or a patch model on image folders (--folders).\n",
    NULL, 0};

typedef struct {
    const char *weights[MAX_ENSEMBLE], *data, *split, *real, *fake, *calibration_png;
    int n_weights, json, threads, exclude_leaked, perturb, bands;
    int tta; /* --tta: -1 each file's own (its tta key), 0 none, 1 flip */
    uint64_t seed;
    const char *folders, *groups, *scores_out;
    float band_lo, band_hi; /* NaN: the file's */
    int jpeg, web;
} eval_config;

static int parse_args(int argc, char **argv, eval_config *c) {
    opt_args a;
    int status = opt_parse_main(&program, argc, argv, &a);
    if (status) return status;
    memset(c, 0, sizeof *c);
    c->n_weights = opt_count(&a, "--weights");
    for (int k = 0; k < c->n_weights; k++) c->weights[k] = opt_item(&a, "--weights", k);
    c->data = opt_text(&a, "--data");
    c->split = opt_text(&a, "--split");
    c->real = opt_text(&a, "--real");
    c->fake = opt_text(&a, "--fake");
    c->calibration_png = opt_text(&a, "--calibration");
    c->json = opt_count(&a, "--json") > 0;
    c->threads = (int)opt_int(&a, "--threads");
    c->exclude_leaked = opt_count(&a, "--exclude-leaked") > 0;
    c->perturb = opt_count(&a, "--perturb") > 0;
    c->bands = opt_count(&a, "--bands") > 0;
    c->tta = opt_choice(&a, "--tta"); /* -1 when not given: each file's own */
    c->seed = opt_u64(&a, "--seed");
    c->folders = opt_text(&a, "--folders");
    c->groups = opt_text(&a, "--groups");
    c->scores_out = opt_text(&a, "--scores");
    float band[2];
    opt_float_pair(&a, "--band", band);
    c->band_lo = band[0], c->band_hi = band[1];
    c->jpeg = (int)opt_int(&a, "--jpeg");
    c->web = opt_count(&a, "--web") > 0;
    if (!c->real != !c->fake) return fprintf(stderr, "cifake-eval: --real and --fake go together\n"), 2;
    if (c->real && c->folders) return fprintf(stderr, "cifake-eval: --folders or --real/--fake, not both\n"), 2;
    if (c->web && !c->folders) return fprintf(stderr, "cifake-eval: --web applies to --folders\n"), 2;
    if (c->real) {
        if (c->perturb || c->exclude_leaked || c->calibration_png)
            return fprintf(stderr, "cifake-eval: --perturb, --exclude-leaked and --calibration apply to CIFAKE (--data)\n"), 2;
        return 0;
    }
    if (!c->n_weights) return fprintf(stderr, "cifake-eval: --weights FILE is required\n"), 2;
    if (c->folders) {
        if (c->n_weights != 1 || c->perturb || c->exclude_leaked || c->calibration_png)
            return fprintf(stderr, "cifake-eval: --folders takes one --weights file, no --perturb, --exclude-leaked or "
                                   "--calibration\n"), 2;
        return 0;
    }
    if (!c->data) return fprintf(stderr, "cifake-eval: no dataset: pass --data DIR or set CIFAKE_DIR\n"), 2;
    if (c->exclude_leaked && strcmp(c->split, "test"))
        return fprintf(stderr, "cifake-eval: --exclude-leaked applies to the test split\n"), 2;
    if (c->perturb && c->n_weights > 1)
        return fprintf(stderr, "cifake-eval: --perturb takes one weight file\n"), 2;
    if (c->perturb && c->calibration_png)
        return fprintf(stderr, "cifake-eval: --calibration measures the clean images (without --perturb)\n"), 2;
    return 0;
}

/* Indices of the images to evaluate. */
static int select_images(const eval_config *c, const cf_meta *meta, dataset *ds, dataset *train, int **idx, int *n,
                         cf_error *err) {
    if (!strcmp(c->split, "val")) {
        uint64_t seed;
        int permille, *tr, n_tr;
        if (dataset_recorded_split(meta, &seed, &permille, err) ||
            dataset_split(ds, seed, permille, &tr, &n_tr, idx, n, err))
            return -1;
        free(tr);
        return 0;
    }
    if (c->exclude_leaked) {
        int *leaked, n_leaked;
        if (dataset_leaked(ds, train, &leaked, &n_leaked, err)) return -1;
        char *drop = calloc((size_t)ds->n, 1);
        *idx = malloc(sizeof(int) * ds->n);
        for (int i = 0; drop && i < n_leaked; i++) drop[leaked[i]] = 1;
        *n = 0;
        for (int i = 0; drop && *idx && i < ds->n; i++)
            if (!drop[i]) (*idx)[(*n)++] = i;
        free(leaked);
        int ok = drop && *idx;
        free(drop);
        if (!ok) return cf_fail(err, "out of memory");
        fprintf(stderr, "excluded %d test images whose bytes also occur in train\n", n_leaked);
        return 0;
    }
    *idx = malloc(sizeof(int) * ds->n);
    if (!*idx) return cf_fail(err, "out of memory");
    for (int i = 0; i < ds->n; i++) (*idx)[i] = i;
    *n = ds->n;
    return 0;
}

/* Writes perturbation p of every selected image into pixels (laid out like ds->pixels), in parallel.
 * The noise of image i comes from its own stream (seed, i, family position), so the result does not
 * depend on the thread count or on which other images are selected. */
static int perturb_images(const dataset *ds, const int *idx, int n, const perturbation *p, int position,
                          uint64_t seed, int threads, uint8_t *pixels, cf_error *err) {
    int failed_at = -1;
    cf_error first = {{0}};
    (void)threads; /* unused in serial builds (no OpenMP) */
    CF_PARALLEL_FOR(threads)
    for (int k = 0; k < n; k++) {
        size_t at = (size_t)idx[k] * DS_PIXELS;
        cf_rng rng = cf_rng_make(seed, (uint64_t)idx[k], (uint64_t)position);
        cf_error e;
        if (perturb_apply(p, ds->pixels + at, pixels + at, &rng, &e)) {
            CF_CRITICAL
            if (failed_at < 0 || k < failed_at) {
                failed_at = k;
                first = e;
            }
        }
    }
    if (failed_at < 0) return 0;
    *err = first;
    cf_error_prefix(err, "%s, %s", ds->paths[idx[failed_at]], p->name);
    return -1;
}

static double share(int part, int whole) { return whole ? (double)part / whole : 0.0; }

static void print_robustness_row(const char *name, const metrics *m, int json, int first) {
    double fake_as_real = share(m->fn, m->fn + m->tp), real_as_fake = share(m->fp, m->fp + m->tn);
    if (!json) {
        printf("%-14s %9.4f %9.5f %17.4f %17.4f\n", name, m->accuracy, m->auroc, fake_as_real, real_as_fake);
        return;
    }
    printf("%s\n    {\"perturbation\": ", first ? "" : ",");
    json_write_string(stdout, name);
    printf(", \"n\": %d, \"accuracy\": %.6f, \"auroc\": %.6f, \"fake_called_real\": %.6f, "
           "\"real_called_fake\": %.6f, \"f1\": %.6f, \"loss\": %.6f, "
           "\"confusion\": {\"tp\": %d, \"fp\": %d, \"tn\": %d, \"fn\": %d}}",
           m->n, m->accuracy, m->auroc, fake_as_real, real_as_fake, m->f1, m->loss, m->tp, m->fp, m->tn, m->fn);
}

/* Whether a file's scores average the image and its mirror: --tta, else the file's tta key. */
static int flip_averaged(const eval_config *c, const cf_loaded_model *m) {
    return c->tta >= 0 ? c->tta : m->flip_average;
}

/* One file's logits of images idx[0..n) of ds; flip-averaged, the mean of the image's and its mirror's. */
static int file_scores(const eval_config *c, cf_loaded_model *m, const dataset *ds, const int *idx, int n,
                       float *scores, cf_error *err) {
    const cf_infer_params *p = &m->params;
    if (infer_scores(&m->model, ds, idx, n, p->mean, p->std, c->threads, scores, err)) return -1;
    if (!flip_averaged(c, m)) return 0;
    float *other = malloc(sizeof(float) * (n + 1));
    int rc = !other ? cf_fail(err, "out of memory")
                    : infer_mirrored_scores(&m->model, ds, idx, n, p->mean, p->std, c->threads, other, err);
    for (int i = 0; !rc && i < n; i++) scores[i] = (scores[i] + other[i]) / 2;
    free(other);
    return rc;
}

/* --perturb: the selected images clean, then under each member of the perturbation family. */
static int evaluate_perturbed(const eval_config *c, cf_loaded_model *model, const dataset *ds, const int *idx, int n,
                              const char *title, float *scores, const int *labels, cf_error *err) {
    const perturbation *family;
    int n_family = perturb_family(&family);
    const cf_infer_params *p = &model->params;
    uint8_t *pixels = malloc((size_t)ds->n * DS_PIXELS);
    if (!pixels) return cf_fail(err, "out of memory for a perturbed copy of %d images", ds->n);
    dataset perturbed = *ds;
    perturbed.pixels = pixels;
    if (c->json) printf("{\"split\": \"%s\", \"n\": %d, \"seed\": %llu, \"perturbations\": [", title, n,
                        (unsigned long long)c->seed);
    else printf("%s under perturbations (n = %d, FAKE is the positive class, noise seed %llu)\n"
                "%-14s %9s %9s %17s %17s\n", title, n, (unsigned long long)c->seed, "perturbation", "accuracy",
                "AUROC", "FAKE called REAL", "REAL called FAKE");
    int rc = 0;
    for (int k = -1; !rc && k < n_family; k++) { /* k = -1: clean, the very images a plain run scores */
        double t0 = now_seconds();
        const dataset *source = ds;
        if (k >= 0) {
            rc = perturb_images(ds, idx, n, &family[k], k, c->seed, c->threads, pixels, err);
            source = &perturbed;
        }
        if (!rc) rc = file_scores(c, model, source, idx, n, scores, err);
        if (rc) break;
        metrics m;
        score_metrics(scores, labels, n, p->temperature, p->threshold, &m);
        print_robustness_row(k < 0 ? "clean" : family[k].name, &m, c->json, k < 0);
        fflush(stdout);
        fprintf(stderr, "%s: %.1f s\n", k < 0 ? "clean" : family[k].name, now_seconds() - t0);
    }
    if (!rc && c->json) printf("\n]}\n");
    free(pixels);
    return rc;
}

/* Coverage and accuracy of the decided images when p_fake in [threshold - h, threshold + h) is UNSURE. */
static void print_bands(const float *scores, const int *labels, int n, float temperature, float threshold) {
    printf("UNSURE band                 coverage  accuracy of decided  errors decided\n");
    for (int k = 0; k <= 8; k++) {
        float h = 0.05f * k, lo = threshold - h, hi = threshold + h;
        int decided = 0, right = 0;
        for (int i = 0; i < n; i++) {
            float p = cf_sigmoid(scores[i] / temperature);
            if (p >= lo && p < hi) continue;
            decided++;
            right += (p >= threshold) == labels[i];
        }
        printf("[%.3f, %.3f)  h = %.2f %9.4f %20.4f %15d\n", lo, hi, h, (double)decided / n,
               decided ? (double)right / decided : 0.0, decided - right);
    }
}

/* ---- --calibration: the reliability diagram ---- */

#define REL_LEFT 64 /* room for the y tick labels */
#define REL_W 330
#define REL_H 280
#define REL_COUNT_H 90
#define REL_GAP 46 /* below a panel: tick labels and the x label */
#define REL_TOP 44

static const uint8_t rel_bar[3] = {70, 120, 200}, rel_gap_fill[3] = {245, 170, 170}, rel_gap_edge[3] = {200, 40, 40},
                     rel_count[3] = {150, 150, 150}, rel_black[3] = {0, 0, 0};

/* One temperature: accuracy per bin against confidence over the bins a two-class model can fill
 * (from the one holding 0.5), the diagonal, and the bin counts on a log scale below. */
static void draw_reliability_panel(plot_canvas *cv, int x, const calibration *c, const char *name) {
    int first = (int)ceil(0.5 * c->bins) - 1, max_count = 1;
    double lo = (double)first / c->bins;
    for (int b = 0; b < c->bins; b++) max_count = c->count[b] > max_count ? c->count[b] : max_count;
    char title[96];
    snprintf(title, sizeof title, "%s: ECE %.4f", name, c->ece);
    plot_text(cv, x, REL_TOP - 8, 2, title, rel_black);
    snprintf(title, sizeof title, "largest gap (MCE) %.4f", c->mce);
    plot_text(cv, x + REL_W - plot_text_width(title, 1), REL_TOP + 12, 1, title, rel_black);
    int y = REL_TOP + 30;
    plot_panel rel = {x, y, REL_W, REL_H, lo, 1.0, 0.0, 1.0, 0};
    double xt[6] = {0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, yt[6] = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    plot_axes(cv, &rel, xt, 6, "%.1f", yt, 6, "%.1f", "confidence max(p_fake, 1 - p_fake)", "accuracy");
    double top = pow(10.0, ceil(log10((double)max_count)));
    plot_panel counts = {x, y + REL_H + REL_GAP, REL_W, REL_COUNT_H, lo, 1.0, 1.0, top, 1};
    double ct[8];
    int nct = 0;
    for (double t = 1.0; t <= top && nct < 8; t *= 10) ct[nct++] = t;
    plot_axes(cv, &counts, xt, 6, "%.1f", ct, nct, "%.0f", "confidence", "images per bin (log scale)");
    for (int b = first; b < c->bins; b++) {
        if (!c->count[b]) continue;
        int x0 = (int)lround(plot_px(&rel, (double)b / c->bins)) + 2, x1 = (int)lround(plot_px(&rel, (b + 1.0) / c->bins)) - 2;
        int base = (int)lround(plot_py(&rel, 0.0)), acc = (int)lround(plot_py(&rel, c->accuracy[b]));
        int conf = (int)lround(plot_py(&rel, c->confidence[b]));
        plot_rect(cv, x0, acc, x1 - x0 + 1, base - acc, rel_bar);
        int g0 = acc < conf ? acc : conf, g1 = acc < conf ? conf : acc;
        plot_rect(cv, x0, g0, x1 - x0 + 1, g1 - g0 + 1, rel_gap_fill);
        plot_line(cv, x0, g0, x1, g0, 1, 0, rel_gap_edge);
        plot_line(cv, x0, g1, x1, g1, 1, 0, rel_gap_edge);
        plot_line(cv, x0, g0, x0, g1, 1, 0, rel_gap_edge);
        plot_line(cv, x1, g0, x1, g1, 1, 0, rel_gap_edge);
        int cb = (int)lround(plot_py(&counts, 1.0)), ctop = (int)lround(plot_py(&counts, c->count[b]));
        plot_rect(cv, x0, ctop, x1 - x0 + 1, cb - ctop, rel_count);
    }
    plot_line(cv, plot_px(&rel, lo), plot_py(&rel, lo), plot_px(&rel, 1.0), plot_py(&rel, 1.0), 1, 4, rel_black);
}

static int draw_reliability(const char *path, const char *caption, const calibration cal[2], const char *const names[2],
                            cf_error *err) {
    plot_canvas cv;
    int width = 2 * (REL_LEFT + REL_W) + 40, height = REL_TOP + 30 + REL_H + REL_GAP + REL_COUNT_H + REL_GAP + 30;
    if (plot_canvas_init(&cv, width, height, err)) return -1;
    plot_text(&cv, 12, 10, 1, caption, rel_black);
    for (int k = 0; k < 2; k++) draw_reliability_panel(&cv, REL_LEFT + k * (REL_LEFT + REL_W + 20), &cal[k], names[k]);
    int ly = height - 22, lx = REL_LEFT;
    static const char *legend[3] = {"accuracy of the bin's predictions", "gap to the bin's mean confidence",
                                    "perfect calibration"};
    const uint8_t *colours[3] = {rel_bar, rel_gap_fill, NULL};
    for (int i = 0; i < 3; i++) {
        if (colours[i]) plot_rect(&cv, lx, ly, 10, 10, colours[i]);
        else plot_line(&cv, lx - 4, ly + 5, lx + 13, ly + 5, 1, 4, rel_black);
        plot_text(&cv, lx + 18, ly + 2, 1, legend[i], rel_black);
        lx += 18 + plot_text_width(legend[i], 1) + 30;
    }
    int rc = make_parent_dirs(path, err) || plot_canvas_write_png(&cv, path, err);
    plot_canvas_free(&cv);
    return rc;
}

/* The calibration of p_fake before the temperature, sigmoid(raw) (for an ensemble, raw is the mean of
 * the files' logits), and after it, sigmoid(score / temperature) (for an ensemble, score is the mean
 * calibrated logit and temperature 1). */
static int calibrate(const float *raw, const float *scores, float temperature, const int *labels, int n,
                     calibration cal[2], cf_error *err) {
    float *p = malloc(sizeof(float) * (n + 1));
    if (!p) return cf_fail(err, "out of memory");
    int rc = 0;
    for (int k = 0; !rc && k < 2; k++) {
        for (int i = 0; i < n; i++) p[i] = k ? cf_sigmoid(scores[i] / temperature) : cf_sigmoid(raw[i]);
        if (calibration_compute(p, labels, n, ECE_BINS, &cal[k])) rc = cf_fail(err, "cannot bin %d probabilities", n);
    }
    free(p);
    return rc;
}

/* --calibration: both calibrations (named, e.g. "T = 1"), a table per bin on stderr and the diagram in path. */
static int report_calibration(const char *path, const char *caption, const calibration cal[2],
                              const char *const names[2], cf_error *err) {
    fprintf(stderr, "\ncalibration, %d bins of confidence max(p_fake, 1 - p_fake)\n%-16s", ECE_BINS, "");
    for (int k = 0; k < 2; k++) fprintf(stderr, " | %-30s", names[k]);
    fprintf(stderr, "\n%-16s", "bin");
    for (int k = 0; k < 2; k++) fprintf(stderr, " | %6s  %10s  %8s", "n", "confidence", "accuracy");
    fprintf(stderr, "\n");
    for (int b = 0; b < ECE_BINS; b++) {
        if (!cal[0].count[b] && !cal[1].count[b]) continue;
        fprintf(stderr, "(%.4f, %.4f]", (double)b / ECE_BINS, (b + 1.0) / ECE_BINS);
        for (int k = 0; k < 2; k++)
            fprintf(stderr, " | %6d  %10.4f  %8.4f", cal[k].count[b], cal[k].confidence[b], cal[k].accuracy[b]);
        fprintf(stderr, "\n");
    }
    fprintf(stderr, "ECE %.4f at %s, %.4f at %s; reliability diagram: %s\n", cal[0].ece, names[0], cal[1].ece, names[1],
            path);
    return draw_reliability(path, caption, cal, names, err);
}

/* Opens every weight file; on failure frees the ones already open. */
static int open_models(const eval_config *c, cf_loaded_model *m, cf_error *err) {
    for (int k = 0; k < c->n_weights; k++)
        if (open_model_file(c->weights[k], &m[k], err)) {
            while (k--) cf_loaded_model_free(&m[k]);
            return -1;
        }
    return 0;
}

/* The files of an ensemble must hold out one validation split: otherwise some of them would be
 * scored on images they were trained on. */
static int check_same_split(const eval_config *c, const cf_loaded_model *m, cf_error *err) {
    const cf_meta *first = &m[0].meta;
    uint64_t seed;
    int permille;
    if (dataset_recorded_split(first, &seed, &permille, err)) return cf_error_prefix(err, "%s", c->weights[0]), -1;
    for (int k = 1; k < c->n_weights; k++)
        if (dataset_check_split(&m[k].meta, c->weights[k], seed, permille, err)) return -1;
    return 0;
}

/* Scores of the selected images and how to read them: one file's own logits, temperature and
 * threshold; for an ensemble, the mean of the files' calibrated logits (score / T), temperature 1
 * and the mean of their thresholds. raw: the logits before any temperature (for an ensemble, the
 * mean of the files' logits). */
static int ensemble_scores(const eval_config *c, cf_loaded_model *m, const dataset *ds, const int *idx, int n,
                           float *scores, float *raw, float *temperature, float *threshold, cf_error *err) {
    const cf_infer_params *p = &m[0].params;
    if (c->n_weights == 1) {
        *temperature = p->temperature;
        *threshold = p->threshold;
        int rc = file_scores(c, &m[0], ds, idx, n, scores, err);
        if (!rc) memcpy(raw, scores, sizeof(float) * n);
        return rc;
    }
    float *one = malloc(sizeof(float) * (n + 1));
    if (!one) return cf_fail(err, "out of memory");
    memset(scores, 0, sizeof(float) * n);
    memset(raw, 0, sizeof(float) * n);
    *temperature = 1.0f;
    *threshold = 0.0f;
    int rc = 0;
    for (int k = 0; !rc && k < c->n_weights; k++) {
        p = &m[k].params;
        rc = file_scores(c, &m[k], ds, idx, n, one, err);
        for (int i = 0; !rc && i < n; i++) {
            scores[i] += one[i] / p->temperature / (float)c->n_weights;
            raw[i] += one[i] / (float)c->n_weights;
        }
        *threshold += p->threshold / (float)c->n_weights;
    }
    free(one);
    return rc;
}

static int run(const eval_config *c, cf_error *err) {
    cf_loaded_model models[MAX_ENSEMBLE];
    if (open_models(c, models, err)) return -1;
    dataset ds = {0}, train = {0};
    int *idx = NULL, n = 0;
    const char *folder = !strcmp(c->split, "val") ? "train" : "test";
    int rc = !strcmp(c->split, "val") ? check_same_split(c, models, err) : 0;
    if (!rc) rc = dataset_load(&ds, c->data, folder, c->threads, err);
    if (!rc && c->exclude_leaked) rc = dataset_load(&train, c->data, "train", c->threads, err);
    if (!rc) rc = select_images(c, &models[0].meta, &ds, &train, &idx, &n, err);
    float *scores = rc ? NULL : malloc(sizeof(float) * (n + 1)), *raw = rc ? NULL : malloc(sizeof(float) * (n + 1));
    int *labels = rc ? NULL : malloc(sizeof(int) * (n + 1));
    if (!rc && (!scores || !raw || !labels)) rc = cf_fail(err, "out of memory");
    char title[64];
    snprintf(title, sizeof title, "%s%s", c->split, c->exclude_leaked ? "-without-leaked" : "");
    for (int i = 0; !rc && i < n; i++) labels[i] = ds.labels[idx[i]];
    float temperature = 1.0f, threshold = 0.5f;
    if (!rc && c->perturb) rc = evaluate_perturbed(c, &models[0], &ds, idx, n, title, scores, labels, err);
    else if (!rc) rc = ensemble_scores(c, models, &ds, idx, n, scores, raw, &temperature, &threshold, err);
    if (!rc && !c->perturb) {
        if (c->n_weights > 1)
            fprintf(stderr, "ensemble of %d files: mean calibrated logit, threshold %.4f\n", c->n_weights, threshold);
        metrics m;
        calibration cal[2];
        score_metrics(scores, labels, n, temperature, threshold, &m);
        rc = calibrate(raw, scores, temperature, labels, n, cal, err);
        if (!rc) m.ece_t1 = cal[0].ece; /* an ensemble's: of its mean raw logit */
        if (!rc) metrics_print(stdout, title, &m, c->json);
        if (!rc && c->bands) print_bands(scores, labels, n, temperature, threshold);
        if (!rc && c->calibration_png) {
            char caption[512], after[32];
            snprintf(caption, sizeof caption, "Reliability of p_fake: %s%s, %s split, n = %d, %d equal-width bins",
                     c->weights[0], c->n_weights > 1 ? " (ensemble)" : "", title, n, ECE_BINS);
            snprintf(after, sizeof after, "T = %.4f", temperature);
            const char *names[2] = {c->n_weights > 1 ? "mean raw logit" : "T = 1",
                                    c->n_weights > 1 ? "files' own T" : after};
            rc = report_calibration(c->calibration_png, caption, cal, names, err);
        }
    }
    free(scores);
    free(raw);
    free(labels);
    free(idx);
    dataset_free(&ds);
    dataset_free(&train);
    for (int k = 0; k < c->n_weights; k++) cf_loaded_model_free(&models[k]);
    return rc;
}

/* ---------- --folders: patch models on image folders ---------- */

/* One row of the table: images of class label whose group (or generator) is `which`, or all of the class
 * when which < 0. */
typedef struct {
    int n, called_fake, decided, right;
    double auroc;
} folder_row;

static folder_row folder_row_of(const folder_set *fs, const float *scores, const float *p, int label, int by_generator,
                                int which, float threshold, float lo, float hi) {
    folder_row r = {0};
    float *s = malloc(sizeof(float) * (fs->n + 1));
    int *l = malloc(sizeof(int) * (fs->n + 1)), k = 0, reals = 0;
    for (int i = 0; s && l && i < fs->n; i++) {
        int mine = fs->label[i] == label && (which < 0 || (by_generator ? fs->generator[i] : fs->group[i]) == which);
        if (mine) {
            r.n++;
            r.called_fake += p[i] >= threshold;
            int decided = p[i] < lo || p[i] >= hi;
            r.decided += decided;
            r.right += decided && (p[i] >= hi) == (label == 1);
        }
        /* AUROC of these FAKE images against every REAL image evaluated */
        if (label == 1 && (mine || fs->label[i] == 0)) {
            s[k] = scores[i];
            l[k++] = fs->label[i];
            reals += fs->label[i] == 0;
        }
    }
    r.auroc = label == 1 && reals && r.n ? auroc(s, l, k) : NAN;
    free(s);
    free(l);
    return r;
}

static void print_folder_table(const folder_set *fs, const float *scores, const float *p, float threshold, float lo,
                               float hi, const char *title) {
    printf("\n### %s\n\nthreshold %.4f, UNSURE band [%.4f, %.4f)\n\n", title, threshold, lo, hi);
    printf("| class | group / generator | n | AUROC vs all REAL | REAL called FAKE | FAKE caught | coverage | accuracy of verdicts |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int label = 0; label < 2; label++) {
        for (int pass = 0; pass < 3; pass++) { /* all of the class, its groups, then its generators */
            int count = pass == 0 ? 1 : pass == 1 ? fs->n_groups : fs->n_generators;
            for (int w = 0; w < count; w++) {
                folder_row r = folder_row_of(fs, scores, p, label, pass == 2, pass == 0 ? -1 : w, threshold, lo, hi);
                if (!r.n) continue;
                const char *name = pass == 0 ? "**all**" : pass == 1 ? fs->group_name[w] : fs->generator_name[w];
                if (pass == 2) { /* a generator gets its own row when it is not its group's only one and has 10+ images */
                    int group = -1, alone = 1;
                    for (int i = 0; i < fs->n; i++)
                        if (fs->generator[i] == w) group = fs->group[i];
                    for (int i = 0; i < fs->n; i++)
                        if (fs->group[i] == group && fs->generator[i] != w) alone = 0;
                    if (alone || r.n < 10) continue;
                    char label_name[300];
                    snprintf(label_name, sizeof label_name, "%s / %s", fs->group_name[group], name);
                    printf("| %s | %s | %d | ", label ? "FAKE" : "REAL", label_name, r.n);
                } else {
                    printf("| %s | %s | %d | ", label ? "FAKE" : "REAL", name, r.n);
                }
                if (label == 1 && r.auroc == r.auroc) printf("%.3f | | %.3f | ", r.auroc, (double)r.called_fake / r.n);
                else if (label == 1) printf("| | %.3f | ", (double)r.called_fake / r.n);
                else printf("| %.3f | | ", (double)r.called_fake / r.n);
                printf("%.3f | ", (double)r.decided / r.n);
                if (r.decided) printf("%.3f |\n", (double)r.right / r.decided);
                else printf("- |\n");
            }
        }
    }
    /* all images together */
    int decided = 0, right = 0;
    for (int i = 0; i < fs->n; i++) {
        int d = p[i] < lo || p[i] >= hi;
        decided += d;
        right += d && (p[i] >= hi) == (fs->label[i] == 1);
    }
    float *s = malloc(sizeof(float) * (fs->n + 1));
    double a = s ? (memcpy(s, scores, sizeof(float) * fs->n), auroc(s, fs->label, fs->n)) : NAN;
    free(s);
    printf("| both | **all images** | %d | %.3f | | | %.3f | %s", fs->n, a, (double)decided / fs->n, decided ? "" : "- |\n");
    if (decided) printf("%.3f |\n", (double)right / decided);
}

static int run_folders(const eval_config *c, cf_error *err) {
    uint8_t *bytes;
    size_t nbytes;
    if (read_file(c->weights[0], CF_WEIGHTS_MAX_FILE_BYTES, &bytes, &nbytes, err)) return -1;
    cf_model m;
    cf_meta meta;
    int rc = cf_weights_read(bytes, nbytes, &m, &meta, NULL, err);
    free(bytes);
    if (rc) {
        cf_error_prefix(err, "%s", c->weights[0]);
        return -1;
    }
    cf_infer_params ip;
    folder_set fs = {0};
    folder_selection only = {0};
    const char *view = cf_meta_get(&meta, CF_META_VIEW);
    int p = m.input.h;
    float *scores = NULL, *prob = NULL;
    int budget = 0;
    rc = cf_infer_params_parse(&meta, &m, &ip, err) || cf_patch_budget_read(cf_meta_get(&meta, CF_META_PATCH_BUDGET), &budget, err);
    if (!rc && (!view || strcmp(view, CF_VIEW_PATCHES) || m.input.w != p))
        rc = cf_fail(err, "%s is not a patch model (metadata %s=%s)", c->weights[0], CF_META_VIEW, view ? view : "absent");
    float lo = c->band_lo, hi = c->band_hi;
    if (!rc && lo != lo) {
        const char *band = cf_meta_get(&meta, CF_META_UNSURE_BAND), *comma = band ? strchr(band, ',') : NULL;
        char first[64];
        double x;
        snprintf(first, sizeof first, "%.*s", comma ? (int)(comma - band) : 0, band ? band : "");
        if (!band) lo = hi = ip.threshold;
        else if (!comma || cf_parse_double(first, &x) || cf_parse_double(comma + 1, &x))
            rc = cf_fail(err, "%s: unsure_band \"%s\" is not LO,HI", c->weights[0], band);
        else lo = strtof(band, NULL), hi = strtof(comma + 1, NULL); /* as the detector reads them */
    }
    if (!rc) rc = folders_selection_parse(&only, c->groups, err);
    if (!rc) rc = folders_load(&fs, c->folders, &only, NULL, p, c->threads, NULL, err);
    if (!rc) {
        scores = malloc(sizeof(float) * (3 * fs.n + 1));
        prob = malloc(sizeof(float) * (3 * fs.n + 1));
        if (!scores || !prob) rc = cf_fail(err, "out of memory");
    }
    int *all = rc ? NULL : malloc(sizeof(int) * (fs.n + 1));
    if (!rc && !all) rc = cf_fail(err, "out of memory");
    for (int i = 0; !rc && i < fs.n; i++) all[i] = i;
    if (!rc)
        rc = infer_patch_scores(&m, &fs, all, fs.n, p, budget, ip.mean, ip.std, 0, c->threads, scores, err) ||
             infer_patch_scores(&m, &fs, all, fs.n, p, budget, ip.mean, ip.std, c->jpeg, c->threads, scores + fs.n, err) ||
             (c->web && infer_patch_scores_web(&m, &fs, all, fs.n, p, budget, ip.mean, ip.std, c->seed, c->threads,
                                               scores + 2 * fs.n, err));
    int conditions = c->web ? 3 : 2;
    if (!rc) {
        for (int i = 0; i < conditions * fs.n; i++) prob[i] = cf_sigmoid(scores[i] / ip.temperature);
        printf("## %s on %s%s%s (%d images, %dx%d patches)\n", c->weights[0], c->folders, c->groups ? ", groups " : "",
               c->groups ? c->groups : "", fs.n, p, p);
        print_folder_table(&fs, scores, prob, ip.threshold, lo, hi, "as they are");
        char title[96];
        snprintf(title, sizeof title, "every image re-encoded as JPEG quality %d", c->jpeg);
        print_folder_table(&fs, scores + fs.n, prob + fs.n, ip.threshold, lo, hi, title);
        if (c->web) {
            snprintf(title, sizeof title, "every image as delivered on the web (seed %llu)", (unsigned long long)c->seed);
            print_folder_table(&fs, scores + 2 * fs.n, prob + 2 * fs.n, ip.threshold, lo, hi, title);
        }
    }
    if (!rc && c->scores_out) {
        cf_buffer out = {0};
        char line[1024];
        int len = snprintf(line, sizeof line, "path\tclass\tgroup\tgenerator\tlogit\tp_fake\tlogit_jpeg%d\tp_fake_jpeg%d%s\n",
                           c->jpeg, c->jpeg, c->web ? "\tlogit_web\tp_fake_web" : "");
        cf_buffer_append(&out, line, (size_t)len);
        for (int i = 0; i < fs.n; i++) {
            len = snprintf(line, sizeof line, "%s\t%s\t%s\t%s\t%.6g\t%.6g\t%.6g\t%.6g", fs.path[i],
                           fs.label[i] ? "fake" : "real", fs.group_name[fs.group[i]], fs.generator_name[fs.generator[i]],
                           scores[i], prob[i], scores[fs.n + i], prob[fs.n + i]);
            if (c->web && len > 0 && len < (int)sizeof line)
                len += snprintf(line + len, sizeof line - (size_t)len, "\t%.6g\t%.6g", scores[2 * fs.n + i],
                                prob[2 * fs.n + i]);
            if (len > 0 && len < (int)sizeof line - 1) line[len++] = '\n';
            cf_buffer_append(&out, line, (size_t)(len < (int)sizeof line ? len : (int)sizeof line - 1));
        }
        rc = out.failed ? cf_fail(err, "out of memory") : write_file_atomic(c->scores_out, out.data, out.len, err);
        free(out.data);
    }
    free(all);
    free(scores);
    free(prob);
    folders_free(&fs);
    folders_selection_free(&only);
    cf_meta_free(&meta);
    cf_model_free(&m);
    return rc;
}

int main(int argc, char **argv) {
    eval_config c;
    int status = parse_args(argc, argv, &c);
    if (status) return status == 1 ? 0 : status;
    cf_error err;
    if (c.real) {
        char buf[4096];
        if (!c.n_weights) c.weights[c.n_weights++] = default_weights_path(buf, sizeof buf);
        folder_eval_config fc = {c.real, c.fake, c.weights, c.n_weights, c.threads, c.json};
        if (folder_eval_run(&fc, &err)) {
            fprintf(stderr, "cifake-eval: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (c.folders ? run_folders(&c, &err) : run(&c, &err)) {
        fprintf(stderr, "cifake-eval: %s\n", err.msg);
        return 1;
    }
    return 0;
}
