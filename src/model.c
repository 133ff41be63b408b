/* model.c - spec strings, building the layer list, parameter initialisation, copies and BN folding. */
#include "model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cf_layer_name(cf_layer_kind kind) {
    static const char *names[] = {"conv", "bn", "relu", "mp", "gap", "flat", "dense", "dropout", "npr"};
    return names[kind];
}

/* Parses a positive decimal integer at *p, advancing it; -1 if none or absurdly large. */
static int parse_count(const char **p) {
    if (!isdigit((unsigned char)**p)) return -1;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > 1000000) return -1;
        (*p)++;
    }
    return (int)v;
}

/* Parses one token into a layer (kind and hyper-parameters only). */
static int parse_token(const char *tok, cf_layer *L, cf_error *err) {
    memset(L, 0, sizeof *L);
    const char *p = tok;
    if (!strcmp(tok, "bn")) L->kind = CF_BN;
    else if (!strcmp(tok, "relu")) L->kind = CF_RELU;
    else if (!strcmp(tok, "mp")) L->kind = CF_MAXPOOL;
    else if (!strcmp(tok, "gap")) L->kind = CF_GAP;
    else if (!strcmp(tok, "flat")) L->kind = CF_FLATTEN;
    else if (!strcmp(tok, "npr")) L->kind = CF_NPR;
    else if (!strncmp(tok, "drop", 4)) {
        char *end;
        double prob = strtod(tok + 4, &end);
        if (end == tok + 4 || *end || !(prob >= 0.0 && prob < 1.0))
            return cf_fail(err, "bad dropout token '%s' (expected dropP with 0 <= P < 1, e.g. drop0.5)", tok);
        L->kind = CF_DROPOUT;
        L->drop_p = (float)prob;
    } else if (*p == 'c') {
        p++;
        L->kind = CF_CONV;
        L->out.c = parse_count(&p);
        L->ksize = 3;
        if (*p == 'k') {
            p++;
            L->ksize = parse_count(&p);
        }
        int valid = 0;
        if (*p == 'v') {
            valid = 1;
            p++;
        }
        if (L->out.c < 1 || L->ksize < 1 || L->ksize % 2 == 0 || L->ksize > 15 || *p)
            return cf_fail(err, "bad convolution token '%s' (expected cN, cNkK or cNv with odd K)", tok);
        L->pad = valid ? 0 : L->ksize / 2;
    } else if (*p == 'd') {
        p++;
        L->kind = CF_DENSE;
        L->out.c = parse_count(&p);
        if (L->out.c < 1 || *p) return cf_fail(err, "bad dense token '%s' (expected dN, e.g. d64)", tok);
    } else {
        return cf_fail(err, "unknown layer token '%s' (known: cN, cNkK, cNv, bn, relu, mp, gap, flat, dN, dropP, npr)",
                       tok);
    }
    return 0;
}

/* Any single layer's weights, outputs or convolution scratch (im2col) above this many floats is
 * refused: no real model comes near it, and a spec read from an untrusted weight file must not be
 * able to ask for gigabytes. Sizes are computed in 64 bits, so a lying spec cannot overflow them. */
#define CF_LAYER_MAX_FLOATS 50000000LL

/* Works out the output shape and parameter counts of L for input shape `in`. */
static int shape_layer(cf_layer *L, cf_shape in, cf_error *err) {
    L->in = in;
    long long in_size = (long long)in.c * in.h * in.w, weights = 0, scratch = 0;
    switch (L->kind) {
    case CF_CONV:
        L->out.h = in.h + 2 * L->pad - L->ksize + 1;
        L->out.w = in.w + 2 * L->pad - L->ksize + 1;
        if (L->out.h < 1 || L->out.w < 1)
            return cf_fail(err, "convolution %dx%d does not fit a %dx%d input", L->ksize, L->ksize, in.h, in.w);
        weights = (long long)L->out.c * in.c * L->ksize * L->ksize;
        scratch = (long long)in.c * L->ksize * L->ksize * L->out.h * L->out.w;
        L->n_bias = L->out.c;
        break;
    case CF_MAXPOOL:
        if (in.h < 2 || in.w < 2) return cf_fail(err, "max-pool needs at least 2x2 input, got %dx%d", in.h, in.w);
        L->out = (cf_shape){in.c, in.h / 2, in.w / 2};
        break;
    case CF_GAP: L->out = (cf_shape){in.c, 1, 1}; break;
    case CF_FLATTEN: L->out = (cf_shape){(int)in_size, 1, 1}; break; /* in_size was checked by the layer before */
    case CF_DENSE:
        L->out = (cf_shape){L->out.c, 1, 1};
        weights = (long long)L->out.c * in_size;
        L->n_bias = L->out.c;
        break;
    case CF_BN:
        L->out = in;
        weights = L->n_bias = in.c;
        break;
    case CF_RELU:
    case CF_NPR:
    case CF_DROPOUT: L->out = in; break;
    }
    long long out_size = (long long)L->out.c * L->out.h * L->out.w;
    if (weights > CF_LAYER_MAX_FLOATS || out_size > CF_LAYER_MAX_FLOATS || scratch > CF_LAYER_MAX_FLOATS)
        return cf_fail(err, "layer too large (%lld weights, %lld outputs, %lld scratch values; the limit is %lld each)",
                       weights, out_size, scratch, CF_LAYER_MAX_FLOATS);
    L->n_weight = (int)weights;
    return 0;
}

