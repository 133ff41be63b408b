/* prov_exif.c - the few EXIF tags that say where an image came from: Make, Model, Software,
 * ImageDescription, UserComment (where AUTOMATIC1111 writes its parameters into JPEGs) and whether
 * a MakerNote is present. Reads IFD0 and the EXIF sub-IFD only (no chains, no recursion); every
 * offset and count is checked against the TIFF structure's size before use. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generators.h"
#include "prov_internal.h"

#define EXIF_MAX_ENTRIES 1024 /* entries read per IFD */
#define EXIF_SHORT_TEXT 256   /* Make, Model, Software kept */

enum {
    TAG_IMAGE_DESCRIPTION = 0x010E,
    TAG_MAKE = 0x010F,
    TAG_MODEL = 0x0110,
    TAG_SOFTWARE = 0x0131,
    TAG_EXIF_IFD = 0x8769,
    TAG_USER_COMMENT = 0x9286,
    TAG_MAKER_NOTE = 0x927C,
};

typedef struct {
    const uint8_t *b;
    size_t n;
    int little;
} tiff;

typedef struct {
    char make[EXIF_SHORT_TEXT], model[EXIF_SHORT_TEXT], software[EXIF_SHORT_TEXT];
    const uint8_t *description, *comment; /* inside the TIFF bytes */
    size_t description_n, comment_n;
    size_t maker_note;                    /* bytes, 0 when absent */
    int has_maker_note;
    uint32_t exif_ifd;
} exif_info;

static unsigned u16(const tiff *t, size_t at) {
    return t->little ? (unsigned)t->b[at] | (unsigned)t->b[at + 1] << 8 : prov_be16(t->b + at);
}
static uint32_t u32(const tiff *t, size_t at) { return t->little ? prov_le32(t->b + at) : prov_be32(t->b + at); }

/* The value bytes of the entry at e: inline when they fit in 4 bytes, else at the offset given.
 * NULL when they lie outside the structure. */
static const uint8_t *entry_value(const tiff *t, size_t e, size_t *size) {
    unsigned type = u16(t, e + 2);
    uint32_t count = u32(t, e + 4);
    size_t unit = type == 3 ? 2 : type == 4 || type == 9 ? 4 : type == 5 || type == 10 ? 8 : 1;
    if (count > t->n / unit) return NULL;
    size_t bytes = (size_t)count * unit;
    *size = bytes;
    if (bytes <= 4) return t->b + e + 8;
    uint32_t at = u32(t, e + 8);
    if (at > t->n || bytes > t->n - at) return NULL;
    return t->b + at;
}

/* ASCII value into dst, trailing NULs and spaces dropped. */
static void ascii_value(char *dst, size_t cap, const uint8_t *v, size_t n) {
    cf_prov_copy(dst, cap, (const char *)v, n);
    size_t len = strlen(dst);
    while (len > 0 && dst[len - 1] == ' ') dst[--len] = 0;
}

static void read_ifd(cf_prov_reader *rd, const tiff *t, uint32_t offset, exif_info *info) {
    if (offset > t->n || t->n - offset < 2) {
        cf_prov_note_unreadable(rd->p, "an EXIF directory lies outside the EXIF data");
        return;
    }
    size_t count = u16(t, offset);
    if (count > (t->n - offset - 2) / 12) {
        cf_prov_note_unreadable(rd->p, "an EXIF directory claims more entries than the EXIF data holds");
        count = (t->n - offset - 2) / 12;
    }
    if (count > EXIF_MAX_ENTRIES) count = EXIF_MAX_ENTRIES;
    for (size_t i = 0; i < count; i++) {
        size_t e = offset + 2 + 12 * i, size = 0;
        unsigned tag = u16(t, e);
        if (tag != TAG_MAKE && tag != TAG_MODEL && tag != TAG_SOFTWARE && tag != TAG_IMAGE_DESCRIPTION &&
            tag != TAG_EXIF_IFD && tag != TAG_USER_COMMENT && tag != TAG_MAKER_NOTE)
            continue;
        const uint8_t *v = entry_value(t, e, &size);
        if (!v) {
            if (tag == TAG_MAKER_NOTE) info->has_maker_note = 1; /* present, even if its offset is odd */
            else cf_prov_note_unreadable(rd->p, "EXIF tag 0x%04X points outside the EXIF data", tag);
            continue;
        }
        switch (tag) {
        case TAG_MAKE: ascii_value(info->make, sizeof info->make, v, size); break;
        case TAG_MODEL: ascii_value(info->model, sizeof info->model, v, size); break;
        case TAG_SOFTWARE: ascii_value(info->software, sizeof info->software, v, size); break;
        case TAG_IMAGE_DESCRIPTION: info->description = v, info->description_n = size; break;
        case TAG_USER_COMMENT: info->comment = v, info->comment_n = size; break;
        case TAG_MAKER_NOTE: info->has_maker_note = 1, info->maker_note = size; break;
        case TAG_EXIF_IFD:
            if (size == 4) info->exif_ifd = u32(t, e + 8);
            break;
        }
    }
}

