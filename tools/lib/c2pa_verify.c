/* c2pa_verify.c - C2PA verification with OpenSSL's libcrypto (c2pa_verify.h). No cryptography is
 * written here: hashes, signatures, certificate chains and time-stamp tokens are OpenSSL's; this file
 * only assembles the bytes C2PA says are signed or hashed (src/c2pa.c parses them) and maps the
 * results to the statuses a user reads. */
#include "c2pa_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2pa.h"
#include "cbor.h"
#include "fileio.h"

/* Records a result in the C2PA signal (and the declaration it now supports). */
static void set_status(cf_provenance *p, cf_verified v, const char *signer, const char *problem) {
    cf_provenance_set_c2pa_status(p, v, signer ? signer : "", problem ? problem : "");
}

#ifndef CF_WITH_OPENSSL

int c2pa_verify_available(void) { return 0; }

int c2pa_trust_load(const char *signers_pem, const char *tsa_pem, c2pa_trust **out, cf_error *err) {
    (void)signers_pem;
    (void)tsa_pem;
    *out = NULL;
    return cf_fail(err, "C2PA trust lists: this build has no cryptography library");
}

void c2pa_trust_free(c2pa_trust *trust) { (void)trust; }

int c2pa_verify(cf_provenance *p, const uint8_t *file, size_t n, const c2pa_trust *trust, cf_error *err) {
    (void)file;
    (void)n;
    (void)trust;
    (void)err;
    set_status(p, CF_VERIFIED_NOT_CHECKED, NULL, "not checked: this build has no cryptography library");
    return 0;
}

#else

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

struct c2pa_trust {
    X509_STORE *signers, *tsa;
};

int c2pa_verify_available(void) { return 1; }

/* A store of every certificate in a PEM file; NULL with err set when none could be read. */
static X509_STORE *load_store(const char *path, cf_error *err) {
    X509_STORE *store = X509_STORE_new();
    if (!store) return NULL;
    if (X509_STORE_load_file(store, path) != 1) {
        X509_STORE_free(store);
        ERR_clear_error();
        cf_fail(err, "%s: cannot read a PEM certificate list", path);
        return NULL;
    }
    /* The lists hold issuing CAs as well as roots: an anchor need not be self-signed. */
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    return store;
}

