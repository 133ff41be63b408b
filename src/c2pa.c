/* c2pa.c - C2PA manifest stores (c2pa.h): the store's JUMBF boxes, what the active manifest declares
 * (actions, ingredients, camera EXIF) as a provenance signal, and the parts a verifier checks (hard
 * binding, assertion references, COSE_Sign1). Everything read is bounded: boxes by jumbf.c, CBOR by
 * cbor.c, ingredient manifests by a depth and a total budget (a store may name itself as ingredient). */
#include "c2pa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cbor.h"
#include "generators.h"

/* ---- store structure ---- */

/* Opens the CBOR content box of a superbox ('cbor'), or returns -1. */
static int cbor_content(const cf_jumbf *j, cf_cbor *out) {
    cf_box b;
    if (cf_jumbf_content_box(j, &b) != 1 || b.type != CF_BOX('c', 'b', 'o', 'r')) return -1;
    *out = cf_cbor_at(b.payload, b.payload_size);
    return 0;
}

static int parse_manifest(const cf_box *box, cf_c2pa_manifest *m) {
    memset(m, 0, sizeof *m);
    if (cf_jumbf_open(box, &m->box) != 0) return -1;
    cf_jumbf child;
    size_t pos = 0;
    cf_box b;
    int r;
    while ((r = cf_box_next(m->box.content, m->box.content_size, &pos, &b)) == 1) {
        if (b.type != CF_BOX('j', 'u', 'm', 'b') || cf_jumbf_open(&b, &child) != 0) continue;
        cf_box content;
        if (strcmp(child.label, "c2pa.assertions") == 0) {
            m->assertions = child;
            m->has_assertions = 1;
        } else if (strcmp(child.label, "c2pa.claim") == 0 || strcmp(child.label, "c2pa.claim.v2") == 0) {
            if (cf_jumbf_content_box(&child, &content) != 1) return -1;
            m->claim.data = content.payload;
            m->claim.size = content.payload_size;
            m->claim_version = strcmp(child.label, "c2pa.claim.v2") == 0 ? 2 : 1;
        } else if (strcmp(child.label, "c2pa.signature") == 0) {
            if (cf_jumbf_content_box(&child, &content) != 1) return -1;
            m->signature.data = content.payload;
            m->signature.size = content.payload_size;
        }
    }
    if (r < 0) return -1;
    return m->claim.data ? 0 : -1;
}

int cf_c2pa_parse_store(const uint8_t *store, size_t n, cf_c2pa_store *s, cf_error *err) {
    memset(s, 0, sizeof *s);
    size_t pos = 0;
    cf_box top;
    cf_jumbf root;
    if (!store || cf_box_next(store, n, &pos, &top) != 1) return cf_fail(err, "C2PA: the manifest store's box length is wrong");
    if (cf_jumbf_open(&top, &root) != 0 || strcmp(root.label, "c2pa") != 0)
        return cf_fail(err, "C2PA: not a JUMBF superbox labelled \"c2pa\"");
    pos = 0;
    cf_box b;
    int r;
    while ((r = cf_box_next(root.content, root.content_size, &pos, &b)) == 1) {
        if (b.type != CF_BOX('j', 'u', 'm', 'b')) continue;
        if (s->n_manifests == CF_C2PA_MAX_MANIFESTS) return cf_fail(err, "C2PA: more than %d manifests", CF_C2PA_MAX_MANIFESTS);
        if (parse_manifest(&b, &s->manifests[s->n_manifests]) != 0)
            return cf_fail(err, "C2PA: manifest %d is malformed (no claim, or a box length is wrong)", s->n_manifests + 1);
        s->n_manifests++;
    }
    if (r < 0) return cf_fail(err, "C2PA: a manifest's box length is wrong");
    if (s->n_manifests == 0) return cf_fail(err, "C2PA: the store holds no manifest");
    s->active = s->n_manifests - 1;
    return 0;
}

/* Strips "self#jumbf=" from a JUMBF URI. */
static void strip_scheme(const char **uri, size_t *len) {
    static const char scheme[] = "self#jumbf=";
    size_t k = sizeof scheme - 1;
    if (*len >= k && memcmp(*uri, scheme, k) == 0) {
        *uri += k;
        *len -= k;
    }
}

