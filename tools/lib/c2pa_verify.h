/* c2pa_verify.h - verification of a C2PA manifest store with OpenSSL's libcrypto (native tools):
 *
 *   c2pa_trust *trust;
 *   c2pa_trust_load(C2PA_TRUST_SIGNERS, C2PA_TRUST_TSA, &trust, &err);
 *   cf_provenance_read(file, n, &p, &err);
 *   c2pa_verify(&p, file, n, trust, &err);     // sets the C2PA signal's verified, signer, problem
 *   c2pa_trust_free(trust);
 *
 * Checks, on the active manifest: the claim's references to its assertions (their hashes), the
 * ingredient manifests it reaches (each must hash to what its ingredient assertion signed), the hard
 * binding c2pa.hash.data (SHA-256/384/512 over the file outside its exclusion ranges), the COSE_Sign1
 * signature over the claim (ES256/384/512, PS256/384/512, Ed25519) with the x5chain's leaf, and the
 * certificate chain against the trust list at the signing time an RFC 3161 time stamp gives (its
 * token checked against the time-stamping authorities' list and its message imprint), else now.
 * Statuses: valid (trusted), untrusted (valid, signer named, not on the list), expired, invalid
 * (problem: "pixels changed after signing", "signature invalid", ...), not-checked (problem says why:
 * a binding this verifier does not support, no store, a build without a cryptography library).
 *
 * Builds without OpenSSL (MemorySanitizer, WebAssembly: CF_WITH_OPENSSL undefined) compile a stub
 * that sets "not checked: this build has no cryptography library". */
#ifndef CIFAKE_C2PA_VERIFY_H
#define CIFAKE_C2PA_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "provenance.h"

/* The bundled trust lists (C2PA conformance program, CC BY 4.0, see web/trust/ATTRIBUTION.md),
 * relative to the repository root. */
#define C2PA_TRUST_SIGNERS "web/trust/C2PA-TRUST-LIST.pem"
#define C2PA_TRUST_TSA "web/trust/C2PA-TSA-TRUST-LIST.pem"

typedef struct c2pa_trust c2pa_trust;

/* Loads PEM certificate bundles: claim signers' anchors (signers_pem) and time-stamping authorities'
 * (tsa_pem, may be NULL: time stamps are then not trusted and the chain is checked at the current
 * time). -1 with err when a file cannot be read or holds no certificate, or the build has no
 * cryptography library. */
int c2pa_trust_load(const char *signers_pem, const char *tsa_pem, c2pa_trust **out, cf_error *err);
void c2pa_trust_free(c2pa_trust *trust);
/* The same with the bundled lists found as the tools find their files (fileio.h's default_data_path):
 * signers_pem, else $CIFAKE_TRUST, else C2PA_TRUST_SIGNERS beside the build; the time-stamping
 * authorities' list from $CIFAKE_TSA_TRUST, else C2PA_TRUST_TSA beside the build. */
int c2pa_trust_load_default(const char *signers_pem, c2pa_trust **out, cf_error *err);

/* 1 when this build verifies (OpenSSL), 0 for the stub. */
int c2pa_verify_available(void);

/* Verifies p's C2PA store (p->c2pa_store, read from file[0..n)) and records the result in its C2PA
 * signal. trust NULL: the chain is not checked against a list (a valid signature is "untrusted", the
 * problem says no trust list was loaded). Does nothing when p has no C2PA signal. -1 only when memory
 * runs out. */
int c2pa_verify(cf_provenance *p, const uint8_t *file, size_t n, const c2pa_trust *trust, cf_error *err);

#endif
