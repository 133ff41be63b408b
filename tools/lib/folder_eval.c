/* folder_eval.c - cifake-eval --real DIR --fake DIR: any images, through exactly the detector's path
 * (cifake_classify: decoding, scope, UNSURE rules), reported overall and per group (a group is a
 * first-level subfolder of DIR; files directly in DIR form a group named after DIR itself). */
#define _POSIX_C_SOURCE 200809L
#include "folder_eval.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "image.h"
#include "json.h"
#include "metrics.h"
#include "parallel.h"

#define MAX_GROUPS 256

typedef struct {
    char *path;
    int fake, group;
    float p_fake;
    cifake_label label;
    cifake_scope scope;
    int failed;
} item;

typedef struct {
    item *v;
    int n, cap;
    char *group_name[MAX_GROUPS];
    int group_fake[MAX_GROUPS];
    int n_groups;
} item_list;

static int group_index(item_list *l, const char *name, int fake, cf_error *err) {
    for (int g = 0; g < l->n_groups; g++)
        if (l->group_fake[g] == fake && !strcmp(l->group_name[g], name)) return g;
    if (l->n_groups == MAX_GROUPS) return cf_fail(err, "more than %d groups", MAX_GROUPS);
    if (!(l->group_name[l->n_groups] = strdup(name))) return cf_fail(err, "out of memory");
    l->group_fake[l->n_groups] = fake;
    return l->n_groups++;
}

static int push_item(item_list *l, const char *path, int fake, int group, cf_error *err) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 1024;
        item *v = realloc(l->v, sizeof *v * cap);
        if (!v) return cf_fail(err, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    item *it = &l->v[l->n];
    memset(it, 0, sizeof *it);
    if (!(it->path = strdup(path))) return cf_fail(err, "out of memory");
    it->fake = fake;
    it->group = group;
    l->n++;
    return 0;
}

/* The name of a folder's own group (its files outside any subfolder): the folder's last path
 * component, so a flat folder reads as "photos", not ".". */
static const char *folder_name(const char *dir, char *buf, size_t n) {
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && dir[start - 1] != '/') start--;
    snprintf(buf, n, "%.*s", (int)(len - start), dir + start);
    if (!buf[0] || !strcmp(buf, ".") || !strcmp(buf, "..")) snprintf(buf, n, "%s", dir);
    return buf;
}

/* Adds every regular file under dir (recursively, skipping dot-files) to group; a first-level
 * subfolder (depth 0) opens a group of its own. */
static int collect(item_list *l, const char *dir, int fake, int group, int depth, cf_error *err) {
    DIR *d = opendir(dir);
    if (!d) return cf_fail(err, "%s: cannot open folder", dir);
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
            rc = cf_fail(err, "%s: path too long", dir);
            break;
        }
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            int g = depth == 0 ? group_index(l, e->d_name, fake, err) : group;
            rc = g < 0 ? -1 : collect(l, path, fake, g, depth + 1, err);
        } else if (S_ISREG(st.st_mode)) {
            char own[256];
            int g = group >= 0 ? group : group_index(l, folder_name(dir, own, sizeof own), fake, err);
            rc = g < 0 ? -1 : push_item(l, path, fake, g, err);
        }
    }
    closedir(d);
    return rc;
}

static int compare_items(const void *a, const void *b) {
    return strcmp(((const item *)a)->path, ((const item *)b)->path);
}

/* Classifies every item with one detector per thread. A file that cannot be read or decoded counts
 * as failed (reported on stderr) and is left out of the figures. */
static int classify_items(const folder_eval_config *c, item_list *l, cf_error *err) {
    int threads = c->threads < 1 ? 1 : c->threads, failed_open = 0;
    cf_error open_err = {{0}};
    (void)threads;
    CF_PARALLEL(threads) {
        cifake_detector *d = NULL;
        cf_error e;
        int ok = !open_detector_files(c->weights, c->n_weights, &d, &e);
        if (!ok) {
            CF_CRITICAL {
                failed_open = 1;
                open_err = e;
            }
        }
        CF_FOR
        for (int i = 0; i < l->n; i++) {
            item *it = &l->v[i];
            if (!ok) continue;
            uint8_t *bytes;
            size_t n;
            cifake_result r;
            it->failed = read_file(it->path, CF_IMAGE_MAX_BYTES, &bytes, &n, &e) != 0;
            if (!it->failed) {
                it->failed = cifake_classify(d, bytes, n, &r, &e) != 0;
                free(bytes);
            }
            if (it->failed) {
                CF_CRITICAL fprintf(stderr, "cifake-eval: %s: %s\n", it->path, e.msg);
                continue;
            }
            it->p_fake = r.p_fake;
            it->label = r.label;
            it->scope = r.scope;
        }
        cifake_close(d);
    }
    if (failed_open) {
        *err = open_err;
        return -1;
    }
    return 0;
}

typedef struct {
    int n, decided, right, called_fake;
    double auroc; /* of the p_fake values (guesses of UNSURE images included) against the other class */
} group_figures;

/* Figures of the items that pass keep(): counts, and the AUROC of those items against every item
 * of the other class (a group of one class is measured against all of the other). */
