#include "weights.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- metadata ---------- */

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int cf_meta_set(cf_meta *meta, const char *key, const char *value, cf_error *err) {
    for (int i = 0; i < meta->n; i++)
        if (!strcmp(meta->key[i], key)) {
            char *v = dup_string(value);
            if (!v) return cf_fail(err, "out of memory");
            free(meta->value[i]);
            meta->value[i] = v;
            return 0;
        }
    if (meta->n == CF_META_MAX) return cf_fail(err, "too many metadata entries (max %d)", CF_META_MAX);
    char *k = dup_string(key), *v = dup_string(value);
    if (!k || !v) {
        free(k);
        free(v);
        return cf_fail(err, "out of memory");
    }
    meta->key[meta->n] = k;
    meta->value[meta->n] = v;
    meta->n++;
    return 0;
}

int cf_meta_set_pair(cf_meta *meta, const char *pair, cf_error *err) {
    const char *eq = strchr(pair, '=');
    size_t key_n = eq ? (size_t)(eq - pair) : 0;
    if (!key_n || key_n >= CF_META_KEY_MAX) return cf_fail(err, "expected KEY=VALUE, got \"%s\"", pair);
    char key[CF_META_KEY_MAX];
    memcpy(key, pair, key_n);
    key[key_n] = '\0';
    return cf_meta_set(meta, key, eq + 1, err);
}

int cf_meta_setf(cf_meta *meta, const char *key, cf_error *err, const char *fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cf_meta_set(meta, key, buf, err);
}

const char *cf_meta_get(const cf_meta *meta, const char *key) {
    for (int i = 0; i < meta->n; i++)
        if (!strcmp(meta->key[i], key)) return meta->value[i];
    return NULL;
}

void cf_meta_free(cf_meta *meta) {
    for (int i = 0; i < meta->n; i++) {
        free(meta->key[i]);
        free(meta->value[i]);
    }
    memset(meta, 0, sizeof *meta);
}

void cf_extras_free(cf_extras *ex) {
    if (!ex) return;
    for (int i = 0; i < ex->n; i++) free(ex->t[i].data);
    memset(ex, 0, sizeof *ex);
}

/* ---------- writing ---------- */

typedef cf_buffer writer;

static void put_bytes(writer *w, const void *p, size_t n) { cf_buffer_append(w, p, n); }

static void put_u32(writer *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put_bytes(w, b, 4);
}

static void put_string(writer *w, const char *s) {
    put_u32(w, (uint32_t)strlen(s));
    put_bytes(w, s, strlen(s));
}

static void put_floats(writer *w, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        put_u32(w, u);
    }
}

static void put_tensor(writer *w, const char *name, const float *x, int ndim, const int *dims) {
    size_t n = 1;
    put_string(w, name);
    put_u32(w, (uint32_t)ndim);
    for (int d = 0; d < ndim; d++) {
        put_u32(w, (uint32_t)dims[d]);
        n *= (size_t)dims[d];
    }
    put_floats(w, x, n);
}

/* Each model tensor with its name and shape, in file order; calls fn for each. */
typedef void (*tensor_visitor)(void *ctx, const char *name, float *data, int ndim, const int *dims);

static void visit_model_tensors(const cf_model *m, tensor_visitor fn, void *ctx) {
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        char name[64];
        if (L->kind == CF_CONV) {
            int dims[4] = {L->out.c, L->in.c, L->ksize, L->ksize};
            snprintf(name, sizeof name, "L%d.weight", l);
            fn(ctx, name, L->weight, 4, dims);
        } else if (L->kind == CF_DENSE) {
            int dims[2] = {L->out.c, cf_shape_size(L->in)};
            snprintf(name, sizeof name, "L%d.weight", l);
            fn(ctx, name, L->weight, 2, dims);
        } else if (L->kind == CF_BN) {
            int dims[1] = {L->in.c};
            snprintf(name, sizeof name, "L%d.weight", l);
            fn(ctx, name, L->weight, 1, dims);
        } else {
            continue;
        }
        int dims1[1] = {L->n_bias};
        snprintf(name, sizeof name, "L%d.bias", l);
        fn(ctx, name, L->bias, 1, dims1);
        if (L->kind == CF_BN) {
            snprintf(name, sizeof name, "L%d.running_mean", l);
            fn(ctx, name, L->running_mean, 1, dims1);
            snprintf(name, sizeof name, "L%d.running_var", l);
            fn(ctx, name, L->running_var, 1, dims1);
        }
    }
}

static int count_model_tensors(const cf_model *m) {
    int n = 0;
    for (int l = 0; l < m->n_layers; l++) {
        cf_layer_kind k = m->layers[l].kind;
        n += k == CF_BN ? 4 : (k == CF_CONV || k == CF_DENSE) ? 2 : 0;
    }
    return n;
}

