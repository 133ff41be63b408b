/* C2PA manifest stores (src/c2pa.c, cbor.c, jumbf.c) and their verification
 * (tools/lib/c2pa_verify.c) on the shared C2PA files of ../shared/provenance, a manifest moved onto
 * another JPEG, and hostile CBOR and JUMBF. Paths are relative to the repository root. */
#include <stdlib.h>
#include <string.h>

#include "c2pa.h"
#include "c2pa_verify.h"
#include "cbor.h"
#include "jumbf.h"
#include "stb_image.h"
#include "stb_image_write.h"
#include "test.h"

#define PROV_DIR "../shared/provenance/"

/* ---- helpers ---- */

static void prov_init(cf_provenance *p) {
    memset(p, 0, sizeof *p);
    p->c2pa_signal = -1;
}

static void prov_release(cf_provenance *p) { cf_provenance_free(p); }

/* Reads a shared file and its C2PA signal: 0; 1 when ../shared is absent (test skipped); -1 failed. */
static int read_c2pa(const char *rel, cf_provenance *p, uint8_t **file, size_t *n, int *failures) {
    char path[512];
    snprintf(path, sizeof path, PROV_DIR "%s", rel);
    prov_init(p);
    *file = test_read_file(path, n);
    if (!*file) {
        test_skip("../shared/provenance is absent");
        return 1;
    }
    cf_error err = {{0}};
    CHECK_MSG(cf_provenance_read(*file, *n, p, &err) == 0, "%s: %s", rel, err.msg);
    CHECK_MSG(p->c2pa_store != NULL, "%s: no manifest store found", rel);
    CHECK_MSG(p->c2pa_signal >= 0, "%s: no C2PA signal", rel);
    return p->c2pa_signal >= 0 ? 0 : -1;
}

static const char *field(const cf_provenance *p, const char *name) {
    for (int i = 0; i < p->n_fields; i++)
        if (strcmp(p->fields[i].name, name) == 0) return p->fields[i].value;
    return NULL;
}

/* ---- declarations of the shared files ---- */

static const struct {
    const char *path;
    cf_declares declares;
    const char *generator, *says;
} shared_c2pa[] = {
    {"c2pa/adobe_firefly_photoshop_ocsp.jpg", CF_DECLARES_AI_EDITED, "Adobe Firefly", "edited with generative AI (Adobe Firefly) in Adobe Photoshop"},
    {"c2pa/testcert_digitalCapture_cawg.jpg", CF_DECLARES_CAPTURE, "", "captured by a camera"},
    {"c2pa/testcert_tampered_datahash_XCA.jpg", CF_DECLARES_OTHER, "", "no generative AI declared"},
    {"c2pa/testcert_bad_signature_E-sig-CA.jpg", CF_DECLARES_OTHER, "", "no generative AI declared"},
    {"camera/nikon_z9_c2pa_building.jpeg", CF_DECLARES_CAPTURE, "", "captured by a camera (NIKON Z 9)"},
};

TEST(c2pa_shared_declarations) {
    for (size_t i = 0; i < sizeof shared_c2pa / sizeof shared_c2pa[0]; i++) {
        cf_provenance p;
        uint8_t *file;
        size_t n;
        if (read_c2pa(shared_c2pa[i].path, &p, &file, &n, failures) == 0) {
            const cf_prov_signal *s = &p.signals[p.c2pa_signal];
            CHECK_MSG(s->kind == CF_SIGNAL_C2PA, "%s", shared_c2pa[i].path);
            CHECK_MSG(s->declares == shared_c2pa[i].declares, "%s: declares %d", shared_c2pa[i].path, (int)s->declares);
            CHECK_MSG(strcmp(s->generator, shared_c2pa[i].generator) == 0, "%s: generator '%s'", shared_c2pa[i].path, s->generator);
            CHECK_MSG(strstr(s->says, shared_c2pa[i].says) != NULL, "%s: says '%s'", shared_c2pa[i].path, s->says);
            CHECK_MSG(s->verified == CF_VERIFIED_NOT_CHECKED && strncmp(s->problem, "not checked", 11) == 0, "%s: %s",
                      shared_c2pa[i].path, s->problem);
            CHECK(p.declares >= s->declares); /* other signals (EXIF, XMP) may add to it */
        }
        int skipped = !file;
        free(file);
        prov_release(&p);
        if (skipped) return;
    }
}

TEST(c2pa_nikon_camera_field) {
    cf_provenance p;
    uint8_t *file;
    size_t n;
    if (read_c2pa("camera/nikon_z9_c2pa_building.jpeg", &p, &file, &n, failures) == 0) {
        const char *camera = field(&p, "C2PA:camera");
        CHECK_MSG(camera && strcmp(camera, "NIKON CORPORATION NIKON Z 9") == 0, "%s", camera ? camera : "(none)");
        CHECK(field(&p, "C2PA:action") == NULL);
        const char *sig = field(&p, "C2PA:signature"), *binding = field(&p, "C2PA:hard_binding");
        CHECK_MSG(sig && strcmp(sig, "COSE_Sign1 PS256, 2 certificates") == 0, "%s", sig ? sig : "(none)");
        CHECK_MSG(binding && strcmp(binding, "c2pa.hash.data (sha256, 1 exclusion)") == 0, "%s", binding ? binding : "(none)");
    }
    free(file);
    prov_release(&p);
}

TEST(c2pa_firefly_fields) {
    cf_provenance p;
    uint8_t *file;
    size_t n;
    if (read_c2pa("c2pa/adobe_firefly_photoshop_ocsp.jpg", &p, &file, &n, failures) == 0) {
        const char *gen = field(&p, "C2PA:claim_generator"), *title = field(&p, "C2PA:title");
        const char *dst = field(&p, "C2PA:digitalSourceType"), *ing = field(&p, "C2PA:ingredient");
        CHECK(gen && strstr(gen, "Adobe_Photoshop/26.9.0"));
        CHECK(title && strcmp(title, "ocsp.jpg") == 0);
        CHECK(dst && strstr(dst, "compositeWithTrainedAlgorithmicMedia"));
        CHECK(field(&p, "C2PA:action") && strcmp(field(&p, "C2PA:action"), "c2pa.opened") == 0);
        CHECK(field(&p, "C2PA:softwareAgent") && strcmp(field(&p, "C2PA:softwareAgent"), "Adobe Firefly") == 0);
        /* The ingredient's own manifest is Firefly's text-to-image result. */
        CHECK_MSG(ing && strstr(ing, "componentOf") && strstr(ing, "AI-generated, Adobe Firefly"), "%s", ing ? ing : "(none)");
    }
    free(file);
    prov_release(&p);
}

/* ---- verification ---- */

static c2pa_trust *load_trust(int *failures) {
    c2pa_trust *trust = NULL;
    cf_error err = {{0}};
    if (!c2pa_verify_available()) return NULL;
    CHECK_MSG(c2pa_trust_load(C2PA_TRUST_SIGNERS, C2PA_TRUST_TSA, &trust, &err) == 0, "%s", err.msg);
    return trust;
}