int c2pa_trust_load(const char *signers_pem, const char *tsa_pem, c2pa_trust **out, cf_error *err) {
    *out = NULL;
    c2pa_trust *t = calloc(1, sizeof *t);
    if (!t) return cf_fail(err, "out of memory");
    t->signers = load_store(signers_pem, err);
    if (t->signers && tsa_pem) t->tsa = load_store(tsa_pem, err);
    if (!t->signers || (tsa_pem && !t->tsa)) {
        c2pa_trust_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

void c2pa_trust_free(c2pa_trust *t) {
    if (!t) return;
    X509_STORE_free(t->signers);
    X509_STORE_free(t->tsa);
    free(t);
}

/* ---- hashes ---- */

static const EVP_MD *digest_named(const char *alg) {
    if (!alg[0] || strcmp(alg, "sha256") == 0) return EVP_sha256();
    if (strcmp(alg, "sha384") == 0) return EVP_sha384();
    if (strcmp(alg, "sha512") == 0) return EVP_sha512();
    return NULL;
}

static int digest_equals(const EVP_MD *md, const uint8_t *data, size_t n, const uint8_t *want, size_t want_len) {
    unsigned char got[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data, n, got, &len, md, NULL) != 1) return 0;
    return len == want_len && memcmp(got, want, len) == 0;
}

typedef struct {
    const cf_c2pa_store *store;
    const cf_c2pa_manifest *m;
    const EVP_MD *md;
    char failed[128]; /* the label of the first assertion whose hash fails */
} refs_check;

/* A claim's hashed URI: the assertion superbox's payload (after its box header) must hash to it. */
static int check_ref(void *ctx, const char *uri, size_t uri_len, const uint8_t *hash, size_t hash_len) {
    refs_check *rc = ctx;
    cf_jumbf j;
    /* "self#jumbf=c2pa.assertions/..." is in this manifest; an absolute URI may name another one */
    const cf_c2pa_manifest *in = cf_c2pa_find_manifest(rc->store, uri, uri_len);
    int found = cf_c2pa_find_assertion(in ? in : rc->m, uri, uri_len, &j);
    if (found == 1 && digest_equals(rc->md, j.box.payload, j.box.payload_size, hash, hash_len)) return 0;
    const char *slash = memchr(uri, '/', uri_len);
    size_t from = slash ? (size_t)(slash - uri) + 1 : 0;
    snprintf(rc->failed, sizeof rc->failed, "%.*s%s", (int)(uri_len - from < 100 ? uri_len - from : 100), uri + from,
             found == 1 ? " changed after signing" : " is missing");
    return 1;
}

/* The walk over the manifests the active one reaches through its ingredients (each at most once). */
typedef struct {
    const cf_c2pa_store *store;
    const EVP_MD *md;
    int queue[CF_C2PA_MAX_MANIFESTS], queued[CF_C2PA_MAX_MANIFESTS], n_queued;
    char failed[160];
} ingredients_check;

/* An ingredient's manifest, which the claim signed through the ingredient assertion's hash of its
 * box: what it declares (e.g. a generator's text-to-image action) is bound to this signature only
 * if the box is unchanged. Its own ingredients are then checked the same way. */
static int check_ingredient(void *ctx, const char *uri, size_t uri_len, const uint8_t *hash, size_t hash_len) {
    ingredients_check *ic = ctx;
    const cf_c2pa_manifest *im = cf_c2pa_find_manifest(ic->store, uri, uri_len);
    if (!im) return 0; /* not in this store: nothing of it is used */
    if (!digest_equals(ic->md, im->box.box.payload, im->box.box.payload_size, hash, hash_len)) {
        snprintf(ic->failed, sizeof ic->failed, "the manifest of an ingredient (%.100s) changed after signing", im->box.label);
        return 1;
    }
    int k = (int)(im - ic->store->manifests);
    if (!ic->queued[k]) {
        ic->queued[k] = 1;
        ic->queue[ic->n_queued++] = k;
    }
    return 0;
}

/* 0 when every manifest reached through ingredients is the one signed for, else non-zero with the
 * reason in ic->failed. */
static int check_ingredients(ingredients_check *ic, int active) {
    ic->queue[0] = active;
    ic->queued[active] = 1;
    ic->n_queued = 1;
    for (int next = 0; next < ic->n_queued; next++) {
        int r = cf_c2pa_ingredient_manifests(&ic->store->manifests[ic->queue[next]], check_ingredient, ic);
        if (r < 0) snprintf(ic->failed, sizeof ic->failed, "an ingredient assertion is malformed");
        if (r) return r;
    }
    return 0;
}

/* Sorts exclusions by start (insertion sort: at most CF_C2PA_MAX_EXCLUSIONS). */
static void sort_exclusions(cf_c2pa_hash_data *h) {
    for (int i = 1; i < h->n_exclusions; i++)
        for (int j = i; j > 0 && h->exclusions[j].start < h->exclusions[j - 1].start; j--) {
            uint64_t s = h->exclusions[j].start, l = h->exclusions[j].length;
            h->exclusions[j] = h->exclusions[j - 1];
            h->exclusions[j - 1].start = s;
            h->exclusions[j - 1].length = l;
        }
}

/* c2pa.hash.data: 1 match, 0 mismatch (why in problem), -1 not checkable (why in problem). */
static int check_data_hash(cf_c2pa_hash_data *h, const char *claim_alg, const uint8_t *file, size_t n, char *problem, size_t cap) {
    const EVP_MD *md = digest_named(h->alg[0] ? h->alg : claim_alg);
    if (!md) {
        snprintf(problem, cap, "not checked: hash algorithm \"%s\" is not supported", h->alg[0] ? h->alg : claim_alg);
        return -1;
    }
    sort_exclusions(h);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1;
    uint64_t at = 0;
    for (int i = 0; ok && i < h->n_exclusions; i++) {
        uint64_t start = h->exclusions[i].start, len = h->exclusions[i].length;
        if (start < at || start > n || len > n - start) {
            EVP_MD_CTX_free(ctx);
            snprintf(problem, cap, "pixels changed after signing: the signed exclusion ranges do not fit this file");
            return 0;
        }
        ok = EVP_DigestUpdate(ctx, file + at, (size_t)(start - at)) == 1;
        at = start + len;
    }
    unsigned char got[EVP_MAX_MD_SIZE];
    unsigned int got_len = 0;
    ok = ok && EVP_DigestUpdate(ctx, file + at, n - (size_t)at) == 1 && EVP_DigestFinal_ex(ctx, got, &got_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        snprintf(problem, cap, "not checked: the hash could not be computed");
        return -1;
    }
    if (got_len == h->hash.size && memcmp(got, h->hash.data, got_len) == 0) return 1;
    snprintf(problem, cap, "pixels changed after signing (the file's hash does not match the signed one)");
    return 0;
}

/* ---- COSE signature ---- */

/* COSE's ECDSA signature is r||s, each the curve's size; OpenSSL verifies DER ECDSA-Sig-Value. */
static unsigned char *ecdsa_raw_to_der(const uint8_t *sig, size_t n, int *der_len) {
    if (n == 0 || n % 2 != 0) return NULL;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(n / 2), NULL), *s = BN_bin2bn(sig + n / 2, (int)(n / 2), NULL);
    unsigned char *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        *der_len = i2d_ECDSA_SIG(es, &der);
        if (*der_len <= 0) der = NULL;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return der;
}