const cf_c2pa_manifest *cf_c2pa_find_manifest(const cf_c2pa_store *s, const char *uri, size_t len) {
    strip_scheme(&uri, &len);
    static const char root[] = "/c2pa/";
    size_t k = sizeof root - 1;
    if (len < k || memcmp(uri, root, k) != 0) return NULL;
    uri += k;
    len -= k;
    const char *slash = memchr(uri, '/', len);
    size_t label_len = slash ? (size_t)(slash - uri) : len;
    for (int i = 0; i < s->n_manifests; i++) {
        const char *label = s->manifests[i].box.label;
        if (strlen(label) == label_len && memcmp(label, uri, label_len) == 0) return &s->manifests[i];
    }
    return NULL;
}

int cf_c2pa_find_assertion(const cf_c2pa_manifest *m, const char *uri, size_t len, cf_jumbf *out) {
    if (!m->has_assertions) return 0;
    strip_scheme(&uri, &len);
    static const char store[] = "c2pa.assertions/";
    size_t k = sizeof store - 1;
    /* The absolute form "/c2pa/<manifest>/c2pa.assertions/<label>" names this manifest's store. */
    const char *at = NULL;
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(uri + i, store, k) == 0) {
            at = uri + i + k;
            break;
        }
    if (!at) return 0;
    size_t label_len = len - (size_t)(at - uri);
    size_t pos = 0;
    cf_box b;
    int r;
    while ((r = cf_box_next(m->assertions.content, m->assertions.content_size, &pos, &b)) == 1) {
        if (b.type != CF_BOX('j', 'u', 'm', 'b') || cf_jumbf_open(&b, out) != 0) continue;
        if (strlen(out->label) == label_len && memcmp(out->label, at, label_len) == 0) return 1;
    }
    return r < 0 ? -1 : 0;
}

int cf_c2pa_has_assertion(const cf_c2pa_manifest *m, const char *prefix) {
    if (!m->has_assertions) return 0;
    size_t pos = 0, k = strlen(prefix);
    cf_box b;
    cf_jumbf j;
    while (cf_box_next(m->assertions.content, m->assertions.content_size, &pos, &b) == 1)
        if (b.type == CF_BOX('j', 'u', 'm', 'b') && cf_jumbf_open(&b, &j) == 0 && strncmp(j.label, prefix, k) == 0) return 1;
    return 0;
}

/* Copies text, control characters as spaces, cut to fit but never inside a UTF-8 sequence. */
static void copy_text(char *dst, size_t cap, const char *s, size_t len) {
    if (cap == 0) return;
    if (len > cap - 1) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80) len--;
    }
    for (size_t i = 0; i < len; i++) dst[i] = (unsigned char)s[i] < 32 ? ' ' : s[i];
    dst[len] = 0;
}

/* Calls fn for each hashed URI of one reference array of the claim. */
static int each_ref(cf_cbor list, cf_c2pa_ref_fn fn, void *ctx) {
    cf_cbor_iter it;
    cf_cbor ref;
    int r;
    if (cf_cbor_iter_begin(list, &it) != 0) return -1;
    while ((r = cf_cbor_iter_next(&it, &ref)) == 1) {
        const char *url;
        size_t url_len, hash_len;
        const uint8_t *hash;
        cf_cbor h;
        if (cf_cbor_map_text(ref, "url", &url, &url_len) != 0 || cf_cbor_map_get(ref, "hash", &h) != 1 ||
            cf_cbor_bytes(h, &hash, &hash_len) != 0)
            return -1;
        int stop = fn ? fn(ctx, url, url_len, hash, hash_len) : 0;
        if (stop) return stop;
    }
    return r;
}

int cf_c2pa_claim_refs(const cf_c2pa_manifest *m, char alg[16], cf_c2pa_ref_fn fn, void *ctx) {
    cf_cbor claim = cf_cbor_at(m->claim.data, m->claim.size), list;
    const char *s;
    size_t len;
    if (cf_cbor_major(claim) != CF_CBOR_MAP) return -1;
    if (cf_cbor_map_text(claim, "alg", &s, &len) == 0) copy_text(alg, 16, s, len);
    else strcpy(alg, "sha256");
    static const char *const keys[] = {"assertions", "created_assertions", "gathered_assertions"};
    for (int k = 0; k < 3; k++) {
        int r = cf_cbor_map_get(claim, keys[k], &list);
        if (r < 0) return -1;
        if (r == 0) continue;
        r = each_ref(list, fn, ctx);
        if (r) return r;
    }
    return 0;
}