static const struct {
    const char *path;
    cf_verified verified;
    const char *signer, *problem;
} shared_status[] = {
    /* Adobe Root CA G2 is not on the C2PA trust list (only Adobe's newer issuing CA is). */
    {"c2pa/adobe_firefly_photoshop_ocsp.jpg", CF_VERIFIED_UNTRUSTED, "Adobe Inc.", "not on the C2PA trust list"},
    {"c2pa/testcert_digitalCapture_cawg.jpg", CF_VERIFIED_UNTRUSTED, "C2PA Test Signing Cert", "not on the C2PA trust list"},
    {"c2pa/testcert_tampered_datahash_XCA.jpg", CF_VERIFIED_INVALID, "", "pixels changed after signing"},
    {"c2pa/testcert_bad_signature_E-sig-CA.jpg", CF_VERIFIED_INVALID, "", "signature invalid"},
    {"camera/nikon_z9_c2pa_building.jpeg", CF_VERIFIED_UNTRUSTED, "NIKON", "not on the C2PA trust list"},
};

TEST(c2pa_verify_shared) {
    c2pa_trust *trust = load_trust(failures);
    for (size_t i = 0; i < sizeof shared_status / sizeof shared_status[0]; i++) {
        cf_provenance p;
        uint8_t *file;
        size_t n;
        int r = read_c2pa(shared_status[i].path, &p, &file, &n, failures);
        if (r == 0) {
            cf_error err = {{0}};
            CHECK(c2pa_verify(&p, file, n, trust, &err) == 0);
            const cf_prov_signal *s = &p.signals[p.c2pa_signal];
            if (c2pa_verify_available()) {
                CHECK_MSG(s->verified == shared_status[i].verified, "%s: %d (%s)", shared_status[i].path, (int)s->verified, s->problem);
                CHECK_MSG(strstr(s->signer, shared_status[i].signer) != NULL, "%s: signer '%s'", shared_status[i].path, s->signer);
                CHECK_MSG(strstr(s->problem, shared_status[i].problem) != NULL, "%s: '%s'", shared_status[i].path, s->problem);
            } else {
                CHECK(s->verified == CF_VERIFIED_NOT_CHECKED && strstr(s->problem, "no cryptography library"));
            }
        }
        free(file);
        prov_release(&p);
        if (r == 1) break;
    }
    c2pa_trust_free(trust);
}

/* ---- a manifest moved onto another image ---- */

static void append_to_buffer(void *ctx, void *data, int size) { cf_buffer_append(ctx, data, (size_t)size); }

/* A small gradient JPEG, made here. */
static int small_jpeg(cf_buffer *out) {
    enum { W = 48, H = 32 };
    uint8_t rgb[W * H * 3];
    for (int i = 0; i < W * H; i++) {
        rgb[3 * i] = (uint8_t)(i % W * 5);
        rgb[3 * i + 1] = (uint8_t)(i / W * 7);
        rgb[3 * i + 2] = 90;
    }
    return stbi_write_jpg_to_func(append_to_buffer, out, W, H, 3, rgb, 90) && !out->failed ? 0 : -1;
}

/* target's SOI, then every APP11 segment of source, then the rest of target. */
static int transplant_app11(const uint8_t *source, size_t n, const cf_buffer *target, cf_buffer *out) {
    cf_buffer_append(out, target->data, 2);
    size_t pos = 2, moved = 0;
    while (pos + 4 <= n && source[pos] == 0xff && source[pos + 1] != 0xda) {
        size_t seg = 2 + (((size_t)source[pos + 2] << 8) | source[pos + 3]);
        if (pos + seg > n) break;
        if (source[pos + 1] == 0xeb) {
            cf_buffer_append(out, source + pos, seg);
            moved++;
        }
        pos += seg;
    }
    cf_buffer_append(out, target->data + 2, target->len - 2);
    return moved && !out->failed ? 0 : -1;
}

TEST(c2pa_transplanted_manifest_fails_its_hash) {
    size_t n;
    uint8_t *firefly = test_read_file(PROV_DIR "c2pa/adobe_firefly_photoshop_ocsp.jpg", &n);
    if (!firefly) {
        test_skip("../shared/provenance is absent");
        return;
    }
    cf_buffer target = {0}, moved = {0};
    CHECK(small_jpeg(&target) == 0);
    CHECK(transplant_app11(firefly, n, &target, &moved) == 0);
    cf_provenance p;
    cf_error err = {{0}};
    CHECK(cf_provenance_read(moved.data, moved.len, &p, &err) == 0 && p.c2pa_signal >= 0);
    c2pa_trust *trust = load_trust(failures);
    if (p.c2pa_signal >= 0) {
        /* The manifest still declares AI editing, and its signature is intact, but it does not bind
         * these pixels: the verifier must say so. */
        CHECK(p.signals[p.c2pa_signal].declares == CF_DECLARES_AI_EDITED);
        CHECK(c2pa_verify(&p, moved.data, moved.len, trust, &err) == 0);
        const cf_prov_signal *s = &p.signals[p.c2pa_signal];
        if (c2pa_verify_available())
            CHECK_MSG(s->verified == CF_VERIFIED_INVALID && strstr(s->problem, "pixels changed after signing"), "%d %s",
                      (int)s->verified, s->problem);
        /* and a manifest that does not match gives no FAKE: the pixel verdict stands */
        cifake_result r;
        memset(&r, 0, sizeof r);
        r.label = CIFAKE_REAL;
        cf_provenance_decide(&p, &r);
        if (c2pa_verify_available()) CHECK_MSG(r.label == CIFAKE_REAL && strstr(r.reason, "do not match this image"), "%s", r.reason);
    }
    c2pa_trust_free(trust);
    prov_release(&p);
    free(target.data);
    free(moved.data);
    free(firefly);
}

TEST(c2pa_changed_ingredient_manifest_is_invalid) {
    /* Firefly's text-to-image manifest is an ingredient of the Photoshop one: its bytes sit in the
     * excluded APP11 range, so only the ingredient's signed hash binds them. Change its claim
     * generator, and the active signature must no longer vouch for it. */
    size_t n;
    uint8_t *file = test_read_file(PROV_DIR "c2pa/adobe_firefly_photoshop_ocsp.jpg", &n);
    if (!file) {
        test_skip("../shared/provenance is absent");
        return;
    }
    static const char needle[] = "Adobe_Firefly adobe_c2pa";
    uint8_t *at = NULL;
    for (size_t i = 0; i + sizeof needle - 1 <= n && !at; i++)
        if (memcmp(file + i, needle, sizeof needle - 1) == 0) at = file + i;
    CHECK(at != NULL);
    if (at) at[6] = 'X'; /* "Adobe_Xirefly" */
    cf_provenance p;
    cf_error err = {{0}};
    c2pa_trust *trust = load_trust(failures);
    CHECK(cf_provenance_read(file, n, &p, &err) == 0 && p.c2pa_signal >= 0);
    CHECK(c2pa_verify(&p, file, n, trust, &err) == 0);
    if (p.c2pa_signal >= 0 && c2pa_verify_available()) {
        const cf_prov_signal *s = &p.signals[p.c2pa_signal];
        CHECK_MSG(s->verified == CF_VERIFIED_INVALID && strstr(s->problem, "ingredient") && strstr(s->problem, "changed after signing"),
                  "%d %s", (int)s->verified, s->problem);
    }
    cf_provenance_free(&p);
    c2pa_trust_free(trust);
    free(file);
}

