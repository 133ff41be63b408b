/* prov_walk.c - finds the metadata in an encoded image's container without decoding any pixels:
 * JPEG segments up to the first scan, PNG chunks, RIFF/WebP chunks. What it finds is handed on:
 * EXIF to prov_exif.c, XMP packets and PNG text to prov_text.c (after the walk), the C2PA manifest
 * store into p->c2pa_store (JPEG APP11 segments reassembled in sequence order).
 *
 * Every length is checked against the bytes that remain before it is used; the number of segments
 * or chunks walked, the text inflated and the sizes kept are bounded (prov_internal.h). A structure
 * that breaks the rules stops the walk where it breaks and is noted in p->unreadable; what was read
 * before it is kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov_internal.h"
#include "stb_image.h"

/* ---- what the walk keeps ---------------------------------------------------------------------- */

/* A NUL-terminated copy of n bytes, or NULL with the reader marked out of memory. */
static char *copy_text(cf_prov_reader *rd, const uint8_t *bytes, size_t n) {
    char *copy = malloc(n + 1);
    if (!copy) {
        rd->oom = 1;
        return NULL;
    }
    memcpy(copy, bytes, n);
    copy[n] = 0;
    return copy;
}

void cf_prov_keep_xmp(cf_prov_reader *rd, const uint8_t *data, size_t n) {
    if (rd->n_xmp >= PROV_MAX_XMP_PACKETS) {
        cf_prov_note_unreadable(rd->p, "more than %d XMP packets; the rest were skipped", PROV_MAX_XMP_PACKETS);
        return;
    }
    if (n > CF_PROV_MAX_TEXT) {
        cf_prov_note_unreadable(rd->p, "an XMP packet of %zu bytes is over the limit of %u bytes; only its start was read",
                                n, CF_PROV_MAX_TEXT);
        n = CF_PROV_MAX_TEXT;
    }
    char *copy = copy_text(rd, data, n);
    if (!copy) return;
    rd->xmp[rd->n_xmp] = copy;
    rd->xmp_n[rd->n_xmp] = n;
    rd->n_xmp++;
}

void cf_prov_keep_text(cf_prov_reader *rd, const char *key, size_t key_n, const uint8_t *text, size_t n) {
    if (rd->n_texts >= PROV_MAX_TEXT_CHUNKS || rd->kept >= PROV_MAX_KEPT) {
        rd->skipped_texts++;
        return;
    }
    if (n > CF_PROV_MAX_TEXT) n = CF_PROV_MAX_TEXT;
    if (n > PROV_MAX_KEPT - rd->kept) n = PROV_MAX_KEPT - rd->kept;
    rd->kept += n;
    char *copy = copy_text(rd, text, n);
    if (!copy) return;
    cf_prov_text *t = &rd->texts[rd->n_texts++];
    cf_prov_copy(t->key, sizeof t->key, key, key_n);
    t->value = copy;
    t->n = strlen(copy); /* text chunks hold no NUL: stop at one */
}

static void keep_c2pa_store(cf_prov_reader *rd, const uint8_t *data, size_t n, const char *where) {
    if (rd->p->c2pa_store) {
        cf_prov_note_unreadable(rd->p, "a second C2PA manifest store (%s) was ignored", where);
        return;
    }
    if (n > CF_PROV_MAX_STORE) {
        cf_prov_note_unreadable(rd->p, "the C2PA manifest store (%s) is %zu bytes, over the limit of %u", where, n,
                                CF_PROV_MAX_STORE);
        return;
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) {
        rd->oom = 1;
        return;
    }
    memcpy(copy, data, n);
    rd->p->c2pa_store = copy;
    rd->p->c2pa_store_size = n;
}

/* Inflates a zlib stream into at most CF_PROV_MAX_TEXT bytes and what remains of the file's budget
 * (a zTXt bomb stops at the cap); NULL when it is corrupt, too large or memory ran out. */