/* The first assertion superbox whose label starts with prefix, from index *pos on; 1, 0 at the end. */
static int next_assertion(const cf_c2pa_manifest *m, const char *prefix, size_t *pos, cf_jumbf *out) {
    if (!m->has_assertions) return 0;
    size_t k = strlen(prefix);
    cf_box b;
    int r;
    while ((r = cf_box_next(m->assertions.content, m->assertions.content_size, pos, &b)) == 1) {
        if (b.type != CF_BOX('j', 'u', 'm', 'b') || cf_jumbf_open(&b, out) != 0) continue;
        /* "c2pa.actions" matches "c2pa.actions", "c2pa.actions.v2", "c2pa.actions__1", not "c2pa.actionsX" */
        if (strncmp(out->label, prefix, k) == 0 && (out->label[k] == 0 || out->label[k] == '.' || out->label[k] == '_'))
            return 1;
    }
    return r < 0 ? -1 : 0;
}

int cf_c2pa_ingredient_manifests(const cf_c2pa_manifest *m, cf_c2pa_ref_fn fn, void *ctx) {
    size_t pos = 0;
    cf_jumbf j;
    int r;
    while ((r = next_assertion(m, "c2pa.ingredient", &pos, &j)) == 1) {
        cf_cbor map, ref, h;
        const char *url;
        size_t url_len, hash_len;
        const uint8_t *hash;
        if (cbor_content(&j, &map) != 0 || cf_cbor_major(map) != CF_CBOR_MAP) return -1;
        int has = cf_cbor_map_get(map, "c2pa_manifest", &ref);
        if (has == 0) has = cf_cbor_map_get(map, "activeManifest", &ref);
        if (has < 0) return -1;
        if (has == 0) continue; /* an ingredient without Content Credentials */
        if (cf_cbor_map_text(ref, "url", &url, &url_len) != 0 || cf_cbor_map_get(ref, "hash", &h) != 1 ||
            cf_cbor_bytes(h, &hash, &hash_len) != 0)
            return -1;
        int stop = fn(ctx, url, url_len, hash, hash_len);
        if (stop) return stop;
    }
    return r < 0 ? -1 : 0;
}

int cf_c2pa_hash_data_read(const cf_c2pa_manifest *m, cf_c2pa_hash_data *out) {
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    cf_jumbf j;
    int r = next_assertion(m, "c2pa.hash.data", &pos, &j);
    if (r <= 0) return r;
    cf_cbor map, v, list, e;
    const char *s;
    size_t len;
    if (cbor_content(&j, &map) != 0 || cf_cbor_major(map) != CF_CBOR_MAP) return -1;
    if (cf_cbor_map_text(map, "alg", &s, &len) == 0) copy_text(out->alg, sizeof out->alg, s, len);
    if (cf_cbor_map_get(map, "hash", &v) != 1 || cf_cbor_bytes(v, &out->hash.data, &out->hash.size) != 0) return -1;
    r = cf_cbor_map_get(map, "exclusions", &list);
    if (r < 0) return -1;
    if (r == 0) return 1;
    cf_cbor_iter it;
    if (cf_cbor_iter_begin(list, &it) != 0) return -1;
    while ((r = cf_cbor_iter_next(&it, &e)) == 1) {
        cf_cbor a, b;
        if (out->n_exclusions == CF_C2PA_MAX_EXCLUSIONS) return -1;
        if (cf_cbor_map_get(e, "start", &a) != 1 || cf_cbor_map_get(e, "length", &b) != 1) return -1;
        if (cf_cbor_uint(a, &out->exclusions[out->n_exclusions].start) != 0 ||
            cf_cbor_uint(b, &out->exclusions[out->n_exclusions].length) != 0)
            return -1;
        out->n_exclusions++;
    }
    return r < 0 ? -1 : 1;
}

/* ---- COSE_Sign1 ---- */

/* Adds the certificates of an x5chain value: one bstr, or an array of them. */
static int read_x5chain(cf_cbor v, cf_cose_sign1 *out) {
    if (cf_cbor_major(v) == CF_CBOR_BYTES) {
        if (cf_cbor_bytes(v, &out->certs[0].data, &out->certs[0].size) != 0) return -1;
        out->n_certs = 1;
        return 0;
    }
    cf_cbor_iter it;
    cf_cbor c;
    int r;
    if (cf_cbor_iter_begin(v, &it) != 0) return -1;
    while ((r = cf_cbor_iter_next(&it, &c)) == 1) {
        if (out->n_certs == CF_C2PA_MAX_CERTS) break;
        if (cf_cbor_bytes(c, &out->certs[out->n_certs].data, &out->certs[out->n_certs].size) != 0) return -1;
        out->n_certs++;
    }
    return r < 0 || out->n_certs == 0 ? -1 : 0;
}