static void figures(const item_list *l, int group, group_figures *f) {
    memset(f, 0, sizeof *f);
    float *scores = malloc(sizeof(float) * (l->n + 1));
    int *labels = malloc(sizeof(int) * (l->n + 1)), m = 0;
    int group_class = group >= 0 ? l->group_fake[group] : -1;
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        if (it->failed) continue;
        int mine = group < 0 || it->group == group;
        if (mine) {
            f->n++;
            f->decided += it->label != CIFAKE_UNSURE;
            f->right += it->label != CIFAKE_UNSURE && (int)it->label == it->fake;
            f->called_fake += it->label == CIFAKE_FAKE;
        }
        if ((mine || it->fake != group_class) && !isnan(it->p_fake) && scores && labels) {
            scores[m] = it->p_fake;
            labels[m++] = it->fake;
        }
    }
    f->auroc = scores && labels ? auroc(scores, labels, m) : NAN;
    free(scores);
    free(labels);
}

static double ratio(int a, int b) { return b ? (double)a / b : NAN; }

static void print_json_number(double v) {
    if (isnan(v)) printf("null");
    else printf("%.4f", v);
}

/* A figure of the table, or n/a where there is nothing to measure (no image decided, one class). */
static void print_cell(double v, int width) {
    if (isnan(v)) printf(" %*s", width, "n/a");
    else printf(" %*.4f", width, v);
}

static void print_row(const char *cls, const char *name, const group_figures *f, int json, int first) {
    /* for real images "called FAKE" is the false-alarm rate; for fakes, the share caught */
    double fake_share = ratio(f->called_fake, f->n), coverage = ratio(f->decided, f->n),
           accuracy = ratio(f->right, f->decided);
    if (!json) {
        printf("%-5s %-34s %6d", cls, name, f->n);
        print_cell(f->auroc, 11);
        print_cell(fake_share, 11);
        print_cell(coverage, 9);
        print_cell(accuracy, 17);
        putchar('\n');
        return;
    }
    printf("%s\n    {\"class\": \"%s\", \"group\": ", first ? "" : ",", cls);
    json_write_string(stdout, name);
    printf(", \"n\": %d, \"decided\": %d, \"raw_auroc\": ", f->n, f->decided);
    print_json_number(f->auroc);
    printf(", \"called_fake\": ");
    print_json_number(fake_share);
    printf(", \"coverage\": ");
    print_json_number(coverage);
    printf(", \"accuracy_decided\": ");
    print_json_number(accuracy);
    printf("}");
}

static void report(const item_list *l, int json) {
    group_figures all, real, fake;
    figures(l, -1, &all);
    if (json) printf("{\"groups\": [");
    else
        printf("%-5s %-34s %6s %11s %11s %9s %17s\n", "class", "group", "n", "raw AUROC", "called FAKE", "coverage",
               "accuracy decided");
    int first = 1, order[MAX_GROUPS];
    for (int g = 0; g < l->n_groups; g++) order[g] = g;
    for (int a = 1; a < l->n_groups; a++) /* by class, then name: the same table on every file system */
        for (int b = a; b > 0 && strcmp(l->group_name[order[b - 1]], l->group_name[order[b]]) > 0; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    for (int cls = 0; cls < 2; cls++)
        for (int k = 0; k < l->n_groups; k++) {
            int g = order[k];
            if (l->group_fake[g] != cls) continue;
            group_figures f;
            figures(l, g, &f);
            print_row(cls ? "fake" : "real", l->group_name[g], &f, json, first);
            first = 0;
        }
    /* the per-class rows: the false-alarm rate of all real images, the catch rate of all fakes */
    memset(&real, 0, sizeof real);
    memset(&fake, 0, sizeof fake);
    for (int i = 0; i < l->n; i++) {
        const item *it = &l->v[i];
        if (it->failed) continue;
        group_figures *f = it->fake ? &fake : &real;
        f->n++;
        f->decided += it->label != CIFAKE_UNSURE;
        f->right += it->label != CIFAKE_UNSURE && (int)it->label == it->fake;
        f->called_fake += it->label == CIFAKE_FAKE;
    }
    real.auroc = fake.auroc = all.auroc;
    if (json) {
        printf("\n  ], \"real\": ");
        print_row("real", "all", &real, 1, 1);
        printf(", \"fake\": ");
        print_row("fake", "all", &fake, 1, 1);
        printf(", \"all\": ");
        print_row("all", "all", &all, 1, 1);
        printf("}\n");
        return;
    }
    print_row("real", "all", &real, 0, 0);
    print_row("fake", "all", &fake, 0, 0);
    print_row("all", "all", &all, 0, 0);
}

int folder_eval_run(const folder_eval_config *c, cf_error *err) {
    item_list l = {0};
    int rc = collect(&l, c->real, 0, -1, 0, err);
    int n_real = l.n;
    if (!rc) rc = collect(&l, c->fake, 1, -1, 0, err);
    if (!rc && n_real == 0) rc = cf_fail(err, "%s: no images", c->real);
    if (!rc && l.n == n_real) rc = cf_fail(err, "%s: no images", c->fake);
    if (!rc) {
        qsort(l.v, (size_t)l.n, sizeof *l.v, compare_items);
        rc = classify_items(c, &l, err);
    }
    if (!rc) report(&l, c->json);
    for (int i = 0; i < l.n; i++) free(l.v[i].path);
    for (int g = 0; g < l.n_groups; g++) free(l.group_name[g]);
    free(l.v);
    return rc;
}
