/* fuzz_provenance.c - libFuzzer target for the metadata reader (src/provenance.h): bytes ->
 * cf_provenance_read (JPEG/PNG/RIFF walk, EXIF, XMP, PNG text, C2PA manifest store) -> the stealth
 * reader on the same bytes taken as RGBA pixels -> the verdict and the JSON object. Every input must
 * give a bounded result; the sanitizers turn anything else into a crash, and the invariants below
 * into an abort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "provenance.h"

/* The JSON must be UTF-8 with no raw control characters, whatever bytes the file held. */
static void check_json(const cf_buffer *b) {
    if (b->failed) fuzz_die("JSON writer ran out of memory");
    for (size_t i = 0; i < b->len;) {
        uint8_t c = b->data[i];
        if (c < 0x20) fuzz_die("raw control byte 0x%02x in the JSON", c);
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > b->len) fuzz_die("invalid UTF-8 in the JSON at byte %zu", i);
        for (size_t k = 1; k < len; k++)
            if ((b->data[i + k] & 0xC0) != 0x80) fuzz_die("invalid UTF-8 in the JSON at byte %zu", i);
        i += len;
    }
}

static void check(const cf_provenance *p) {
    if (p->n_signals < 0 || p->n_signals > CF_PROV_MAX_SIGNALS) fuzz_die("%d signals", p->n_signals);
    if (p->n_fields < 0 || p->n_fields > CF_PROV_MAX_FIELDS) fuzz_die("%d fields", p->n_fields);
    if ((int)p->declares < CF_DECLARES_NONE || p->declares > CF_DECLARES_AI_GENERATED) fuzz_die("declares %d", p->declares);
    if (p->c2pa_store_size > CF_PROV_MAX_STORE) fuzz_die("a store of %zu bytes", p->c2pa_store_size);
    if (p->c2pa_signal >= p->n_signals) fuzz_die("c2pa_signal %d of %d", p->c2pa_signal, p->n_signals);
    for (int i = 0; i < p->n_fields; i++)
        if (!p->fields[i].value || strlen(p->fields[i].value) > CF_PROV_MAX_TEXT) fuzz_die("field %d unbounded", i);
    for (int i = 0; i < p->n_signals; i++)
        if (p->signals[i].prompt && strlen(p->signals[i].prompt) > CF_PROV_MAX_TEXT) fuzz_die("prompt unbounded");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cf_provenance p;
    cf_error err = {{0}};
    if (cf_provenance_read(data, size, &p, &err)) {
        if (!err.msg[0]) fuzz_die("read failed without a message");
        return 0; /* out of memory only */
    }
    /* the same bytes as pixels: 16 pixels wide, as many rows as they fill */
    int height = (int)(size / 64 < 4096 ? size / 64 : 4096);
    if (height > 0 && cf_provenance_read_stealth(&p, data, 16, height, &err) && !err.msg[0])
        fuzz_die("stealth failed without a message");
    check(&p);
    cifake_result r;
    memset(&r, 0, sizeof r);
    r.label = size % 3 == 0 ? CIFAKE_REAL : size % 3 == 1 ? CIFAKE_FAKE : CIFAKE_UNSURE;
    r.p_fake = 0.5f;
    cf_provenance_decide(&p, &r);
    if (r.p_fake != 0.5f) fuzz_die("the verdict changed p_fake");
    if (memchr(r.reason, 0, sizeof r.reason) == NULL) fuzz_die("reason not terminated");
    cf_buffer b = {0};
    cf_provenance_json(&p, &b);
    check_json(&b);
    free(b.data);
    cf_provenance_free(&p);
    return 0;
}