TEST(c2pa_hostile_table_cases) {
    /* tests/hostile/cases (generate.mjs): read, verified and decided quickly, without a declaration */
    static const char *const files[] = {"prov-c2pa-deep-cbor.jpg", "prov-c2pa-lying-box.jpg"};
    c2pa_trust *trust = load_trust(failures);
    for (size_t i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/hostile/cases/%s", files[i]);
        size_t n;
        uint8_t *data = test_read_file(path, &n);
        CHECK_MSG(data != NULL, "%s is missing (node tests/hostile/generate.mjs writes it)", path);
        if (!data) continue;
        cf_provenance p;
        cf_error err = {{0}};
        CHECK(cf_provenance_read(data, n, &p, &err) == 0 && p.c2pa_signal >= 0);
        CHECK(c2pa_verify(&p, data, n, trust, &err) == 0);
        if (p.c2pa_signal >= 0) {
            const cf_prov_signal *s = &p.signals[p.c2pa_signal];
            CHECK_MSG(s->declares <= CF_DECLARES_OTHER && s->verified != CF_VERIFIED_VALID && s->verified != CF_VERIFIED_UNTRUSTED,
                      "%s: %d %d %s", path, (int)s->declares, (int)s->verified, s->problem);
            CHECK_MSG(s->problem[0] != 0, "%s: no reason", path);
        }
        cifake_result r;
        memset(&r, 0, sizeof r);
        r.label = CIFAKE_REAL;
        cf_provenance_decide(&p, &r);
        CHECK_MSG(r.label == CIFAKE_REAL, "%s: %s", path, r.reason);
        cf_provenance_free(&p);
        free(data);
    }
    c2pa_trust_free(trust);
}

/* ---- hostile CBOR ---- */

/* Whether the item in bytes is refused (-1) by cf_cbor_item_size. */
static int cbor_refused(const uint8_t *bytes, size_t n) {
    size_t size;
    return cf_cbor_item_size(cf_cbor_at(bytes, n), &size) != 0;
}

TEST(cbor_hostile_lengths) {
    /* byte strings claiming 2^64-1, 2^63 ("negative" as a signed length) and 2^32 bytes */
    static const uint8_t huge[] = {0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    static const uint8_t negative[] = {0x5b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x00};
    static const uint8_t text4g[] = {0x7a, 0xff, 0xff, 0xff, 0xff, 'a'};
    /* an array and a map announcing more entries than bytes remain */
    static const uint8_t array_lies[] = {0x9a, 0x7f, 0xff, 0xff, 0xff, 0x01, 0x02};
    static const uint8_t map_lies[] = {0xa3, 0x01, 0x02, 0x03, 0x04};
    /* reserved additional information, a break outside an indefinite item, a truncated head */
    static const uint8_t reserved[] = {0x1c};
    static const uint8_t stray_break[] = {0xff};
    static const uint8_t truncated[] = {0x19, 0x01};
    /* an indefinite string whose chunk is of another type, one never closed, an indefinite integer */
    static const uint8_t bad_chunk[] = {0x5f, 0x61, 'a', 0xff};
    static const uint8_t unclosed[] = {0x9f, 0x01, 0x02};
    static const uint8_t indefinite_int[] = {0x1f};
    CHECK(cbor_refused(huge, sizeof huge));
    CHECK(cbor_refused(negative, sizeof negative));
    CHECK(cbor_refused(text4g, sizeof text4g));
    CHECK(cbor_refused(array_lies, sizeof array_lies));
    CHECK(cbor_refused(map_lies, sizeof map_lies));
    CHECK(cbor_refused(reserved, sizeof reserved));
    CHECK(cbor_refused(stray_break, sizeof stray_break));
    CHECK(cbor_refused(truncated, sizeof truncated));
    CHECK(cbor_refused(bad_chunk, sizeof bad_chunk));
    CHECK(cbor_refused(unclosed, sizeof unclosed));
    CHECK(cbor_refused(indefinite_int, sizeof indefinite_int));
    const uint8_t *b;
    size_t len;
    CHECK(cf_cbor_bytes(cf_cbor_at(huge, sizeof huge), &b, &len) != 0);
}

TEST(cbor_indefinite_and_nesting) {
    /* {_ "a": [_ 1, 2], "b": (_ h'01', h'02')} : indefinite map, array and byte string */
    static const uint8_t indefinite[] = {0xbf, 0x61, 'a', 0x9f, 0x01, 0x02, 0xff, 0x61, 'b', 0x5f, 0x41, 0x01, 0x41, 0x02, 0xff, 0xff};
    size_t size, count;
    cf_cbor v, map = cf_cbor_at(indefinite, sizeof indefinite);
    CHECK(cf_cbor_item_size(map, &size) == 0 && size == sizeof indefinite);
    CHECK(cf_cbor_map_get(map, "a", &v) == 1 && cf_cbor_count(v, &count) == 0 && count == 2);
    CHECK(cf_cbor_map_get(map, "b", &v) == 1 && cf_cbor_major(v) == CF_CBOR_BYTES);
    const uint8_t *b;
    size_t len;
    CHECK(cf_cbor_bytes(v, &b, &len) != 0); /* chunked: not read as one string */
    CHECK(cf_cbor_map_get(map, "c", &v) == 0);

    /* nesting: CF_CBOR_MAX_DEPTH arrays are read, one more is refused, definite or indefinite */
    uint8_t deep[4 * CF_CBOR_MAX_DEPTH + 8];
    for (int indef = 0; indef < 2; indef++)
        for (int depth = CF_CBOR_MAX_DEPTH; depth <= CF_CBOR_MAX_DEPTH + 1; depth++) {
            size_t n = 0;
            for (int i = 0; i < depth; i++) deep[n++] = indef ? 0x9f : 0x81;
            deep[n++] = 0x00;
            for (int i = 0; indef && i < depth; i++) deep[n++] = 0xff;
            CHECK_MSG((cf_cbor_item_size(cf_cbor_at(deep, n), &size) == 0) == (depth <= CF_CBOR_MAX_DEPTH),
                      "depth %d indefinite %d", depth, indef);
        }
    /* 100,000 nested tags: each a byte, walked without recursion */
    size_t n = 100001;
    uint8_t *tags = malloc(n);
    CHECK(tags != NULL);
    if (tags) {
        memset(tags, 0xc6, n - 1);
        tags[n - 1] = 0x01;
        uint64_t tag;
        CHECK(cf_cbor_item_size(cf_cbor_at(tags, n), &size) == 0 && size == n);
        CHECK(cf_cbor_untag(cf_cbor_at(tags, n), &v, &tag) == 0 && tag == 6 && cf_cbor_major(v) == CF_CBOR_UINT);
        free(tags);
    }
}

TEST(cbor_head_writer_round_trips) {
    static const uint64_t args[] = {0, 23, 24, 255, 256, 65535, 65536, 0xffffffffu, 0x100000000ull};
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
        cf_buffer out = {0};
        cf_cbor_put_head(&out, CF_CBOR_UINT, args[i]);
        uint64_t x = 1;
        size_t size;
        CHECK(cf_cbor_uint(cf_cbor_at(out.data, out.len), &x) == 0 && x == args[i]);
        CHECK(cf_cbor_item_size(cf_cbor_at(out.data, out.len), &size) == 0 && size == out.len);
        free(out.data);
    }
}