/* UTF-16 text (either byte order: guessed from where the zero bytes of ASCII characters fall, or a
 * byte order mark) to UTF-8; unpaired surrogates become U+FFFD. */
static char *utf16_to_utf8(cf_prov_reader *rd, const uint8_t *s, size_t n) {
    size_t units = n / 2;
    if (units > CF_PROV_MAX_TEXT / 3) units = CF_PROV_MAX_TEXT / 3;
    size_t zero_even = 0, zero_odd = 0;
    for (size_t i = 0; i < units && i < 256; i++) zero_even += s[2 * i] == 0, zero_odd += s[2 * i + 1] == 0;
    int big = zero_even >= zero_odd;
    size_t i = 0;
    if (units && ((s[0] == 0xFE && s[1] == 0xFF) || (s[0] == 0xFF && s[1] == 0xFE))) big = s[0] == 0xFE, i = 1;
    char *out = malloc(units * 3 + 1);
    if (!out) {
        rd->oom = 1;
        return NULL;
    }
    size_t o = 0;
    for (; i < units; i++) {
        uint32_t c = big ? (uint32_t)s[2 * i] << 8 | s[2 * i + 1] : (uint32_t)s[2 * i + 1] << 8 | s[2 * i];
        if (c == 0) break;
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < units) {
            uint32_t lo = big ? (uint32_t)s[2 * i + 2] << 8 | s[2 * i + 3] : (uint32_t)s[2 * i + 3] << 8 | s[2 * i + 2];
            if (lo >= 0xDC00 && lo < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xD800 && c < 0xE000) {
            c = 0xFFFD;
        }
        o += cf_prov_utf8_put(out + o, c); /* a pair (4 bytes) spends two units: within units * 3 */
    }
    out[o] = 0;
    return out;
}

/* UserComment: an 8-byte character code ("ASCII", "UNICODE", "JIS" or undefined) then the text. */
static char *decode_user_comment(cf_prov_reader *rd, const uint8_t *v, size_t n) {
    if (n < 8) return cf_prov_strndup(rd, "", 0);
    if (memcmp(v, "UNICODE\0", 8) == 0) return utf16_to_utf8(rd, v + 8, n - 8);
    size_t len = n - 8;
    const uint8_t *z = memchr(v + 8, 0, len);
    if (z) len = (size_t)(z - (v + 8));
    return cf_prov_strndup(rd, (const char *)v + 8, len);
}

static int same_letters(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return 0;
    return 1;
}

/* "Canon EOS R5" rather than "Canon Canon EOS R5": the make is left out when the model starts with
 * its first word. */
static void camera_name(const exif_info *info, char *out, size_t cap) {
    size_t word = strcspn(info->make, " ");
    if (!info->make[0]) snprintf(out, cap, "%s", info->model);
    else if (!info->model[0]) snprintf(out, cap, "%s", info->make);
    else if (word && strlen(info->model) >= word && same_letters(info->model, info->make, word))
        snprintf(out, cap, "%s", info->model);
    else snprintf(out, cap, "%s %s", info->make, info->model);
}

/* The signal: A1111 parameters in a comment, or a generator named by Software (declares AI), else a
 * camera (capture, weak), else the software named (other). Free text (comments, captions) is not
 * searched for generator names: a caption about fireflies must not make a photo FAKE. */