/* 1 valid, 0 invalid, -1 unsupported algorithm (why in problem). */
static int check_cose_signature(const cf_cose_sign1 *cose, X509 *leaf, cf_c2pa_bytes payload, char *problem, size_t cap) {
    const EVP_MD *md = NULL;
    int ec = 0, pss = 0, key_type;
    switch (cose->has_alg ? cose->alg : 0) {
    case -7: md = EVP_sha256(); ec = 1; key_type = EVP_PKEY_EC; break;
    case -35: md = EVP_sha384(); ec = 1; key_type = EVP_PKEY_EC; break;
    case -36: md = EVP_sha512(); ec = 1; key_type = EVP_PKEY_EC; break;
    case -37: md = EVP_sha256(); pss = 1; key_type = EVP_PKEY_RSA; break;
    case -38: md = EVP_sha384(); pss = 1; key_type = EVP_PKEY_RSA; break;
    case -39: md = EVP_sha512(); pss = 1; key_type = EVP_PKEY_RSA; break;
    case -8: key_type = EVP_PKEY_ED25519; break;
    default:
        snprintf(problem, cap, "not checked: signature algorithm %lld is not supported", (long long)cose->alg);
        return -1;
    }
    EVP_PKEY *key = X509_get0_pubkey(leaf);
    if (!key || (EVP_PKEY_base_id(key) != key_type && !(pss && EVP_PKEY_base_id(key) == EVP_PKEY_RSA_PSS))) {
        snprintf(problem, cap, "signature invalid: the certificate's key does not fit the signature algorithm");
        return 0;
    }
    cf_buffer tbs = {0};
    cf_cose_sig_structure(cose, payload, &tbs);
    const unsigned char *sig = cose->signature.data;
    size_t sig_len = cose->signature.size;
    unsigned char *der = NULL;
    int der_len = 0, ok = 0;
    if (ec && (der = ecdsa_raw_to_der(sig, sig_len, &der_len)) != NULL) {
        sig = der;
        sig_len = (size_t)der_len;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (!tbs.failed && ctx && (!ec || der) && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) == 1) {
        int setup = !pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1);
        ok = setup && EVP_DigestVerify(ctx, sig, sig_len, tbs.data, tbs.len) == 1;
    }
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    free(tbs.data);
    ERR_clear_error();
    if (!ok) snprintf(problem, cap, "signature invalid: the claim's signature does not match its certificate");
    return ok;
}

/* ---- time stamps ---- */

