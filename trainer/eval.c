/* cifake-eval - measures a weight file on a CIFAKE split: accuracy, precision, recall, F1 (FAKE is
 * the positive class), AUROC, loss, confusion matrix, n. Images go through the same decoding and
 * normalisation as cifake-detect; the threshold and temperature are the weight file's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifake.h"
#include "dataset.h"
#include "fileio.h"
#include "infer.h"

static void usage(FILE *f) {
    fprintf(f, "usage: cifake-eval --weights FILE [--data DIR] [--split test|val] [--exclude-leaked] [--json]\n"
               "                   [--threads N]\n"
               "  --data DIR        CIFAKE in the Kaggle layout (default: $CIFAKE_DIR)\n"
               "  --split val       the validation images the trainer held out (same seed and share)\n"
               "  --exclude-leaked  drop test images whose exact bytes also occur in train\n"
               "  --json            one JSON object: accuracy, precision, recall, f1, auroc, loss, n, confusion\n");
}

typedef struct {
    const char *weights, *data, *split;
    int json, threads, exclude_leaked;
} eval_config;

static int parse_args(int argc, char **argv, eval_config *c) {
    memset(c, 0, sizeof *c);
    c->data = getenv("CIFAKE_DIR");
    c->split = "test";
    c->threads = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) c->json = 1;
        else if (!strcmp(a, "--exclude-leaked")) c->exclude_leaked = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        else if (v && !strcmp(a, "--weights")) c->weights = v, i++;
        else if (v && !strcmp(a, "--data")) c->data = v, i++;
        else if (v && !strcmp(a, "--split")) c->split = v, i++;
        else if (v && !strcmp(a, "--threads")) c->threads = atoi(v), i++;
        else return fprintf(stderr, "cifake-eval: unknown option or missing value: %s\n", a), usage(stderr), 2;
    }
    if (!c->weights) return fprintf(stderr, "cifake-eval: --weights FILE is required\n"), usage(stderr), 2;
    if (!c->data) return fprintf(stderr, "cifake-eval: no dataset: pass --data DIR or set CIFAKE_DIR\n"), 2;
    if (strcmp(c->split, "test") && strcmp(c->split, "val"))
        return fprintf(stderr, "cifake-eval: --split must be test or val\n"), 2;
    if (c->exclude_leaked && strcmp(c->split, "test"))
        return fprintf(stderr, "cifake-eval: --exclude-leaked applies to the test split\n"), 2;
    if (c->threads < 1) c->threads = 1;
    return 0;
}

/* Indices of the images to evaluate. */
static int select_images(const eval_config *c, const cf_meta *meta, dataset *ds, dataset *train, int **idx, int *n,
                         cf_error *err) {
    if (!strcmp(c->split, "val")) {
        const char *seed = cf_meta_get(meta, "seed"), *permille = cf_meta_get(meta, "val_permille");
        if (!seed || !permille) return cf_fail(err, "weight file does not record its validation split (seed, val_permille)");
        int *tr, n_tr;
        if (dataset_split(ds, strtoull(seed, NULL, 10), atoi(permille), &tr, &n_tr, idx, n, err)) return -1;
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

static int run(const eval_config *c, cf_error *err) {
    uint8_t *bytes;
    size_t nbytes;
    if (read_file(c->weights, (size_t)256 << 20, &bytes, &nbytes, err)) return -1;
    cifake_detector *d;
    int rc = cifake_open(bytes, nbytes, &d, err);
    free(bytes);
    if (rc) {
        cf_error_prefix(err, "%s", c->weights);
        return -1;
    }
    dataset ds = {0}, train = {0};
    int *idx = NULL, n = 0;
    const char *folder = !strcmp(c->split, "val") ? "train" : "test";
    rc = dataset_load(&ds, c->data, folder, c->threads, err);
    if (!rc && c->exclude_leaked) rc = dataset_load(&train, c->data, "train", c->threads, err);
    if (!rc) rc = select_images(c, cifake_meta(d), &ds, &train, &idx, &n, err);
    float *scores = rc ? NULL : malloc(sizeof(float) * (n + 1));
    int *labels = rc ? NULL : malloc(sizeof(int) * (n + 1));
    if (!rc && (!scores || !labels)) rc = cf_fail(err, "out of memory");
    const cf_infer_params *p = cifake_params(d);
    if (!rc) rc = infer_scores(cifake_model(d), &ds, idx, n, p->mean, p->std, c->threads, scores, err);
    if (!rc) {
        for (int i = 0; i < n; i++) labels[i] = ds.labels[idx[i]];
        metrics m;
        score_metrics(scores, labels, n, p->temperature, p->threshold, &m);
        char title[64];
        snprintf(title, sizeof title, "%s%s", c->split, c->exclude_leaked ? "-without-leaked" : "");
        metrics_print(stdout, title, &m, c->json);
    }
    free(scores);
    free(labels);
    free(idx);
    dataset_free(&ds);
    dataset_free(&train);
    cifake_close(d);
    return rc;
}

int main(int argc, char **argv) {
    eval_config c;
    int status = parse_args(argc, argv, &c);
    if (status) return status == 1 ? 0 : status;
    cf_error err;
    if (run(&c, &err)) {
        fprintf(stderr, "cifake-eval: %s\n", err.msg);
        return 1;
    }
    return 0;
}
