#define _POSIX_C_SOURCE 200809L
#include "folders.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "image.h"
#include "image_resize.h"
#include "parallel.h"
#include "perturb.h"
#include "string_list.h"

/* ---------- selections ---------- */

int folders_selection_parse(folder_selection *s, const char *list, cf_error *err) {
    memset(s, 0, sizeof *s);
    if (!list || !*list) return 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            folders_selection_free(s);
            return cf_fail(err, "empty name in the list '%s'", list);
        }
        if (s->n == FOLDERS_MAX_TOKENS) {
            folders_selection_free(s);
            return cf_fail(err, "more than %d names in the list '%s'", FOLDERS_MAX_TOKENS, list);
        }
        if (!(s->token[s->n] = malloc(len + 1))) {
            folders_selection_free(s);
            return cf_fail(err, "out of memory");
        }
        memcpy(s->token[s->n], p, len);
        s->token[s->n++][len] = 0;
        if (!p[len]) break;
        p += len + 1;
    }
    return 0;
}

void folders_selection_free(folder_selection *s) {
    for (int i = 0; i < s->n; i++) free(s->token[i]);
    memset(s, 0, sizeof *s);
}

int folders_selection_matches(const folder_selection *s, const char *group, const char *generator) {
    for (int i = 0; s && i < s->n; i++) {
        const char *t = s->token[i];
        if (!strncmp(t, "gen:", 4)) {
            if (!strncmp(generator, t + 4, strlen(t + 4))) return 1;
        } else if (!strcmp(t, group)) {
            return 1;
        }
    }
    return 0;
}

int folders_image_matches(const folder_set *fs, int i, const folder_selection *s) {
    return folders_selection_matches(s, fs->group_name[fs->group[i]], fs->generator_name[fs->generator[i]]);
}

/* ---------- name tables ---------- */

/* Index of s in the table, appending it if new; -1 when out of memory. Linear: tables are small
 * (groups, generators) or filled once (sources, a few thousand). */
static int name_index(string_list *t, const char *s) {
    for (int i = t->n - 1; i >= 0; i--)
        if (!strcmp(t->v[i], s)) return i;
    return string_list_push(t, s) ? -1 : t->n - 1;
}

/* Sorted names of the entries of dir (no dot-files); want_dirs selects folders or regular files. */
static int list_dir(const char *dir, int want_dirs, string_list *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) return cf_fail(err, "%s: cannot open folder (expected DIR/real/<group>/ and DIR/fake/<group>/)", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path || stat(path, &st)) continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) continue;
        if (string_list_push(out, e->d_name)) break;
    }
    int failed = e != NULL;
    closedir(d);
    if (failed) {
        string_list_free(out);
        return cf_fail(err, "%s: out of memory listing the folder", dir);
    }
    string_list_sort(out, 0);
    return 0;
}

/* ---------- manifest ---------- */

typedef struct {
    char *crop, *generator, *source;
} manifest_row;

typedef struct {
    int n;
    manifest_row *rows; /* sorted by crop */
    char *text;         /* the file, split in place */
} manifest;

static int compare_rows(const void *a, const void *b) {
    return strcmp(((const manifest_row *)a)->crop, ((const manifest_row *)b)->crop);
}

/* Splits line at tabs into at most max fields; returns the count. */
static int split_tabs(char *line, char **field, int max) {
    int n = 0;
    for (char *p = line; n < max;) {
        field[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = 0;
        p = tab + 1;
    }
    return n;
}

static int manifest_load(manifest *mf, const char *path, cf_error *err) {
    memset(mf, 0, sizeof *mf);
    uint8_t *bytes;
    size_t n;
    if (read_file(path, (size_t)64 << 20, &bytes, &n, err)) return -1; /* a manifest line per file: far below this */
    char *text = realloc(bytes, n + 1);
    if (!text) {
        free(bytes);
        return cf_fail(err, "out of memory");
    }
    text[n] = 0;
    mf->text = text;
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) lines += text[i] == '\n';
    mf->rows = malloc(sizeof(manifest_row) * lines);
    if (!mf->rows) return cf_fail(err, "out of memory");
    int col_crop = -1, col_gen = -1, col_src = -1, line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[len - 1] = 0;
        char *f[32];
        int nf = split_tabs(line, f, 32);
        if (line_no == 1) {
            for (int i = 0; i < nf; i++) {
                if (!strcmp(f[i], "crop")) col_crop = i;
                else if (!strcmp(f[i], "generator")) col_gen = i;
                else if (!strcmp(f[i], "source_file")) col_src = i;
            }
            if (col_crop < 0 || col_gen < 0 || col_src < 0)
                return cf_fail(err, "%s: the header must name the columns crop, generator and source_file", path);
            continue;
        }
        if (!*line) continue;
        if (nf <= col_crop || nf <= col_gen || nf <= col_src)
            return cf_fail(err, "%s:%d: too few columns", path, line_no);
        mf->rows[mf->n++] = (manifest_row){f[col_crop], f[col_gen], f[col_src]};
    }
    qsort(mf->rows, (size_t)mf->n, sizeof(manifest_row), compare_rows);
    return 0;
}

