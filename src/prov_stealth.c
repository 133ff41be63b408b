/* prov_stealth.c - AUTOMATIC1111's "stealth pnginfo" (sd-webui-stealth-pnginfo): the generation
 * parameters written into the low bit of each pixel's alpha, column by column (x outer, y inner),
 * as bits, most significant first: the 15-byte signature "stealth_pnginfo" (plain) or
 * "stealth_pngcomp" (gzip), a 32-bit count of data bits, then the data. Read-only and bounded: the
 * data is at most what the pixels hold and CF_PROV_MAX_TEXT once inflated. NovelAI hides its JSON
 * the same way ("stealth_pngcomp"); its generator is then found by name. (The extension's RGB
 * variants, "stealth_rgbinfo"/"stealth_rgbcomp", are not read.) */
#include <stdlib.h>
#include <string.h>

#include "generators.h"
#include "prov_internal.h"
#include "stb_image.h"

typedef struct {
    const uint8_t *rgba;
    int width, height;
    size_t next; /* index of the next bit, column-major */
} alpha_bits;

static int next_bit(alpha_bits *b) {
    size_t x = b->next / (size_t)b->height, y = b->next % (size_t)b->height;
    b->next++;
    return b->rgba[(y * (size_t)b->width + x) * 4 + 3] & 1;
}

static void read_bytes(alpha_bits *b, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 8; k++) v = v << 1 | (unsigned)next_bit(b);
        out[i] = (uint8_t)v;
    }
}

/* gzip member (RFC 1952) -> raw deflate data inflated into at most CF_PROV_MAX_TEXT bytes. */
static char *gunzip_bounded(const uint8_t *d, size_t n, size_t *out_n) {
    if (n < 18 || d[0] != 0x1F || d[1] != 0x8B || d[2] != 8) return NULL;
    unsigned flags = d[3];
    size_t at = 10;
    if (flags & 4) { /* FEXTRA */
        if (at + 2 > n) return NULL;
        at += 2 + (d[at] | (size_t)d[at + 1] << 8);
    }
    for (unsigned f = 8; f <= 16; f <<= 1) /* FNAME, FCOMMENT: NUL-terminated */
        if (flags & f) {
            const uint8_t *z = at < n ? memchr(d + at, 0, n - at) : NULL;
            if (!z) return NULL;
            at = (size_t)(z - d) + 1;
        }
    if (flags & 2) at += 2; /* FHCRC */
    if (at + 8 > n || n - at - 8 > 0x7fffffff) return NULL;
    char *out = malloc(CF_PROV_MAX_TEXT + 1);
    if (!out) return NULL;
    int got = stbi_zlib_decode_noheader_buffer(out, CF_PROV_MAX_TEXT, (const char *)d + at, (int)(n - at - 8));
    if (got < 0) {
        free(out);
        return NULL;
    }
    out[got] = 0;
    *out_n = (size_t)got;
    return out;
}

int cf_provenance_read_stealth(cf_provenance *p, const uint8_t *rgba, int width, int height, cf_error *err) {
    if (!rgba || width <= 0 || height <= 0) return 0;
    size_t bits = (size_t)width * (size_t)height;
    if (bits < (15 + 4) * 8) return 0;
    alpha_bits b = {rgba, width, height, 0};
    uint8_t sig[15];
    read_bytes(&b, sig, sizeof sig);
    int compressed;
    if (!memcmp(sig, "stealth_pnginfo", 15)) compressed = 0;
    else if (!memcmp(sig, "stealth_pngcomp", 15)) compressed = 1;
    else return 0;
    uint8_t len_bytes[4];
    read_bytes(&b, len_bytes, 4);
    size_t data_bits = prov_be32(len_bytes);
    if (data_bits % 8 || data_bits > bits - b.next) {
        cf_prov_note_unreadable(p, "the stealth parameters in the alpha channel claim %zu bits, more than the pixels hold",
                                data_bits);
        return 0;
    }
    size_t n = data_bits / 8;
    uint8_t *data = malloc(n + 1);
    if (!data) return cf_fail(err, "out of memory reading the stealth parameters");
    read_bytes(&b, data, n);
    char *text = (char *)data;
    size_t text_n = n;
    if (compressed) {
        text = gunzip_bounded(data, n, &text_n);
        free(data);
        data = NULL;
        if (!text) {
            cf_prov_note_unreadable(p, "the compressed stealth parameters in the alpha channel are corrupt or too large");
            return 0;
        }
    } else {
        data[n] = 0;
    }
    cf_prov_reader rd;
    memset(&rd, 0, sizeof rd);
    rd.p = p;
    char model[96] = "", *prompt = NULL;
    int a1111 = cf_prov_parse_a1111(&rd, text, strlen(text), &prompt, model, sizeof model);
    int failed = rd.oom || cf_prov_add_field(p, "Stealth:parameters", text, text_n);
    cf_prov_signal *s = failed ? NULL : cf_prov_add_signal(p, CF_SIGNAL_STEALTH);
    if (s) {
        s->declares = CF_DECLARES_AI_GENERATED;
        /* A1111's own parameters, or another front end's (NovelAI writes its JSON the same way) */
        const char *g = a1111 ? "AUTOMATIC1111" : cf_generator_find(text, strlen(text));
        if (g) cf_prov_copy(s->generator, sizeof s->generator, g, strlen(g));
        if (!a1111)
            cf_prov_says(s, "Generation parameters%s%s%s are hidden in the alpha channel's low bits: they declare the image generated",
                      g ? " (" : "", g ? g : "", g ? ")" : "");
        else if (model[0])
            cf_prov_says(s, "Stable Diffusion parameters (model %s) are hidden in the alpha channel's low bits: they declare the image generated",
                      model);
        else
            cf_prov_says(s, "Stable Diffusion parameters are hidden in the alpha channel's low bits: they declare the image generated");
        s->prompt = a1111 ? prompt : cf_prov_strndup(&rd, text, strlen(text));
        if (!a1111) free(prompt);
        prompt = NULL;
        if (rd.oom) failed = 1;
    }
    free(prompt);
    free(text);
    if (failed) return cf_fail(err, "out of memory reading the stealth parameters");
    cf_provenance_update_declares(p);
    return 0;
}