static char *inflate_bounded(cf_prov_reader *rd, const uint8_t *data, size_t n, size_t *out_n) {
    size_t budget = PROV_MAX_INFLATED - rd->inflated;
    if (budget > CF_PROV_MAX_TEXT) budget = CF_PROV_MAX_TEXT;
    if (budget == 0) {
        cf_prov_note_unreadable(rd->p, "compressed text past %u bytes in all was not inflated", PROV_MAX_INFLATED);
        return NULL;
    }
    if (n > 0x7fffffff) {
        cf_prov_note_unreadable(rd->p, "a compressed text chunk of %zu bytes was skipped", n);
        return NULL;
    }
    char *out = malloc(budget + 1);
    if (!out) {
        rd->oom = 1;
        return NULL;
    }
    int got = stbi_zlib_decode_buffer(out, (int)budget, (const char *)data, (int)n);
    if (got < 0) {
        free(out);
        rd->inflated += budget; /* the work was done: count it, so many bombs stop early */
        cf_prov_note_unreadable(rd->p, "a compressed PNG text chunk is corrupt or inflates past %zu bytes", budget);
        return NULL;
    }
    rd->inflated += (size_t)got;
    out[got] = 0;
    *out_n = (size_t)got;
    return out;
}

/* ---- JPEG ------------------------------------------------------------------------------------- */

/* One APP11 segment of a JPEG XT box: instance, sequence number, and the box bytes it carries. */
typedef struct {
    unsigned instance;
    uint32_t sequence;
    size_t offset, size; /* of the box bytes (after "JP", instance and sequence) in the file */
} app11_segment;

typedef struct {
    app11_segment *seg;
    int n, cap;
    int dropped;
} app11_list;

static void app11_add(cf_prov_reader *rd, app11_list *l, const uint8_t *file, const uint8_t *data, size_t n) {
    if (n < 2 + 2 + 4 + 8 || memcmp(data, "JP", 2) != 0) return; /* not a JPEG XT box segment */
    if (l->n >= PROV_MAX_APP11) {
        l->dropped++;
        return;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        app11_segment *grown = realloc(l->seg, (size_t)cap * sizeof *grown);
        if (!grown) {
            rd->oom = 1;
            return;
        }
        l->seg = grown;
        l->cap = cap;
    }
    app11_segment *s = &l->seg[l->n++];
    s->instance = prov_be16(data + 2);
    s->sequence = prov_be32(data + 4);
    s->offset = (size_t)(data + 8 - file);
    s->size = n - 8;
}

