/* jumbf.c - boxes and JUMBF superboxes (jumbf.h). */
#include "jumbf.h"

#include <string.h>

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int cf_box_next(const uint8_t *bytes, size_t n, size_t *pos, cf_box *box) {
    if (*pos >= n) return 0;
    size_t left = n - *pos;
    const uint8_t *p = bytes + *pos;
    if (left < 8) return -1;
    uint64_t size = be32(p);
    size_t header = 8;
    if (size == 1) { /* XLBox: a 64-bit length follows the type */
        if (left < 16) return -1;
        size = ((uint64_t)be32(p + 8) << 32) | be32(p + 12);
        header = 16;
    } else if (size == 0) {
        size = left;
    }
    if (size < header || size > left) return -1;
    box->type = be32(p + 4);
    box->start = p;
    box->size = (size_t)size;
    box->payload = p + header;
    box->payload_size = (size_t)size - header;
    *pos += (size_t)size;
    return 1;
}

/* Description box: UUID(16), toggles(1), then by toggle bits: label (bit 1, NUL-terminated), ID
 * (bit 2, 4 bytes), signature (bit 3, 32 bytes), private box (bit 4). Only the label is kept. */
static int read_description(const cf_box *jumd, cf_jumbf *out) {
    if (jumd->type != CF_BOX('j', 'u', 'm', 'd') || jumd->payload_size < 17) return -1;
    memcpy(out->uuid, jumd->payload, 16);
    uint8_t toggles = jumd->payload[16];
    out->label[0] = 0;
    if (toggles & 2) {
        const uint8_t *s = jumd->payload + 17;
        size_t room = jumd->payload_size - 17;
        const uint8_t *nul = memchr(s, 0, room);
        if (!nul || (size_t)(nul - s) >= CF_JUMBF_LABEL) return -1;
        memcpy(out->label, s, (size_t)(nul - s) + 1);
    }
    return 0;
}

int cf_jumbf_open(const cf_box *box, cf_jumbf *out) {
    memset(out, 0, sizeof *out);
    if (box->type != CF_BOX('j', 'u', 'm', 'b')) return -1;
    size_t pos = 0;
    cf_box jumd;
    if (cf_box_next(box->payload, box->payload_size, &pos, &jumd) != 1) return -1;
    if (read_description(&jumd, out) != 0) return -1;
    out->box = *box;
    out->content = box->payload + pos;
    out->content_size = box->payload_size - pos;
    return 0;
}

int cf_jumbf_child(const cf_jumbf *parent, const char *label, cf_jumbf *out) {
    size_t pos = 0;
    cf_box b;
    int r;
    while ((r = cf_box_next(parent->content, parent->content_size, &pos, &b)) == 1) {
        if (b.type != CF_BOX('j', 'u', 'm', 'b')) continue;
        if (cf_jumbf_open(&b, out) == 0 && strcmp(out->label, label) == 0) return 1;
    }
    return r;
}

int cf_jumbf_content_box(const cf_jumbf *j, cf_box *out) {
    size_t pos = 0;
    int r;
    while ((r = cf_box_next(j->content, j->content_size, &pos, out)) == 1)
        if (out->type != CF_BOX('j', 'u', 'm', 'b')) return 1;
    return r;
}