static void manifest_free(manifest *mf) {
    free(mf->rows);
    free(mf->text);
    memset(mf, 0, sizeof *mf);
}

static const manifest_row *manifest_find(const manifest *mf, const char *crop) {
    manifest_row key = {(char *)crop, NULL, NULL};
    return mf->n ? bsearch(&key, mf->rows, (size_t)mf->n, sizeof(manifest_row), compare_rows) : NULL;
}

/* ---------- loading ---------- */

void folders_free(folder_set *fs) {
    for (int i = 0; i < fs->n; i++) {
        free(fs->rgb ? fs->rgb[i] : NULL);
        free(fs->path ? fs->path[i] : NULL);
    }
    free(fs->width), free(fs->height), free(fs->rgb), free(fs->label), free(fs->group), free(fs->generator);
    free(fs->source), free(fs->path);
    string_list t;
    t = (string_list){fs->group_name, fs->n_groups, 0}, string_list_free(&t);
    t = (string_list){fs->generator_name, fs->n_generators, 0}, string_list_free(&t);
    t = (string_list){fs->source_name, fs->n_sources, 0}, string_list_free(&t);
    memset(fs, 0, sizeof *fs);
}

static int grow(folder_set *fs, int cap) {
    void *p[9] = {realloc(fs->width, sizeof(int) * cap), NULL};
    if (p[0]) fs->width = p[0];
    p[1] = realloc(fs->height, sizeof(int) * cap);
    if (p[1]) fs->height = p[1];
    p[2] = realloc(fs->rgb, sizeof(uint8_t *) * cap);
    if (p[2]) fs->rgb = p[2];
    p[3] = realloc(fs->label, sizeof(int) * cap);
    if (p[3]) fs->label = p[3];
    p[4] = realloc(fs->group, sizeof(int) * cap);
    if (p[4]) fs->group = p[4];
    p[5] = realloc(fs->generator, sizeof(int) * cap);
    if (p[5]) fs->generator = p[5];
    p[6] = realloc(fs->source, sizeof(int) * cap);
    if (p[6]) fs->source = p[6];
    p[7] = realloc(fs->path, sizeof(char *) * cap);
    if (p[7]) fs->path = p[7];
    for (int i = 0; i < 8; i++)
        if (!p[i]) return -1;
    return 0;
}