/* x5chain under label 33 or, in early C2PA writers, the text label "x5chain": 1 found, 0, -1. */
static int find_x5chain(cf_cbor header, cf_cose_sign1 *out) {
    cf_cbor v;
    int r = cf_cbor_map_get_int(header, 33, &v);
    if (r == 0) r = cf_cbor_map_get(header, "x5chain", &v);
    if (r != 1) return r;
    return read_x5chain(v, out) == 0 ? 1 : -1;
}

/* sigTst (v1) or sigTst2 (v2): {"tstTokens": [{"val": bstr}, ...]}. */
static int read_timestamps(cf_cbor unprotected, cf_cose_sign1 *out) {
    static const char *const labels[] = {"sigTst2", "sigTst"};
    for (int l = 0; l < 2; l++) {
        cf_cbor tst, tokens, token, val;
        int r = cf_cbor_map_get(unprotected, labels[l], &tst);
        if (r < 0) return -1;
        if (r == 0) continue;
        if (cf_cbor_map_get(tst, "tstTokens", &tokens) != 1) return -1;
        cf_cbor_iter it;
        if (cf_cbor_iter_begin(tokens, &it) != 0) return -1;
        while ((r = cf_cbor_iter_next(&it, &token)) == 1) {
            if (out->n_timestamps == CF_C2PA_MAX_TIMESTAMPS) break;
            cf_c2pa_bytes *t = &out->timestamps[out->n_timestamps];
            if (cf_cbor_map_get(token, "val", &val) != 1 || cf_cbor_bytes(val, &t->data, &t->size) != 0) return -1;
            out->n_timestamps++;
        }
        if (r < 0) return -1;
        out->timestamp_version = l == 0 ? 2 : 1;
        return 0;
    }
    return 0;
}

int cf_cose_sign1_parse(cf_c2pa_bytes cose, cf_cose_sign1 *out, cf_error *err) {
    memset(out, 0, sizeof *out);
    cf_cbor top, arr, item[4];
    uint64_t tag;
    cf_cbor_iter it;
    if (!cose.data || cf_cbor_untag(cf_cbor_at(cose.data, cose.size), &top, &tag) != 0)
        return cf_fail(err, "COSE: the signature is missing or malformed");
    if (tag != 18 && tag != UINT64_MAX) return cf_fail(err, "COSE: tag %llu is not COSE_Sign1 (18)", (unsigned long long)tag);
    arr = top;
    if (cf_cbor_major(arr) != CF_CBOR_ARRAY || cf_cbor_iter_begin(arr, &it) != 0) return cf_fail(err, "COSE: not an array");
    for (int i = 0; i < 4; i++)
        if (cf_cbor_iter_next(&it, &item[i]) != 1) return cf_fail(err, "COSE: COSE_Sign1 needs 4 entries");
    if (cf_cbor_bytes(item[0], &out->protected_header.data, &out->protected_header.size) != 0)
        return cf_fail(err, "COSE: the protected header is not a byte string");
    if (cf_cbor_major(item[1]) != CF_CBOR_MAP) return cf_fail(err, "COSE: the unprotected header is not a map");
    if (cf_cbor_major(item[2]) == CF_CBOR_BYTES) cf_cbor_bytes(item[2], &out->payload.data, &out->payload.size);
    if (cf_cbor_bytes(item[3], &out->signature.data, &out->signature.size) != 0)
        return cf_fail(err, "COSE: the signature is not a byte string");
    cf_cbor prot = cf_cbor_at(out->protected_header.data, out->protected_header.size), alg;
    if (out->protected_header.size > 0) {
        if (cf_cbor_major(prot) != CF_CBOR_MAP) return cf_fail(err, "COSE: the protected header is not a map");
        if (cf_cbor_map_get_int(prot, 1, &alg) == 1 && cf_cbor_int(alg, &out->alg) == 0) out->has_alg = 1;
        if (find_x5chain(prot, out) < 0) return cf_fail(err, "COSE: malformed x5chain");
    }
    if (out->n_certs == 0 && find_x5chain(item[1], out) < 0) return cf_fail(err, "COSE: malformed x5chain");
    if (read_timestamps(item[1], out) != 0) return cf_fail(err, "COSE: malformed time stamp (sigTst)");
    return 0;
}

