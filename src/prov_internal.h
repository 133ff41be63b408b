/* prov_internal.h - what the parts of the metadata reader share (not a public interface):
 * provenance.c (public API, verdict, JSON), prov_walk.c (JPEG/PNG/RIFF containers), prov_exif.c
 * (EXIF/TIFF), prov_text.c (XMP and the PNG text of Stable Diffusion front ends), prov_stealth.c. */
#ifndef CIFAKE_PROV_INTERNAL_H
#define CIFAKE_PROV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "provenance.h"

#define PROV_MAX_CHUNKS 100000           /* PNG chunks, JPEG segments, RIFF chunks walked (cheap hops) */
#define PROV_MAX_TEXT_CHUNKS 64          /* PNG text chunks interpreted; later ones are skipped */
#define PROV_MAX_INFLATED (8u << 20)     /* compressed text inflated in one file, bytes, in all */
#define PROV_MAX_APP11 1024              /* JPEG APP11 segments kept for a C2PA store */
#define PROV_MAX_XMP_PACKETS 4           /* XMP packets interpreted per file */
#define PROV_MAX_KEPT (8u << 20)         /* PNG text kept from one file, bytes, in all */

/* One PNG text chunk (or NovelAI/A1111-like key/value pair), decompressed, NUL-terminated. */
typedef struct {
    char key[80];
    char *value; /* owned */
    size_t n;
} cf_prov_text;

/* The state of one read: limits spent so far and what interpretation needs after the walk. */
typedef struct {
    cf_provenance *p;
    int oom;                  /* an allocation failed: the read returns -1 */
    size_t inflated;          /* bytes inflated so far (PROV_MAX_INFLATED) */
    cf_prov_text texts[PROV_MAX_TEXT_CHUNKS];
    int n_texts;
    int skipped_texts;        /* text chunks past PROV_MAX_TEXT_CHUNKS or PROV_MAX_KEPT */
    size_t kept;              /* bytes of text kept so far (PROV_MAX_KEPT) */
    char *xmp[PROV_MAX_XMP_PACKETS]; /* owned, NUL-terminated */
    size_t xmp_n[PROV_MAX_XMP_PACKETS];
    int n_xmp;
} cf_prov_reader;

/* Byte-order helpers (bounds are the caller's). */
static inline uint32_t prov_be32(const uint8_t *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline uint32_t prov_le32(const uint8_t *b) {
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}
static inline unsigned prov_be16(const uint8_t *b) { return (unsigned)b[0] << 8 | b[1]; }

/* prov_walk.c: walks the container (JPEG, PNG, RIFF/WebP; others give nothing). */
/* Appends code point c (< 0x110000) as UTF-8 at out (at most 4 bytes); returns the bytes written. */
size_t cf_prov_utf8_put(char *out, uint32_t c);

void cf_prov_walk(cf_prov_reader *rd, const uint8_t *file, size_t n);

/* Keeps a copy of an XMP packet for cf_prov_interpret_xmp (at most CF_PROV_MAX_TEXT bytes). */
void cf_prov_keep_xmp(cf_prov_reader *rd, const uint8_t *data, size_t n);
/* Keeps a PNG text chunk's keyword and (decompressed) text. */
void cf_prov_keep_text(cf_prov_reader *rd, const char *key, size_t key_n, const uint8_t *text, size_t n);

/* prov_exif.c: reads a TIFF structure (EXIF payload after "Exif\0\0"), adds fields and a signal. */
void cf_prov_read_exif(cf_prov_reader *rd, const uint8_t *tiff, size_t n);

/* prov_text.c: interprets the XMP packets and PNG text kept during the walk. */
void cf_prov_interpret_xmp(cf_prov_reader *rd);
void cf_prov_interpret_png_text(cf_prov_reader *rd);

/* A1111 "parameters" text (prompt, "Negative prompt: ...", "Steps: ..., Model: X"): 1 when text has
 * that form; then *prompt is a malloc'ed copy of the prompt (NULL when out of memory, rd->oom set)
 * and model (may be "") the checkpoint named. */
int cf_prov_parse_a1111(cf_prov_reader *rd, const char *text, size_t n, char **prompt, char *model, size_t model_cap);

/* Copies at most cap-1 bytes of src (n bytes) into dst, NUL-terminated, cutting at a NUL and never
 * inside a UTF-8 sequence. */
void cf_prov_copy(char *dst, size_t cap, const char *src, size_t n);
/* malloc'ed NUL-terminated copy of n bytes (n capped at CF_PROV_MAX_TEXT); NULL and rd->oom on failure. */
char *cf_prov_strndup(cf_prov_reader *rd, const char *src, size_t n);
/* Finds needle in the first n bytes of hay (case-sensitive); NULL if absent. */
const char *cf_prov_find(const char *hay, size_t n, const char *needle);
/* Sets a signal's says with printf formatting. */
void cf_prov_says(cf_prov_signal *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
