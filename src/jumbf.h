/* jumbf.h - ISO BMFF-style boxes and JUMBF superboxes (ISO/IEC 19566-5), as C2PA manifest stores use
 * them. Bounded: a box whose length is below its header, runs past its parent or (XLBox) past 2^63 is
 * refused; a description box's label is read only up to its NUL within the box. No recursion: callers
 * open one level at a time. */
#ifndef CIFAKE_JUMBF_H
#define CIFAKE_JUMBF_H

#include <stddef.h>
#include <stdint.h>

#define CF_JUMBF_LABEL 256

/* The four-character box type as a big-endian number: CF_BOX('j','u','m','b'). */
#define CF_BOX(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

typedef struct {
    uint32_t type;
    const uint8_t *start;   /* the whole box, header included */
    size_t size;
    const uint8_t *payload; /* after the header (LBox, TBox and XLBox when present) */
    size_t payload_size;
} cf_box;

/* Reads the box at bytes[*pos] within bytes[0..n): 1 and *pos advanced past it, 0 at the end of the
 * bytes, -1 when its length lies (too short for its header, longer than what is left). LBox 0 (the
 * box runs to the end) is accepted. */
int cf_box_next(const uint8_t *bytes, size_t n, size_t *pos, cf_box *box);

/* A JUMBF superbox ('jumb') opened: its description box ('jumd') and the content after it. */
typedef struct {
    cf_box box;
    uint8_t uuid[16];             /* content type: c2pa store, manifest, claim, cbor, json, ... */
    char label[CF_JUMBF_LABEL];   /* "" when the description has none */
    const uint8_t *content;       /* the boxes after the description box */
    size_t content_size;
} cf_jumbf;

/* Opens a superbox: 0, or -1 when box is not a 'jumb' whose first child is a well-formed 'jumd'
 * (a label that is not NUL-terminated within the box, or longer than CF_JUMBF_LABEL - 1, is refused). */
int cf_jumbf_open(const cf_box *box, cf_jumbf *out);

/* The first child superbox of parent whose label equals label (1), 0 when none, -1 when a child box's
 * length lies. */
int cf_jumbf_child(const cf_jumbf *parent, const char *label, cf_jumbf *out);

/* The first plain (non-superbox) content box of a superbox, e.g. its 'cbor' or 'json' box: 1, 0 none,
 * -1 when a length lies. */
int cf_jumbf_content_box(const cf_jumbf *j, cf_box *out);

#endif