void cf_cose_sig_structure(const cf_cose_sign1 *cose, cf_c2pa_bytes payload, cf_buffer *out) {
    static const char context[] = "Signature1";
    cf_cbor_put_head(out, CF_CBOR_ARRAY, 4);
    cf_cbor_put_head(out, CF_CBOR_TEXT, sizeof context - 1);
    cf_buffer_append(out, context, sizeof context - 1);
    cf_cbor_put_head(out, CF_CBOR_BYTES, cose->protected_header.size);
    cf_buffer_append(out, cose->protected_header.data, cose->protected_header.size);
    cf_cbor_put_head(out, CF_CBOR_BYTES, 0); /* external_aad: empty */
    cf_cbor_put_head(out, CF_CBOR_BYTES, payload.size);
    cf_buffer_append(out, payload.data, payload.size);
}

/* ---- what a manifest declares ---- */

#define MAX_INGREDIENT_DEPTH 4   /* an ingredient's ingredient's ... manifest */
#define MAX_SUMMARIES 64         /* manifests summarised per store, ingredients included */
#define MAX_C2PA_FIELDS 24       /* fields this reader adds, of the CF_PROV_MAX_FIELDS shared */

typedef struct {
    cf_declares declares;
    char generator[128];  /* canonical name (generators.c) */
    char app[128];        /* the claim generator's product name */
    char make[64], model[64];
    int n_actions, ai_ingredient;
} summary;

typedef struct {
    const cf_c2pa_store *store;
    cf_provenance *p;     /* fields go here while summarising the active manifest, else NULL */
    int budget, n_fields, out_of_memory;
} reader;

static const char *declares_words(cf_declares d) {
    switch (d) {
    case CF_DECLARES_AI_GENERATED: return "AI-generated";
    case CF_DECLARES_AI_EDITED: return "AI-edited";
    case CF_DECLARES_CAPTURE: return "a capture";
    default: return "no generative AI";
    }
}

static cf_declares stronger(cf_declares a, cf_declares b) { return a > b ? a : b; }

/* The IPTC digital source type's code: the URI's last path segment, blanks trimmed
 * (" http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture" -> "digitalCapture"). */
static void source_type_code(const char *s, size_t len, char *out, size_t cap) {
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '/')) len--;
    size_t start = len;
    while (start > 0 && s[start - 1] != '/') start--;
    while (start < len && s[start] == ' ') start++;
    copy_text(out, cap, s + start, len - start);
}

/* What a digital source type declares. "algorithmicMedia" (without "trained") and composites of
 * captured and synthetic elements are not generative AI. */
static cf_declares source_type_declares(const char *code) {
    if (strcasecmp(code, "trainedAlgorithmicMedia") == 0) return CF_DECLARES_AI_GENERATED;
    if (strcasecmp(code, "compositeWithTrainedAlgorithmicMedia") == 0) return CF_DECLARES_AI_EDITED;
    if (strcasecmp(code, "digitalCapture") == 0 || strcasecmp(code, "computationalCapture") == 0 ||
        strcasecmp(code, "negativeFilm") == 0 || strcasecmp(code, "positiveFilm") == 0)
        return CF_DECLARES_CAPTURE;
    return CF_DECLARES_OTHER;
}

static void add_field(reader *rd, const char *name, const char *value, size_t len) {
    if (!rd->p || rd->n_fields >= MAX_C2PA_FIELDS) return;
    if (cf_prov_add_field(rd->p, name, value, len) != 0) rd->out_of_memory = 1;
    rd->n_fields++;
}

static void note_generator(summary *sum, const char *s, size_t len) {
    if (sum->generator[0]) return;
    const char *g = cf_generator_find(s, len);
    if (g) snprintf(sum->generator, sizeof sum->generator, "%s", g);
}

/* softwareAgent: a string (v1) or a generator-info map with "name" (v2). */
static int software_agent(cf_cbor action, const char **s, size_t *len) {
    cf_cbor v;
    if (cf_cbor_map_get(action, "softwareAgent", &v) != 1) return -1;
    if (cf_cbor_text(v, s, len) == 0) return 0;
    return cf_cbor_map_text(v, "name", s, len);
}