int folders_load(folder_set *fs, const char *dir, const folder_selection *only, const folder_selection *skip,
                 int min_side, int n_threads, int *n_small, cf_error *err) {
    memset(fs, 0, sizeof *fs);
    (void)n_threads; /* unused without OpenMP */
    string_list groups = {0}, gens = {0}, sources = {0};
    manifest mf = {0};
    int have_manifest = 0, cap = 0, rc = -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", dir);
    if (file_exists(path)) {
        if (manifest_load(&mf, path, err)) goto done;
        have_manifest = 1;
    }
    static const char *const classes[2] = {"real", "fake"};
    for (int c = 0; c < 2; c++) {
        string_list sub;
        snprintf(path, sizeof path, "%s/%s", dir, classes[c]);
        if (list_dir(path, 1, &sub, err)) goto done;
        if (!sub.n) {
            string_list_free(&sub);
            cf_fail(err, "%s: no group folders", path);
            goto done;
        }
        for (int g = 0; g < sub.n; g++) {
            string_list files;
            snprintf(path, sizeof path, "%s/%s/%s", dir, classes[c], sub.v[g]);
            if (list_dir(path, 0, &files, err)) {
                string_list_free(&sub);
                goto done;
            }
            for (int f = 0; f < files.n; f++) {
                char rel[4096];
                snprintf(rel, sizeof rel, "%s/%s/%s", classes[c], sub.v[g], files.v[f]);
                const char *gen = sub.v[g], *src = rel;
                if (have_manifest) {
                    const manifest_row *row = manifest_find(&mf, rel);
                    if (!row) {
                        cf_fail(err, "%s is not in %s/MANIFEST.tsv", rel, dir);
                        string_list_free(&files), string_list_free(&sub);
                        goto done;
                    }
                    gen = row->generator;
                    src = row->source;
                }
                if (only && only->n && !folders_selection_matches(only, sub.v[g], gen)) continue;
                if (folders_selection_matches(skip, sub.v[g], gen)) continue;
                if (fs->n == cap && grow(fs, cap = cap ? cap * 2 : 1024)) {
                    cf_fail(err, "out of memory");
                    string_list_free(&files), string_list_free(&sub);
                    goto done;
                }
                int i = fs->n;
                fs->label[i] = c;
                fs->group[i] = name_index(&groups, sub.v[g]);
                fs->generator[i] = name_index(&gens, gen);
                fs->source[i] = name_index(&sources, src);
                fs->path[i] = strdup(rel);
                fs->rgb[i] = NULL;
                fs->n++;
                if (fs->group[i] < 0 || fs->generator[i] < 0 || fs->source[i] < 0 || !fs->path[i]) {
                    cf_fail(err, "out of memory");
                    string_list_free(&files), string_list_free(&sub);
                    goto done;
                }
            }
            string_list_free(&files);
        }
        string_list_free(&sub);
    }
    if (!fs->n) {
        cf_fail(err, "%s: no images selected", dir);
        goto done;
    }
    int failed_at = -1;
    cf_error first = {{0}};
    CF_PARALLEL_FOR(n_threads)
    for (int i = 0; i < fs->n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", dir, fs->path[i]);
        uint8_t *bytes = NULL;
        size_t n = 0;
        cf_image img = {0};
        cf_error e;
        int bad = read_file(full, CF_IMAGE_MAX_BYTES, &bytes, &n, &e) || cf_image_decode(bytes, n, &img, &e);
        free(bytes);
        if (bad) {
            cf_error_prefix(&e, "%s", full);
            CF_CRITICAL
            if (failed_at < 0 || i < failed_at) {
                failed_at = i;
                first = e;
            }
            continue;
        }
        fs->width[i] = img.width;
        fs->height[i] = img.height;
        fs->rgb[i] = img.rgb; /* kept: malloc'ed by the decoder, freed with free() like cf_image_free */
    }
    if (failed_at >= 0) {
        *err = first;
        goto done;
    }
    /* drop images too small for one patch */
    int kept = 0, small = 0;
    for (int i = 0; i < fs->n; i++) {
        if (fs->width[i] < min_side || fs->height[i] < min_side) {
            free(fs->rgb[i]);
            free(fs->path[i]);
            small++;
            continue;
        }
        fs->width[kept] = fs->width[i], fs->height[kept] = fs->height[i], fs->rgb[kept] = fs->rgb[i];
        fs->label[kept] = fs->label[i], fs->group[kept] = fs->group[i], fs->generator[kept] = fs->generator[i];
        fs->source[kept] = fs->source[i], fs->path[kept] = fs->path[i];
        kept++;
    }
    fs->n = kept;
    if (n_small) *n_small = small;
    if (!fs->n) {
        cf_fail(err, "%s: no selected image is at least %dx%d pixels", dir, min_side, min_side);
        goto done;
    }
    rc = 0;
done:
    fs->group_name = groups.v, fs->n_groups = groups.n;
    fs->generator_name = gens.v, fs->n_generators = gens.n;
    fs->source_name = sources.v, fs->n_sources = sources.n;
    manifest_free(&mf);
    if (rc) folders_free(fs);
    return rc;
}

int folders_check_sources(const folder_set *fs, const int *side, cf_error *err) {
    int *seen = malloc(sizeof(int) * (fs->n_sources + 1));
    if (!seen) return cf_fail(err, "out of memory");
    for (int s = 0; s < fs->n_sources; s++) seen[s] = -1;
    int rc = 0;
    for (int i = 0; i < fs->n && !rc; i++) {
        int s = fs->source[i];
        if (seen[s] < 0) seen[s] = side[i];
        else if (seen[s] != side[i])
            rc = cf_fail(err, "the images of source %s fall on both sides of a split (e.g. %s)", fs->source_name[s],
                         fs->path[i]);
    }
    free(seen);
    return rc;
}

