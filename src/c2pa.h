/* c2pa.h - C2PA manifest stores (Content Credentials): JUMBF boxes and their CBOR claim, assertions
 * and COSE_Sign1 signature, read with bounded parsers (jumbf/cbor: every length checked before use,
 * nesting depth at most CF_PROV_MAX_DEPTH, no unbounded recursion). No cryptography here: the
 * parsed store gives a verifier the exact bytes to hash and to check (tools/lib/c2pa_verify.h). */
#ifndef CIFAKE_C2PA_H
#define CIFAKE_C2PA_H

#include "jumbf.h"
#include "provenance.h"

/* Parses p->c2pa_store and adds the C2PA signal (declares, says, generator; verified = not-checked
 * until a verifier runs) and its fields (C2PA:claim_generator, C2PA:action, ...) to p. A store that
 * cannot be parsed adds a signal with problem set and notes it in p->unreadable. -1 only when memory
 * runs out. */
int cf_c2pa_read(cf_provenance *p, cf_error *err);

/* ---- The parsed store, for verifiers (all pointers point into the store's bytes) ---- */

#define CF_C2PA_MAX_MANIFESTS 32
#define CF_C2PA_MAX_EXCLUSIONS 64
#define CF_C2PA_MAX_CERTS 8
#define CF_C2PA_MAX_TIMESTAMPS 4

typedef struct {
    const uint8_t *data;
    size_t size;
} cf_c2pa_bytes;

typedef struct {
    cf_jumbf box;             /* the manifest superbox; box.label is the manifest's label */
    cf_jumbf assertions;      /* its assertion store (c2pa.assertions) */
    int has_assertions;
    cf_c2pa_bytes claim;      /* the claim's CBOR: the COSE payload (detached) */
    int claim_version;        /* 1: c2pa.claim, 2: c2pa.claim.v2 */
    cf_c2pa_bytes signature;  /* the COSE_Sign1 CBOR, {0} when absent */
} cf_c2pa_manifest;

typedef struct {
    cf_c2pa_manifest manifests[CF_C2PA_MAX_MANIFESTS];
    int n_manifests;
    int active; /* the last manifest */
} cf_c2pa_store;

/* Parses the store's boxes: 0, or -1 with err set when it is not a JUMBF superbox labelled "c2pa"
 * holding at least one manifest with a claim (a lying box length is an error too). */
int cf_c2pa_parse_store(const uint8_t *store, size_t n, cf_c2pa_store *s, cf_error *err);

/* The manifest a JUMBF URI names ("self#jumbf=/c2pa/<label>[/...]"), or NULL. */
const cf_c2pa_manifest *cf_c2pa_find_manifest(const cf_c2pa_store *s, const char *uri, size_t len);

/* The assertion superbox of m that a claim's hashed URI names ("self#jumbf=c2pa.assertions/<label>"
 * or the absolute form): 1, 0 when absent, -1 when a box length lies. */
int cf_c2pa_find_assertion(const cf_c2pa_manifest *m, const char *uri, size_t len, cf_jumbf *out);

/* The claim's references to its assertions (assertions, created_assertions, gathered_assertions):
 * calls fn(ctx, uri, uri_len, hash, hash_len) for each (fn may be NULL: only reads them); fn returns
 * non-zero to stop (returned). *alg
 * gets the claim's default hash algorithm ("sha256" when unnamed). -1 when the claim is malformed. */
typedef int (*cf_c2pa_ref_fn)(void *ctx, const char *uri, size_t uri_len, const uint8_t *hash, size_t hash_len);
int cf_c2pa_claim_refs(const cf_c2pa_manifest *m, char alg[16], cf_c2pa_ref_fn fn, void *ctx);

/* The ingredients of m that name a manifest in the store (c2pa_manifest, or activeManifest in v3):
 * calls fn(ctx, uri, uri_len, hash, hash_len) with the hash the ingredient assertion holds for that
 * manifest's box; fn returns non-zero to stop (returned). -1 when an ingredient is malformed. */
int cf_c2pa_ingredient_manifests(const cf_c2pa_manifest *m, cf_c2pa_ref_fn fn, void *ctx);

/* The hard binding c2pa.hash.data: the hash of the file's bytes outside the exclusions. */
typedef struct {
    char alg[16]; /* "sha256", "sha384", "sha512" ("" = the claim's) */
    cf_c2pa_bytes hash;
    struct {
        uint64_t start, length;
    } exclusions[CF_C2PA_MAX_EXCLUSIONS];
    int n_exclusions;
} cf_c2pa_hash_data;

/* 1 and *out when m has c2pa.hash.data, 0 when it has none, -1 when it is malformed. */
int cf_c2pa_hash_data_read(const cf_c2pa_manifest *m, cf_c2pa_hash_data *out);
/* Whether m has an assertion whose label starts with prefix ("c2pa.hash.boxes", "c2pa.hash.bmff"). */
int cf_c2pa_has_assertion(const cf_c2pa_manifest *m, const char *prefix);

/* COSE_Sign1 (RFC 9052, tag 18): [protected bstr, unprotected map, payload (nil: detached), signature]. */
typedef struct {
    cf_c2pa_bytes protected_header; /* the bstr's content, signed as is */
    int64_t alg;                    /* COSE algorithm: -7 ES256, -35 ES384, -36 ES512, -37..-39 PS256..512, -8 EdDSA */
    int has_alg;
    cf_c2pa_bytes certs[CF_C2PA_MAX_CERTS]; /* x5chain (label 33 or "x5chain"), leaf first, DER */
    int n_certs;
    cf_c2pa_bytes timestamps[CF_C2PA_MAX_TIMESTAMPS]; /* sigTst/sigTst2 tstTokens: RFC 3161 tokens, DER */
    int n_timestamps;
    int timestamp_version;          /* 1: sigTst, 2: sigTst2 */
    cf_c2pa_bytes payload;          /* {0} when detached (C2PA: the claim) */
    cf_c2pa_bytes signature;
} cf_cose_sign1;

/* 0, or -1 with err set when the bytes are not a well-formed COSE_Sign1. */
int cf_cose_sign1_parse(cf_c2pa_bytes cose, cf_cose_sign1 *out, cf_error *err);

/* Appends the COSE Sig_structure ["Signature1", protected, h'', payload] in CBOR: the bytes the
 * signature covers. */
void cf_cose_sig_structure(const cf_cose_sign1 *cose, cf_c2pa_bytes payload, cf_buffer *out);

#endif