/* The bytes an RFC 3161 time stamp in C2PA covers: ["CounterSignature", protected, h'', payload],
 * whose payload is the claim (v1, sigTst) or the CBOR byte string of the signature (v2, sigTst2). */
static void timestamped_bytes(const cf_cose_sign1 *cose, cf_c2pa_bytes claim, cf_buffer *out) {
    static const char context[] = "CounterSignature";
    cf_buffer payload = {0};
    if (cose->timestamp_version == 2) {
        cf_cbor_put_head(&payload, 2, cose->signature.size);
        cf_buffer_append(&payload, cose->signature.data, cose->signature.size);
    } else {
        cf_buffer_append(&payload, claim.data, claim.size);
    }
    cf_cbor_put_head(out, 4, 4);
    cf_cbor_put_head(out, 3, sizeof context - 1);
    cf_buffer_append(out, context, sizeof context - 1);
    cf_cbor_put_head(out, 2, cose->protected_header.size);
    cf_buffer_append(out, cose->protected_header.data, cose->protected_header.size);
    cf_cbor_put_head(out, 2, 0);
    cf_cbor_put_head(out, 2, payload.len);
    cf_buffer_append(out, payload.data, payload.len);
    if (payload.failed) out->failed = 1;
    free(payload.data);
}

/* A token as C2PA stores it: a TimeStampResp (c2pa-rs v1) or the TimeStampToken (ContentInfo) alone. */
static PKCS7 *read_token(cf_c2pa_bytes t) {
    const unsigned char *q = t.data;
    TS_RESP *resp = d2i_TS_RESP(NULL, &q, (long)t.size);
    if (resp) {
        PKCS7 *token = TS_RESP_get_token(resp);
        token = token ? PKCS7_dup(token) : NULL;
        TS_RESP_free(resp);
        return token;
    }
    ERR_clear_error();
    q = t.data;
    return d2i_PKCS7(NULL, &q, (long)t.size);
}

/* Whether the token's message imprint is the hash of the bytes C2PA says it covers. */
static int imprint_matches(TS_TST_INFO *info, const cf_buffer *covered) {
    TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(info);
    const EVP_MD *md = mi ? EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(mi)->algorithm) : NULL;
    ASN1_OCTET_STRING *want = mi ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
    return md && want && digest_equals(md, covered->data, covered->len, ASN1_STRING_get0_data(want), (size_t)ASN1_STRING_length(want));
}

/* The token's signature and its authority's chain against the TSA trust list (OpenSSL's check). */
static int token_trusted(PKCS7 *token, X509_STORE *tsa) {
    TS_VERIFY_CTX *vctx = TS_VERIFY_CTX_new();
    int ok = 0;
    if (vctx && X509_STORE_up_ref(tsa) == 1) {
        TS_VERIFY_CTX_set_store(vctx, tsa); /* the context owns one reference */
        TS_VERIFY_CTX_set_flags(vctx, TS_VFY_SIGNATURE);
        ok = TS_RESP_verify_token(vctx, token) == 1;
    }
    TS_VERIFY_CTX_free(vctx);
    return ok;
}

static int seconds_since_epoch(const ASN1_GENERALIZEDTIME *t, time_t *when) {
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0, secs = 0, ok = epoch && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;
    ASN1_TIME_free(epoch);
    if (ok) *when = (time_t)days * 86400 + secs;
    return ok;
}

/* The signing time from the first time stamp that covers this signature and whose authority is on
 * the TSA list: 1 and *when, else 0 with the reason in note. An authority outside the list could
 * date an expired certificate back into its validity, so its time is not used. */