void folders_channel_stats(const folder_set *fs, const int *idx, int n, float mean[3], float std[3]) {
    double sum[3] = {0}, sq[3] = {0}, count = 0;
    for (int k = 0; k < n; k++) {
        int i = idx[k];
        size_t pixels = (size_t)fs->width[i] * fs->height[i];
        const uint8_t *px = fs->rgb[i];
        for (size_t p = 0; p < pixels; p++)
            for (int c = 0; c < 3; c++) {
                double v = px[p * 3 + c] / 255.0;
                sum[c] += v;
                sq[c] += v * v;
            }
        count += (double)pixels;
    }
    for (int c = 0; c < 3; c++) {
        double m = count > 0 ? sum[c] / count : 0.5, var = count > 0 ? sq[c] / count - m * m : 0.0625;
        mean[c] = (float)m;
        std[c] = (float)sqrt(var > 1e-8 ? var : 1e-8);
    }
}

/* ---------- sampling ---------- */

int folders_sampler_init(folder_sampler *s, const folder_set *fs, const int *idx, int n, int by_generator, float power,
                         cf_error *err) {
    memset(s, 0, sizeof *s);
    int n_names = by_generator ? fs->n_generators : fs->n_groups;
    int *count = calloc((size_t)n_names * 2 + 1, sizeof(int));
    if (!count) return cf_fail(err, "out of memory");
    for (int k = 0; k < n; k++) {
        int i = idx[k];
        count[fs->label[i] * n_names + (by_generator ? fs->generator[i] : fs->group[i])]++;
    }
    for (int c = 0; c < 2; c++) {
        int units = 0;
        for (int u = 0; u < n_names; u++) units += count[c * n_names + u] > 0;
        if (!units) {
            free(count);
            folders_sampler_free(s);
            return cf_fail(err, "no %s training images", c ? "FAKE" : "REAL");
        }
        s->n_units[c] = units;
        s->unit_start[c] = malloc(sizeof(int) * (units + 1));
        s->unit_images[c] = malloc(sizeof(int) * (n + 1));
        s->unit_cum[c] = malloc(sizeof(double) * units);
        if (!s->unit_start[c] || !s->unit_images[c] || !s->unit_cum[c]) {
            free(count);
            folders_sampler_free(s);
            return cf_fail(err, "out of memory");
        }
        int pos = 0, v = 0;
        double cum = 0;
        for (int u = 0; u < n_names; u++) {
            if (!count[c * n_names + u]) continue;
            s->unit_start[c][v] = pos;
            for (int k = 0; k < n; k++) {
                int i = idx[k];
                if (fs->label[i] == c && (by_generator ? fs->generator[i] : fs->group[i]) == u) s->unit_images[c][pos++] = i;
            }
            cum += pow((double)count[c * n_names + u], power);
            s->unit_cum[c][v++] = cum;
        }
        s->unit_start[c][v] = pos;
    }
    free(count);
    return 0;
}

int folders_sampler_draw(const folder_sampler *s, int label, cf_rng *rng) {
    int units = s->n_units[label];
    double r = cf_rng_uniform(rng) * s->unit_cum[label][units - 1];
    int u = 0;
    while (u < units - 1 && s->unit_cum[label][u] <= r) u++;
    int a = s->unit_start[label][u], b = s->unit_start[label][u + 1];
    return s->unit_images[label][a + (int)cf_rng_below(rng, (uint32_t)(b - a))];
}

void folders_sampler_free(folder_sampler *s) {
    for (int c = 0; c < 2; c++) {
        free(s->unit_start[c]);
        free(s->unit_images[c]);
        free(s->unit_cum[c]);
    }
    memset(s, 0, sizeof *s);
}

/* ---------- patches ---------- */

void folders_patch_normalise(const uint8_t *rgb, int w, int x0, int y0, int p, const float mean[3], const float std[3],
                             float *out) {
    for (int c = 0; c < 3; c++) {
        float scale = 1.0f / (255.0f * std[c]), shift = mean[c] / std[c];
        for (int y = 0; y < p; y++) {
            const uint8_t *row = rgb + ((size_t)(y0 + y) * w + x0) * 3 + c;
            float *o = out + ((size_t)c * p + y) * p;
            for (int x = 0; x < p; x++) o[x] = row[x * 3] * scale - shift;
        }
    }
}

#define JPEG_MARGIN 16

