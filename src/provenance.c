/* provenance.c - what an image file declares about its origin (provenance.h): the public entry
 * points, the verdict rules, the JSON object and the helpers the readers share. The container walk
 * is in prov_walk.c, EXIF in prov_exif.c, XMP and PNG text in prov_text.c, the alpha-channel
 * "stealth" parameters in prov_stealth.c, C2PA manifest stores in c2pa.c. */
#include "provenance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2pa.h"
#include "image.h"
#include "prov_internal.h"

/* ---- names ------------------------------------------------------------------------------------ */

const char *cf_declares_name(cf_declares d) {
    switch (d) {
    case CF_DECLARES_OTHER: return "other";
    case CF_DECLARES_CAPTURE: return "capture";
    case CF_DECLARES_AI_EDITED: return "ai-edited";
    case CF_DECLARES_AI_GENERATED: return "ai-generated";
    default: return "none";
    }
}

const char *cf_signal_kind_name(cf_signal_kind k) {
    switch (k) {
    case CF_SIGNAL_C2PA: return "c2pa";
    case CF_SIGNAL_XMP: return "xmp";
    case CF_SIGNAL_PNG_TEXT: return "png-text";
    case CF_SIGNAL_EXIF: return "exif";
    case CF_SIGNAL_STEALTH: return "stealth";
    }
    return "unknown";
}

const char *cf_verified_name(cf_verified v) {
    switch (v) {
    case CF_VERIFIED_NOT_CHECKED: return "not-checked";
    case CF_VERIFIED_VALID: return "valid";
    case CF_VERIFIED_UNTRUSTED: return "untrusted";
    case CF_VERIFIED_EXPIRED: return "expired";
    case CF_VERIFIED_INVALID: return "invalid";
    default: return "n/a";
    }
}

/* ---- helpers shared by the readers ------------------------------------------------------------ */

/* Length of the longest prefix of s (n bytes) that does not end inside a UTF-8 sequence. */
static size_t utf8_safe_cut(const char *s, size_t n) {
    size_t i = n;
    while (i > 0 && i > n - 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--;
    if (i > 0 && ((unsigned char)s[i - 1] & 0x80)) {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (n - (i - 1) < need) return i - 1;
    }
    return n;
}

void cf_prov_copy(char *dst, size_t cap, const char *src, size_t n) {
    if (cap == 0) return;
    if (!src) n = 0;
    const char *z = n ? memchr(src, 0, n) : NULL;
    if (z) n = (size_t)(z - src);
    if (n > cap - 1) n = utf8_safe_cut(src, cap - 1);
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
}

char *cf_prov_strndup(cf_prov_reader *rd, const char *src, size_t n) {
    if (n > CF_PROV_MAX_TEXT) n = utf8_safe_cut(src, CF_PROV_MAX_TEXT);
    char *copy = malloc(n + 1);
    if (!copy) {
        if (rd) rd->oom = 1;
        return NULL;
    }
    if (n) memcpy(copy, src, n);
    copy[n] = 0;
    return copy;
}

const char *cf_prov_find(const char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle);
    if (m == 0 || m > n) return NULL;
    for (const char *p = hay, *end = hay + n - m + 1; p < end;) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p) return NULL;
        if (memcmp(p, needle, m) == 0) return p;
        p++;
    }
    return NULL;
}

/* Replaces each byte that does not belong to a valid UTF-8 sequence by '?', in place: sentences are
 * built from file bytes and end up in reasons and terminals. */
static size_t utf8_valid(const unsigned char *s, size_t n);
static void utf8_sanitize(char *text) {
    unsigned char *s = (unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_valid(s + i, n - i);
        if (len) i += len;
        else s[i++] = '?';
    }
}

void cf_prov_says(cf_prov_signal *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->says, sizeof s->says, fmt, ap);
    va_end(ap);
    /* vsnprintf may cut a multi-byte character: drop its start */
    size_t n = strlen(s->says);
    s->says[utf8_safe_cut(s->says, n)] = 0;
    utf8_sanitize(s->says);
}