static int signing_time(const cf_cose_sign1 *cose, cf_c2pa_bytes claim, X509_STORE *tsa, time_t *when, char *note, size_t cap) {
    if (cose->n_timestamps == 0) {
        snprintf(note, cap, "no time stamp");
        return 0;
    }
    if (!tsa) {
        snprintf(note, cap, "no time-stamping authority list loaded");
        return 0;
    }
    cf_buffer covered = {0};
    timestamped_bytes(cose, claim, &covered);
    int found = 0;
    snprintf(note, cap, "the time stamp is unreadable");
    for (int i = 0; !found && !covered.failed && i < cose->n_timestamps; i++) {
        PKCS7 *token = read_token(cose->timestamps[i]);
        TS_TST_INFO *info = token ? PKCS7_to_TS_TST_INFO(token) : NULL;
        if (!info) {
            /* unreadable: the note already says so, or keeps an earlier token's reason */
        } else if (!imprint_matches(info, &covered)) {
            snprintf(note, cap, "the time stamp does not cover this signature");
        } else if (!token_trusted(token, tsa)) {
            snprintf(note, cap, "the time stamp's authority is not on the C2PA time-stamping trust list");
        } else {
            found = seconds_since_epoch(TS_TST_INFO_get_time(info), when);
        }
        TS_TST_INFO_free(info);
        PKCS7_free(token);
        ERR_clear_error();
    }
    free(covered.data);
    return found;
}

/* ---- certificate chain ---- */

/* Errors met while building and checking the chain, collected by a callback that lets OpenSSL go
 * on, so an untrusted chain whose certificate has also expired reports both. */
typedef struct {
    int untrusted, expired, other;
    int other_code;
} chain_errors;

static int record_error(int ok, X509_STORE_CTX *ctx) {
    if (ok) return 1;
    chain_errors *e = X509_STORE_CTX_get_app_data(ctx);
    int code = X509_STORE_CTX_get_error(ctx);
    switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
        e->untrusted = 1;
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        e->expired = 1;
        break;
    default:
        if (!e->other) e->other_code = code;
        e->other = 1;
        break;
    }
    return 1;
}

/* The signer's name: the leaf certificate's organisation, else its common name. */
static void signer_name(X509 *leaf, char *out, size_t cap) {
    X509_NAME *subject = X509_get_subject_name(leaf);
    out[0] = 0;
    if (!subject || X509_NAME_get_text_by_NID(subject, NID_organizationName, out, (int)cap) <= 0)
        if (!subject || X509_NAME_get_text_by_NID(subject, NID_commonName, out, (int)cap) <= 0) out[0] = 0;
}

/* Checks the chain (leaf, then the x5chain's other certificates as intermediates) against the trust
 * list at time `when` (0: now) and sets the status. */
static void check_chain(cf_provenance *p, X509 *leaf, STACK_OF(X509) *chain, X509_STORE *signers, time_t when,
                        const char *time_note, const char *signer) {
    char problem[512];
    if (!signers) {
        set_status(p, CF_VERIFIED_UNTRUSTED, signer, "signature and hash valid; no trust list was loaded to check the signer");
        return;
    }
    chain_errors e = {0};
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx || X509_STORE_CTX_init(ctx, signers, leaf, chain) != 1) {
        X509_STORE_CTX_free(ctx);
        set_status(p, CF_VERIFIED_NOT_CHECKED, signer, "not checked: the certificate chain could not be set up");
        return;
    }
    /* Trust lists hold issuing CAs as well as roots: an anchor need not be self-signed. */
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
    if (when) X509_STORE_CTX_set_time(ctx, 0, when);
    X509_STORE_CTX_set_app_data(ctx, &e);
    X509_STORE_CTX_set_verify_cb(ctx, record_error);
    int ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    char expiry[200]; /* when the certificate was found expired, and why then */
    if (when) snprintf(expiry, sizeof expiry, "had expired when it signed (time-stamped)");
    else snprintf(expiry, sizeof expiry, "has expired (checked at the current time: %.120s)", time_note);
    if (e.untrusted) {
        snprintf(problem, sizeof problem, "signature and hash valid; the signer is not on the C2PA trust list%s%s",
                 e.expired ? "; its certificate " : "", e.expired ? expiry : "");
        set_status(p, CF_VERIFIED_UNTRUSTED, signer, problem);
    } else if (e.expired) {
        snprintf(problem, sizeof problem, "certificate expired: the signer's certificate %s", expiry);
        set_status(p, CF_VERIFIED_EXPIRED, signer, problem);
    } else if (e.other || !ok) {
        snprintf(problem, sizeof problem, "certificate invalid: %s", X509_verify_cert_error_string(e.other_code));
        set_status(p, CF_VERIFIED_INVALID, signer, problem);
    } else {
        set_status(p, CF_VERIFIED_VALID, signer, "");
    }
}