static void exif_signal(cf_prov_reader *rd, const exif_info *info, const char *comment, const char *description) {
    cf_prov_signal tmp;
    memset(&tmp, 0, sizeof tmp);
    char model[128] = "";
    char *prompt = NULL;
    const char *texts[2] = {comment, description}, *where[2] = {"UserComment", "ImageDescription"};
    for (int i = 0; i < 2 && !tmp.declares; i++) {
        if (!texts[i] || !texts[i][0]) continue;
        if (cf_prov_parse_a1111(rd, texts[i], strlen(texts[i]), &prompt, model, sizeof model)) {
            tmp.declares = CF_DECLARES_AI_GENERATED;
            cf_prov_copy(tmp.generator, sizeof tmp.generator, "AUTOMATIC1111", 13);
            if (model[0])
                cf_prov_says(&tmp, "Stable Diffusion parameters (AUTOMATIC1111 format, model %s) in the EXIF %s declare the image generated",
                          model, where[i]);
            else
                cf_prov_says(&tmp, "Stable Diffusion parameters (AUTOMATIC1111 format) in the EXIF %s declare the image generated",
                          where[i]);
        }
    }
    const char *g = info->software[0] ? cf_generator_find(info->software, strlen(info->software)) : NULL;
    char camera[2 * EXIF_SHORT_TEXT + 8];
    camera_name(info, camera, sizeof camera);
    if (!tmp.declares && g) {
        int edits = cf_generator_edits(g);
        tmp.declares = edits ? CF_DECLARES_AI_EDITED : CF_DECLARES_AI_GENERATED;
        cf_prov_copy(tmp.generator, sizeof tmp.generator, g, strlen(g));
        cf_prov_says(&tmp, "the EXIF Software tag names %s: it declares the image %s", g,
                  edits ? "edited with generative AI" : "generated");
    } else if (!tmp.declares && info->make[0] && info->model[0]) {
        tmp.declares = CF_DECLARES_CAPTURE;
        cf_prov_says(&tmp, "EXIF names a %s camera%s (EXIF can be forged)", camera,
                  info->has_maker_note ? ", with maker notes" : "");
    } else if (!tmp.declares && (info->software[0] || camera[0])) {
        tmp.declares = CF_DECLARES_OTHER;
        if (info->software[0]) cf_prov_says(&tmp, "EXIF names the software %s", info->software);
        else cf_prov_says(&tmp, "EXIF names the maker %s but no camera model", camera);
    }
    if (!tmp.declares) return;
    cf_prov_signal *s = cf_prov_add_signal(rd->p, CF_SIGNAL_EXIF);
    if (!s) {
        free(prompt);
        return;
    }
    tmp.kind = CF_SIGNAL_EXIF;
    tmp.verified = CF_VERIFIED_NA;
    tmp.prompt = prompt;
    *s = tmp;
}

void cf_prov_read_exif(cf_prov_reader *rd, const uint8_t *b, size_t n) {
    if (n < 8 || !((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M'))) {
        cf_prov_note_unreadable(rd->p, "the EXIF data has no valid TIFF header");
        return;
    }
    tiff t = {b, n, b[0] == 'I'};
    if (u16(&t, 2) != 42) {
        cf_prov_note_unreadable(rd->p, "the EXIF data has no valid TIFF header");
        return;
    }
    exif_info info;
    memset(&info, 0, sizeof info);
    read_ifd(rd, &t, u32(&t, 4), &info);
    if (info.exif_ifd) read_ifd(rd, &t, info.exif_ifd, &info);
    char *comment = info.comment ? decode_user_comment(rd, info.comment, info.comment_n) : NULL;
    char *description = info.description ? cf_prov_strndup(rd, (const char *)info.description, info.description_n) : NULL;
    if (rd->oom) goto done;
    cf_provenance *p = rd->p;
    int failed = 0;
    if (info.make[0]) failed |= cf_prov_add_field(p, "EXIF:Make", info.make, strlen(info.make));
    if (info.model[0]) failed |= cf_prov_add_field(p, "EXIF:Model", info.model, strlen(info.model));
    if (info.software[0]) failed |= cf_prov_add_field(p, "EXIF:Software", info.software, strlen(info.software));
    if (description && description[0])
        failed |= cf_prov_add_field(p, "EXIF:ImageDescription", description, strlen(description));
    if (comment && comment[0]) failed |= cf_prov_add_field(p, "EXIF:UserComment", comment, strlen(comment));
    if (info.has_maker_note) {
        char note[64];
        snprintf(note, sizeof note, "present, %zu bytes", info.maker_note);
        failed |= cf_prov_add_field(p, "EXIF:MakerNote", note, strlen(note));
    }
    if (failed) rd->oom = 1;
    else exif_signal(rd, &info, comment, description);
done:
    free(comment);
    free(description);
}