static int parse_spec(cf_model *m, const char *spec, cf_error *err) {
    if (!spec || !*spec) return cf_fail(err, "empty model spec");
    if (strlen(spec) >= CF_SPEC_MAX) return cf_fail(err, "model spec longer than %d characters", CF_SPEC_MAX - 1);
    strcpy(m->spec, spec);
    cf_shape shape = m->input;
    const char *p = spec;
    while (*p) {
        char tok[32];
        size_t len = strcspn(p, ", ");
        if (len == 0) {
            p++;
            continue;
        }
        if (len >= sizeof tok) return cf_fail(err, "layer token too long in spec '%s'", spec);
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len;
        if (m->n_layers == CF_MAX_LAYERS) return cf_fail(err, "more than %d layers in spec", CF_MAX_LAYERS);
        cf_layer *L = &m->layers[m->n_layers];
        if (parse_token(tok, L, err) || shape_layer(L, shape, err)) {
            cf_error_prefix(err, "model spec, layer %d", m->n_layers + 1);
            return -1;
        }
        shape = L->out;
        m->n_layers++;
    }
    if (m->n_layers == 0) return cf_fail(err, "empty model spec");
    const cf_layer *last = &m->layers[m->n_layers - 1];
    if (last->kind != CF_DENSE || (last->out.c != 1 && last->out.c != 2))
        return cf_fail(err, "model spec must end with d1 (sigmoid) or d2 (softmax), not '%s'", cf_layer_name(last->kind));
    return 0;
}

/* Points every layer's views into the model's flat arrays. */
static void assign_views(cf_model *m) {
    size_t pi = 0, bi = 0;
    for (int l = 0; l < m->n_layers; l++) {
        cf_layer *L = &m->layers[l];
        if (L->n_weight) {
            L->weight = m->params + pi;
            L->dweight = m->grads + pi;
            pi += (size_t)L->n_weight;
            L->bias = m->params + pi;
            L->dbias = m->grads + pi;
            pi += (size_t)L->n_bias;
        }
        if (L->kind == CF_BN) {
            L->running_mean = m->buffers + bi;
            L->running_var = m->buffers + bi + L->in.c;
            bi += 2 * (size_t)L->in.c;
        }
    }
}

int cf_model_parse(cf_model *m, const char *spec, cf_shape input, cf_error *err) {
    memset(m, 0, sizeof *m);
    if (input.c < 1 || input.h < 1 || input.w < 1 || (long long)input.c * input.h * input.w > 1 << 24)
        return cf_fail(err, "bad input shape %dx%dx%d", input.c, input.h, input.w);
    m->input = input;
    if (parse_spec(m, spec, err)) return -1;
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        m->n_params += (size_t)L->n_weight + (size_t)L->n_bias;
        if (L->kind == CF_BN) m->n_buffers += 2 * (size_t)L->in.c;
    }
    return 0;
}

size_t cf_model_activation_floats(const cf_model *m) {
    size_t total = (size_t)cf_shape_size(m->input);
    for (int l = 0; l < m->n_layers; l++) total += (size_t)cf_shape_size(m->layers[l].out);
    return total;
}

int cf_model_alloc(cf_model *m, cf_error *err) {
    m->params = cf_aligned_calloc((m->n_params + 1) * sizeof(float));
    m->grads = cf_aligned_calloc((m->n_params + 1) * sizeof(float));
    m->buffers = cf_aligned_calloc((m->n_buffers + 1) * sizeof(float));
    if (!m->params || !m->grads || !m->buffers) {
        size_t n_params = m->n_params;
        cf_model_free(m);
        return cf_fail(err, "out of memory for %zu parameters", n_params);
    }
    assign_views(m);
    for (int l = 0; l < m->n_layers; l++)
        if (m->layers[l].kind == CF_BN)
            for (int c = 0; c < m->layers[l].in.c; c++) m->layers[l].running_var[c] = 1.0f;
    return 0;
}

int cf_model_build(cf_model *m, const char *spec, cf_shape input, cf_error *err) {
    if (cf_model_parse(m, spec, input, err)) return -1;
    return cf_model_alloc(m, err);
}

void cf_model_free(cf_model *m) {
    cf_aligned_free(m->params);
    cf_aligned_free(m->grads);
    cf_aligned_free(m->buffers);
    memset(m, 0, sizeof *m);
}