/* ---- the whole check ---- */

typedef struct {
    cf_c2pa_store store;
    cf_cose_sign1 cose;
    cf_c2pa_hash_data hash;
} parsed;

/* The claim's references to its assertions, and the ingredient manifests reached through them: 1 all
 * unchanged, else 0 with the status set. */
static int check_assertions(cf_provenance *p, const parsed *ps, const EVP_MD *md, const char *signer) {
    const cf_c2pa_manifest *m = &ps->store.manifests[ps->store.active];
    char alg[16], problem[256];
    refs_check rc = {&ps->store, m, md, ""};
    if (cf_c2pa_claim_refs(m, alg, check_ref, &rc) != 0) {
        snprintf(problem, sizeof problem, "signature invalid: the signed assertion %.150s", rc.failed);
        set_status(p, CF_VERIFIED_INVALID, signer, problem);
        return 0;
    }
    ingredients_check *ic = calloc(1, sizeof *ic);
    if (!ic) {
        set_status(p, CF_VERIFIED_NOT_CHECKED, signer, "not checked: out of memory");
        return 0;
    }
    ic->store = &ps->store;
    ic->md = md;
    int r = check_ingredients(ic, ps->store.active);
    snprintf(problem, sizeof problem, "signature invalid: %s", ic->failed);
    free(ic);
    if (r != 0) set_status(p, CF_VERIFIED_INVALID, signer, problem);
    return r == 0;
}

/* The hard binding of the pixels: 1 it matches, else 0 with the status set. */
static int check_hard_binding(cf_provenance *p, parsed *ps, const char *alg, const uint8_t *file, size_t n, const char *signer) {
    const cf_c2pa_manifest *m = &ps->store.manifests[ps->store.active];
    char problem[256];
    int has = cf_c2pa_hash_data_read(m, &ps->hash);
    if (has < 0) {
        set_status(p, CF_VERIFIED_INVALID, signer, "pixels not bound: the hash assertion (c2pa.hash.data) is malformed");
        return 0;
    }
    if (has == 0) {
        if (cf_c2pa_has_assertion(m, "c2pa.hash.boxes") || cf_c2pa_has_assertion(m, "c2pa.hash.bmff"))
            set_status(p, CF_VERIFIED_NOT_CHECKED, signer,
                       "not checked: the pixels are bound by a box or BMFF hash, which this verifier does not check");
        else
            set_status(p, CF_VERIFIED_INVALID, signer, "pixels not bound: the manifest has no hash of the file");
        return 0;
    }
    int r = check_data_hash(&ps->hash, alg, file, n, problem, sizeof problem);
    if (r != 1) set_status(p, r == 0 ? CF_VERIFIED_INVALID : CF_VERIFIED_NOT_CHECKED, signer, problem);
    return r == 1;
}

/* Everything the signature binds besides the claim itself: 1 all of it unchanged, else 0 with the
 * status set (invalid, or not checked and why). */
static int check_bindings(cf_provenance *p, parsed *ps, const uint8_t *file, size_t n, const char *signer) {
    const cf_c2pa_manifest *m = &ps->store.manifests[ps->store.active];
    char alg[16];
    const EVP_MD *md = NULL;
    if (cf_c2pa_claim_refs(m, alg, NULL, NULL) < 0 || !(md = digest_named(alg))) {
        set_status(p, CF_VERIFIED_NOT_CHECKED, signer, "not checked: the claim's hash algorithm or references are unreadable");
        return 0;
    }
    return check_assertions(p, ps, md, signer) && check_hard_binding(p, ps, alg, file, n, signer);
}