cf_prov_signal *cf_prov_add_signal(cf_provenance *p, cf_signal_kind kind) {
    if (p->n_signals >= CF_PROV_MAX_SIGNALS) {
        cf_prov_note_unreadable(p, "more than %d provenance signals; the rest were skipped", CF_PROV_MAX_SIGNALS);
        return NULL;
    }
    cf_prov_signal *s = &p->signals[p->n_signals++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->declares = CF_DECLARES_NONE;
    s->verified = CF_VERIFIED_NA;
    return s;
}

int cf_prov_add_field(cf_provenance *p, const char *name, const char *value, size_t n) {
    if (p->n_fields >= CF_PROV_MAX_FIELDS) return 0;
    const char *z = value && n ? memchr(value, 0, n) : NULL;
    if (z) n = (size_t)(z - value);
    char *copy = cf_prov_strndup(NULL, value ? value : "", value ? n : 0);
    if (!copy) return -1;
    cf_prov_field *f = &p->fields[p->n_fields++];
    cf_prov_copy(f->name, sizeof f->name, name, strlen(name));
    f->value = copy;
    return 0;
}

void cf_prov_note_unreadable(cf_provenance *p, const char *fmt, ...) {
    if (p->unreadable[0]) return;
    static const char prefix[] = "metadata unreadable: ";
    memcpy(p->unreadable, prefix, sizeof prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->unreadable + sizeof prefix - 1, sizeof p->unreadable - (sizeof prefix - 1), fmt, ap);
    va_end(ap);
}

void cf_provenance_update_declares(cf_provenance *p) {
    cf_declares d = CF_DECLARES_NONE;
    for (int i = 0; i < p->n_signals; i++) {
        const cf_prov_signal *s = &p->signals[i];
        if (s->kind == CF_SIGNAL_C2PA && s->verified == CF_VERIFIED_INVALID) continue;
        if (s->declares > d) d = s->declares;
    }
    if (d == CF_DECLARES_NONE && (p->n_fields > 0 || p->c2pa_store)) d = CF_DECLARES_OTHER;
    p->declares = d;
}

/* ---- reading ---------------------------------------------------------------------------------- */

static void reader_free(cf_prov_reader *rd) {
    for (int i = 0; i < rd->n_texts; i++) free(rd->texts[i].value);
    for (int i = 0; i < rd->n_xmp; i++) free(rd->xmp[i]);
}

/* A PNG with an alpha channel (IHDR colour type 4 or 6) may hide A1111's stealth parameters in it:
 * the one case where reading provenance decodes pixels. A file that does not decode gives nothing
 * here (the pixel decoder reports it). */
static int read_png_stealth(const uint8_t *file, size_t n, cf_provenance *p, cf_error *err) {
    if (n < 33 || memcmp(file, "\x89PNG\r\n\x1a\n", 8) || memcmp(file + 12, "IHDR", 4) || (file[25] != 4 && file[25] != 6))
        return 0;
    uint8_t *rgba;
    int w, h;
    cf_error ignored;
    if (cf_image_decode_png_rgba(file, n, &rgba, &w, &h, &ignored)) return 0;
    int rc = cf_provenance_read_stealth(p, rgba, w, h, err);
    free(rgba);
    return rc;
}

int cf_provenance_read(const uint8_t *file, size_t n, cf_provenance *p, cf_error *err) {
    memset(p, 0, sizeof *p);
    p->c2pa_signal = -1;
    if (!file) n = 0;
    cf_prov_reader rd;
    memset(&rd, 0, sizeof rd);
    rd.p = p;
    if (n) cf_prov_walk(&rd, file, n);
    if (!rd.oom) cf_prov_interpret_xmp(&rd);
    if (!rd.oom) cf_prov_interpret_png_text(&rd);
    reader_free(&rd);
    if (rd.oom) {
        cf_provenance_free(p);
        return cf_fail(err, "out of memory reading the image's metadata");
    }
    if ((p->c2pa_store && cf_c2pa_read(p, err)) || read_png_stealth(file, n, p, err)) {
        cf_provenance_free(p);
        return -1;
    }
    if (p->c2pa_signal < 0)
        for (int i = 0; i < p->n_signals; i++)
            if (p->signals[i].kind == CF_SIGNAL_C2PA) p->c2pa_signal = i;
    cf_provenance_update_declares(p);
    return 0;
}

void cf_provenance_free(cf_provenance *p) {
    if (!p) return;
    for (int i = 0; i < p->n_signals && i < CF_PROV_MAX_SIGNALS; i++) free(p->signals[i].prompt);
    for (int i = 0; i < p->n_fields && i < CF_PROV_MAX_FIELDS; i++) free(p->fields[i].value);
    free(p->c2pa_store);
    memset(p, 0, sizeof *p);
    p->c2pa_signal = -1;
}

void cf_provenance_set_c2pa_status(cf_provenance *p, cf_verified v, const char *signer, const char *problem) {
    if (p->c2pa_signal < 0 || p->c2pa_signal >= p->n_signals) return;
    cf_prov_signal *s = &p->signals[p->c2pa_signal];
    s->verified = v;
    if (signer) cf_prov_copy(s->signer, sizeof s->signer, signer, strlen(signer));
    if (problem) cf_prov_copy(s->problem, sizeof s->problem, problem, strlen(problem));
    cf_provenance_update_declares(p);
}

/* ---- the verdict ------------------------------------------------------------------------------ */

/* How much a signal's check is worth when choosing which declaration to give as the reason. */
static int check_strength(const cf_prov_signal *s) {
    switch (s->verified) {
    case CF_VERIFIED_VALID: return 4;
    case CF_VERIFIED_UNTRUSTED:
    case CF_VERIFIED_EXPIRED: return 3;
    case CF_VERIFIED_NOT_CHECKED: return 2;
    case CF_VERIFIED_NA: return 1;
    default: return 0; /* invalid: worth nothing */
    }
}

/* The signal that best supports a declaration accepted by want (AI, or a trusted capture), -1 none. */
static int strongest(const cf_provenance *p, int want_ai) {
    int best = -1, best_rank = 0;
    for (int i = 0; i < p->n_signals; i++) {
        const cf_prov_signal *s = &p->signals[i];
        int ok = want_ai ? (s->declares == CF_DECLARES_AI_GENERATED || s->declares == CF_DECLARES_AI_EDITED)
                         : (s->declares == CF_DECLARES_CAPTURE && s->kind == CF_SIGNAL_C2PA &&
                            s->verified == CF_VERIFIED_VALID);
        if (!ok || check_strength(s) == 0) continue;
        int rank = check_strength(s) * 16 + (s->kind == CF_SIGNAL_C2PA) * 4 + (s->declares == CF_DECLARES_AI_GENERATED);
        if (rank > best_rank) best = i, best_rank = rank;
    }
    return best;
}

/* "signed by X" status phrase of a C2PA signal. */
static const char *c2pa_status_words(const cf_prov_signal *s, char *buf, size_t cap) {
    switch (s->verified) {
    case CF_VERIFIED_VALID: return "the signature checks out and the signer is on the C2PA trust list";
    case CF_VERIFIED_UNTRUSTED: return "the signer is not on the C2PA trust list";
    case CF_VERIFIED_EXPIRED: return "the signing certificate has expired";
    case CF_VERIFIED_INVALID: return "they do not match this image";
    default:
        if (!strncmp(s->problem, "not checked", 11)) return s->problem; /* already says so */
        snprintf(buf, cap, "not checked%s%s", s->problem[0] ? ": " : "", s->problem);
        return buf;
    }
}

/* One sentence for a signal: C2PA names its signer and check, the others say they are unsigned. */
static void signal_sentence(const cf_prov_signal *s, char *out, size_t cap) {
    char status[300];
    if (s->kind == CF_SIGNAL_C2PA) {
        const char *says = s->says[0] ? s->says : "nothing about how the image was made";
        int plain = !strncmp(says, "generated", 9) || !strncmp(says, "edited", 6) || !strncmp(says, "captured", 8) ||
                    !strncmp(says, "made", 4) || !strncmp(says, "created", 7);
        snprintf(out, cap, "Content Credentials%s%s say %s%s; %s", s->signer[0] ? " signed by " : "", s->signer,
                 plain ? "it was " : "", says, c2pa_status_words(s, status, sizeof status));
    } else if (strstr(s->says, "forged")) { /* the sentence already warns */
        snprintf(out, cap, "%s", s->says);
    } else {
        snprintf(out, cap, "%s (unsigned, easily removed or forged)", s->says[0] ? s->says : "metadata is present");
    }
}

/* What the pixel model said, in a few words. */
static void pixel_words(const cifake_result *r, char *out, size_t cap) {
    if (r->label == CIFAKE_UNSURE)
        snprintf(out, cap, "the pixel model is unsure (%s)",
                 r->scope == CIFAKE_TOO_SMALL      ? "the image is too small for it"
                 : r->scope == CIFAKE_OUT_OF_SCOPE ? "the image is not of a kind it judges"
                                                   : "its evidence is weak");
    else
        snprintf(out, cap, "the pixel model says %s (P(fake) %.2f)", cifake_label_name(r->label), (double)r->p_fake);
}

/* Writes "first; second" into the reason, cut to fit (never inside a UTF-8 sequence). */
/* Writes "first; second" into the reason. When it does not fit, second (the pixel model's few words)
 * is kept whole and first is cut, ending in "...", never inside a UTF-8 sequence. */
static void set_reason(cifake_result *r, const char *first, const char *second) {
    size_t cap = sizeof r->reason, second_n = second && second[0] ? strlen(second) + 2 : 0;
    if (second_n + 8 > cap) second_n = 0, second = NULL; /* never with our own words: they are short */
    size_t first_n = strlen(first);
    if (first_n + second_n >= cap) {
        cf_prov_copy(r->reason, cap - second_n - 3, first, first_n);
        strcat(r->reason, "...");
    } else {
        memcpy(r->reason, first, first_n + 1);
    }
    if (second_n) {
        strcat(r->reason, "; ");
        strcat(r->reason, second);
    }
    utf8_sanitize(r->reason);
}

void cf_provenance_decide(const cf_provenance *p, cifake_result *r) {
    char sentence[1100], pixel[160];
    pixel_words(r, pixel, sizeof pixel);
    int ai = strongest(p, 1), capture = ai < 0 ? strongest(p, 0) : -1;
    if (ai >= 0 || capture >= 0) { /* a declaration that decides: FAKE, or REAL from a trusted capture */
        cifake_label label = ai >= 0 ? CIFAKE_FAKE : CIFAKE_REAL;
        signal_sentence(&p->signals[ai >= 0 ? ai : capture], sentence, sizeof sentence);
        int disagrees = r->label != label;
        r->label = label;
        set_reason(r, sentence, disagrees ? pixel : NULL);
        return;
    }
    /* No declaration that decides: the pixel verdict stands, with what the metadata does say. */
    const cf_prov_signal *invalid = NULL, *evidence = NULL, *damaged = NULL, *other = NULL;
    for (int i = 0; i < p->n_signals; i++) {
        const cf_prov_signal *s = &p->signals[i];
        int c2pa = s->kind == CF_SIGNAL_C2PA;
        if (c2pa && s->verified == CF_VERIFIED_INVALID) invalid = s;
        else if (c2pa && s->declares == CF_DECLARES_NONE && s->problem[0]) damaged = s;
        else if (s->declares == CF_DECLARES_CAPTURE && (!evidence || c2pa)) evidence = s; /* C2PA first */
        else if (s->declares == CF_DECLARES_OTHER && (!other || c2pa)) other = s;
    }
    if (invalid) {
        snprintf(sentence, sizeof sentence, "Content Credentials%s%s are present but they do not match this image%s%s",
                 invalid->signer[0] ? " signed by " : "", invalid->signer, invalid->problem[0] ? " (" : "",
                 invalid->problem);
        if (invalid->problem[0]) strncat(sentence, ")", sizeof sentence - strlen(sentence) - 1);
    } else if (evidence) {
        char said[sizeof sentence - 64];
        signal_sentence(evidence, said, sizeof said);
        snprintf(sentence, sizeof sentence, "%s; consistent with a camera original, not proof", said);
    } else if (damaged) {
        snprintf(sentence, sizeof sentence, "Content Credentials are present but could not be read (%s)", damaged->problem);
    } else if (other) {
        signal_sentence(other, sentence, sizeof sentence);
    } else if (!p->n_signals && !p->unreadable[0]) {
        return; /* nothing found: the pixel verdict and its reason stand (the provenance says "none") */
    } else if (!p->n_signals) {
        snprintf(sentence, sizeof sentence, "%s", p->unreadable);
    } else {
        snprintf(sentence, sizeof sentence, "the metadata declares nothing about how the image was made");
    }
    if (r->label == CIFAKE_UNSURE && r->reason[0] && strlen(r->reason) + strlen(sentence) + 2 < sizeof r->reason) {
        char pixel_reason[sizeof r->reason];
        memcpy(pixel_reason, r->reason, sizeof pixel_reason);
        set_reason(r, pixel_reason, sentence); /* why UNSURE first, as without provenance */
    } else if (r->label == CIFAKE_UNSURE) {
        set_reason(r, sentence, pixel); /* too long for both whole: the pixel model's reason in brief */
    } else {
        set_reason(r, sentence, NULL);
    }
}

/* ---- JSON ------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid (overlong, surrogate, past
 * U+10FFFF or cut short). */
static size_t utf8_valid(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
    if (c == 0xF4 && s[1] >= 0x90) return 0; /* past U+10FFFF */
    return len;
}

/* A JSON string of text: quotes, backslashes and control characters escaped, invalid UTF-8 replaced
 * by U+FFFD. */
static void json_string(cf_buffer *out, const char *text) {
    cf_buffer_append(out, "\"", 1);
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') run++;
        if (run > i) {
            cf_buffer_append(out, s + i, run - i);
            i = run;
            continue;
        }
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            cf_buffer_append(out, esc, 2);
            i++;
        } else if (c < 0x20) {
            const char *named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
            if (named) cf_buffer_append(out, named, 2);
            else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                cf_buffer_append(out, esc, 6);
            }
            i++;
        } else {
            size_t len = utf8_valid(s + i, n - i);
            if (len) cf_buffer_append(out, s + i, len), i += len;
            else cf_buffer_append(out, "\xEF\xBF\xBD", 3), i++;
        }
    }
    cf_buffer_append(out, "\"", 1);
}

