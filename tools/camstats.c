/* cifake-camstats - the CIFAKE paper's RQ3 in numbers: where do the Grad-CAM maps put the evidence?
 *
 * For every image of a split it classifies, computes the class activation map of the predicted class
 * at 32x32, and measures two things about the map's mass (its values summed):
 *   top10   the share of the mass in the 10% of cells with the highest values (0.10 for a flat map;
 *           higher = more concentrated, "small local artifacts");
 *   outside the share of the mass outside the central 16x16 square, where CIFAR-style photos put
 *           their object (0.75 for a flat map; higher = more evidence in the background).
 * It prints a Markdown table of the means (with standard deviations) grouped by predicted class and
 * by whether the verdict was right. Images whose map is all zeros (no positive evidence) are counted
 * separately, since their shares are undefined.
 *
 * --grid FILE also writes one PNG of example overlays (the CLI's heatmap rendering, cifake_render): four
 * rows, REAL called REAL, REAL called FAKE, FAKE called FAKE, FAKE called REAL, each marked by a strip on
 * its left (green: right verdicts, red: wrong ones), --grid-cols images per row picked evenly over the
 * split's sorted file list (so over the ten classes), each drawn as the model saw it and, beside it,
 * with the heatmap of its predicted class. The chosen files are listed on stderr.
 *
 * --faithfulness instead measures whether the maps point at what the model uses (faithfulness.h):
 * deletion and insertion curves of Grad-CAM, Grad-CAM++ and a random map (seeded) for the predicted
 * class of each image of a seeded subset, their areas (mean and standard error over images, paired
 * differences between the maps), per explained class, and with --plot FILE.png a figure of the mean
 * curves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "dataset.h"
#include "faithfulness.h"
#include "fileio.h"
#include "image.h"
#include "options.h"
#include "perturb.h"
#include "plot.h"
#include "png.h"
#include "progress.h"

#define CELLS (CF_MODEL_SIDE * CF_MODEL_SIDE)
#define GRID_ROWS 4
#define GRID_GAP 2
#define GRID_STRIP 6

typedef struct {
    long n, zero_maps;
    double sum[2], sumsq[2]; /* top10, outside */
} group;

static int compare_desc(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Returns 0 and fills shares, or -1 for an all-zero map. */
static int map_shares(const float *map, double shares[2]) {
    float sorted[CELLS];
    double total = 0.0, outside = 0.0, top = 0.0;
    for (int i = 0; i < CELLS; i++) {
        int y = i / CF_MODEL_SIDE, x = i % CF_MODEL_SIDE;
        int central = y >= 8 && y < 24 && x >= 8 && x < 24;
        total += map[i];
        if (!central) outside += map[i];
        sorted[i] = map[i];
    }
    if (total <= 0.0) return -1;
    qsort(sorted, CELLS, sizeof(float), compare_desc);
    for (int i = 0; i < CELLS / 10; i++) top += sorted[i];
    shares[0] = top / total;
    shares[1] = outside / total;
    return 0;
}

static void add(group *g, const double shares[2]) {
    g->n++;
    for (int k = 0; k < 2; k++) g->sum[k] += shares[k], g->sumsq[k] += shares[k] * shares[k];
}

typedef struct {
    const char *path;
    int cols, tile;
    int *idx[GRID_ROWS]; /* candidate images per row, in dataset order */
    int n[GRID_ROWS];
} grid;

/* Grid rows: REAL right, REAL wrong, FAKE right, FAKE wrong. */
static int grid_row(int truth, int correct) { return truth * 2 + !correct; }

static void fill_rect(uint8_t *img, int width, int x0, int y0, int w, int h, const uint8_t rgb[3]) {
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            uint8_t *p = img + ((size_t)y * width + x) * 4;
            p[0] = rgb[0], p[1] = rgb[1], p[2] = rgb[2], p[3] = 255;
        }
}

static void blit(uint8_t *img, int width, int x0, int y0, const uint8_t *tile, int side) {
    for (int y = 0; y < side; y++) memcpy(img + ((size_t)(y0 + y) * width + x0) * 4, tile + (size_t)y * side * 4, (size_t)side * 4);
}

/* Draws image i at (x0, y0) as the model saw it, and beside it the overlay the CLI writes (cifake_render
 * with alpha 0, then 0.5). */