static int by_instance_then_sequence(const void *a, const void *b) {
    const app11_segment *x = a, *y = b;
    if (x->instance != y->instance) return x->instance < y->instance ? -1 : 1;
    if (x->sequence != y->sequence) return x->sequence < y->sequence ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The length of the box whose header starts at b (n bytes available), and its header size; 0 when
 * the header is cut short or names an impossible length. LBox 0 means "to the end". */
static uint64_t box_length(const uint8_t *b, size_t n, size_t *header) {
    if (n < 8) return 0;
    uint32_t lbox = prov_be32(b);
    if (lbox == 1) {
        if (n < 16) return 0;
        uint64_t x = (uint64_t)prov_be32(b + 8) << 32 | prov_be32(b + 12);
        *header = 16;
        return x >= 16 ? x : 0;
    }
    *header = 8;
    return lbox == 0 ? UINT64_MAX : lbox >= 8 ? lbox : 0;
}

/* Reassembles the segments [first, end) of one instance (sorted by sequence) into one box: the first
 * segment whole, each continuation without its repeated box header. 1 if it is a C2PA store. */
static int assemble_instance(cf_prov_reader *rd, const uint8_t *file, const app11_segment *s, int count) {
    size_t header = 0;
    uint64_t declared = box_length(file + s[0].offset, s[0].size, &header);
    const uint8_t *first = file + s[0].offset;
    /* A C2PA store is a JUMBF superbox ("jumb") whose description box ("jumd") has the c2pa type. */
    int is_c2pa = s[0].size >= header + 8 + 4 && memcmp(first + 4, "jumb", 4) == 0 &&
                  memcmp(first + header + 4, "jumd", 4) == 0 && s[0].size >= header + 12 &&
                  memcmp(first + header + 8, "c2pa", 4) == 0;
    if (!is_c2pa) return 0;
    const char *broken = NULL;
    if (declared == 0) broken = "its box header is damaged";
    uint64_t total = s[0].size;
    for (int i = 1; i < count && !broken; i++) {
        if (s[i].sequence == s[i - 1].sequence) broken = "two segments have the same sequence number";
        else if (s[i].sequence != s[i - 1].sequence + 1) broken = "a segment is missing";
        else if (s[i].size < header) broken = "a continuation segment is too short";
        else total += s[i].size - header;
    }
    if (!broken && declared != UINT64_MAX && total != declared)
        broken = total < declared ? "the segments hold fewer bytes than the store declares"
                                  : "the segments hold more bytes than the store declares";
    if (!broken && total > CF_PROV_MAX_STORE) broken = "it is over the size limit";
    if (broken) {
        cf_prov_signal *sig = cf_prov_add_signal(rd->p, CF_SIGNAL_C2PA);
        if (sig) {
            sig->verified = CF_VERIFIED_NOT_CHECKED;
            cf_prov_says(sig, "Content Credentials are present but damaged");
            snprintf(sig->problem, sizeof sig->problem, "the manifest store in the JPEG segments cannot be read: %s",
                     broken);
            rd->p->c2pa_signal = (int)(sig - rd->p->signals);
        }
        cf_prov_note_unreadable(rd->p, "C2PA manifest store in JPEG APP11 segments: %s", broken);
        return 1;
    }
    uint8_t *store = malloc((size_t)total);
    if (!store) {
        rd->oom = 1;
        return 1;
    }
    memcpy(store, first, s[0].size);
    size_t at = s[0].size;
    for (int i = 1; i < count; i++) {
        memcpy(store + at, file + s[i].offset + header, s[i].size - header);
        at += s[i].size - header;
    }
    rd->p->c2pa_store = store;
    rd->p->c2pa_store_size = at;
    return 1;
}

/* The first instance that is a C2PA store becomes p->c2pa_store. */
static void assemble_c2pa(cf_prov_reader *rd, const uint8_t *file, app11_list *l) {
    if (l->dropped)
        cf_prov_note_unreadable(rd->p, "more than %d JPEG APP11 segments; the rest were skipped", PROV_MAX_APP11);
    if (l->n == 0) return;
    qsort(l->seg, (size_t)l->n, sizeof *l->seg, by_instance_then_sequence);
    for (int start = 0, end; start < l->n; start = end) {
        for (end = start + 1; end < l->n && l->seg[end].instance == l->seg[start].instance;) end++;
        if (assemble_instance(rd, file, l->seg + start, end - start)) return;
    }
}

/* Extended XMP (XMP specification part 3): the packet split over APP1 segments, each with the
 * packet's GUID, full length and this part's offset. Only the first GUID is kept. */
typedef struct {
    uint8_t guid[32];
    uint8_t *data;
    uint32_t size, received;
    int refused;
} extended_xmp;

static void extended_xmp_add(cf_prov_reader *rd, extended_xmp *x, const uint8_t *d, size_t n) {
    if (n < 32 + 8 || x->refused) return;
    uint32_t full = prov_be32(d + 32), offset = prov_be32(d + 36);
    d += 40;
    n -= 40;
    if (!x->data) {
        if (full == 0 || full > CF_PROV_MAX_TEXT) {
            cf_prov_note_unreadable(rd->p, "an extended XMP packet of %u bytes is over the limit of %u bytes; skipped",
                                    full, CF_PROV_MAX_TEXT);
            x->refused = 1;
            return;
        }
        x->data = calloc(1, full);
        if (!x->data) {
            rd->oom = 1;
            x->refused = 1;
            return;
        }
        memcpy(x->guid, d - 40, 32);
        x->size = full;
    }
    if (memcmp(x->guid, d - 40, 32) != 0 || full != x->size) return; /* another packet: ignored */
    if (offset > x->size || n > x->size - offset) {
        cf_prov_note_unreadable(rd->p, "an extended XMP part lies outside its packet");
        return;
    }
    memcpy(x->data + offset, d, n);
    x->received += (uint32_t)n;
}

static const char XMP_SIG[] = "http://ns.adobe.com/xap/1.0/";          /* + NUL */
static const char XMP_EXT_SIG[] = "http://ns.adobe.com/xmp/extension/"; /* + NUL */

static void jpeg_segment(cf_prov_reader *rd, const uint8_t *file, unsigned marker, const uint8_t *d, size_t n,
                         app11_list *app11, extended_xmp *ext, int *exif_seen) {
    if (marker == 0xE1) {
        if (n >= 6 && memcmp(d, "Exif\0\0", 6) == 0) {
            if (!*exif_seen) cf_prov_read_exif(rd, d + 6, n - 6);
            *exif_seen = 1;
        } else if (n >= sizeof XMP_SIG && memcmp(d, XMP_SIG, sizeof XMP_SIG) == 0) {
            cf_prov_keep_xmp(rd, d + sizeof XMP_SIG, n - sizeof XMP_SIG);
        } else if (n >= sizeof XMP_EXT_SIG && memcmp(d, XMP_EXT_SIG, sizeof XMP_EXT_SIG) == 0) {
            extended_xmp_add(rd, ext, d + sizeof XMP_EXT_SIG, n - sizeof XMP_EXT_SIG);
        }
    } else if (marker == 0xEB) {
        app11_add(rd, app11, file, d, n);
    }
}

static void walk_jpeg(cf_prov_reader *rd, const uint8_t *file, size_t n) {
    app11_list app11 = {0};
    extended_xmp ext = {{0}, NULL, 0, 0, 0};
    int exif_seen = 0, steps = 0;
    size_t pos = 2;
    while (pos + 4 <= n && !rd->oom) {
        if (++steps > PROV_MAX_CHUNKS) {
            cf_prov_note_unreadable(rd->p, "more than %d JPEG segments; the rest were skipped", PROV_MAX_CHUNKS);
            break;
        }
        if (file[pos] != 0xFF) {
            cf_prov_note_unreadable(rd->p, "the JPEG segment structure breaks at byte %zu", pos);
            break;
        }
        unsigned marker = file[pos + 1];
        if (marker == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { /* no length */
            pos += 2;
            continue;
        }
        if (marker == 0xDA || marker == 0xD9) break; /* metadata precedes the scan */
        size_t len = prov_be16(file + pos + 2);
        if (len < 2 || len > n - pos - 2) {
            cf_prov_note_unreadable(rd->p, "a JPEG segment at byte %zu runs past the end of the file", pos);
            break;
        }
        jpeg_segment(rd, file, marker, file + pos + 4, len - 2, &app11, &ext, &exif_seen);
        pos += 2 + len;
    }
    if (ext.data) {
        if (ext.received >= ext.size) cf_prov_keep_xmp(rd, ext.data, ext.size);
        else cf_prov_note_unreadable(rd->p, "an extended XMP packet is incomplete");
        free(ext.data);
    }
    if (!rd->oom) assemble_c2pa(rd, file, &app11);
    free(app11.seg);
}

/* ---- PNG -------------------------------------------------------------------------------------- */

/* Length of a NUL-terminated field at d (at most n bytes); n when there is no NUL. */
static size_t field_len(const uint8_t *d, size_t n) {
    const uint8_t *z = memchr(d, 0, n);
    return z ? (size_t)(z - d) : n;
}

static void png_text_found(cf_prov_reader *rd, const uint8_t *key, size_t key_n, const uint8_t *text, size_t n) {
    static const char xmp_key[] = "XML:com.adobe.xmp";
    if (key_n == sizeof xmp_key - 1 && memcmp(key, xmp_key, key_n) == 0) cf_prov_keep_xmp(rd, text, n);
    else cf_prov_keep_text(rd, (const char *)key, key_n, text, n);
}

/* tEXt: keyword NUL text. zTXt: keyword NUL method compressed. iTXt: keyword NUL flag method
 * language NUL translated-keyword NUL text (compressed when flag is 1). */
static void png_text(cf_prov_reader *rd, const uint8_t type[4], const uint8_t *d, size_t n) {
    size_t key_n = field_len(d, n);
    if (key_n == 0 || key_n >= n || key_n > 79) {
        cf_prov_note_unreadable(rd->p, "a PNG text chunk has no valid keyword");
        return;
    }
    const uint8_t *rest = d + key_n + 1;
    size_t rest_n = n - key_n - 1;
    int compressed = 0;
    if (memcmp(type, "zTXt", 4) == 0) {
        if (rest_n < 1) return;
        compressed = 1;
        rest++, rest_n--;
    } else if (memcmp(type, "iTXt", 4) == 0) {
        if (rest_n < 2) return;
        compressed = rest[0] == 1;
        rest += 2, rest_n -= 2;
        for (int skip = 0; skip < 2; skip++) { /* language tag, translated keyword */
            size_t f = field_len(rest, rest_n);
            if (f >= rest_n) {
                cf_prov_note_unreadable(rd->p, "a PNG iTXt chunk is cut short");
                return;
            }
            rest += f + 1, rest_n -= f + 1;
        }
    }
    if (rd->n_texts >= PROV_MAX_TEXT_CHUNKS) { /* counted, not inflated */
        rd->skipped_texts++;
        return;
    }
    if (!compressed) {
        png_text_found(rd, d, key_n, rest, rest_n);
        return;
    }
    size_t out_n = 0;
    char *out = inflate_bounded(rd, rest, rest_n, &out_n);
    if (!out) return;
    png_text_found(rd, d, key_n, (const uint8_t *)out, out_n);
    free(out);
}

static void walk_png(cf_prov_reader *rd, const uint8_t *file, size_t n) {
    size_t pos = 8;
    int steps = 0;
    while (pos + 12 <= n && !rd->oom) {
        if (++steps > PROV_MAX_CHUNKS) {
            cf_prov_note_unreadable(rd->p, "more than %d PNG chunks; the rest were skipped", PROV_MAX_CHUNKS);
            break;
        }
        size_t len = prov_be32(file + pos);
        const uint8_t *type = file + pos + 4, *d = file + pos + 8;
        if (len > n - pos - 12) {
            cf_prov_note_unreadable(rd->p, "a PNG chunk at byte %zu claims %zu bytes, past the end of the file", pos, len);
            break;
        }
        if (!memcmp(type, "tEXt", 4) || !memcmp(type, "zTXt", 4) || !memcmp(type, "iTXt", 4)) {
            png_text(rd, type, d, len);
        } else if (!memcmp(type, "eXIf", 4)) {
            if (len >= 6 && memcmp(d, "Exif\0\0", 6) == 0) cf_prov_read_exif(rd, d + 6, len - 6);
            else cf_prov_read_exif(rd, d, len);
        } else if (!memcmp(type, "caBX", 4)) {
            keep_c2pa_store(rd, d, len, "PNG caBX chunk");
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        pos += 12 + len;
    }
    if (rd->skipped_texts)
        cf_prov_note_unreadable(rd->p, "%d PNG text chunks past the first %d (or %u bytes) were skipped",
                                rd->skipped_texts, PROV_MAX_TEXT_CHUNKS, PROV_MAX_KEPT);
}

/* ---- RIFF / WebP ------------------------------------------------------------------------------ */

static void walk_riff(cf_prov_reader *rd, const uint8_t *file, size_t n) {
    size_t pos = 12;
    int steps = 0;
    while (pos + 8 <= n && !rd->oom) {
        if (++steps > PROV_MAX_CHUNKS) {
            cf_prov_note_unreadable(rd->p, "more than %d RIFF chunks; the rest were skipped", PROV_MAX_CHUNKS);
            break;
        }
        const uint8_t *type = file + pos, *d = file + pos + 8;
        size_t len = prov_le32(file + pos + 4);
        if (len > n - pos - 8) {
            cf_prov_note_unreadable(rd->p, "a RIFF chunk at byte %zu claims %zu bytes, past the end of the file", pos, len);
            break;
        }
        if (!memcmp(type, "EXIF", 4)) {
            if (len >= 6 && memcmp(d, "Exif\0\0", 6) == 0) cf_prov_read_exif(rd, d + 6, len - 6);
            else cf_prov_read_exif(rd, d, len);
        } else if (!memcmp(type, "XMP ", 4)) {
            cf_prov_keep_xmp(rd, d, len);
        } else if (!memcmp(type, "C2PA", 4)) {
            keep_c2pa_store(rd, d, len, "RIFF C2PA chunk");
        }
        pos += 8 + len + (len & 1); /* chunks are padded to an even size */
    }
}

void cf_prov_walk(cf_prov_reader *rd, const uint8_t *file, size_t n) {
    if (n >= 3 && file[0] == 0xFF && file[1] == 0xD8 && file[2] == 0xFF) walk_jpeg(rd, file, n);
    else if (n >= 8 && memcmp(file, "\x89PNG\r\n\x1a\n", 8) == 0) walk_png(rd, file, n);
    else if (n >= 12 && memcmp(file, "RIFF", 4) == 0 && memcmp(file + 8, "WEBP", 4) == 0) walk_riff(rd, file, n);
    /* GIF, BMP and anything else: no metadata this reader knows */
}