static void write_visitor(void *ctx, const char *name, float *data, int ndim, const int *dims) {
    put_tensor(ctx, name, data, ndim, dims);
}

int cf_weights_write(const cf_model *m, const cf_meta *meta, const cf_extras *extras, uint8_t **out, size_t *n,
                     cf_error *err) {
    writer w = {0};
    put_bytes(&w, CF_WEIGHTS_MAGIC, 8);
    put_u32(&w, CF_WEIGHTS_VERSION);
    put_u32(&w, (uint32_t)meta->n);
    for (int i = 0; i < meta->n; i++) {
        put_string(&w, meta->key[i]);
        put_string(&w, meta->value[i]);
    }
    int n_extra = extras ? extras->n : 0;
    put_u32(&w, (uint32_t)(count_model_tensors(m) + n_extra));
    visit_model_tensors(m, write_visitor, &w);
    for (int i = 0; i < n_extra; i++) {
        int dims[1] = {(int)extras->t[i].n};
        put_tensor(&w, extras->t[i].name, extras->t[i].data, 1, dims);
    }
    if (!w.failed) put_u32(&w, cf_crc32(0, w.data, w.len));
    if (w.failed) {
        free(w.data);
        return cf_fail(err, "out of memory serialising the weight file");
    }
    *out = w.data;
    *n = w.len;
    return 0;
}

/* ---------- reading ---------- */

typedef struct {
    const uint8_t *p;
    size_t left;
    cf_error *err;
    int failed;
} reader;

static int need(reader *r, size_t n, const char *what) {
    if (r->failed) return 0;
    if (n > r->left) {
        r->failed = 1;
        cf_fail(r->err, "weight file truncated or damaged: %s needs %zu bytes, only %zu remain", what, n, r->left);
        return 0;
    }
    return 1;
}

static uint32_t get_u32(reader *r, const char *what) {
    if (!need(r, 4, what)) return 0;
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    return v;
}

/* Reads a length-prefixed string into a malloc'ed, NUL-terminated copy (NULL on failure). */
static char *get_string(reader *r, const char *what) {
    uint32_t len = get_u32(r, what);
    if (!need(r, len, what)) return NULL;
    if (memchr(r->p, 0, len)) {
        r->failed = 1;
        cf_fail(r->err, "weight file damaged: %s contains a NUL byte", what);
        return NULL;
    }
    char *s = malloc((size_t)len + 1);
    if (!s) {
        r->failed = 1;
        cf_fail(r->err, "out of memory");
        return NULL;
    }
    memcpy(s, r->p, len);
    s[len] = 0;
    r->p += len;
    r->left -= len;
    return s;
}

/* Reads n floats; a NaN or infinity is refused (it would turn every verdict into NaN). */
static void get_floats(reader *r, float *x, size_t n, const char *name) {
    for (size_t i = 0; i < n && !r->failed; i++) {
        uint32_t u = get_u32(r, "tensor data");
        memcpy(&x[i], &u, 4);
        if (!isfinite(x[i])) {
            r->failed = 1;
            cf_fail(r->err, "weight file damaged: tensor '%s' holds a value that is not a finite number", name);
        }
    }
}

/* Reads a tensor header; returns its name (malloc'ed) and element count, dims into dims[]. */
static char *get_tensor_header(reader *r, int *ndim, int dims[4], size_t *count) {
    char *name = get_string(r, "tensor name");
    if (!name) return NULL;
    uint32_t nd = get_u32(r, "tensor rank");
    if (!r->failed && (nd < 1 || nd > 4)) {
        r->failed = 1;
        cf_fail(r->err, "weight file damaged: tensor '%s' has rank %u", name, nd);
    }
    size_t total = 1;
    for (uint32_t d = 0; d < nd && !r->failed; d++) {
        uint32_t v = get_u32(r, "tensor shape");
        /* Division, not multiplication: total * v could wrap (size_t is 32 bits in WebAssembly). */
        if (!r->failed && (v == 0 || v > INT_MAX || v > r->left / 4 / total)) {
            r->failed = 1;
            cf_fail(r->err, "weight file truncated or damaged: tensor '%s' is larger than the file", name);
        }
        dims[d] = (int)v;
        total *= v;
    }
    if (r->failed) {
        free(name);
        return NULL;
    }
    *ndim = (int)nd;
    *count = total;
    return name;
}

typedef struct {
    reader *r;
} read_ctx;