static int draw_pair(cifake_detector *d, const dataset *ds, int i, cifake_cam_method method, uint8_t *tile, int side,
                     uint8_t *img, int width, int x0, int y0, cifake_result *r, cf_error *err) {
    float map[CELLS];
    int rc = cf_detector_classify_rgb(d, ds->pixels + (size_t)i * DS_PIXELS, r, err) ||
             cifake_explain(d, method, -1, -1, map, err) ||
             cifake_render(d, map, side, CIFAKE_COLORMAP_TURBO, 0.0f, tile, err);
    if (!rc) blit(img, width, x0, y0, tile, side);
    if (!rc) rc = cifake_render(d, map, side, CIFAKE_COLORMAP_TURBO, 0.5f, tile, err);
    if (!rc) blit(img, width, x0 + side, y0, tile, side);
    if (rc) cf_error_prefix(err, "%s", ds->paths[i]);
    return rc;
}

static int write_grid(cifake_detector *d, const dataset *ds, cifake_cam_method method, const grid *g, cf_error *err) {
    static const uint8_t background[3] = {40, 40, 40}, right[3] = {40, 170, 70}, wrong[3] = {210, 50, 50};
    int cell_w = 2 * g->tile + GRID_GAP, cell_h = g->tile + GRID_GAP;
    int width = GRID_STRIP + g->cols * cell_w + GRID_GAP, height = GRID_ROWS * cell_h + GRID_GAP;
    uint8_t *img = malloc((size_t)width * height * 4), *tile = malloc((size_t)g->tile * g->tile * 4);
    int rc = img && tile ? 0 : cf_fail(err, "out of memory");
    if (!rc) fill_rect(img, width, 0, 0, width, height, background);
    for (int row = 0; !rc && row < GRID_ROWS; row++) {
        int y0 = GRID_GAP + row * cell_h, shown = g->n[row] < g->cols ? g->n[row] : g->cols;
        fill_rect(img, width, 0, y0, GRID_STRIP - 1, g->tile, row % 2 ? wrong : right);
        for (int c = 0; !rc && c < shown; c++) {
            int pick = g->idx[row][(int)((long long)g->n[row] * c / shown)]; /* evenly over the candidates */
            cifake_result r;
            rc = draw_pair(d, ds, pick, method, tile, g->tile, img, width, GRID_STRIP + c * cell_w, y0, &r, err);
            if (!rc)
                fprintf(stderr, "grid row %d col %d: %s (%s, p_fake %.4f)\n", row + 1, c + 1, ds->paths[pick],
                        r.p_fake >= cf_detector_params(d)->threshold ? "FAKE" : "REAL", r.p_fake);
        }
    }
    if (!rc) rc = make_parent_dirs(g->path, err) || png_write_rgba(g->path, img, width, height, err);
    free(img);
    free(tile);
    return rc;
}

static void print_row(const char *name, const group *g) {
    printf("| %-26s | %6ld |", name, g->n);
    for (int k = 0; k < 2; k++) {
        double m = g->n ? g->sum[k] / g->n : 0.0, var = g->n ? g->sumsq[k] / g->n - m * m : 0.0;
        printf(" %.3f ± %.3f |", m, sqrt(var > 0 ? var : 0));
    }
    printf(" %5ld |\n", g->zero_maps);
}

/* ---- --faithfulness: deletion and insertion curves ---- */

#define FAITH_MAPS 3
enum { FAITH_DELETION = 0, FAITH_INSERTION = 1 };
static const char *const faith_names[FAITH_MAPS] = {"Grad-CAM", "Grad-CAM++", "random"};

typedef struct {
    int subset, cell;
    uint64_t seed;
    float blur_sigma; /* > 0: the baseline is the image blurred so; 0: the training split's mean colour */
    const char *plot;
} faith_config;

typedef struct {
    int n;                                                   /* images measured */
    long per_class[2];                                       /* by explained class: 0 REAL, 1 FAKE */
    double curve[2][FAITH_MAPS][2][FAITH_STEPS];             /* sums: [class][map][deletion, insertion][step] */
    double *auc;                                             /* per image: [map][deletion, insertion] */
    int *explained;                                          /* per image: the explained class */
} faith_stats;