static void read_action(reader *rd, cf_cbor action, summary *sum) {
    const char *s;
    size_t len;
    char code[96];
    sum->n_actions++;
    if (cf_cbor_map_text(action, "action", &s, &len) == 0) add_field(rd, "C2PA:action", s, len);
    if (cf_cbor_map_text(action, "digitalSourceType", &s, &len) == 0) {
        source_type_code(s, len, code, sizeof code);
        sum->declares = stronger(sum->declares, source_type_declares(code));
        add_field(rd, "C2PA:digitalSourceType", s, len);
    }
    if (software_agent(action, &s, &len) == 0) {
        note_generator(sum, s, len);
        add_field(rd, "C2PA:softwareAgent", s, len);
    }
}

static void read_actions(reader *rd, const cf_c2pa_manifest *m, summary *sum) {
    size_t pos = 0;
    cf_jumbf j;
    while (next_assertion(m, "c2pa.actions", &pos, &j) == 1) {
        cf_cbor map, list, action;
        cf_cbor_iter it;
        if (cbor_content(&j, &map) != 0 || cf_cbor_map_get(map, "actions", &list) != 1) continue;
        if (cf_cbor_iter_begin(list, &it) != 0) continue;
        while (cf_cbor_iter_next(&it, &action) == 1)
            if (cf_cbor_major(action) == CF_CBOR_MAP) read_action(rd, action, sum);
    }
}

/* Camera make and model from stds.exif or c2pa.metadata (JSON-LD keys in CBOR). */
static void read_camera(const cf_c2pa_manifest *m, summary *sum) {
    static const char *const labels[] = {"stds.exif", "c2pa.metadata"};
    for (int l = 0; l < 2; l++) {
        size_t pos = 0;
        cf_jumbf j;
        cf_cbor map;
        const char *s;
        size_t len;
        while (next_assertion(m, labels[l], &pos, &j) == 1) {
            if (cbor_content(&j, &map) != 0) continue;
            if (!sum->make[0] && cf_cbor_map_text(map, "tiff:Make", &s, &len) == 0) copy_text(sum->make, sizeof sum->make, s, len);
            if (!sum->model[0] && cf_cbor_map_text(map, "tiff:Model", &s, &len) == 0) copy_text(sum->model, sizeof sum->model, s, len);
        }
    }
}

/* The product name of the claim generator: claim_generator_info's first name, else the first word
 * of claim_generator with '_' as spaces ("Adobe_Photoshop/26.9.0 c2pa-rs/0.43.0" -> "Adobe Photoshop"). */
static void read_claim(reader *rd, const cf_c2pa_manifest *m, summary *sum) {
    cf_cbor claim = cf_cbor_at(m->claim.data, m->claim.size), info, first;
    const char *s;
    size_t len;
    if (cf_cbor_major(claim) != CF_CBOR_MAP) return;
    if (cf_cbor_map_get(claim, "claim_generator_info", &info) == 1) {
        cf_cbor_iter it;
        if (cf_cbor_major(info) == CF_CBOR_ARRAY && cf_cbor_iter_begin(info, &it) == 0 && cf_cbor_iter_next(&it, &first) == 1)
            info = first;
        if (cf_cbor_map_text(info, "name", &s, &len) == 0) {
            copy_text(sum->app, sizeof sum->app, s, len);
            note_generator(sum, s, len);
        }
    }
    if (cf_cbor_map_text(claim, "claim_generator", &s, &len) == 0) {
        add_field(rd, "C2PA:claim_generator", s, len);
        note_generator(sum, s, len);
        if (!sum->app[0]) {
            size_t word = 0;
            while (word < len && s[word] != ' ' && s[word] != '/') word++;
            copy_text(sum->app, sizeof sum->app, s, word);
            for (char *c = sum->app; *c; c++)
                if (*c == '_') *c = ' ';
        }
    } else if (sum->app[0]) {
        add_field(rd, "C2PA:claim_generator", sum->app, strlen(sum->app));
    }
    if (cf_cbor_map_text(claim, "dc:title", &s, &len) == 0) add_field(rd, "C2PA:title", s, len);
}

static void summarize(reader *rd, const cf_c2pa_manifest *m, int depth, summary *sum);

/* An ingredient: its relationship, and what its own manifest (when in the store) declares. Generative
 * AI in an ingredient makes the result at least AI-edited. */