/* ---- stores built here: JUMBF and CBOR writers for the tests ---- */

static void put_be32(cf_buffer *b, uint32_t x) {
    uint8_t q[4] = {(uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
    cf_buffer_append(b, q, 4);
}

/* A box of type (4 characters) around payload. */
static void put_box(cf_buffer *b, const char *type, const void *payload, size_t n) {
    put_be32(b, (uint32_t)(8 + n));
    cf_buffer_append(b, type, 4);
    cf_buffer_append(b, payload, n);
}

/* A JUMBF superbox labelled label around content (already boxes). The UUID is left zero: the reader
 * goes by labels. */
static void put_superbox(cf_buffer *b, const char *label, const cf_buffer *content) {
    cf_buffer jumd = {0};
    uint8_t uuid_and_toggles[17] = {0};
    uuid_and_toggles[16] = 3; /* requestable, label present */
    cf_buffer_append(&jumd, uuid_and_toggles, 17);
    cf_buffer_append(&jumd, label, strlen(label) + 1);
    cf_buffer inner = {0};
    put_box(&inner, "jumd", jumd.data, jumd.len);
    cf_buffer_append(&inner, content->data, content->len);
    put_box(b, "jumb", inner.data, inner.len);
    free(jumd.data);
    free(inner.data);
}

static void put_text(cf_buffer *b, const char *s) {
    cf_cbor_put_head(b, CF_CBOR_TEXT, strlen(s));
    cf_buffer_append(b, s, strlen(s));
}

/* A labelled superbox holding one CBOR box. */
static void put_cbor_assertion(cf_buffer *b, const char *label, const cf_buffer *cbor) {
    cf_buffer box = {0};
    put_box(&box, "cbor", cbor->data, cbor->len);
    put_superbox(b, label, &box);
    free(box.data);
}

/* A manifest labelled label: an actions assertion with one action (digital source type dst, may be
 * NULL), optionally an ingredient naming manifest ingredient_of, and a claim by generator. */
static void put_manifest(cf_buffer *store, const char *label, const char *dst, const char *ingredient_of, const char *generator) {
    cf_buffer assertions = {0}, actions = {0}, ingredient = {0}, claim = {0}, a_store = {0}, claim_box = {0}, m = {0};
    cf_cbor_put_head(&actions, CF_CBOR_MAP, 1);
    put_text(&actions, "actions");
    cf_cbor_put_head(&actions, CF_CBOR_ARRAY, 1);
    cf_cbor_put_head(&actions, CF_CBOR_MAP, dst ? 2 : 1);
    put_text(&actions, "action");
    put_text(&actions, "c2pa.created");
    if (dst) {
        put_text(&actions, "digitalSourceType");
        put_text(&actions, dst);
    }
    put_cbor_assertion(&assertions, "c2pa.actions", &actions);
    if (ingredient_of) {
        char url[128];
        snprintf(url, sizeof url, "self#jumbf=/c2pa/%s", ingredient_of);
        cf_cbor_put_head(&ingredient, CF_CBOR_MAP, 2);
        put_text(&ingredient, "relationship");
        put_text(&ingredient, "parentOf");
        put_text(&ingredient, "c2pa_manifest");
        cf_cbor_put_head(&ingredient, CF_CBOR_MAP, 1);
        put_text(&ingredient, "url");
        put_text(&ingredient, url);
        put_cbor_assertion(&assertions, "c2pa.ingredient", &ingredient);
    }
    put_superbox(&a_store, "c2pa.assertions", &assertions);
    cf_cbor_put_head(&claim, CF_CBOR_MAP, 1);
    put_text(&claim, "claim_generator");
    put_text(&claim, generator);
    put_box(&claim_box, "cbor", claim.data, claim.len);
    cf_buffer_append(&m, a_store.data, a_store.len);
    put_superbox(&m, "c2pa.claim", &claim_box);
    put_superbox(store, label, &m);
    free(assertions.data), free(actions.data), free(ingredient.data), free(claim.data);
    free(a_store.data), free(claim_box.data), free(m.data);
}

static cf_prov_signal read_built_store(const cf_buffer *manifests, int *failures) {
    cf_buffer store = {0};
    put_superbox(&store, "c2pa", manifests);
    cf_provenance p;
    prov_init(&p);
    p.c2pa_store = store.data;
    p.c2pa_store_size = store.len;
    cf_error err = {{0}};
    CHECK(cf_c2pa_read(&p, &err) == 0 && p.c2pa_signal >= 0);
    cf_prov_signal s = {0};
    if (p.c2pa_signal >= 0) s = p.signals[p.c2pa_signal];
    prov_release(&p);
    return s;
}

#define IPTC "http://cv.iptc.org/newscodes/digitalsourcetype/"

TEST(c2pa_built_stores_declare) {
    cf_buffer m = {0};
    put_manifest(&m, "urn:uuid:gen", IPTC "trainedAlgorithmicMedia", NULL, "DALL-E 3 (OpenAI)");
    cf_prov_signal s = read_built_store(&m, failures);
    CHECK(s.declares == CF_DECLARES_AI_GENERATED && strcmp(s.generator, "DALL-E") == 0);
    CHECK_MSG(strcmp(s.says, "generated by DALL-E") == 0, "%s", s.says);

    /* the active (last) manifest opened that result: its AI ingredient makes it AI-edited */
    put_manifest(&m, "urn:uuid:edit", NULL, "urn:uuid:gen", "Photo_Editor/1.0");
    s = read_built_store(&m, failures);
    CHECK_MSG(s.declares == CF_DECLARES_AI_EDITED && strcmp(s.generator, "DALL-E") == 0, "%d %s", (int)s.declares, s.generator);
    CHECK_MSG(strcmp(s.says, "edited with generative AI (DALL-E) in Photo Editor") == 0, "%s", s.says);
    free(m.data);
    /* an AI composite whose generator is unknown still names the editing app */
    memset(&m, 0, sizeof m);
    put_manifest(&m, "urn:uuid:composite", IPTC "compositeWithTrainedAlgorithmicMedia", NULL, "Some_Editor/3.1");
    s = read_built_store(&m, failures);
    CHECK_MSG(s.declares == CF_DECLARES_AI_EDITED && strcmp(s.says, "edited with generative AI in Some Editor") == 0, "%s", s.says);
    free(m.data);

    /* "algorithmicMedia" without "trained" is not AI; digitalCapture is a capture */
    memset(&m, 0, sizeof m);
    put_manifest(&m, "urn:uuid:a", IPTC "algorithmicMedia", NULL, "Fractal_Maker/2");
    CHECK(read_built_store(&m, failures).declares == CF_DECLARES_OTHER);
    free(m.data);
    memset(&m, 0, sizeof m);
    put_manifest(&m, "urn:uuid:c", IPTC "digitalCapture", NULL, "Camera/1");
    CHECK(read_built_store(&m, failures).declares == CF_DECLARES_CAPTURE);
    free(m.data);
}

TEST(c2pa_ingredient_cycles_end) {
    /* a manifest that is its own ingredient, and two that name each other: the depth and the
     * store-wide budget end the walk */
    cf_buffer m = {0};
    put_manifest(&m, "urn:uuid:self", IPTC "trainedAlgorithmicMedia", "urn:uuid:self", "Midjourney");
    cf_prov_signal s = read_built_store(&m, failures);
    CHECK(s.declares == CF_DECLARES_AI_GENERATED && strcmp(s.generator, "Midjourney") == 0);
    free(m.data);
    memset(&m, 0, sizeof m);
    for (int i = 0; i < CF_C2PA_MAX_MANIFESTS; i++) {
        char label[32], other[32];
        snprintf(label, sizeof label, "urn:uuid:%d", i);
        snprintf(other, sizeof other, "urn:uuid:%d", (i + 1) % CF_C2PA_MAX_MANIFESTS);
        put_manifest(&m, label, NULL, other, "Editor");
    }
    s = read_built_store(&m, failures);
    CHECK(s.declares == CF_DECLARES_OTHER);
    free(m.data);
}

/* ---- hostile JUMBF ---- */

/* Reads a store from raw bytes: the signal must say it is unreadable, with nothing declared. */
static void check_unreadable_store(const uint8_t *bytes, size_t n, const char *what, int *failures) {
    cf_provenance p;
    prov_init(&p);
    p.c2pa_store = malloc(n ? n : 1);
    if (!p.c2pa_store) return;
    memcpy(p.c2pa_store, bytes, n);
    p.c2pa_store_size = n;
    cf_error err = {{0}};
    CHECK_MSG(cf_c2pa_read(&p, &err) == 0 && p.c2pa_signal >= 0, "%s", what);
    if (p.c2pa_signal >= 0) {
        const cf_prov_signal *s = &p.signals[p.c2pa_signal];
        CHECK_MSG(s->declares == CF_DECLARES_NONE && strstr(s->problem, "unreadable"), "%s: %s", what, s->problem);
        CHECK_MSG(strncmp(p.unreadable, "metadata unreadable: ", 21) == 0, "%s: %s", what, p.unreadable);
    }
    prov_release(&p);
}

TEST(jumbf_lying_lengths) {
    cf_buffer m = {0}, store = {0};
    put_manifest(&m, "urn:uuid:x", IPTC "trainedAlgorithmicMedia", NULL, "Firefly");
    put_superbox(&store, "c2pa", &m);
    uint8_t *b = store.data;
    size_t n = store.len;
    /* the store's length: longer than the bytes, shorter than its header, 64-bit and huge */
    uint8_t *lie = malloc(n + 8);
    CHECK(lie != NULL);
    if (lie) {
        memcpy(lie, b, n);
        lie[0] = 0x7f;
        check_unreadable_store(lie, n, "LBox past the end", failures);
        memcpy(lie, b, n);
        lie[0] = lie[1] = lie[2] = 0, lie[3] = 4;
        check_unreadable_store(lie, n, "LBox below its header", failures);
        memcpy(lie, "\0\0\0\1jumb\xff\xff\xff\xff\xff\xff\xff\xff", 16);
        memcpy(lie + 16, b + 8, n - 8);
        check_unreadable_store(lie, n + 8, "XLBox of 2^64-1", failures);
        /* the description box's label without its NUL */
        memcpy(lie, b, n);
        size_t label_end = 8 + 8 + 17 + 4; /* "c2pa" */
        lie[label_end] = 'x';
        lie[8 + 3] = (uint8_t)(8 + 17 + 4); /* jumd ends right after the label: no NUL inside */
        check_unreadable_store(lie, n, "label without NUL", failures);
        /* a manifest whose length runs past the store */
        memcpy(lie, b, n);
        size_t manifest_at = 8 + 8 + 17 + 5;
        lie[manifest_at] = 0x7f;
        check_unreadable_store(lie, n, "manifest past the store", failures);
        check_unreadable_store(b, 7, "7 bytes", failures);
        check_unreadable_store(b, 0, "no bytes", failures);
        free(lie);
    }
    /* every truncation of a good store: read or refused, never more */
    for (size_t cut = 0; cut < n; cut += 7) {
        cf_provenance p;
        prov_init(&p);
        p.c2pa_store = malloc(cut ? cut : 1);
        if (!p.c2pa_store) break;
        memcpy(p.c2pa_store, b, cut);
        p.c2pa_store_size = cut;
        cf_error err = {{0}};
        CHECK(cf_c2pa_read(&p, &err) == 0);
        prov_release(&p);
    }
    free(m.data);
    free(store.data);
}

TEST(c2pa_mutated_shared_store) {
    /* Byte flips across the Firefly store, each read and verified: a clear status, never a crash or a
     * leak (the point of running this under AddressSanitizer). */
    size_t n;
    uint8_t *file = test_read_file(PROV_DIR "c2pa/adobe_firefly_photoshop_ocsp.jpg", &n);
    if (!file) {
        test_skip("../shared/provenance is absent");
        return;
    }
    cf_provenance whole;
    cf_error read_err = {{0}};
    CHECK(cf_provenance_read(file, n, &whole, &read_err) == 0);
    size_t store_n = whole.c2pa_store_size;
    uint8_t *store = whole.c2pa_store;
    whole.c2pa_store = NULL;
    cf_provenance_free(&whole);
    CHECK(store != NULL);
    cf_rng rng = cf_rng_make(27, 1, 2);
    for (int trial = 0; store && trial < 300; trial++) {
        cf_provenance p;
        prov_init(&p);
        p.c2pa_store = malloc(store_n);
        if (!p.c2pa_store) break;
        memcpy(p.c2pa_store, store, store_n);
        p.c2pa_store_size = store_n;
        /* the structure lives in the first and last few kilobytes (the thumbnail is in between) */
        for (int k = 0; k < 4; k++) {
            uint32_t at = cf_rng_below(&rng, 4096);
            size_t pos = cf_rng_below(&rng, 2) ? at : store_n - 1 - at;
            p.c2pa_store[pos] ^= (uint8_t)(1 + cf_rng_below(&rng, 255));
        }
        cf_error err = {{0}};
        CHECK(cf_c2pa_read(&p, &err) == 0);
        if (p.c2pa_signal >= 0) CHECK(c2pa_verify(&p, file, n, NULL, &err) == 0);
        if (p.c2pa_signal >= 0) CHECK(p.signals[p.c2pa_signal].verified != CF_VERIFIED_VALID);
        prov_release(&p);
    }
    free(store);
    free(file);
}

/* ---- the table the page is compared with ---- */

#define EXPECTED_TSV "tests/provenance/expected.tsv"

/* The whole native pipeline on one file: metadata, stealth bits, C2PA verification with the bundled
 * trust lists, and the verdict over an UNSURE pixel verdict. */
static void native_provenance(const uint8_t *file, size_t n, const c2pa_trust *trust, cf_provenance *p, cifake_result *r,
                              int *failures) {
    cf_error err = {{0}};
    CHECK(cf_provenance_read(file, n, p, &err) == 0);
    int w, h, comp;
    uint8_t *rgba = stbi_load_from_memory(file, (int)n, &w, &h, &comp, 4);
    if (rgba) CHECK(cf_provenance_read_stealth(p, rgba, w, h, &err) == 0);
    stbi_image_free(rgba);
    CHECK(c2pa_verify(p, file, n, trust, &err) == 0);
    memset(r, 0, sizeof *r);
    r->label = CIFAKE_UNSURE;
    cf_provenance_decide(p, r);
}

/* The generator of the first AI declaration that names one, "-" when none. */
static const char *ai_generator(const cf_provenance *p) {
    for (int i = 0; i < p->n_signals; i++)
        if (p->signals[i].declares >= CF_DECLARES_AI_EDITED && p->signals[i].generator[0]) return p->signals[i].generator;
    return "-";
}

TEST(provenance_expected_table_native) {
    size_t n;
    char *table = (char *)test_read_file(EXPECTED_TSV, &n);
    CHECK_MSG(table != NULL, "%s is missing (run from the repository root)", EXPECTED_TSV);
    if (!table) return;
    if (!c2pa_verify_available()) {
        test_skip("this build has no cryptography library: the table holds the native statuses");
        free(table);
        return;
    }
    c2pa_trust *trust = load_trust(failures);
    char *text = realloc(table, n + 1);
    if (text) table = text;
    table[n] = 0;
    int rows = 0, absent = 0;
    char *next = strchr(table, '\n'); /* after the header */
    for (char *line = next ? next + 1 : NULL; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char path[256], declares[32], status[32], label[16], generator[128];
        if (sscanf(line, "%255[^\t]\t%31[^\t]\t%31[^\t]\t%15[^\t]\t%127[^\n]", path, declares, status, label, generator) != 5) {
            CHECK_MSG(0, "bad row: %s", line);
            continue;
        }
        char full[512];
        snprintf(full, sizeof full, PROV_DIR "%s", path);
        size_t fn;
        uint8_t *file = test_read_file(full, &fn);
        if (!file) {
            absent++;
            continue;
        }
        cf_provenance p;
        cifake_result r;
        native_provenance(file, fn, trust, &p, &r, failures);
        const char *got_status = p.c2pa_signal >= 0 ? cf_verified_name(p.signals[p.c2pa_signal].verified) : "n/a";
        CHECK_MSG(strcmp(cf_declares_name(p.declares), declares) == 0, "%s: declares %s", path, cf_declares_name(p.declares));
        CHECK_MSG(strcmp(got_status, status) == 0, "%s: c2pa %s", path, got_status);
        CHECK_MSG(strcmp(cifake_label_name(r.label), label) == 0, "%s: label %s (%s)", path, cifake_label_name(r.label), r.reason);
        CHECK_MSG(strcmp(ai_generator(&p), generator) == 0, "%s: generator %s", path, ai_generator(&p));
        cf_provenance_free(&p);
        free(file);
        rows++;
    }
    if (absent) test_skip("../shared/provenance is absent");
    else CHECK_MSG(rows == 18, "%d rows", rows);
    c2pa_trust_free(trust);
    free(table);
}

/* ---- every status, with trust lists made here from the files' own certificates ---- */
#ifdef CF_WITH_OPENSSL
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

/* Writes DER certificates as a PEM list at path: 0 or -1. */
static int write_pem(const char *path, const cf_c2pa_bytes *certs, int n) {
    FILE *f = fopen(path, "w");
    int ok = f != NULL;
    for (int i = 0; ok && i < n; i++) {
        const unsigned char *q = certs[i].data;
        X509 *x = d2i_X509(NULL, &q, (long)certs[i].size);
        ok = x && PEM_write_X509(f, x) == 1;
        X509_free(x);
    }
    if (f) fclose(f);
    return ok ? 0 : -1;
}

/* Writes the certificates a time-stamp token carries (c2pa-rs stores a whole TimeStampResp). */
static int write_token_pem(const char *path, cf_c2pa_bytes token) {
    const unsigned char *q = token.data;
    TS_RESP *resp = d2i_TS_RESP(NULL, &q, (long)token.size);
    PKCS7 *p7 = resp ? TS_RESP_get_token(resp) : NULL;
    STACK_OF(X509) *certs = p7 && PKCS7_type_is_signed(p7) ? p7->d.sign->cert : NULL;
    FILE *f = certs ? fopen(path, "w") : NULL;
    int ok = f != NULL;
    for (int i = 0; ok && i < sk_X509_num(certs); i++) ok = PEM_write_X509(f, sk_X509_value(certs, i)) == 1;
    if (f) fclose(f);
    TS_RESP_free(resp);
    return ok ? 0 : -1;
}

/* Verifies the Firefly file with signers_pem / tsa_pem as the trust lists. */
static cf_prov_signal firefly_with(const char *signers_pem, const char *tsa_pem, int *failures) {
    cf_prov_signal s = {0};
    cf_provenance p;
    uint8_t *file;
    size_t n;
    c2pa_trust *trust = NULL;
    cf_error err = {{0}};
    CHECK_MSG(c2pa_trust_load(signers_pem, tsa_pem, &trust, &err) == 0, "%s", err.msg);
    if (read_c2pa("c2pa/adobe_firefly_photoshop_ocsp.jpg", &p, &file, &n, failures) == 0) {
        CHECK(c2pa_verify(&p, file, n, trust, &err) == 0);
        s = p.signals[p.c2pa_signal];
    }
    free(file);
    prov_release(&p);
    c2pa_trust_free(trust);
    return s;
}

TEST(c2pa_verify_statuses_with_lists_made_here) {
    cf_provenance p;
    uint8_t *file;
    size_t n;
    if (read_c2pa("c2pa/adobe_firefly_photoshop_ocsp.jpg", &p, &file, &n, failures) != 0) {
        free(file);
        prov_release(&p);
        return;
    }
    /* The signature's own certificates and its time stamp's authority, as trust lists. */
    cf_c2pa_store *store = malloc(sizeof *store);
    cf_cose_sign1 cose;
    cf_error err = {{0}};
    const char *issuer = "build/test-c2pa-adobe-issuer.pem", *tsa = "build/test-c2pa-firefly-tsa.pem";
    int ready = store && cf_c2pa_parse_store(p.c2pa_store, p.c2pa_store_size, store, &err) == 0 &&
                cf_cose_sign1_parse(store->manifests[store->active].signature, &cose, &err) == 0 && cose.n_certs == 2 &&
                cose.n_timestamps == 1 && write_pem(issuer, &cose.certs[1], 1) == 0 &&
                write_token_pem(tsa, cose.timestamps[0]) == 0;
    CHECK_MSG(ready, "%s", err.msg);
    free(store);
    free(file);
    prov_release(&p);
    if (!ready) return;

    /* Adobe's issuing CA trusted, and the time stamp's authority: valid at the time-stamped signing
     * time (Aug 2025), although the certificate has expired since (Oct 2025). */
    cf_prov_signal s = firefly_with(issuer, tsa, failures);
    CHECK_MSG(s.verified == CF_VERIFIED_VALID && strcmp(s.signer, "Adobe Inc.") == 0, "%d %s", (int)s.verified, s.problem);
    /* The same without a trusted time stamp: checked now, when the certificate has expired. */
    s = firefly_with(issuer, C2PA_TRUST_TSA, failures);
    CHECK_MSG(s.verified == CF_VERIFIED_EXPIRED && strstr(s.problem, "certificate expired") &&
                  strstr(s.problem, "time-stamping trust list"), "%d %s", (int)s.verified, s.problem);
    /* An authority the list does not hold: untrusted, the signer named. */
    s = firefly_with(tsa, tsa, failures);
    CHECK_MSG(s.verified == CF_VERIFIED_UNTRUSTED && strcmp(s.signer, "Adobe Inc.") == 0, "%d %s", (int)s.verified, s.problem);
    remove(issuer);
    remove(tsa);
}

/* A manifest signed here, end to end, with each COSE algorithm the verifier takes: a self-signed
 * certificate (trusted through a list made here), an actions assertion, a hard binding over `file`
 * with one exclusion, a claim referencing both, and a COSE_Sign1 over the claim. */

typedef struct {
    const char *name;
    int64_t cose_alg;
    const char *key_type, *curve; /* EVP_PKEY_Q_keygen arguments */
    const EVP_MD *(*md)(void);     /* NULL: Ed25519 */
    int pss, ec_bytes;
} test_alg;

static X509 *self_signed(EVP_PKEY *key, const EVP_MD *md) {
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x && name && X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), 27) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x), -86400) && X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cifake test signer", -1, -1, 0) == 1 &&
             X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, key) == 1 &&
             X509_sign(x, key, md) > 0;
    X509_NAME_free(name);
    if (!ok) X509_free(x);
    return ok ? x : NULL;
}