static int compare_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The images to measure: subset of them drawn without replacement by the seed (all when subset is 0
 * or at least the split's size), in dataset order. */
static int *faith_subset(int n_total, int subset, uint64_t seed, int *n) {
    int *idx = malloc(sizeof(int) * (n_total + 1));
    if (!idx) return NULL;
    for (int i = 0; i < n_total; i++) idx[i] = i;
    *n = subset > 0 && subset < n_total ? subset : n_total;
    cf_rng rng = cf_rng_make(seed, 0x5ab5e7, 0);
    for (int i = 0; *n < n_total && i < *n; i++) {
        int j = i + (int)cf_rng_below(&rng, (uint32_t)(n_total - i)), t = idx[i];
        idx[i] = idx[j], idx[j] = t;
    }
    qsort(idx, (size_t)*n, sizeof(int), compare_int);
    return idx;
}

/* The baseline of an image: its blurred copy, or the per-channel training mean (0 once normalised). */
static int faith_baseline(const uint8_t *rgb, const cf_infer_params *p, float sigma, float *out, cf_error *err) {
    if (sigma <= 0.0f) {
        memset(out, 0, sizeof(float) * 3 * CELLS);
        return 0;
    }
    uint8_t blurred[PERTURB_BYTES];
    perturbation blur = {PERTURB_BLUR, sigma, "blur"};
    if (perturb_apply(&blur, rgb, blurred, NULL, err)) return -1;
    cf_normalise(p->mean, p->std, blurred, CELLS, out);
    return 0;
}

/* One image: its three maps for the predicted class, their curves, added to st. */
static int faith_image(cifake_detector *d, faith_work *w, const dataset *ds, int i, const faith_config *c,
                       faith_stats *st, cf_error *err) {
    static float maps[FAITH_MAPS][CELLS], tiebreak[CELLS], baseline[3 * CELLS];
    cifake_result r;
    if (cf_detector_classify_rgb(d, ds->pixels + (size_t)i * DS_PIXELS, &r, err)) return -1;
    int target = r.p_fake >= cf_detector_params(d)->threshold; /* the class the page would explain */
    if (cifake_explain(d, CIFAKE_CAM_GRADCAM, target, -1, maps[0], err) ||
        cifake_explain(d, CIFAKE_CAM_GRADCAMPP, target, -1, maps[1], err))
        return -1;
    cf_rng map_rng = cf_rng_make(c->seed, (uint64_t)i, 1), tie_rng = cf_rng_make(c->seed, (uint64_t)i, 2);
    for (int k = 0; k < CELLS; k++) maps[2][k] = cf_rng_uniform(&map_rng);
    for (int k = 0; k < faith_cell_count(CF_MODEL_SIDE, c->cell); k++) tiebreak[k] = cf_rng_uniform(&tie_rng);
    if (faith_baseline(ds->pixels + (size_t)i * DS_PIXELS, cf_detector_params(d), c->blur_sigma, baseline, err)) return -1;
    const float *const map_list[FAITH_MAPS] = {maps[0], maps[1], maps[2]};
    double del[FAITH_MAPS * FAITH_STEPS], ins[FAITH_MAPS * FAITH_STEPS];
    if (faith_curves(d, w, cf_detector_input(d), baseline, map_list, FAITH_MAPS, tiebreak, target, del, ins, err)) return -1;
    double *auc = st->auc + (size_t)st->n * FAITH_MAPS * 2;
    for (int m = 0; m < FAITH_MAPS; m++) {
        for (int s = 0; s < FAITH_STEPS; s++) {
            st->curve[target][m][FAITH_DELETION][s] += del[m * FAITH_STEPS + s];
            st->curve[target][m][FAITH_INSERTION][s] += ins[m * FAITH_STEPS + s];
        }
        auc[m * 2 + FAITH_DELETION] = faith_auc(del + m * FAITH_STEPS);
        auc[m * 2 + FAITH_INSERTION] = faith_auc(ins + m * FAITH_STEPS);
    }
    st->explained[st->n] = target;
    st->per_class[target]++;
    st->n++;
    return 0;
}

/* Mean and standard error over the images explained as cls (both classes: cls < 0) of
 * a[map * 2 + curve] - (other >= 0 ? a[other * 2 + curve] : 0), a an image's areas. */
static void faith_mean_se(const faith_stats *st, int cls, int map, int other, int curve, double *mean, double *se) {
    double sum = 0.0, sumsq = 0.0;
    long n = 0;
    for (int j = 0; j < st->n; j++) {
        if (cls >= 0 && st->explained[j] != cls) continue;
        const double *a = st->auc + (size_t)j * FAITH_MAPS * 2;
        double v = a[map * 2 + curve] - (other >= 0 ? a[other * 2 + curve] : 0.0);
        sum += v, sumsq += v * v, n++;
    }
    *mean = n ? sum / n : 0.0;
    double var = n > 1 ? (sumsq - n * *mean * *mean) / (n - 1) : 0.0;
    *se = n ? sqrt(var > 0 ? var / n : 0.0) : 0.0;
}

/* The mean curve of a map over both classes (cls < 0) or one. */
static void faith_mean_curve(const faith_stats *st, int cls, int map, int curve, double *out) {
    long n = cls < 0 ? st->per_class[0] + st->per_class[1] : st->per_class[cls];
    for (int s = 0; s < FAITH_STEPS; s++) {
        double sum = cls < 0 ? st->curve[0][map][curve][s] + st->curve[1][map][curve][s] : st->curve[cls][map][curve][s];
        out[s] = n ? sum / n : 0.0;
    }
}

static void faith_print(const faith_stats *st) {
    printf("| map | deletion AUC (lower: more faithful) | insertion AUC (higher: more faithful) |\n");
    printf("|---|---:|---:|\n");
    for (int m = 0; m < FAITH_MAPS; m++) {
        double dm, dse, im, ise;
        faith_mean_se(st, -1, m, -1, FAITH_DELETION, &dm, &dse);
        faith_mean_se(st, -1, m, -1, FAITH_INSERTION, &im, &ise);
        printf("| %s | %.4f ± %.4f | %.4f ± %.4f |\n", faith_names[m], dm, dse, im, ise);
    }
    printf("\nPaired differences over the same images (mean ± standard error):\n\n");
    printf("| maps | deletion AUC | insertion AUC |\n|---|---:|---:|\n");
    static const int pairs[3][2] = {{0, 1}, {0, 2}, {1, 2}};
    for (int k = 0; k < 3; k++) {
        double dm, dse, im, ise;
        faith_mean_se(st, -1, pairs[k][0], pairs[k][1], FAITH_DELETION, &dm, &dse);
        faith_mean_se(st, -1, pairs[k][0], pairs[k][1], FAITH_INSERTION, &im, &ise);
        printf("| %s - %s | %+.4f ± %.4f | %+.4f ± %.4f |\n", faith_names[pairs[k][0]], faith_names[pairs[k][1]], dm,
               dse, im, ise);
    }
    printf("\nBy explained class (the predicted one); p: the mean probability of that class on the image and on "
           "its baseline:\n\n");
    printf("| explained class | n | maps | deletion AUC | insertion AUC | p, image | p, baseline |\n"
           "|---|---:|---|---:|---:|---:|---:|\n");
    for (int cls = 1; cls >= 0; cls--)
        for (int k = 0; k < FAITH_MAPS + 1; k++) { /* each map, then Grad-CAM - Grad-CAM++ */
            double del[FAITH_STEPS], dm, dse, im, ise;
            int m = k < FAITH_MAPS ? k : 0, other = k < FAITH_MAPS ? -1 : 1;
            faith_mean_curve(st, cls, 0, FAITH_DELETION, del);
            faith_mean_se(st, cls, m, other, FAITH_DELETION, &dm, &dse);
            faith_mean_se(st, cls, m, other, FAITH_INSERTION, &im, &ise);
            char name[64];
            snprintf(name, sizeof name, "%s%s%s", faith_names[m], other >= 0 ? " - " : "", other >= 0 ? faith_names[other] : "");
            printf(other < 0 ? "| %s | %ld | %s | %.4f ± %.4f | %.4f ± %.4f |" : "| %s | %ld | %s | %+.4f ± %.4f | %+.4f ± %.4f |",
                   cls ? "FAKE" : "REAL", st->per_class[cls], name, dm, dse, im, ise);
            if (other < 0) printf(" %.4f | %.4f |\n", del[0], del[FAITH_STEPS - 1]);
            else printf(" | |\n");
        }
    printf("\nMean probability of the explained class after deleting / inserting the top k%% of cells:\n\n| k |");
    for (int curve = 0; curve < 2; curve++)
        for (int m = 0; m < FAITH_MAPS; m++) printf(" %s %s |", curve ? "ins." : "del.", faith_names[m]);
    printf("\n|---:|");
    for (int m = 0; m < 2 * FAITH_MAPS; m++) printf("---:|");
    printf("\n");
    double curves[2][FAITH_MAPS][FAITH_STEPS];
    for (int curve = 0; curve < 2; curve++)
        for (int m = 0; m < FAITH_MAPS; m++) faith_mean_curve(st, -1, m, curve, curves[curve][m]);
    for (int s = 0; s < FAITH_STEPS; s++) {
        printf("| %3.0f |", 100 * faith_k(s));
        for (int curve = 0; curve < 2; curve++)
            for (int m = 0; m < FAITH_MAPS; m++) printf(" %.4f |", curves[curve][m][s]);
        printf("\n");
    }
}

/* Mean curves in a grid: rows all images, explained FAKE, explained REAL; columns deletion, insertion;
 * under each panel the areas of its curves. */
static int faith_plot(const faith_stats *st, const char *path, const char *caption, cf_error *err) {
    static const uint8_t colours[FAITH_MAPS][3] = {{210, 50, 40}, {40, 90, 200}, {110, 110, 110}}, black[3] = {0};
    static const char *const curves[2] = {"deletion", "insertion"};
    const int left = 60, pw = 370, ph = 200, gap = 70, row_h = 300, top = 34;
    plot_canvas cv;
    if (plot_canvas_init(&cv, 2 * (left + pw) + 30, top + 3 * row_h, err)) return -1;
    plot_text(&cv, 12, 10, 1, caption, black);
    double xt[6] = {0, 0.2, 0.4, 0.6, 0.8, 1.0}, yt[6] = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
    for (int row = 0; row < 3; row++) {
        int cls = row == 0 ? -1 : row == 1 ? 1 : 0, y0 = top + row * row_h;
        long n = cls < 0 ? st->n : st->per_class[cls];
        for (int curve = 0; curve < 2; curve++) {
            plot_panel p = {left + curve * (pw + gap), y0 + 44, pw, ph, 0.0, 1.0, 0.0, 1.0, 0};
            char title[96];
            snprintf(title, sizeof title, "%s (n = %ld)", cls < 0 ? "all images" : cls ? "explained FAKE" : "explained REAL", n);
            plot_text(&cv, p.x, y0 + 12, 2, curves[curve], black);
            plot_text(&cv, p.x + plot_text_width(curves[curve], 2) + 12, y0 + 19, 1, title, black);
            plot_axes(&cv, &p, xt, 6, "%.1f", yt, 6, "%.1f",
                      curve ? "k: share of the cells revealed, top-ranked first"
                            : "k: share of the cells replaced, top-ranked first",
                      "probability of the explained class");
            int lx = p.x;
            for (int m = FAITH_MAPS - 1; m >= 0; m--) {
                double y[FAITH_STEPS];
                faith_mean_curve(st, cls, m, curve, y);
                for (int s = 0; s + 1 < FAITH_STEPS; s++)
                    plot_line(&cv, plot_px(&p, faith_k(s)), plot_py(&p, y[s]), plot_px(&p, faith_k(s + 1)),
                              plot_py(&p, y[s + 1]), 2, m == 2 ? 5 : 0, colours[m]);
            }
            for (int m = 0; m < FAITH_MAPS; m++) {
                double y[FAITH_STEPS];
                char label[64];
                faith_mean_curve(st, cls, m, curve, y);
                snprintf(label, sizeof label, "%s %.3f", faith_names[m], faith_auc(y));
                int ly = p.y + ph + 34;
                plot_line(&cv, lx, ly + 3, lx + 14, ly + 3, 2, m == 2 ? 5 : 0, colours[m]);
                plot_text(&cv, lx + 18, ly, 1, label, black);
                lx += 18 + plot_text_width(label, 1) + 22;
            }
        }
    }
    int rc = make_parent_dirs(path, err) || plot_canvas_write_png(&cv, path, err);
    plot_canvas_free(&cv);
    return rc;
}

/* The cell of the CAM's own grid: the input side over the side of the CAM layer's map (1 when it
 * does not divide). */
static int cam_grid_cell(cifake_detector *d, cf_error *err) {
    const cf_model *m = &cf_detector_model(d)->model;
    int layer;
    if (cf_cam_feature_layer(m, -1, &layer, err)) return -1;
    int side = m->layers[layer].out.h;
    return side > 0 && CF_MODEL_SIDE % side == 0 ? CF_MODEL_SIDE / side : 1;
}

static int run_faithfulness(cifake_detector *d, const dataset *ds, const char *split, const char *weights,
                            const faith_config *config, cf_error *err) {
    faith_config cfg = *config;
    const faith_config *c = &cfg;
    if (!cfg.cell && (cfg.cell = cam_grid_cell(d, err)) < 0) return -1;
    int n = 0, rc = 0;
    int *idx = faith_subset(ds->n, c->subset, c->seed, &n);
    faith_stats st = {0};
    st.auc = malloc(sizeof(double) * ((size_t)n * FAITH_MAPS * 2 + 1));
    st.explained = malloc(sizeof(int) * ((size_t)n + 1));
    faith_work w = {0};
    if (!idx || !st.auc || !st.explained) rc = cf_fail(err, "out of memory");
    if (!rc) rc = faith_work_init(&w, CF_MODEL_SIDE, c->cell, FAITH_MAPS, err);
    double t0 = now_seconds();
    for (int j = 0; !rc && j < n; j++) {
        rc = faith_image(d, &w, ds, idx[j], c, &st, err);
        if (rc) cf_error_prefix(err, "%s", ds->paths[idx[j]]);
        if (!rc && ((j + 1) % 500 == 0 || j + 1 == n))
            fprintf(stderr, "faithfulness: %d of %d images, %.0f s\n", j + 1, n, now_seconds() - t0);
    }
    if (!rc) {
        char baseline[64], caption[512];
        if (c->blur_sigma > 0) snprintf(baseline, sizeof baseline, "the image blurred (Gaussian, sigma %.2g px)", c->blur_sigma);
        else snprintf(baseline, sizeof baseline, "the training split's mean colour");
        printf("Deletion and insertion, %s split, %d of %d images (seed %llu), %s; cells of %dx%d pixels (%d per "
               "image), k = 0, 5, ..., 100%%; baseline: %s; random map seed %llu\n\n",
               split, n, ds->n, (unsigned long long)c->seed, weights, c->cell, c->cell,
               faith_cell_count(CF_MODEL_SIDE, c->cell), baseline, (unsigned long long)c->seed);
        faith_print(&st);
        snprintf(caption, sizeof caption, "%s, %s split, %d images; cells of %d px; baseline: %s", weights, split, n,
                 c->cell, baseline);
        if (c->plot) rc = faith_plot(&st, c->plot, caption, err);
        if (!rc && c->plot) printf("\nPlot: %s\n", c->plot);
    }
    faith_work_free(&w);
    free(idx);
    free(st.auc);
    free(st.explained);
    return rc;
}

static const opt_program program = {
    "cifake-camstats", PROG_CAMSTATS,
    "usage: cifake-camstats [--weights FILE] [--data DIR] [--split test|train] [--cam-method gradcam|gradcampp]\n"
    "                       [--grid FILE.png [--grid-cols N] [--grid-tile PIXELS]]\n"
    "       cifake-camstats --faithfulness [--weights FILE] [--data DIR] [--split test|train]\n"
    "                       [--subset N] [--seed S] [--cell PIXELS] [--baseline blurSIGMA|mean] [--plot FILE.png]\n"
    "  Where the Grad-CAM maps put the evidence, per predicted class and verdict (a Markdown table), or with\n"
    "  --faithfulness whether the maps point at what the model uses.\n",
    NULL, 0};

int main(int argc, char **argv) {
    opt_args args;
    int status = opt_parse_main(&program, argc, argv, &args);
    if (status) return status == 1 ? 0 : 2;
    const char *weights = opt_text(&args, "--weights"), *data = opt_text(&args, "--data");
    const char *split = opt_text(&args, "--split"), *baseline = opt_text(&args, "--baseline");
    cifake_cam_method method = CIFAKE_CAM_GRADCAM;
    (void)cf_cam_method_parse(opt_text(&args, "--cam-method"), &method); /* the table holds the names it takes */
    grid g = {opt_text(&args, "--grid"), (int)opt_int(&args, "--grid-cols"), (int)opt_int(&args, "--grid-tile"), {NULL}, {0}};
    int faithfulness = opt_count(&args, "--faithfulness") > 0;
    /* --baseline is "mean" or "blurSIGMA", checked by the table */
    float sigma = strcmp(baseline, "mean") ? (float)strtod(baseline + 4, NULL) : 0.0f;
    faith_config fc = {(int)opt_int(&args, "--subset"), (int)opt_int(&args, "--cell"), opt_u64(&args, "--seed"), sigma,
                       opt_text(&args, "--plot")};
    if (!data) return fprintf(stderr, "cifake-camstats: no dataset: pass --data DIR or set CIFAKE_DIR\n"), 2;
    cf_error err;
    cifake_detector *d;
    dataset ds;
    int rc = open_detector_files(&weights, 1, &d, &err);
    if (rc || dataset_load(&ds, data, split, 2, &err)) {
        fprintf(stderr, "cifake-camstats: %s\n", err.msg);
        return 1;
    }
    if (faithfulness) {
        rc = run_faithfulness(d, &ds, split, weights, &fc, &err);
        if (rc) fprintf(stderr, "cifake-camstats: %s\n", err.msg);
        dataset_free(&ds);
        cifake_close(d);
        return rc ? 1 : 0;
    }
    for (int row = 0; g.path && row < GRID_ROWS; row++)
        if (!(g.idx[row] = malloc(sizeof(int) * ds.n))) return fprintf(stderr, "cifake-camstats: out of memory\n"), 1;
    group by_pred[2] = {{0}}, by_right[2][2] = {{{0}}}; /* [predicted][correct] */
    for (int i = 0; i < ds.n; i++) {
        cifake_result r;
        float map[CELLS];
        double shares[2];
        if (cf_detector_classify_rgb(d, ds.pixels + (size_t)i * DS_PIXELS, &r, &err) ||
            cifake_explain(d, method, -1, -1, map, &err)) {
            fprintf(stderr, "cifake-camstats: %s: %s\n", ds.paths[i], err.msg);
            return 1;
        }
        /* the class the map explains: by the threshold, whether or not the band makes it UNSURE */
        int predicted = r.p_fake >= cf_detector_params(d)->threshold;
        int correct = predicted == ds.labels[i], row = grid_row(ds.labels[i], correct);
        if (g.path) g.idx[row][g.n[row]++] = i;
        if (map_shares(map, shares)) {
            by_pred[predicted].zero_maps++;
            by_right[predicted][correct].zero_maps++;
            continue;
        }
        add(&by_pred[predicted], shares);
        add(&by_right[predicted][correct], shares);
    }
    printf("Grad-CAM%s of the predicted class, %s split, %d images (%s)\n\n", method == CIFAKE_CAM_GRADCAMPP ? "++" : "",
           split, ds.n, weights);
    printf("| predicted (and verdict)    |      n | top-10%% share | outside centre | zero maps |\n");
    printf("|----------------------------|-------:|---------------|----------------|----------:|\n");
    const char *names[2] = {"REAL", "FAKE"};
    for (int p = 1; p >= 0; p--) {
        char label[64];
        print_row(names[p], &by_pred[p]);
        snprintf(label, sizeof label, "%s, correct", names[p]);
        print_row(label, &by_right[p][1]);
        snprintf(label, sizeof label, "%s, wrong", names[p]);
        print_row(label, &by_right[p][0]);
    }
    printf("\nA flat map scores 0.100 (top-10%% share) and 0.750 (outside the central 16x16 square).\n");
    if (g.path && write_grid(d, &ds, method, &g, &err)) {
        fprintf(stderr, "cifake-camstats: %s\n", err.msg);
        return 1;
    }
    if (g.path) printf("Example overlays: %s (rows: REAL called REAL, REAL called FAKE, FAKE called FAKE, FAKE called REAL)\n", g.path);
    for (int row = 0; row < GRID_ROWS; row++) free(g.idx[row]);
    dataset_free(&ds);
    cifake_close(d);
    return 0;
}