static void read_ingredient(reader *rd, cf_cbor ing, int depth, summary *sum) {
    const char *s, *url;
    size_t len, url_len;
    char text[320], title[96] = "ingredient", relationship[32] = "";
    cf_cbor ref;
    summary isum;
    memset(&isum, 0, sizeof isum);
    if (cf_cbor_map_text(ing, "dc:title", &s, &len) == 0) copy_text(title, sizeof title, s, len);
    if (cf_cbor_map_text(ing, "relationship", &s, &len) == 0) copy_text(relationship, sizeof relationship, s, len);
    int found = 0;
    if ((cf_cbor_map_get(ing, "c2pa_manifest", &ref) == 1 || cf_cbor_map_get(ing, "activeManifest", &ref) == 1) &&
        cf_cbor_map_text(ref, "url", &url, &url_len) == 0) {
        const cf_c2pa_manifest *im = cf_c2pa_find_manifest(rd->store, url, url_len);
        if (im && depth < MAX_INGREDIENT_DEPTH && rd->budget > 0) {
            cf_provenance *saved = rd->p;
            rd->p = NULL; /* fields describe the active manifest only */
            summarize(rd, im, depth + 1, &isum);
            rd->p = saved;
            found = 1;
        }
    }
    if (found && isum.declares >= CF_DECLARES_AI_EDITED) {
        sum->declares = stronger(sum->declares, CF_DECLARES_AI_EDITED);
        sum->ai_ingredient = 1;
        if (!sum->generator[0]) memcpy(sum->generator, isum.generator, sizeof sum->generator);
    }
    int n = snprintf(text, sizeof text, "%s%s%s%s", title, relationship[0] ? " (" : "", relationship, relationship[0] ? ")" : "");
    if (found && n > 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, ": its manifest declares %s%s%s", declares_words(isum.declares),
                 isum.generator[0] ? ", " : "", isum.generator);
    add_field(rd, "C2PA:ingredient", text, strlen(text));
}

static void read_ingredients(reader *rd, const cf_c2pa_manifest *m, int depth, summary *sum) {
    size_t pos = 0;
    cf_jumbf j;
    cf_cbor map;
    while (next_assertion(m, "c2pa.ingredient", &pos, &j) == 1)
        if (cbor_content(&j, &map) == 0 && cf_cbor_major(map) == CF_CBOR_MAP) read_ingredient(rd, map, depth, sum);
}

/* Recursion is bounded by MAX_INGREDIENT_DEPTH and, across the whole store, by MAX_SUMMARIES. */
static void summarize(reader *rd, const cf_c2pa_manifest *m, int depth, summary *sum) {
    memset(sum, 0, sizeof *sum);
    sum->declares = CF_DECLARES_OTHER;
    rd->budget--;
    read_claim(rd, m, sum);
    read_actions(rd, m, sum);
    read_camera(m, sum);
    read_ingredients(rd, m, depth, sum);
    if (sum->make[0] || sum->model[0]) {
        char camera[130];
        snprintf(camera, sizeof camera, "%s%s%s", sum->make, sum->make[0] && sum->model[0] ? " " : "", sum->model);
        add_field(rd, "C2PA:camera", camera, strlen(camera));
    }
    /* A camera's manifest: no actions, only its EXIF. */
    if (sum->declares == CF_DECLARES_OTHER && sum->n_actions == 0 && (sum->make[0] || sum->model[0]))
        sum->declares = CF_DECLARES_CAPTURE;
}

/* One plain sentence of what the manifest declares. */
static void describe(const summary *sum, char *out, size_t cap) {
    const char *gen = sum->generator, *app = sum->app;
    switch (sum->declares) {
    case CF_DECLARES_AI_GENERATED:
        if (gen[0]) snprintf(out, cap, "generated by %s", gen);
        else snprintf(out, cap, "generated by generative AI (trainedAlgorithmicMedia)");
        break;
    case CF_DECLARES_AI_EDITED: {
        int name_app = app[0] && (!gen[0] || !strstr(app, gen)); /* "in Adobe Photoshop", unless it is the generator */
        snprintf(out, cap, "edited with generative AI%s%s%s%s%s", gen[0] ? " (" : "", gen, gen[0] ? ")" : "",
                 name_app ? " in " : "", name_app ? app : "");
        break;
    }
    case CF_DECLARES_CAPTURE:
        if (sum->model[0]) snprintf(out, cap, "captured by a camera (%s)", sum->model);
        else if (sum->make[0]) snprintf(out, cap, "captured by a camera (%s)", sum->make);
        else snprintf(out, cap, "captured by a camera (digitalCapture)");
        break;
    default:
        if (app[0]) snprintf(out, cap, "made or edited with %s; no generative AI declared", app);
        else snprintf(out, cap, "nothing about how the image was made");
        break;
    }
}