/* The COSE signature of tbs: raw r||s for ECDSA, PSS with the hash's length as salt for RSA. */
static int cose_sign(EVP_PKEY *key, const test_alg *a, const cf_buffer *tbs, cf_buffer *sig) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = a->md ? a->md() : NULL;
    unsigned char der[1024];
    size_t len = sizeof der;
    int ok = ctx && EVP_DigestSignInit(ctx, &pctx, md, NULL, key) == 1;
    if (ok && a->pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    ok = ok && EVP_DigestSign(ctx, der, &len, tbs->data, tbs->len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return -1;
    if (!a->ec_bytes) {
        cf_buffer_append(sig, der, len);
        return 0;
    }
    const unsigned char *q = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)len);
    unsigned char raw[2 * 66];
    const BIGNUM *r, *s;
    if (!es) return -1;
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, raw, a->ec_bytes) == a->ec_bytes && BN_bn2binpad(s, raw + a->ec_bytes, a->ec_bytes) == a->ec_bytes;
    ECDSA_SIG_free(es);
    if (ok) cf_buffer_append(sig, raw, 2 * (size_t)a->ec_bytes);
    return ok ? 0 : -1;
}

static void put_bytes(cf_buffer *b, const void *data, size_t n) {
    cf_cbor_put_head(b, CF_CBOR_BYTES, n);
    cf_buffer_append(b, data, n);
}

