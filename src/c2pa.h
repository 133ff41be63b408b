/* c2pa.h - C2PA manifest stores (Content Credentials): JUMBF boxes and their CBOR claim, assertions
 * and COSE_Sign1 signature, read with bounded parsers (jumbf/cbor: every length checked before use,
 * nesting depth at most CF_PROV_MAX_DEPTH, no unbounded recursion). No cryptography here: the
 * parsed store gives a verifier the exact bytes to hash and to check (trainer/lib/c2pa_verify.h). */
#ifndef CIFAKE_C2PA_H
#define CIFAKE_C2PA_H

#include "provenance.h"

/* Parses p->c2pa_store and adds the C2PA signal (declares, says, generator; verified = not-checked
 * until a verifier runs) and its fields (C2PA:claim_generator, C2PA:action, ...) to p. A store that
 * cannot be parsed adds a signal with problem set and notes it in p->unreadable. -1 only when memory
 * runs out. */
int cf_c2pa_read(cf_provenance *p, cf_error *err);

#endif