/* Checks the next tensor in the file against the model's expectation and loads it. */
static void read_visitor(void *ctx, const char *name, float *data, int ndim, const int *dims) {
    reader *r = ((read_ctx *)ctx)->r;
    if (r->failed) return;
    int fdims[4], fnd;
    size_t count;
    char *fname = get_tensor_header(r, &fnd, fdims, &count);
    if (!fname) return;
    int same = !strcmp(fname, name) && fnd == ndim;
    for (int d = 0; same && d < ndim; d++) same = fdims[d] == dims[d];
    if (!same) {
        char want[64] = "", got[64] = "";
        for (int d = 0; d < ndim; d++) snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "x" : "", dims[d]);
        for (int d = 0; d < fnd; d++) snprintf(got + strlen(got), sizeof got - strlen(got), "%s%d", d ? "x" : "", fdims[d]);
        r->failed = 1;
        cf_fail(r->err, "weight file does not match its model spec: expected tensor %s [%s], found %s [%s]", name, want,
                fname, got);
    } else {
        get_floats(r, data, count, name);
    }
    free(fname);
}

static int read_header(reader *r, cf_meta *meta) {
    if (!need(r, 8, "magic") || memcmp(r->p, CF_WEIGHTS_MAGIC, 8))
        return cf_fail(r->err, "not a cifake weight file (wrong magic bytes)");
    r->p += 8;
    r->left -= 8;
    uint32_t version = get_u32(r, "version");
    if (r->failed) return -1;
    if (version != CF_WEIGHTS_VERSION)
        return cf_fail(r->err, "weight file version %u is not supported (this build reads version %u)", version,
                       CF_WEIGHTS_VERSION);
    uint32_t n_meta = get_u32(r, "metadata count");
    if (!r->failed && n_meta > CF_META_MAX)
        return cf_fail(r->err, "weight file damaged: %u metadata entries (max %d)", n_meta, CF_META_MAX);
    for (uint32_t i = 0; i < n_meta && !r->failed; i++) {
        char *k = get_string(r, "metadata key");
        char *v = k ? get_string(r, "metadata value") : NULL;
        if (v && cf_meta_get(meta, k)) { /* which of two specs would be meant? */
            r->failed = 1;
            cf_fail(r->err, "weight file damaged: metadata key '%s' appears twice", k);
        }
        if (v && !r->failed && cf_meta_set(meta, k, v, r->err)) r->failed = 1;
        free(k);
        free(v);
    }
    return r->failed ? -1 : 0;
}

static int parse_shape(const char *s, cf_shape *shape) {
    char tail;
    return s && sscanf(s, "%dx%dx%d%c", &shape->c, &shape->h, &shape->w, &tail) == 3;
}

static int read_extras(reader *r, uint32_t n, cf_extras *extras) {
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        int dims[4], nd;
        size_t count;
        char *name = get_tensor_header(r, &nd, dims, &count);
        if (!name) break;
        if (extras && extras->n < CF_EXTRA_MAX && strlen(name) < sizeof extras->t[0].name) {
            cf_tensor *t = &extras->t[extras->n];
            t->data = malloc(count * sizeof(float));
            if (!t->data) {
                free(name);
                return cf_fail(r->err, "out of memory");
            }
            strcpy(t->name, name);
            t->n = count;
            extras->n++;
            get_floats(r, t->data, count, t->name);
        } else {
            free(name);
            name = NULL;
            if (need(r, count * 4, "tensor data")) {
                r->p += count * 4;
                r->left -= count * 4;
            }
        }
        free(name);
    }
    return r->failed ? -1 : 0;
}

/* A variance below zero cannot come from training; batch norm would take its square root. */
static int check_running_variances(const cf_model *m, cf_error *err) {
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        if (L->kind != CF_BN) continue;
        for (int c = 0; c < L->in.c; c++)
            if (L->running_var[c] < 0.0f)
                return cf_fail(err, "weight file damaged: batch-norm layer %d has a negative running variance", l + 1);
    }
    return 0;
}

/* Before allocating what a spec asks for: its tensors must fit in the bytes left (4 per float, so a
 * tiny file cannot claim a huge model), and the model must stay within sane maxima. */
static int check_model_size(const cf_model *m, size_t left, cf_error *err) {
    size_t floats = m->n_params + m->n_buffers;
    if (floats > CF_WEIGHTS_MAX_PARAMS)
        return cf_fail(err, "weight file model has %zu parameters, over the limit of %d", floats, CF_WEIGHTS_MAX_PARAMS);
    if (floats > left / 4)
        return cf_fail(err, "weight file truncated or damaged: its spec needs %zu parameters (%zu bytes), only %zu bytes "
                            "remain", floats, floats * 4, left);
    size_t act = cf_model_activation_floats(m);
    if (act > CF_WEIGHTS_MAX_ACTIVATIONS)
        return cf_fail(err, "weight file model needs %zu activation values per image, over the limit of %d", act,
                       CF_WEIGHTS_MAX_ACTIVATIONS);
    return 0;
}