/* The x5chain as OpenSSL certificates: the leaf, and the rest as untrusted intermediates. */
static X509 *read_chain(const cf_cose_sign1 *cose, STACK_OF(X509) **rest) {
    *rest = sk_X509_new_null();
    X509 *leaf = NULL;
    for (int i = 0; i < cose->n_certs && *rest; i++) {
        const unsigned char *q = cose->certs[i].data;
        X509 *c = d2i_X509(NULL, &q, (long)cose->certs[i].size);
        if (!c) break;
        if (i == 0) leaf = c;
        else if (!sk_X509_push(*rest, c)) X509_free(c);
    }
    ERR_clear_error();
    return leaf;
}

static void verify_parsed(cf_provenance *p, parsed *ps, const uint8_t *file, size_t n, const c2pa_trust *trust) {
    const cf_c2pa_manifest *m = &ps->store.manifests[ps->store.active];
    cf_error perr = {{0}};
    char problem[256], signer[256] = "", note[128];
    if (cf_cose_sign1_parse(m->signature, &ps->cose, &perr) != 0) {
        snprintf(problem, sizeof problem, "signature invalid: %.200s", perr.msg);
        set_status(p, CF_VERIFIED_INVALID, NULL, problem);
        return;
    }
    STACK_OF(X509) *rest = NULL;
    X509 *leaf = read_chain(&ps->cose, &rest);
    if (!leaf) {
        set_status(p, CF_VERIFIED_INVALID, NULL, "signature invalid: the signature carries no readable certificate");
        sk_X509_pop_free(rest, X509_free);
        return;
    }
    signer_name(leaf, signer, sizeof signer);
    /* The claim is the detached payload; an attached one must be the claim itself. */
    int sig = check_cose_signature(&ps->cose, leaf, m->claim, problem, sizeof problem);
    if (sig == 1 && ps->cose.payload.data &&
        (ps->cose.payload.size != m->claim.size || memcmp(ps->cose.payload.data, m->claim.data, m->claim.size) != 0)) {
        sig = 0;
        snprintf(problem, sizeof problem, "signature invalid: the signed payload is not this claim");
    }
    if (sig != 1) {
        set_status(p, sig == 0 ? CF_VERIFIED_INVALID : CF_VERIFIED_NOT_CHECKED, signer, problem);
    } else if (check_bindings(p, ps, file, n, signer) == 1) {
        time_t when = 0;
        if (!signing_time(&ps->cose, m->claim, trust ? trust->tsa : NULL, &when, note, sizeof note)) when = 0;
        check_chain(p, leaf, rest, trust ? trust->signers : NULL, when, note, signer);
    }
    X509_free(leaf);
    sk_X509_pop_free(rest, X509_free);
}

int c2pa_verify(cf_provenance *p, const uint8_t *file, size_t n, const c2pa_trust *trust, cf_error *err) {
    if (p->c2pa_signal < 0 || p->c2pa_signal >= p->n_signals) return 0;
    if (!p->c2pa_store) {
        set_status(p, CF_VERIFIED_NOT_CHECKED, NULL, "not checked: the manifest store was not kept");
        return 0;
    }
    parsed *ps = malloc(sizeof *ps);
    if (!ps) return cf_fail(err, "out of memory verifying Content Credentials");
    cf_error perr = {{0}};
    if (cf_c2pa_parse_store(p->c2pa_store, p->c2pa_store_size, &ps->store, &perr) != 0) {
        char problem[256];
        snprintf(problem, sizeof problem, "not checked: the manifest store is unreadable (%.180s)", perr.msg);
        set_status(p, CF_VERIFIED_NOT_CHECKED, NULL, problem);
    } else {
        verify_parsed(p, ps, file, n, trust);
    }
    free(ps);
    return 0;
}

#endif

int c2pa_trust_load_default(const char *signers_pem, c2pa_trust **out, cf_error *err) {
    char signers[4096], tsa[4096]; /* paths built from the executable's folder */
    if (!signers_pem) signers_pem = default_data_path("CIFAKE_TRUST", C2PA_TRUST_SIGNERS, signers, sizeof signers);
    return c2pa_trust_load(signers_pem, default_data_path("CIFAKE_TSA_TRUST", C2PA_TRUST_TSA, tsa, sizeof tsa), out, err);
}
