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
 * separately, since their shares are undefined. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifake.h"
#include "dataset.h"
#include "fileio.h"
#include "image.h"

#define CELLS (CF_MODEL_SIDE * CF_MODEL_SIDE)

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
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v && !strcmp(argv[i], "--weights")) weights = v, i++;
        else if (v && !strcmp(argv[i], "--data")) data = v, i++;
        else if (v && !strcmp(argv[i], "--split")) split = v, i++;
        else if (v && !strcmp(argv[i], "--cam-method") && !cf_cam_method_parse(v, &method)) i++;
        else {
            fprintf(stderr, "usage: cifake-camstats [--weights FILE] [--data DIR] [--split test|train] "
                            "[--cam-method gradcam|gradcampp]\n");
            return 2;
        }
    }
    if (!data) return fprintf(stderr, "cifake-camstats: no dataset: pass --data DIR or set CIFAKE_DIR\n"), 2;
    cf_error err;
    uint8_t *bytes;
    size_t n;
    cifake_detector *d;
    dataset ds;
    if (read_file(weights, (size_t)256 << 20, &bytes, &n, &err)) return fprintf(stderr, "cifake-camstats: %s\n", err.msg), 1;
    int rc = cifake_open(bytes, n, &d, &err);
    free(bytes);
    if (rc || dataset_load(&ds, data, split, 2, &err)) {
        fprintf(stderr, "cifake-camstats: %s\n", err.msg);
        return 1;
    }
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
        int correct = r.label == ds.labels[i];
        if (map_shares(map, shares)) {
            by_pred[r.label].zero_maps++;
            by_right[r.label][correct].zero_maps++;
            continue;
        }
        add(&by_pred[r.label], shares);
        add(&by_right[r.label][correct], shares);
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
    dataset_free(&ds);
    cifake_close(d);
    return 0;
}
