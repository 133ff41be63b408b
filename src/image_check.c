/* image_check.c - what can be said about an encoded image before stb_image or libwebp sees it.
 *
 * Input comes from users, so this file walks the container itself: it recognises the format by its
 * signature, reads width and height from the header and checks the limits (image.h), and makes sure
 * the data is complete (stb_image silently pads a truncated JPEG, BMP or GIF with made-up pixels,
 * which would give the detector an image that never existed). The decoder's own reading of the
 * header must then agree (cf_image_check). Decoding itself is in image.c. */
#include "image_check.h"

#include <stdlib.h>
#include <string.h>

#include "stb_image.h"
#ifdef CF_WITH_WEBP
#include <webp/decode.h>
#endif

/* WebP is decoded by native builds, with libwebp (the Makefile defines CF_WITH_WEBP); the WebAssembly
 * module names it as unsupported (the page decodes WebP with the browser). */
#ifdef CF_WITH_WEBP
#define SUPPORTED_FORMATS "JPEG, PNG, BMP, GIF, WebP"
#else
#define SUPPORTED_FORMATS "JPEG, PNG, BMP, GIF"
#endif

const char *cf_image_format_name(cf_image_format format) {
    switch (format) {
    case CF_FORMAT_JPEG: return "JPEG";
    case CF_FORMAT_PNG: return "PNG";
    case CF_FORMAT_GIF: return "GIF";
    case CF_FORMAT_BMP: return "BMP";
    case CF_FORMAT_WEBP: return "WebP";
    default: return "image";
    }
}

/* ---- little helpers for reading header fields (all callers check the length first) ---- */

static uint32_t read_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t read_le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t read_be32(const uint8_t *p) { return read_be16(p) << 16 | read_be16(p + 2); }
static uint32_t read_le32(const uint8_t *p) { return read_le16(p + 2) << 16 | read_le16(p); }
#ifdef CF_WITH_WEBP
static uint32_t read_le24(const uint8_t *p) { return (uint32_t)p[2] << 16 | read_le16(p); }
#endif

static int starts_with(const uint8_t *bytes, size_t n, const char *magic, size_t magic_len) {
    return n >= magic_len && memcmp(bytes, magic, magic_len) == 0;
}

/* ---- format recognition ---- */

static cf_image_format sniff_format(const uint8_t *bytes, size_t n) {
    if (starts_with(bytes, n, "\xFF\xD8\xFF", 3)) return CF_FORMAT_JPEG;
    if (starts_with(bytes, n, "\x89PNG\r\n\x1A\n", 8)) return CF_FORMAT_PNG;
    if (starts_with(bytes, n, "GIF87a", 6) || starts_with(bytes, n, "GIF89a", 6)) return CF_FORMAT_GIF;
    if (starts_with(bytes, n, "BM", 2)) return CF_FORMAT_BMP;
#ifdef CF_WITH_WEBP
    if (n >= 12 && memcmp(bytes, "RIFF", 4) == 0 && memcmp(bytes + 8, "WEBP", 4) == 0) return CF_FORMAT_WEBP;
#endif
    return CF_FORMAT_UNKNOWN;
}