int cf_weights_read(const uint8_t *bytes, size_t n, cf_model *m, cf_meta *meta, cf_extras *extras, cf_error *err) {
    memset(m, 0, sizeof *m);
    memset(meta, 0, sizeof *meta);
    if (extras) memset(extras, 0, sizeof *extras);
    if (n < 8 + 4 + 4 + 4 + 4) return cf_fail(err, "not a cifake weight file (only %zu bytes)", n);
    if (memcmp(bytes, CF_WEIGHTS_MAGIC, 8)) return cf_fail(err, "not a cifake weight file (wrong magic bytes)");
    uint32_t stored = (uint32_t)bytes[n - 4] | (uint32_t)bytes[n - 3] << 8 | (uint32_t)bytes[n - 2] << 16 |
                      (uint32_t)bytes[n - 1] << 24;
    if (cf_crc32(0, bytes, n - 4) != stored)
        return cf_fail(err, "weight file damaged or truncated (checksum mismatch)");
    reader r = {bytes, n - 4, err, 0};
    cf_shape input;
    if (read_header(&r, meta)) goto fail;
    const char *spec = cf_meta_get(meta, CF_META_SPEC);
    if (!spec) {
        cf_fail(err, "weight file has no model spec");
        goto fail;
    }
    if (!parse_shape(cf_meta_get(meta, CF_META_INPUT), &input)) {
        cf_fail(err, "weight file has no valid input shape (metadata 'input', e.g. 3x32x32)");
        goto fail;
    }
    if (cf_model_parse(m, spec, input, err)) {
        cf_error_prefix(err, "weight file");
        goto fail;
    }
    if (check_model_size(m, r.left, err) || cf_model_alloc(m, err)) goto fail;
    uint32_t n_tensors = get_u32(&r, "tensor count");
    uint32_t n_model = (uint32_t)count_model_tensors(m);
    if (!r.failed && n_tensors < n_model) {
        cf_fail(err, "weight file does not match its model spec: %u tensors, the spec needs %u", n_tensors, n_model);
        goto fail;
    }
    read_ctx ctx = {&r};
    visit_model_tensors(m, read_visitor, &ctx);
    if (r.failed || check_running_variances(m, err) || read_extras(&r, n_tensors - n_model, extras)) goto fail;
    if (r.left != 0) {
        cf_fail(err, "weight file damaged: %zu unexpected bytes after the tensors", r.left);
        goto fail;
    }
    return 0;
fail:
    cf_model_free(m);
    cf_meta_free(meta);
    cf_extras_free(extras);
    return -1;
}

/* Parses "a,b,c" into exactly count finite floats. */
static int parse_floats(const char *s, float *out, int count) {
    if (!s) return 0;
    for (int i = 0; i < count; i++) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v)) return 0;
        out[i] = (float)v;
        s = end;
        if (i + 1 < count) {
            if (*s != ',') return 0;
            s++;
        }
    }
    return *s == 0;
}

int cf_infer_params_parse(const cf_meta *meta, const cf_model *m, cf_infer_params *p, cf_error *err) {
    memset(p, 0, sizeof *p);
    int c = m->input.c;
    if (c != 3) return cf_fail(err, "model input has %d channels; the detector needs RGB (3)", c);
    if (!parse_floats(cf_meta_get(meta, CF_META_MEAN), p->mean, 3) || !parse_floats(cf_meta_get(meta, CF_META_STD), p->std, 3))
        return cf_fail(err, "weight file metadata 'mean'/'std' missing or not 3 numbers");
    for (int i = 0; i < 3; i++)
        if (!(p->std[i] > 0.0f)) return cf_fail(err, "weight file metadata 'std' must be positive");
    if (!parse_floats(cf_meta_get(meta, CF_META_THRESHOLD), &p->threshold, 1) || !(p->threshold > 0.0f && p->threshold < 1.0f))
        return cf_fail(err, "weight file metadata 'threshold' missing or not in (0, 1)");
    if (!parse_floats(cf_meta_get(meta, CF_META_TEMPERATURE), &p->temperature, 1) || !(p->temperature > 0.0f))
        return cf_fail(err, "weight file metadata 'temperature' missing or not positive");
    const char *classes = cf_meta_get(meta, CF_META_CLASSES);
    const char *comma = classes ? strchr(classes, ',') : NULL;
    if (!comma || comma - classes >= 16 || strlen(comma + 1) >= 16 || comma == classes || !comma[1])
        return cf_fail(err, "weight file metadata 'classes' missing or malformed (expected e.g. REAL,FAKE)");
    memcpy(p->classes[0], classes, (size_t)(comma - classes));
    strcpy(p->classes[1], comma + 1);
    return 0;
}
