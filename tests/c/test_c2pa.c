/* C2PA manifest stores (src/c2pa.c, cbor.c, jumbf.c) and their verification
 * (trainer/lib/c2pa_verify.c) on the shared C2PA files of ../shared/provenance, a manifest moved onto
 * another JPEG, and hostile CBOR and JUMBF. Paths are relative to the repository root. */
#include <stdlib.h>
#include <string.h>

#include "c2pa.h"
#include "cbor.h"
#include "jumbf.h"
#include "test.h"

#define PROV_DIR "../shared/provenance/"

/* ---- helpers ---- */

/* Reassembles the C2PA manifest store from a JPEG's APP11 segments (JPEG XT boxes: "JP", box
 * instance, sequence number, then the superbox; continuation segments repeat its 8-byte header). Only
 * the first box instance is kept. NULL when the JPEG has none. */
static uint8_t *jpeg_store(const uint8_t *f, size_t n, size_t *size) {
    uint8_t *out = NULL;
    size_t len = 0;
    int instance = -1;
    size_t pos = 2;
    while (pos + 4 <= n && f[pos] == 0xff) {
        int marker = f[pos + 1];
        if (marker == 0xda || marker == 0xd9) break;
        size_t seg = ((size_t)f[pos + 2] << 8) | f[pos + 3];
        if (seg < 2 || pos + 2 + seg > n) break;
        const uint8_t *d = f + pos + 4;
        size_t dn = seg - 2;
        if (marker == 0xeb && dn >= 16 && d[0] == 'J' && d[1] == 'P') {
            int en = (d[2] << 8) | d[3];
            if (instance < 0) instance = en;
            if (en == instance) {
                size_t skip = len == 0 ? 8 : 16; /* later segments repeat LBox and TBox */
                if (dn > skip) {
                    uint8_t *grown = realloc(out, len + dn - skip);
                    if (!grown) break;
                    out = grown;
                    memcpy(out + len, d + skip, dn - skip);
                    len += dn - skip;
                }
            }
        }
        pos += 2 + seg;
    }
    *size = len;
    return out;
}

static void prov_init(cf_provenance *p) {
    memset(p, 0, sizeof *p);
    p->c2pa_signal = -1;
}

static void prov_release(cf_provenance *p) {
    for (int i = 0; i < p->n_fields; i++) free(p->fields[i].value);
    for (int i = 0; i < p->n_signals; i++) free(p->signals[i].prompt);
    free(p->c2pa_store);
    memset(p, 0, sizeof *p);
}

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
    p->c2pa_store = jpeg_store(*file, *n, &p->c2pa_store_size);
    CHECK_MSG(p->c2pa_store != NULL, "%s: no APP11 store", rel);
    cf_error err = {{0}};
    CHECK_MSG(cf_c2pa_read(p, &err) == 0, "%s: %s", rel, err.msg);
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
            CHECK(p.declares == s->declares);
        }
        int skipped = !file;
        free(file);
        prov_release(&p);
        if (skipped) return;
    }
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

#include "c2pa_verify.h"

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