/* A hashed URI {url, hash} of an assertion superbox (its payload after the 8-byte header). */
static void put_ref(cf_buffer *b, const char *label, const cf_buffer *superbox) {
    char url[96];
    unsigned char h[32];
    snprintf(url, sizeof url, "self#jumbf=c2pa.assertions/%s", label);
    SHA256(superbox->data + 8, superbox->len - 8, h);
    cf_cbor_put_head(b, CF_CBOR_MAP, 2);
    put_text(b, "url");
    put_text(b, url);
    put_text(b, "hash");
    put_bytes(b, h, 32);
}

/* The whole store for file[0..n) (excluding bytes [100, 150)), signed with key under a; its hard
 * binding is labelled binding_label (c2pa.hash.data, or c2pa.hash.boxes to stand for a binding the
 * verifier does not check). */
static int signed_store(EVP_PKEY *key, X509 *cert, const test_alg *a, const uint8_t *file, size_t n, const char *binding_label,
                        cf_buffer *store) {
    cf_buffer actions = {0}, binding = {0}, actions_box = {0}, binding_box = {0}, assertions = {0}, a_store = {0};
    cf_buffer claim = {0}, claim_box = {0}, prot = {0}, tbs = {0}, sig = {0}, cose = {0}, sig_box = {0}, m = {0}, manifest = {0};
    cf_cbor_put_head(&actions, CF_CBOR_MAP, 1);
    put_text(&actions, "actions");
    cf_cbor_put_head(&actions, CF_CBOR_ARRAY, 1);
    cf_cbor_put_head(&actions, CF_CBOR_MAP, 3);
    put_text(&actions, "action"), put_text(&actions, "c2pa.created");
    put_text(&actions, "digitalSourceType"), put_text(&actions, IPTC "trainedAlgorithmicMedia");
    put_text(&actions, "softwareAgent"), put_text(&actions, "Imagen 4");
    put_cbor_assertion(&actions_box, "c2pa.actions", &actions);
    unsigned char h[32];
    EVP_MD_CTX *sc = EVP_MD_CTX_new();
    int hashed = sc && EVP_DigestInit_ex(sc, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(sc, file, 100) == 1 &&
                 EVP_DigestUpdate(sc, file + 150, n - 150) == 1 && EVP_DigestFinal_ex(sc, h, NULL) == 1;
    EVP_MD_CTX_free(sc);
    if (!hashed) memset(h, 0, sizeof h);
    cf_cbor_put_head(&binding, CF_CBOR_MAP, 3);
    put_text(&binding, "exclusions");
    cf_cbor_put_head(&binding, CF_CBOR_ARRAY, 1);
    cf_cbor_put_head(&binding, CF_CBOR_MAP, 2);
    put_text(&binding, "start"), cf_cbor_put_head(&binding, CF_CBOR_UINT, 100);
    put_text(&binding, "length"), cf_cbor_put_head(&binding, CF_CBOR_UINT, 50);
    put_text(&binding, "alg"), put_text(&binding, "sha256");
    put_text(&binding, "hash"), put_bytes(&binding, h, 32);
    put_cbor_assertion(&binding_box, binding_label, &binding);
    cf_buffer_append(&assertions, actions_box.data, actions_box.len);
    cf_buffer_append(&assertions, binding_box.data, binding_box.len);
    put_superbox(&a_store, "c2pa.assertions", &assertions);
    cf_cbor_put_head(&claim, CF_CBOR_MAP, 3);
    put_text(&claim, "claim_generator"), put_text(&claim, "cifake_test/1.0");
    put_text(&claim, "alg"), put_text(&claim, "sha256");
    put_text(&claim, "assertions");
    cf_cbor_put_head(&claim, CF_CBOR_ARRAY, 2);
    put_ref(&claim, "c2pa.actions", &actions_box);
    put_ref(&claim, binding_label, &binding_box);
    put_box(&claim_box, "cbor", claim.data, claim.len);
    /* COSE_Sign1: protected {1: alg, 33: certificate}, unprotected {}, detached payload */
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    cf_cbor_put_head(&prot, CF_CBOR_MAP, 2);
    cf_cbor_put_head(&prot, CF_CBOR_UINT, 1);
    cf_cbor_put_head(&prot, a->cose_alg < 0 ? CF_CBOR_NEGINT : CF_CBOR_UINT, (uint64_t)(-1 - a->cose_alg));
    cf_cbor_put_head(&prot, CF_CBOR_UINT, 33);
    put_bytes(&prot, der, der_len > 0 ? (size_t)der_len : 0);
    OPENSSL_free(der);
    cf_cose_sign1 c;
    memset(&c, 0, sizeof c);
    c.protected_header.data = prot.data;
    c.protected_header.size = prot.len;
    cf_c2pa_bytes payload = {claim.data, claim.len};
    cf_cose_sig_structure(&c, payload, &tbs);
    int ok = !tbs.failed && cose_sign(key, a, &tbs, &sig) == 0;
    cf_cbor_put_head(&cose, CF_CBOR_TAG, 18);
    cf_cbor_put_head(&cose, CF_CBOR_ARRAY, 4);
    put_bytes(&cose, prot.data, prot.len);
    cf_cbor_put_head(&cose, CF_CBOR_MAP, 0);
    cf_cbor_put_head(&cose, CF_CBOR_SIMPLE, 22); /* null: the claim is the detached payload */
    put_bytes(&cose, sig.data, sig.len);
    put_box(&sig_box, "cbor", cose.data, cose.len);
    cf_buffer_append(&m, a_store.data, a_store.len);
    put_superbox(&m, "c2pa.claim", &claim_box);
    put_superbox(&m, "c2pa.signature", &sig_box);
    put_superbox(&manifest, "urn:uuid:signed-here", &m);
    put_superbox(store, "c2pa", &manifest);
    cf_buffer *all[] = {&actions, &binding, &actions_box, &binding_box, &assertions, &a_store, &claim, &claim_box,
                        &prot, &tbs, &sig, &cose, &sig_box, &m, &manifest};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i]->failed) ok = 0;
        free(all[i]->data);
    }
    return ok && !store->failed ? 0 : -1;
}