int folders_train_patch(const folder_set *fs, int i, int p, const patch_augment *aug, const float mean[3],
                        const float std[3], cf_rng *rng, float *out, cf_error *err) {
    int w = fs->width[i], h = fs->height[i];
    int jpeg = aug->jpeg_prob > 0 && cf_rng_uniform(rng) < aug->jpeg_prob;
    int twice = jpeg && cf_rng_uniform(rng) < aug->jpeg_twice;
    /* the region: the patch plus up to JPEG_MARGIN pixels, so the JPEG grid lands at a random phase */
    int rw = jpeg ? (w < p + JPEG_MARGIN ? w : p + JPEG_MARGIN) : p;
    int rh = jpeg ? (h < p + JPEG_MARGIN ? h : p + JPEG_MARGIN) : p;
    uint8_t region[(128 + JPEG_MARGIN) * (128 + JPEG_MARGIN) * 3];
    if (rw > 128 + JPEG_MARGIN || rh > 128 + JPEG_MARGIN) return cf_fail(err, "patch side %d is over 128", p);
    /* the draw happens only when rescaling is on, so runs without it keep their random streams */
    int rescale = aug->rescale_prob > 0 && cf_rng_uniform(rng) < aug->rescale_prob;
    int side = rw > rh ? rw : rh, src = rescale ? (int)(side / (0.5f + 0.5f * cf_rng_uniform(rng))) : 0;
    if (src > w) src = w;
    if (src > h) src = h;
    if (rescale && src > side) { /* a src x src square shrunk to side x side */
        rw = rh = side;
        int sx = (int)cf_rng_below(rng, (uint32_t)(w - src + 1)), sy = (int)cf_rng_below(rng, (uint32_t)(h - src + 1));
        uint8_t *square = malloc((size_t)src * src * 3);
        if (!square) return cf_fail(err, "out of memory");
        for (int y = 0; y < src; y++)
            memcpy(square + (size_t)y * src * 3, fs->rgb[i] + ((size_t)(sy + y) * w + sx) * 3, (size_t)src * 3);
        cf_image img = {src, src, square};
        cf_image_resize_square(&img, side, region);
        free(square);
    } else {
        int rx = (int)cf_rng_below(rng, (uint32_t)(w - rw + 1)), ry = (int)cf_rng_below(rng, (uint32_t)(h - rh + 1));
        for (int y = 0; y < rh; y++)
            memcpy(region + (size_t)y * rw * 3, fs->rgb[i] + ((size_t)(ry + y) * w + rx) * 3, (size_t)rw * 3);
    }
    int ox = 0, oy = 0; /* where the second encoding's grid starts: another phase than the first's */
    for (int pass = 0; pass < jpeg + twice; pass++) {
        int q = aug->jpeg_min + (int)cf_rng_below(rng, (uint32_t)(aug->jpeg_max - aug->jpeg_min + 1));
        if (pass == 0) {
            if (perturb_jpeg_rgb(q, rw, rh, region, region, err)) return -1;
            continue;
        }
        if (rw - p >= 8) ox = 1 + (int)cf_rng_below(rng, 7);
        if (rh - p >= 8) oy = 1 + (int)cf_rng_below(rng, 7);
        int sw = rw - ox, sh = rh - oy;
        uint8_t sub[(128 + JPEG_MARGIN) * (128 + JPEG_MARGIN) * 3];
        for (int y = 0; y < sh; y++) memcpy(sub + (size_t)y * sw * 3, region + ((size_t)(oy + y) * rw + ox) * 3, (size_t)sw * 3);
        if (perturb_jpeg_rgb(q, sw, sh, sub, sub, err)) return -1;
        for (int y = 0; y < sh; y++) memcpy(region + ((size_t)(oy + y) * rw + ox) * 3, sub + (size_t)y * sw * 3, (size_t)sw * 3);
    }
    int px = ox + (int)cf_rng_below(rng, (uint32_t)(rw - ox - p + 1)), py = oy + (int)cf_rng_below(rng, (uint32_t)(rh - oy - p + 1));
    folders_patch_normalise(region, rw, px, py, p, mean, std, out);
    if (aug->flip && cf_rng_below(rng, 2))
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < p; y++) {
                float *row = out + ((size_t)c * p + y) * p;
                for (int x = 0; x < p / 2; x++) {
                    float t = row[x];
                    row[x] = row[p - 1 - x];
                    row[p - 1 - x] = t;
                }
            }
    return 0;
}