static void json_member(cf_buffer *out, const char *name, const char *value, int omit_empty) {
    if (omit_empty && (!value || !value[0])) return;
    cf_buffer_append(out, ", ", 2);
    json_string(out, name);
    cf_buffer_append(out, ": ", 2);
    json_string(out, value ? value : "");
}

void cf_provenance_json(const cf_provenance *p, cf_buffer *out) {
    cf_buffer_append(out, "{\"declares\": ", 13);
    json_string(out, cf_declares_name(p->declares));
    cf_buffer_append(out, ", \"signals\": [", 14);
    for (int i = 0; i < p->n_signals; i++) {
        const cf_prov_signal *s = &p->signals[i];
        if (i) cf_buffer_append(out, ", ", 2);
        cf_buffer_append(out, "{\"kind\": ", 9);
        json_string(out, cf_signal_kind_name(s->kind));
        json_member(out, "says", s->says, 1);
        json_member(out, "generator", s->generator, 1);
        json_member(out, "signer", s->signer, 1);
        json_member(out, "verified", cf_verified_name(s->verified), 0);
        json_member(out, "problem", s->problem, 1);
        json_member(out, "prompt", s->prompt, 1);
        cf_buffer_append(out, "}", 1);
    }
    cf_buffer_append(out, "]", 1);
    json_member(out, "unreadable", p->unreadable, 1);
    cf_buffer_append(out, "}", 1);
}