/* Verifies store against file with trust; returns the C2PA signal. */
static cf_prov_signal verify_store(const cf_buffer *store, const uint8_t *file, size_t n, const c2pa_trust *trust, int *failures) {
    cf_provenance p;
    prov_init(&p);
    cf_prov_signal s = {0};
    p.c2pa_store = malloc(store->len);
    if (!p.c2pa_store) return s;
    memcpy(p.c2pa_store, store->data, store->len);
    p.c2pa_store_size = store->len;
    cf_error err = {{0}};
    CHECK(cf_c2pa_read(&p, &err) == 0 && p.c2pa_signal >= 0);
    CHECK(c2pa_verify(&p, file, n, trust, &err) == 0);
    if (p.c2pa_signal >= 0) s = p.signals[p.c2pa_signal];
    prov_release(&p);
    return s;
}

TEST(c2pa_signed_here_every_algorithm) {
    static const test_alg algs[] = {
        {"ES256", -7, "EC", "P-256", EVP_sha256, 0, 32},   {"ES384", -35, "EC", "P-384", EVP_sha384, 0, 48},
        {"ES512", -36, "EC", "P-521", EVP_sha512, 0, 66},  {"PS256", -37, "RSA", NULL, EVP_sha256, 1, 0},
        {"PS384", -38, "RSA", NULL, EVP_sha384, 1, 0},     {"PS512", -39, "RSA", NULL, EVP_sha512, 1, 0},
        {"Ed25519", -8, "ED25519", NULL, NULL, 0, 0},
    };
    uint8_t file[1000];
    for (size_t i = 0; i < sizeof file; i++) file[i] = (uint8_t)(i * 7 + 3);
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    CHECK(rsa != NULL);
    for (size_t k = 0; k < sizeof algs / sizeof algs[0]; k++) {
        const test_alg *a = &algs[k];
        EVP_PKEY *key = a->pss ? rsa : a->curve ? EVP_PKEY_Q_keygen(NULL, NULL, a->key_type, a->curve)
                                                : EVP_PKEY_Q_keygen(NULL, NULL, a->key_type);
        X509 *cert = key ? self_signed(key, a->md ? a->md() : NULL) : NULL;
        cf_buffer store = {0};
        char pem[64];
        snprintf(pem, sizeof pem, "build/test-c2pa-signer-%s.pem", a->name);
        FILE *f = cert ? fopen(pem, "w") : NULL;
        int ready = f && PEM_write_X509(f, cert) == 1;
        if (f) fclose(f);
        ready = ready && signed_store(key, cert, a, file, sizeof file, "c2pa.hash.data", &store) == 0;
        CHECK_MSG(ready, "%s: could not sign", a->name);
        c2pa_trust *trust = NULL;
        cf_error err = {{0}};
        if (ready) CHECK_MSG(c2pa_trust_load(pem, NULL, &trust, &err) == 0, "%s", err.msg);
        if (ready && trust) {
            cf_prov_signal s = verify_store(&store, file, sizeof file, trust, failures);
            CHECK_MSG(s.verified == CF_VERIFIED_VALID && strcmp(s.signer, "cifake test signer") == 0, "%s: %d %s", a->name,
                      (int)s.verified, s.problem);
            CHECK_MSG(s.declares == CF_DECLARES_AI_GENERATED && strcmp(s.generator, "Google Imagen") == 0, "%s: %s", a->name, s.generator);
            /* a byte inside the exclusion is free to change; one outside is not */
            file[120] ^= 1;
            s = verify_store(&store, file, sizeof file, trust, failures);
            CHECK_MSG(s.verified == CF_VERIFIED_VALID, "%s: excluded byte: %d %s", a->name, (int)s.verified, s.problem);
            file[120] ^= 1;
            file[500] ^= 1;
            s = verify_store(&store, file, sizeof file, trust, failures);
            CHECK_MSG(s.verified == CF_VERIFIED_INVALID && strstr(s.problem, "pixels changed"), "%s: %d %s", a->name, (int)s.verified, s.problem);
            file[500] ^= 1;
            /* the signature's last byte changed */
            store.data[store.len - 1] ^= 0x40;
            s = verify_store(&store, file, sizeof file, trust, failures);
            CHECK_MSG(s.verified == CF_VERIFIED_INVALID && strstr(s.problem, "signature invalid"), "%s: %d %s", a->name, (int)s.verified, s.problem);
            store.data[store.len - 1] ^= 0x40;
            /* not on the list: untrusted, the signer named */
            s = verify_store(&store, file, sizeof file, NULL, failures);
            CHECK_MSG(s.verified == CF_VERIFIED_UNTRUSTED && strcmp(s.signer, "cifake test signer") == 0, "%s: %d", a->name, (int)s.verified);
            /* bound by a box hash, which this verifier does not check: said so, not called valid */
            cf_buffer boxes = {0};
            CHECK(signed_store(key, cert, a, file, sizeof file, "c2pa.hash.boxes", &boxes) == 0);
            s = verify_store(&boxes, file, sizeof file, trust, failures);
            CHECK_MSG(s.verified == CF_VERIFIED_NOT_CHECKED && strstr(s.problem, "box or BMFF hash"), "%s: %d %s", a->name,
                      (int)s.verified, s.problem);
            free(boxes.data);
        }
        c2pa_trust_free(trust);
        free(store.data);
        X509_free(cert);
        if (key != rsa) EVP_PKEY_free(key);
        remove(pem);
    }
    EVP_PKEY_free(rsa);
}
#endif

TEST(c2pa_trust_load_errors) {
    c2pa_trust *trust = NULL;
    cf_error err = {{0}};
    CHECK(c2pa_trust_load("tests/provenance/no-such-list.pem", NULL, &trust, &err) != 0 && trust == NULL);
    CHECK_MSG(err.msg[0] != 0, "no message");
    CHECK(c2pa_trust_load(EXPECTED_TSV, NULL, &trust, &err) != 0 && trust == NULL); /* not PEM */
}