/* Length of the UTF-8 sequence a lead byte starts (0 if it cannot start one). */
static size_t utf8_sequence_length(uint8_t lead) {
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

/* Printable ASCII, whitespace and well-formed UTF-8 over the first 512 bytes (a sequence cut by
 * that window still counts). Binary data fails this almost at once. */
static int looks_like_text(const uint8_t *bytes, size_t n) {
    size_t check = n < 512 ? n : 512;
    for (size_t i = 0; i < check; i++) {
        uint8_t c = bytes[i];
        if ((c >= 0x20 && c < 0x7F) || c == '\t' || c == '\n' || c == '\r' || c == '\f') continue;
        size_t len = utf8_sequence_length(c);
        if (len == 0) return 0;
        for (size_t k = 1; k < len && i + k < check; k++)
            if ((bytes[i + k] & 0xC0) != 0x80) return 0;
        i += len - 1;
    }
    return 1;
}

/* Names a recognisable format we do not decode, so the user knows to convert it rather than
 * wondering whether the file is broken. NULL when the data is nothing we recognise. */
static const char *unsupported_format_name(const uint8_t *bytes, size_t n) {
    if (n >= 12 && memcmp(bytes, "RIFF", 4) == 0 && memcmp(bytes + 8, "WEBP", 4) == 0) return "WebP";
    if (n >= 12 && memcmp(bytes + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
    if (starts_with(bytes, n, "II*\0", 4) || starts_with(bytes, n, "MM\0*", 4)) return "TIFF";
    if (starts_with(bytes, n, "%PDF", 4)) return "PDF";
    if (starts_with(bytes, n, "\0\0\1\0", 4)) return "ICO";
    if (looks_like_text(bytes, n)) return "text";
    return NULL;
}

static int fail_unsupported(const uint8_t *bytes, size_t n, cf_error *err) {
    const char *what = unsupported_format_name(bytes, n);
    if (what && strcmp(what, "text") == 0)
        return cf_fail(err, "not a supported image (" SUPPORTED_FORMATS "): the file looks like text");
    if (what) return cf_fail(err, "not a supported image (" SUPPORTED_FORMATS "): %s is not supported", what);
    return cf_fail(err, "not a supported image (" SUPPORTED_FORMATS ")");
}

/* ---- limits ---- */

int cf_image_check_dimensions(uint64_t width, uint64_t height, cf_image_format format, cf_error *err) {
    if (width == 0 || height == 0)
        return cf_fail(err, "corrupt %s: the header gives a size of %llux%llu pixels", cf_image_format_name(format),
                       (unsigned long long)width, (unsigned long long)height);
    /* Both factors are below 2^32 (every format stores at most 32-bit sizes), so this cannot wrap. */
    int too_many = width * height > CF_IMAGE_MAX_PIXELS;
    int too_long = width > CF_IMAGE_MAX_SIDE || height > CF_IMAGE_MAX_SIDE;
    unsigned long long w = width, h = height;
    if (too_many && too_long) /* name both, so the user does not fix one and hit the other */
        return cf_fail(err, "image is %llux%llu pixels, over the limit of %zu pixels and the limit of %d pixels "
                            "per side", w, h, CF_IMAGE_MAX_PIXELS, CF_IMAGE_MAX_SIDE);
    if (too_many)
        return cf_fail(err, "image is %llux%llu pixels, over the limit of %zu pixels", w, h, CF_IMAGE_MAX_PIXELS);
    if (too_long)
        return cf_fail(err, "image is %llux%llu pixels, over the limit of %d pixels per side", w, h, CF_IMAGE_MAX_SIDE);
    return 0;
}

/* ---- per-format structure checks: size from the header, unsupported variants, truncation ---- */

static int is_jpeg_frame_marker(uint8_t m) {
    /* SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC) which share the range. */
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* What the walk over a JPEG's markers has learnt so far. stb_image allocates its decoder state,
 * coefficient and sample planes without initialising them and trusts the file to fill them in, so
 * everything a scan will read is checked here first: its Huffman tables, its components'
 * quantisation tables, the order of progressive scans, and that every block gets decoded. */
typedef struct {
    uint8_t id, h, v, tq;
} jpeg_component;

typedef struct {
    int seen_frame, progressive, scans, in_scan;
    uint64_t pixels;     /* width * height from the frame header */
    uint64_t scan_bytes; /* bytes of entropy-coded data seen */
    uint32_t width, height;
    int components, h_max, v_max;
    jpeg_component comp[3];
    unsigned dc_tables, ac_tables, quant_tables; /* bit t: table t is defined */
    unsigned scanned;                            /* bit c: component c has been in a scan */
    int8_t coef_al[3][64]; /* progressive: each coefficient's successive-approximation bit, -1 before its first scan */
    uint32_t restart_interval;                   /* from the last DRI segment, 0 for none */
    int scan_open;                               /* a scan's entropy-coded data is being walked */
    uint64_t scan_intervals, scan_restarts;      /* restart intervals the open scan needs, markers seen */
} jpeg_walk;

static int check_jpeg_frame(const uint8_t *seg, size_t seg_len, uint8_t marker, jpeg_walk *walk, cf_error *err) {
    if (seg_len < 8) return cf_fail(err, "corrupt JPEG: frame header too short");
    if (marker != 0xC0 && marker != 0xC1 && marker != 0xC2)
        return cf_fail(err, "unsupported JPEG: %s coding (SOF%d) is not supported, only baseline and progressive",
                       marker == 0xC3 ? "lossless" : marker >= 0xC9 ? "arithmetic" : "hierarchical",
                       marker - 0xC0);
    if (seg[2] != 8) return cf_fail(err, "unsupported JPEG: %d-bit samples, only 8-bit JPEG is supported", seg[2]);
    /* Print-shop CMYK (and YCCK) JPEGs are refused rather than guessed at: without the ICC profile
     * the conversion to RGB is approximate, and the model has only ever seen RGB photographs. */
    if (seg[7] == 4)
        return cf_fail(err, "unsupported JPEG: CMYK colour (4 components) is not supported; save the image as RGB");
    if (seg[7] != 1 && seg[7] != 3)
        return cf_fail(err, "unsupported JPEG: %d colour components (only greyscale or RGB/YCbCr)", seg[7]);
    if (seg_len < 8 + 3 * (size_t)seg[7]) return cf_fail(err, "corrupt JPEG: frame header too short");
    uint32_t height = read_be16(seg + 3), width = read_be16(seg + 5);
    if (height == 0)
        return cf_fail(err, "unsupported JPEG: the height is only given after the image data (DNL marker)");
    walk->progressive = marker == 0xC2;
    walk->width = width;
    walk->height = height;
    walk->components = seg[7];
    walk->h_max = walk->v_max = 1;
    for (int c = 0; c < walk->components; c++) {
        const uint8_t *p = seg + 8 + 3 * c;
        jpeg_component *comp = &walk->comp[c];
        comp->id = p[0];
        comp->h = p[1] >> 4;
        comp->v = p[1] & 15;
        comp->tq = p[2];
        /* A second component with the same id would never be named by a scan (stb_image takes the first). */
        for (int k = 0; k < c; k++)
            if (walk->comp[k].id == comp->id) return cf_fail(err, "corrupt JPEG: two components with id %d", comp->id);
        if (comp->h < 1 || comp->h > 4 || comp->v < 1 || comp->v > 4)
            return cf_fail(err, "corrupt JPEG: component %d has sampling factors %dx%d (1 to 4)", comp->id, comp->h,
                           comp->v);
        if (comp->tq > 3)
            return cf_fail(err, "corrupt JPEG: component %d names quantisation table %d (0 to 3)", comp->id, comp->tq);
        if (comp->h > walk->h_max) walk->h_max = comp->h;
        if (comp->v > walk->v_max) walk->v_max = comp->v;
    }
    for (int c = 0; c < walk->components; c++)
        if (walk->h_max % walk->comp[c].h || walk->v_max % walk->comp[c].v)
            return cf_fail(err, "unsupported JPEG: component %d's sampling factors %dx%d do not divide %dx%d",
                           walk->comp[c].id, walk->comp[c].h, walk->comp[c].v, walk->h_max, walk->v_max);
    memset(walk->coef_al, -1, sizeof walk->coef_al);
    walk->pixels = (uint64_t)width * height;
    return cf_image_check_dimensions(width, height, CF_FORMAT_JPEG, err);
}

/* A DHT segment: tables of (class/id byte, 16 code counts, the symbols). The bundled stb_image
 * (2.27) writes past its 257-entry size table when the counts add up to more than 256, so this is
 * checked here, before stb_image sees the data; a valid table never has more than 256 symbols. */
static int check_jpeg_huffman_tables(const uint8_t *body, size_t len, jpeg_walk *walk, cf_error *err) {
    while (len > 0) {
        if (len < 17) return cf_fail(err, "corrupt JPEG: Huffman table header cut short");
        if ((body[0] >> 4) > 1 || (body[0] & 15) > 3)
            return cf_fail(err, "corrupt JPEG: bad Huffman table id 0x%02X", body[0]);
        size_t symbols = 0;
        for (int i = 1; i <= 16; i++) symbols += body[i];
        if (symbols > 256) return cf_fail(err, "corrupt JPEG: Huffman table with %zu codes (at most 256)", symbols);
        if (symbols > len - 17) return cf_fail(err, "corrupt JPEG: Huffman table longer than its segment");
        if (body[0] >> 4) walk->ac_tables |= 1u << (body[0] & 15);
        else walk->dc_tables |= 1u << (body[0] & 15);
        body += 17 + symbols;
        len -= 17 + symbols;
    }
    return 0;
}

/* A DQT segment: tables of (precision/id byte, 64 one- or two-byte entries) filling it exactly. */
static int check_jpeg_quant_tables(const uint8_t *body, size_t len, jpeg_walk *walk, cf_error *err) {
    while (len > 0) {
        if ((body[0] >> 4) > 1 || (body[0] & 15) > 3)
            return cf_fail(err, "corrupt JPEG: bad quantisation table id 0x%02X", body[0]);
        size_t table_len = 1 + 64 * (size_t)((body[0] >> 4) + 1);
        if (table_len > len) return cf_fail(err, "corrupt JPEG: quantisation table longer than its segment");
        walk->quant_tables |= 1u << (body[0] & 15);
        body += table_len;
        len -= table_len;
    }
    return 0;
}

/* The MCUs a scan codes, as stb_image counts them: a scan of one component goes block by block over
 * that component's own size, an interleaved scan by MCU over the whole image. */
static uint64_t jpeg_scan_mcus(const jpeg_walk *walk, int ns, const jpeg_component *only) {
    uint64_t w = walk->width, h = walk->height;
    if (ns > 1) {
        uint64_t mcu_w = 8u * (unsigned)walk->h_max, mcu_h = 8u * (unsigned)walk->v_max;
        return ((w + mcu_w - 1) / mcu_w) * ((h + mcu_h - 1) / mcu_h);
    }
    uint64_t cw = (w * only->h + (unsigned)walk->h_max - 1) / (unsigned)walk->h_max;
    uint64_t ch = (h * only->v + (unsigned)walk->v_max - 1) / (unsigned)walk->v_max;
    return ((cw + 7) / 8) * ((ch + 7) / 8);
}

/* The scan parameters themselves: spectral selection Ss..Se and successive approximation Ah/Al. */
static int check_jpeg_scan_params(const jpeg_walk *walk, int ns, int ss, int se, int ah, int al, cf_error *err) {
    int n = walk->scans;
    if (!walk->progressive) {
        if (ss != 0 || ah != 0 || al != 0) /* stb_image sets Se to 63 itself, as libjpeg tolerates other values */
            return cf_fail(err, "corrupt JPEG: scan %d of a baseline JPEG has progressive parameters (Ss %d, Ah %d, "
                                "Al %d)", n, ss, ah, al);
        return 0;
    }
    if (ss > se || se > 63 || (ss == 0 && se != 0))
        return cf_fail(err, "corrupt JPEG: progressive scan %d codes coefficients %d to %d (DC alone, or a band "
                            "of AC coefficients within 1 to 63)", n, ss, se);
    if (ss > 0 && ns != 1)
        return cf_fail(err, "corrupt JPEG: progressive scan %d codes AC coefficients of %d components at once "
                            "(only one is allowed)", n, ns);
    if (al > 13 || (ah != 0 && al != ah - 1))
        return cf_fail(err, "corrupt JPEG: progressive scan %d has successive approximation bits Ah %d, Al %d", n,
                       ah, al);
    return 0;
}

/* Progressive order for one component of a scan, with libjpeg's rule: a band's first scan has
 * Ah 0, every later one refines from the bit where the previous scan of those coefficients left
 * them (Ah equal to their last Al). stb_image zeroes a block's coefficients only in the block's
 * first DC scan, so nothing may touch a component before that scan. */
static int check_jpeg_progression(jpeg_walk *walk, int c, int ss, int se, int ah, int al, cf_error *err) {
    int8_t *bits = walk->coef_al[c];
    int n = walk->scans, id = walk->comp[c].id;
    if (ss > 0 && bits[0] < 0)
        return cf_fail(err, "corrupt JPEG: progressive scan %d codes AC coefficients of component %d before its "
                            "first DC scan", n, id);
    for (int k = ss; k <= se; k++) {
        int expected = bits[k] < 0 ? 0 : bits[k];
        if (ah != expected) {
            if (bits[k] < 0)
                return cf_fail(err, "corrupt JPEG: progressive scan %d refines coefficient %d of component %d "
                                    "before its first scan", n, k, id);
            return cf_fail(err, "corrupt JPEG: progressive scan %d refines coefficient %d of component %d from bit "
                                "%d, but the previous scan left it at bit %d", n, k, id, ah, bits[k]);
        }
        bits[k] = (int8_t)al;
    }
    return 0;
}

/* One component of a scan header: it must be in the frame, once, and every table the scan will
 * decode it with must have been defined before. */
static int check_jpeg_scan_component(jpeg_walk *walk, const uint8_t *sc, unsigned *in_scan, int ss, int ah,
                                     int *index, cf_error *err) {
    int n = walk->scans, c = 0;
    while (c < walk->components && walk->comp[c].id != sc[0]) c++;
    if (c == walk->components)
        return cf_fail(err, "corrupt JPEG: scan %d names component %d, which the frame does not have", n, sc[0]);
    if (*in_scan & (1u << c)) return cf_fail(err, "corrupt JPEG: scan %d names component %d twice", n, sc[0]);
    *in_scan |= 1u << c;
    *index = c;
    int td = sc[1] >> 4, ta = sc[1] & 15;
    if (td > 3 || ta > 3)
        return cf_fail(err, "corrupt JPEG: scan %d names Huffman tables %d and %d (0 to 3)", n, td, ta);
    /* Baseline decodes every block with both tables; a progressive DC scan uses the DC table only in
     * its first pass (a refinement reads raw bits), an AC scan the AC table. */
    int uses_dc = !walk->progressive || (ss == 0 && ah == 0), uses_ac = !walk->progressive || ss > 0;
    if (uses_dc && !(walk->dc_tables & (1u << td)))
        return cf_fail(err, "corrupt JPEG: scan %d uses DC Huffman table %d, which is not defined before that scan", n,
                       td);
    if (uses_ac && !(walk->ac_tables & (1u << ta)))
        return cf_fail(err, "corrupt JPEG: scan %d uses AC Huffman table %d, which is not defined before that scan", n,
                       ta);
    int tq = walk->comp[c].tq;
    if (!(walk->quant_tables & (1u << tq)))
        return cf_fail(err, "corrupt JPEG: scan %d codes component %d with quantisation table %d, which is not "
                            "defined before that scan", n, sc[0], tq);
    walk->scanned |= 1u << c;
    return 0;
}

/* A scan header (SOS): Ns, Ns x (component id, table ids), Ss, Se, Ah/Al. */
static int check_jpeg_scan(const uint8_t *seg, size_t seg_len, jpeg_walk *walk, cf_error *err) {
    if (seg_len < 3) return cf_fail(err, "corrupt JPEG: scan header too short");
    int ns = seg[2], n = walk->scans;
    if (ns < 1 || ns > walk->components)
        return cf_fail(err, "corrupt JPEG: scan %d has %d components, the frame %d", n, ns, walk->components);
    if (seg_len != 6 + 2 * (size_t)ns)
        return cf_fail(err, "corrupt JPEG: scan header of %zu bytes for %d components", seg_len, ns);
    const uint8_t *p = seg + 3 + 2 * ns;
    int ss = p[0], se = p[1], ah = p[2] >> 4, al = p[2] & 15;
    if (check_jpeg_scan_params(walk, ns, ss, se, ah, al, err)) return -1;
    unsigned in_scan = 0;
    int index = 0;
    for (int i = 0; i < ns; i++) {
        if (check_jpeg_scan_component(walk, seg + 3 + 2 * i, &in_scan, ss, ah, &index, err)) return -1;
        if (walk->progressive && check_jpeg_progression(walk, index, ss, se, ah, al, err)) return -1;
    }
    /* With a restart interval, stb_image stops a scan at the first interval not followed by a restart
     * marker and leaves the blocks after it undecoded: the data must have a marker between intervals. */
    uint64_t mcus = jpeg_scan_mcus(walk, ns, &walk->comp[index]);
    walk->scan_intervals = walk->restart_interval ? (mcus + walk->restart_interval - 1) / walk->restart_interval : 1;
    walk->scan_restarts = 0;
    walk->scan_open = 1;
    return 0;
}

/* At the marker after a scan's entropy-coded data. */
static int close_jpeg_scan(jpeg_walk *walk, cf_error *err) {
    if (!walk->scan_open) return 0;
    walk->scan_open = 0;
    if (walk->scan_restarts + 1 >= walk->scan_intervals) return 0;
    return cf_fail(err, "corrupt JPEG: scan %d has %llu restart markers, its %llu restart intervals need %llu",
                   walk->scans, (unsigned long long)walk->scan_restarts, (unsigned long long)walk->scan_intervals,
                   (unsigned long long)(walk->scan_intervals - 1));
}

/* At the end of the image: every component's samples (baseline) or coefficients (progressive, where
 * check_jpeg_progression makes a component's first scan its first DC scan) were decoded by a scan. */
static int check_jpeg_components_decoded(const jpeg_walk *walk, cf_error *err) {
    for (int c = 0; c < walk->components; c++)
        if (!(walk->scanned & (1u << c)))
            return cf_fail(err, "corrupt JPEG: component %d has no image data (no scan codes it)", walk->comp[c].id);
    return 0;
}

/* Every 8x8 block of a component needs at least one bit of entropy-coded data (its DC code), and
 * even with 4x4 chroma subsampling the blocks of all components together number at least
 * width * height / 1024; so a real JPEG has at least width * height / 8192 bytes of image data.
 * stb_image would decode a 900-byte file claiming 24 megapixels as grey padding, spending the time
 * and memory of the full image on pixels that do not exist. */
static int check_jpeg_density(const jpeg_walk *walk, cf_error *err) {
    if (walk->scan_bytes * 8192 >= walk->pixels) return 0;
    return cf_fail(err, "truncated or corrupt JPEG: %llu bytes of image data cannot describe %llu pixels",
                   (unsigned long long)walk->scan_bytes, (unsigned long long)walk->pixels);
}

/* Checks one marker segment (seg points at its 2-byte length). stb_image 2.27 treats a failure in a
 * segment after the frame header as the end of the image and returns what it has decoded so far
 * (partly uninitialised pixels), so every segment kind it would parse is validated here, and markers
 * it does not know are refused rather than left to that path. */
static int check_jpeg_segment(uint8_t marker, const uint8_t *seg, size_t seg_len, jpeg_walk *walk, cf_error *err) {
    if (is_jpeg_frame_marker(marker)) {
        if (walk->seen_frame) return cf_fail(err, "corrupt JPEG: more than one frame header");
        walk->seen_frame = 1;
        return check_jpeg_frame(seg, seg_len, marker, walk, err);
    }
    switch (marker) {
    case 0xC4: return check_jpeg_huffman_tables(seg + 2, seg_len - 2, walk, err);
    case 0xDB: return check_jpeg_quant_tables(seg + 2, seg_len - 2, walk, err);
    case 0xDD:
        if (seg_len != 4) return cf_fail(err, "corrupt JPEG: restart interval segment of %zu bytes", seg_len);
        walk->restart_interval = read_be16(seg + 2);
        return 0;
    case 0xDA:
        if (!walk->seen_frame) return cf_fail(err, "corrupt JPEG: image data before the frame header");
        /* stb_image decodes every scan over the whole image: a file of thousands of tiny scans would
         * keep it busy for minutes (encoders write about 10 progressive scans). */
        if (++walk->scans > CF_JPEG_MAX_SCANS)
            return cf_fail(err, "unsupported JPEG: more than %d scans, over the limit", CF_JPEG_MAX_SCANS);
        walk->in_scan = 1;
        return check_jpeg_scan(seg, seg_len, walk, err);
    case 0xDC: return 0; /* DNL: stb_image checks it itself */
    default:
        if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) return 0; /* APPn (EXIF, ICC...), comment */
        return cf_fail(err, "corrupt or unsupported JPEG: unexpected marker 0x%02X", marker);
    }
}

/* Walks the marker segments: the first frame header gives the size, and the file must reach its
 * end-of-image marker. Entropy-coded data after a scan header contains no 0xFF followed by anything
 * but 0x00 (byte stuffing) or a restart marker, so the next real marker is found by scanning. Segments
 * are skipped by their length, which also steps over EXIF thumbnails with their own markers. */
static int check_jpeg(const uint8_t *bytes, size_t n, cf_error *err) {
    jpeg_walk walk;
    memset(&walk, 0, sizeof walk);
    size_t pos = 2; /* after SOI */
    while (pos < n) {
        if (bytes[pos] != 0xFF) { /* entropy-coded data, or padding that decoders tolerate */
            walk.scan_bytes += (uint64_t)walk.in_scan;
            pos++;
            continue;
        }
        if (pos + 1 >= n) break;
        uint8_t marker = bytes[pos + 1];
        if (marker == 0xFF) { /* fill byte before a marker */
            pos++;
            continue;
        }
        pos += 2;
        int stuffed_or_restart = marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7);
        if (stuffed_or_restart && walk.in_scan) { /* part of the entropy-coded data */
            walk.scan_bytes += 2;
            walk.scan_restarts += (uint64_t)(walk.scan_open && marker != 0x00);
            continue;
        }
        if (close_jpeg_scan(&walk, err)) return -1;
        if (marker == 0xD9) {
            if (!walk.scans) return cf_fail(err, "corrupt JPEG: no image data before the end of the image");
            if (check_jpeg_components_decoded(&walk, err)) return -1;
            return check_jpeg_density(&walk, err);
        }
        if (stuffed_or_restart || marker == 0x01 || marker == 0xD8)
            return cf_fail(err, "corrupt JPEG: unexpected marker 0x%02X outside the image data", marker);
        if (pos + 2 > n) break;
        size_t seg_len = read_be16(bytes + pos);
        if (seg_len < 2) return cf_fail(err, "corrupt JPEG: marker segment with length %zu", seg_len);
        if (seg_len > n - pos) break;
        if (check_jpeg_segment(marker, bytes + pos, seg_len, &walk, err)) return -1;
        pos += seg_len;
    }
    if (!walk.seen_frame) return cf_fail(err, "truncated JPEG data: the file ends before the image header");
    return cf_fail(err, "truncated JPEG data: the file ends %s",
                   walk.in_scan ? "inside the image data, before the end-of-image marker"
                                : "before the image data starts");
}

/* Walks the chunks (length, type, data, CRC) up to IEND, which stb_image needs too: each must lie
 * inside the file. An empty first IDAT is refused: stb_image 2.27 then does pointer arithmetic on
 * its not yet allocated data buffer (undefined behaviour that UBSan reports; found by fuzzing). */

/* The PLTE and tRNS chunks of an indexed-colour PNG (bytes[25] is IHDR's colour type). */
static int check_png_palette(const uint8_t *bytes, size_t pos, const char *type, uint32_t len, int *palettes,
                             cf_palette_padding *palette, cf_error *err) {
    if (bytes[25] != 3) return 0;
    if (!strcmp(type, "PLTE")) {
        if (++*palettes > 1) return cf_fail(err, "corrupt PNG: more than one palette (PLTE)");
        if (len == 0 || len > 768 || len % 3) return cf_fail(err, "corrupt PNG: a palette (PLTE) of %u bytes", len);
        palette->palette_entries = len / 3;
        palette->png_chunk_at = pos;
        palette->insert_at = pos + 8 + len; /* after the entries, before the CRC */
        palette->added = 768 - len;
    } else if (!strcmp(type, "tRNS") && len > palette->palette_entries) {
        /* stb_image checks this against the palette it sees, which may be the padded one */
        return cf_fail(err, "corrupt PNG: transparency (tRNS) for %u palette entries, the palette (PLTE) has %u", len,
                       palette->palette_entries);
    }
    return 0;
}

static int check_png_chunks(const uint8_t *bytes, size_t n, cf_palette_padding *palette, cf_error *err) {
    size_t pos = 8;
    int seen_data = 0, palettes = 0;
    while (n - pos >= 12) {
        uint32_t len = read_be32(bytes + pos);
        char type[5] = {0};
        memcpy(type, bytes + pos + 4, 4);
        for (int i = 0; i < 4; i++)
            if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z')))
                return cf_fail(err, "corrupt PNG: a chunk with an invalid type at byte %zu", pos);
        if (len > n - pos - 12)
            return cf_fail(err, "truncated PNG data: the file ends inside the '%s' chunk at byte %zu", type, pos);
        if (!strcmp(type, "IDAT")) {
            if (len == 0 && !seen_data) return cf_fail(err, "corrupt PNG: the first image data chunk (IDAT) is empty");
            seen_data = 1;
        }
        if (check_png_palette(bytes, pos, type, len, &palettes, palette, err)) return -1;
        if (!strcmp(type, "IEND")) return 0;
        pos += 12 + (size_t)len;
    }
    return cf_fail(err, "truncated PNG data: the file ends before the end chunk (IEND)");
}

static int check_png(const uint8_t *bytes, size_t n, cf_palette_padding *palette, cf_error *err) {
    /* signature (8), IHDR length (4), "IHDR" (4), width (4), height (4) */
    if (n < 24) return cf_fail(err, "truncated PNG data: the file ends inside the header");
    if (memcmp(bytes + 12, "IHDR", 4) != 0 || read_be32(bytes + 8) != 13)
        return cf_fail(err, "corrupt PNG: the first chunk is not a valid IHDR header");
    if (cf_image_check_dimensions(read_be32(bytes + 16), read_be32(bytes + 20), CF_FORMAT_PNG, err)) return -1;
    return check_png_chunks(bytes, n, palette, err);
}

static void write_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* A copy of a PNG or BMP with its palette padded with black to 256 entries: zeros inserted where
 * the palette ends, and the PNG chunk's length and CRC, or the BMP's file size and pixel data offset,
 * updated. NULL if out of memory. */
uint8_t *cf_image_with_full_palette(const uint8_t *bytes, size_t n, cf_image_format format,
                                   const cf_palette_padding *palette, size_t *out_n) {
    size_t at = palette->insert_at, added = palette->added;
    uint8_t *copy = malloc(n + added);
    if (!copy) return NULL;
    memcpy(copy, bytes, at);
    memset(copy + at, 0, added);
    memcpy(copy + at + added, bytes + at, n - at);
    if (format == CF_FORMAT_PNG) {
        uint8_t *chunk = copy + palette->png_chunk_at;
        chunk[0] = 0, chunk[1] = 0, chunk[2] = 768 >> 8, chunk[3] = 768 & 255;
        uint32_t crc = cf_crc32(0, chunk + 4, 4 + 768);
        for (int i = 0; i < 4; i++) chunk[8 + 768 + i] = (uint8_t)(crc >> (24 - 8 * i));
    } else {
        write_le32(copy + 2, read_le32(copy + 2) + (uint32_t)added);
        write_le32(copy + 10, read_le32(copy + 10) + (uint32_t)added);
    }
    *out_n = n + added;
    return copy;
}

/* Skips a chain of GIF data sub-blocks (length byte + data, ended by a zero length).
 * Returns the position after the terminator, or 0 if the data ends first. */
static size_t skip_gif_sub_blocks(const uint8_t *bytes, size_t n, size_t pos) {
    while (pos < n && bytes[pos] != 0) pos += (size_t)bytes[pos] + 1;
    return pos < n ? pos + 1 : 0;
}

static size_t gif_color_table_bytes(uint8_t flags) {
    return (flags & 0x80) ? (size_t)3 << ((flags & 7) + 1) : 0;
}

/* The first frame must be complete: stb_image would otherwise return it padded with background. */
static int check_gif(const uint8_t *bytes, size_t n, cf_error *err) {
    if (n < 13) return cf_fail(err, "truncated GIF data: the file ends inside the header");
    if (cf_image_check_dimensions(read_le16(bytes + 6), read_le16(bytes + 8), CF_FORMAT_GIF, err)) return -1;
    size_t pos = 13 + gif_color_table_bytes(bytes[10]);
    while (pos < n) {
        uint8_t block = bytes[pos++];
        if (block == 0x3B) return cf_fail(err, "corrupt GIF: the file contains no image");
        if (block == 0x21) { /* extension: label, then sub-blocks */
            pos = pos + 1 < n ? skip_gif_sub_blocks(bytes, n, pos + 1) : 0;
        } else if (block == 0x2C) { /* image descriptor, colour table, LZW code size, sub-blocks */
            if (n - pos < 10) break;
            pos += 9 + gif_color_table_bytes(bytes[pos + 8]);
            pos = pos + 1 < n ? skip_gif_sub_blocks(bytes, n, pos + 1) : 0;
            if (pos) return 0;
        } else {
            return cf_fail(err, "corrupt GIF: unknown block type 0x%02X", block);
        }
        if (!pos) break;
    }
    return cf_fail(err, "truncated GIF data: the file ends before the first frame is complete");
}

/* For uncompressed BMPs the pixel array has a known size; stb_image would fill a short one with
 * zeros. The last row's padding is not required (some writers omit it). */
static int check_bmp_pixel_array(const uint8_t *bytes, size_t n, uint64_t width, uint64_t height, uint32_t bpp,
                                 uint32_t header_size, cf_error *err) {
    uint32_t offset = read_le32(bytes + 10);
    if (offset < 14 + header_size || bpp == 0 || bpp > 32) return 0; /* odd layout: stb_image decides */
    uint64_t row_bytes = (width * bpp + 7) / 8, stride = (width * bpp + 31) / 32 * 4;
    uint64_t needed = (uint64_t)offset + stride * (height - 1) + row_bytes;
    if (needed > n)
        return cf_fail(err, "truncated BMP data: the pixels need %llu bytes, the file has %zu",
                       (unsigned long long)needed, n);
    return 0;
}

/* The palette of a 1-, 4- or 8-bit BMP: the 4-byte entries between the header and the pixel data, as
 * stb_image 2.27 counts them. It counts 4 entries fewer than an OS/2 (12-byte header) palette has, so
 * it would take the last colours from its uninitialised palette: such files are refused. */
static int check_bmp_palette(const uint8_t *bytes, size_t n, uint32_t bpp, uint32_t header_size,
                             cf_palette_padding *palette, cf_error *err) {
    if (bpp >= 16) return 0;
    if (header_size == 12) return cf_fail(err, "unsupported BMP: an OS/2 bitmap with a palette (%u-bit)", bpp);
    int64_t offset = read_le32(bytes + 10), entries = (offset - 14 - (int64_t)header_size) / 4;
    if (entries < 1) /* stb_image would read every colour from its uninitialised palette */
        return cf_fail(err, "corrupt BMP: %u-bit pixels without a palette (pixel data at byte %lld)", bpp,
                       (long long)offset);
    size_t end = 14 + header_size + (size_t)entries * 4;
    if (entries < 256 && end <= n) {
        palette->insert_at = end;
        palette->added = (size_t)(256 - entries) * 4;
    }
    return 0;
}

static int check_bmp(const uint8_t *bytes, size_t n, cf_palette_padding *palette, cf_error *err) {
    if (n < 26) return cf_fail(err, "truncated BMP data: the file ends inside the header");
    uint32_t header_size = read_le32(bytes + 14);
    if (header_size == 12) { /* OS/2 core header: 16-bit unsigned sizes, always uncompressed */
        uint64_t width = read_le16(bytes + 18), height = read_le16(bytes + 20);
        if (cf_image_check_dimensions(width, height, CF_FORMAT_BMP, err)) return -1;
        if (check_bmp_palette(bytes, n, read_le16(bytes + 24), header_size, palette, err)) return -1;
        return check_bmp_pixel_array(bytes, n, width, height, read_le16(bytes + 24), header_size, err);
    }
    if (header_size < 40) return 0; /* not a layout we know; stb_image reports it */
    if (n < 34) return cf_fail(err, "truncated BMP data: the file ends inside the header");
    int64_t width = (int32_t)read_le32(bytes + 18), height = (int32_t)read_le32(bytes + 22);
    if (width < 0) return cf_fail(err, "corrupt BMP: negative width %lld", (long long)width);
    if (height < 0) height = -height; /* negative height: rows stored top-down */
    if (cf_image_check_dimensions((uint64_t)width, (uint64_t)height, CF_FORMAT_BMP, err)) return -1;
    /* stb_image 2.27 reads the compression as a signed int and decodes a negative one as uncompressed
     * (its checks refuse 1, 2 and >= 4 only), skipping the palette checks below: refused here (found
     * by fuzz-image-msan: a pixel past a 4-entry palette read stb's uninitialised palette). */
    int32_t compression = (int32_t)read_le32(bytes + 30);
    if (compression < 0) return cf_fail(err, "corrupt BMP: unknown compression type %ld", (long)compression);
    int uncompressed = compression == 0 || compression == 3 || compression == 6; /* RGB, (ALPHA)BITFIELDS */
    if (!uncompressed) return 0;
    if (check_bmp_palette(bytes, n, read_le16(bytes + 28), header_size, palette, err)) return -1;
    return check_bmp_pixel_array(bytes, n, (uint64_t)width, (uint64_t)height, read_le16(bytes + 28), header_size,
                                 err);
}

#ifdef CF_WITH_WEBP
/* WebP is a RIFF container: "RIFF", the size of what follows, "WEBP", then chunks (a FourCC, a 32-bit
 * size, the data, a pad byte after an odd size). The first chunk gives the kind and the size: VP8 (lossy:
 * 14-bit sides in the key frame header), VP8L (lossless: 14-bit sides minus one after its signature) or
 * VP8X (extended: 24-bit canvas sides minus one, then optional chunks and the image's own). Every chunk
 * must lie inside the file and the image data (VP8 or VP8L) must be there before libwebp is called;
 * animations are refused (there is no one image to judge). */
static int check_webp_first_chunk(const uint8_t *type, const uint8_t *data, uint32_t len, cf_error *err) {
    uint32_t width, height;
    if (!memcmp(type, "VP8 ", 4)) {
        if (len < 10 || (data[0] & 1) || memcmp(data + 3, "\x9D\x01\x2A", 3) != 0)
            return cf_fail(err, "corrupt WebP: the lossy (VP8) frame header is missing or damaged");
        width = read_le16(data + 6) & 0x3FFF;
        height = read_le16(data + 8) & 0x3FFF;
    } else if (!memcmp(type, "VP8L", 4)) {
        if (len < 5 || data[0] != 0x2F)
            return cf_fail(err, "corrupt WebP: the lossless (VP8L) header is missing or damaged");
        uint32_t bits = read_le32(data + 1);
        width = (bits & 0x3FFF) + 1;
        height = (bits >> 14 & 0x3FFF) + 1;
    } else if (!memcmp(type, "VP8X", 4)) {
        if (len < 10) return cf_fail(err, "corrupt WebP: the extended (VP8X) header is too short");
        if (data[0] & 0x02) return cf_fail(err, "unsupported WebP: animated WebP is not supported, only still images");
        width = read_le24(data + 4) + 1;
        height = read_le24(data + 7) + 1;
    } else {
        return cf_fail(err, "corrupt WebP: the first chunk is '%.4s', not VP8, VP8L or VP8X", (const char *)type);
    }
    return cf_image_check_dimensions(width, height, CF_FORMAT_WEBP, err);
}

static int check_webp(const uint8_t *bytes, size_t n, cf_error *err) {
    if (n < 20) return cf_fail(err, "truncated WebP data: the file ends inside the header");
    uint64_t end = (uint64_t)read_le32(bytes + 4) + 8; /* bytes after the RIFF data are ignored */
    if (end > n)
        return cf_fail(err, "truncated WebP data: the header gives %llu bytes, the file has %zu",
                       (unsigned long long)end, n);
    int have_image = 0;
    for (size_t pos = 12; pos < end; ) {
        if (end - pos < 8) return cf_fail(err, "corrupt WebP: a chunk header cut short at byte %zu", pos);
        const uint8_t *type = bytes + pos;
        for (int i = 0; i < 4; i++)
            if (type[i] < 0x20 || type[i] > 0x7E)
                return cf_fail(err, "corrupt WebP: a chunk with an invalid type at byte %zu", pos);
        uint32_t len = read_le32(bytes + pos + 4);
        if (len > end - pos - 8)
            return cf_fail(err, "corrupt WebP: the '%.4s' chunk at byte %zu runs past the end of the file",
                           (const char *)type, pos);
        if (pos == 12 && check_webp_first_chunk(type, bytes + pos + 8, len, err)) return -1;
        if (!memcmp(type, "VP8 ", 4) || !memcmp(type, "VP8L", 4)) have_image = 1;
        pos += 8 + (size_t)len + (len & 1);
    }
    return have_image ? 0 : cf_fail(err, "corrupt WebP: no image data (a VP8 or VP8L chunk)");
}
#endif

/* Everything that can be said about the input without stb_image: size, format, header, completeness. */
static int check_input(const uint8_t *bytes, size_t n, cf_image_format *format, cf_palette_padding *palette,
                       cf_error *err) {
    if (n == 0) return cf_fail(err, "empty file (0 bytes)");
    if (!bytes) return cf_fail(err, "no image data (null buffer of %zu bytes)", n);
    if (n > CF_IMAGE_MAX_BYTES)
        return cf_fail(err, "file is %zu bytes, over the limit of %zu bytes (%zu MiB)", n, CF_IMAGE_MAX_BYTES,
                       CF_IMAGE_MAX_BYTES >> 20);
    *format = sniff_format(bytes, n);
    switch (*format) {
    case CF_FORMAT_JPEG: return check_jpeg(bytes, n, err);
    case CF_FORMAT_PNG: return check_png(bytes, n, palette, err);
    case CF_FORMAT_GIF: return check_gif(bytes, n, err);
    case CF_FORMAT_BMP: return check_bmp(bytes, n, palette, err);
#ifdef CF_WITH_WEBP
    case CF_FORMAT_WEBP: return check_webp(bytes, n, err);
#endif
    default: return fail_unsupported(bytes, n, err);
    }
}

/* The decoder's own reading of the header (stb_image, or libwebp for WebP): 0 if it refuses it. */
static int decoder_header_size(const uint8_t *bytes, size_t n, cf_image_format format, int *w, int *h) {
#ifdef CF_WITH_WEBP
    if (format == CF_FORMAT_WEBP) {
        WebPBitstreamFeatures features;
        if (WebPGetFeatures(bytes, n, &features) != VP8_STATUS_OK || features.has_animation) return 0;
        *w = features.width;
        *h = features.height;
        return 1;
    }
#endif
    (void)format;
    int channels = 0;
    /* n <= CF_IMAGE_MAX_BYTES, well below INT_MAX, so the int length stb takes is exact. */
    return stbi_info_from_memory(bytes, (int)n, w, h, &channels);
}

/* Header check + the decoder's own header reading, which must agree that the image is usable. */
int cf_image_check(const uint8_t *bytes, size_t n, cf_image_format *format, cf_palette_padding *palette, int *width,
                   int *height, cf_error *err) {
    memset(palette, 0, sizeof *palette);
    if (check_input(bytes, n, format, palette, err)) return -1;
    int w = 0, h = 0;
    if (!decoder_header_size(bytes, n, *format, &w, &h))
        return cf_fail(err, "corrupt or unsupported %s header", cf_image_format_name(*format));
    if (cf_image_check_dimensions((uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0), *format, err)) return -1;
    *width = w;
    *height = h;
    return 0;
}

int cf_image_probe(const uint8_t *bytes, size_t n, int *width, int *height, cf_error *err) {
    cf_image_format format;
    cf_palette_padding palette;
    int w, h;
    if (cf_image_check(bytes, n, &format, &palette, &w, &h, err)) return -1;
    if (width) *width = w;
    if (height) *height = h;
    return 0;
}
