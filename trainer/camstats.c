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
 * with the heatmap of its predicted class. The chosen files are listed on stderr. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "dataset.h"
#include "fileio.h"
#include "image.h"
#include "png.h"

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
static int draw_pair(cifake_detector *d, const dataset *ds, int i, cf_cam_method method, uint8_t *tile, int side,
                     uint8_t *img, int width, int x0, int y0, cifake_result *r, cf_error *err) {
    float map[CELLS];
    int rc = cifake_classify_rgb32(d, ds->pixels + (size_t)i * DS_PIXELS, r, err) ||
             cifake_explain(d, method, -1, -1, map, err) ||
             cifake_render(d, map, side, CF_COLORMAP_TURBO, 0.0f, tile, err);
    if (!rc) blit(img, width, x0, y0, tile, side);
    if (!rc) rc = cifake_render(d, map, side, CF_COLORMAP_TURBO, 0.5f, tile, err);
    if (!rc) blit(img, width, x0 + side, y0, tile, side);
    if (rc) cf_error_prefix(err, "%s", ds->paths[i]);
    return rc;
}

static int write_grid(cifake_detector *d, const dataset *ds, cf_cam_method method, const grid *g, cf_error *err) {
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
                        r.p_fake >= cifake_params(d)->threshold ? "FAKE" : "REAL", r.p_fake);
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

int main(int argc, char **argv) {
    const char *weights = "weights/cifake.bin", *data = getenv("CIFAKE_DIR"), *split = "test";
    cf_cam_method method = CF_CAM_GRADCAM;
    grid g = {NULL, 8, 64, {NULL}, {0}};
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && !strcmp(argv[i], "--weights")) weights = v, i++;
        else if (v && !strcmp(argv[i], "--grid")) g.path = v, i++;
        else if (v && !strcmp(argv[i], "--grid-cols") && atoi(v) >= 1 && atoi(v) <= 64) g.cols = atoi(v), i++;
        else if (v && !strcmp(argv[i], "--grid-tile") && atoi(v) >= 8 && atoi(v) <= 512) g.tile = atoi(v), i++;
        else if (v && !strcmp(argv[i], "--data")) data = v, i++;
        else if (v && !strcmp(argv[i], "--split")) split = v, i++;
        else if (v && !strcmp(argv[i], "--cam-method") && !cf_cam_method_parse(v, &method)) i++;
        else {
            fprintf(stderr, "usage: cifake-camstats [--weights FILE] [--data DIR] [--split test|train] "
                            "[--cam-method gradcam|gradcampp]\n"
                            "                       [--grid FILE.png [--grid-cols N (8)] [--grid-tile PIXELS (64)]]\n");
            return 2;
        }
    }
    if (!data) return fprintf(stderr, "cifake-camstats: no dataset: pass --data DIR or set CIFAKE_DIR\n"), 2;
    cf_error err;
    uint8_t *bytes;
    size_t n;
    cifake_detector *d;
    dataset ds;
    if (read_file(weights, CF_WEIGHTS_MAX_FILE_BYTES, &bytes, &n, &err)) return fprintf(stderr, "cifake-camstats: %s\n", err.msg), 1;
    int rc = cifake_open(bytes, n, &d, &err);
    free(bytes);
    if (rc || dataset_load(&ds, data, split, 2, &err)) {
        fprintf(stderr, "cifake-camstats: %s\n", err.msg);
        return 1;
    }
    for (int row = 0; g.path && row < GRID_ROWS; row++)
        if (!(g.idx[row] = malloc(sizeof(int) * ds.n))) return fprintf(stderr, "cifake-camstats: out of memory\n"), 1;
    group by_pred[2] = {{0}}, by_right[2][2] = {{{0}}}; /* [predicted][correct] */
    for (int i = 0; i < ds.n; i++) {
        cifake_result r;
        float map[CELLS];
        double shares[2];
        if (cifake_classify_rgb32(d, ds.pixels + (size_t)i * DS_PIXELS, &r, &err) ||
            cifake_explain(d, method, -1, -1, map, &err)) {
            fprintf(stderr, "cifake-camstats: %s: %s\n", ds.paths[i], err.msg);
            return 1;
        }
        /* the class the map explains: by the threshold, whether or not the band makes it UNSURE */
        int predicted = r.p_fake >= cifake_params(d)->threshold;
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
    printf("Grad-CAM%s of the predicted class, %s split, %d images (%s)\n\n", method == CF_CAM_GRADCAMPP ? "++" : "",
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