static const char *cose_alg_name(const cf_cose_sign1 *c) {
    switch (c->has_alg ? c->alg : 0) {
    case -7: return "ES256";
    case -35: return "ES384";
    case -36: return "ES512";
    case -37: return "PS256";
    case -38: return "PS384";
    case -39: return "PS512";
    case -8: return "Ed25519";
    default: return "an unsupported algorithm";
    }
}

/* What a verifier will check, as fields: the signature's algorithm, certificates and time stamp, and
 * the hard binding. Reading them here also puts the verifier's parsers under the metadata fuzzer. */
static void describe_checks(reader *rd, const cf_c2pa_manifest *m) {
    char text[160];
    cf_cose_sign1 cose;
    cf_c2pa_hash_data hash;
    char alg[16];
    if (cf_cose_sign1_parse(m->signature, &cose, NULL) == 0)
        snprintf(text, sizeof text, "COSE_Sign1 %s, %d certificate%s%s", cose_alg_name(&cose), cose.n_certs,
                 cose.n_certs == 1 ? "" : "s", cose.n_timestamps ? ", RFC 3161 time stamp" : "");
    else
        snprintf(text, sizeof text, "missing or malformed");
    add_field(rd, "C2PA:signature", text, strlen(text));
    int has = cf_c2pa_hash_data_read(m, &hash);
    if (has == 1)
        snprintf(text, sizeof text, "c2pa.hash.data (%s, %d exclusion%s)", hash.alg[0] ? hash.alg : "claim's algorithm",
                 hash.n_exclusions, hash.n_exclusions == 1 ? "" : "s");
    else if (has < 0)
        snprintf(text, sizeof text, "c2pa.hash.data, malformed");
    else if (cf_c2pa_has_assertion(m, "c2pa.hash.boxes") || cf_c2pa_has_assertion(m, "c2pa.hash.bmff"))
        snprintf(text, sizeof text, "%s", cf_c2pa_has_assertion(m, "c2pa.hash.boxes") ? "c2pa.hash.boxes" : "c2pa.hash.bmff");
    else
        snprintf(text, sizeof text, "none");
    add_field(rd, "C2PA:hard_binding", text, strlen(text));
    if (cf_c2pa_claim_refs(m, alg, NULL, NULL) < 0) add_field(rd, "C2PA:assertion_references", "malformed", 9);
}

int cf_c2pa_read(cf_provenance *p, cf_error *err) {
    if (!p->c2pa_store) return 0;
    cf_c2pa_store *store = malloc(sizeof *store);
    if (!store) return cf_fail(err, "out of memory reading the C2PA manifest store");
    cf_error perr = {{0}};
    cf_prov_signal *sig = cf_prov_add_signal(p, CF_SIGNAL_C2PA); /* notes it when signals are full */
    if (!sig) {
        free(store);
        return 0;
    }
    p->c2pa_signal = (int)(sig - p->signals);
    sig->verified = CF_VERIFIED_NOT_CHECKED;
    if (cf_c2pa_parse_store(p->c2pa_store, p->c2pa_store_size, store, &perr) != 0) {
        free(store);
        sig->declares = CF_DECLARES_NONE; /* present, but nothing could be read from it */
        snprintf(sig->says, sizeof sig->says, "Content Credentials present but unreadable");
        snprintf(sig->problem, sizeof sig->problem, "not checked: the manifest store is unreadable (%.180s)", perr.msg);
        cf_prov_note_unreadable(p, "%.200s", perr.msg);
        cf_provenance_update_declares(p);
        return 0;
    }
    reader rd = {store, p, MAX_SUMMARIES, 0, 0};
    summary sum;
    summarize(&rd, &store->manifests[store->active], 0, &sum);
    describe_checks(&rd, &store->manifests[store->active]);
    sig->declares = sum.declares;
    describe(&sum, sig->says, sizeof sig->says);
    snprintf(sig->generator, sizeof sig->generator, "%s", sum.generator);
    snprintf(sig->problem, sizeof sig->problem, "not checked: no verifier has run");
    cf_provenance_update_declares(p);
    free(store);
    if (rd.out_of_memory) return cf_fail(err, "out of memory reading the C2PA manifest store");
    return 0;
}