int cf_model_outputs(const cf_model *m) { return m->layers[m->n_layers - 1].out.c; }

void cf_model_zero_grads(cf_model *m) { memset(m->grads, 0, sizeof(float) * m->n_params); }

void cf_model_init_params(cf_model *m, uint64_t seed) {
    for (int l = 0; l < m->n_layers; l++) {
        cf_layer *L = &m->layers[l];
        cf_rng rng = cf_rng_make(seed, 0x1417u, (uint64_t)l);
        if (L->kind == CF_CONV || L->kind == CF_DENSE) {
            int fan_in = L->n_weight / L->n_bias;
            float std = sqrtf(2.0f / (float)fan_in);
            for (int i = 0; i < L->n_weight; i++) L->weight[i] = std * cf_rng_normal(&rng);
            memset(L->bias, 0, sizeof(float) * L->n_bias);
        } else if (L->kind == CF_BN) {
            for (int c = 0; c < L->in.c; c++) {
                L->weight[c] = 1.0f;
                L->bias[c] = 0.0f;
                L->running_mean[c] = 0.0f;
                L->running_var[c] = 1.0f;
            }
        }
    }
}

int cf_model_clone(const cf_model *src, cf_model *dst, cf_error *err) {
    if (cf_model_build(dst, src->spec, src->input, err)) return -1;
    memcpy(dst->params, src->params, sizeof(float) * src->n_params);
    memcpy(dst->buffers, src->buffers, sizeof(float) * src->n_buffers);
    return 0;
}

static int is_linear(cf_layer_kind k) { return k == CF_CONV || k == CF_DENSE; }

/* Appends tok to the spec being built (CF_SPEC_MAX bytes), with a comma separator; -1 if it does not
 * fit. A folded token can be longer than the one it came from ("drop.5" becomes "drop0.5"). */
static int spec_append(char *spec, const char *tok) {
    size_t len = strlen(spec), add = strlen(tok) + (len ? 1 : 0);
    if (len + add >= CF_SPEC_MAX) return -1;
    if (len) spec[len++] = ',';
    memcpy(spec + len, tok, strlen(tok) + 1);
    return 0;
}

/* The spec token that rebuilds layer L (inverse of parse_token). */
static void layer_token(const cf_layer *L, char *tok, size_t n) {
    switch (L->kind) {
    case CF_CONV:
        if (L->ksize == 3) snprintf(tok, n, "c%d%s", L->out.c, L->pad ? "" : "v");
        else snprintf(tok, n, "c%dk%d%s", L->out.c, L->ksize, L->pad ? "" : "v");
        break;
    case CF_DENSE: snprintf(tok, n, "d%d", L->out.c); break;
    case CF_DROPOUT: snprintf(tok, n, "drop%g", L->drop_p); break;
    default: snprintf(tok, n, "%s", cf_layer_name(L->kind)); break;
    }
}

int cf_model_fold_bn(const cf_model *src, cf_model *dst, cf_error *err) {
    char spec[CF_SPEC_MAX] = "";
    for (int l = 0; l < src->n_layers; l++) {
        const cf_layer *L = &src->layers[l];
        if (L->kind == CF_BN && l > 0 && is_linear(src->layers[l - 1].kind)) continue;
        char tok[32];
        layer_token(L, tok, sizeof tok);
        if (spec_append(spec, tok))
            return cf_fail(err, "model spec longer than %d characters once batch norm is folded", CF_SPEC_MAX - 1);
    }
    if (cf_model_build(dst, spec, src->input, err)) return -1;
    int d = 0;
    for (int l = 0; l < src->n_layers; l++, d++) {
        const cf_layer *S = &src->layers[l];
        cf_layer *D = &dst->layers[d];
        if (S->n_weight) {
            memcpy(D->weight, S->weight, sizeof(float) * S->n_weight);
            memcpy(D->bias, S->bias, sizeof(float) * S->n_bias);
        }
        if (S->kind == CF_BN) {
            memcpy(D->running_mean, S->running_mean, sizeof(float) * S->in.c);
            memcpy(D->running_var, S->running_var, sizeof(float) * S->in.c);
        }
        if (!is_linear(S->kind) || l + 1 >= src->n_layers || src->layers[l + 1].kind != CF_BN) continue;
        const cf_layer *B = &src->layers[++l];
        int per_out = S->n_weight / S->n_bias;
        for (int o = 0; o < S->n_bias; o++) {
            float scale = B->weight[o] / sqrtf(B->running_var[o] + CF_BN_EPS);
            for (int i = 0; i < per_out; i++) D->weight[(size_t)o * per_out + i] *= scale;
            D->bias[o] = (S->bias[o] - B->running_mean[o]) * scale + B->bias[o];
        }
    }
    return 0;
}
