/* image.c - decoding untrusted images (through stb_image) and the centre-crop + resize policy.
 *
 * Input comes from users, so before stb_image sees the pixels this file walks the container itself:
 * it recognises the format by its signature, reads width and height from the header and checks the
 * limits, and makes sure the data is complete (stb_image silently pads a truncated JPEG, BMP or GIF
 * with made-up pixels, which would give the detector an image that never existed). stb_image then
 * does the actual decoding; its failure reason is read right after the failing call (it is
 * thread-local in stb) and turned into a message a user can act on. */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#include "stb_image.h"

/* FORMAT_PIXELS: pixels decoded elsewhere (cf_image_from_pixels). */
typedef enum { FORMAT_UNKNOWN, FORMAT_JPEG, FORMAT_PNG, FORMAT_GIF, FORMAT_BMP, FORMAT_PIXELS } image_format;

static const char *format_name(image_format format) {
    switch (format) {
    case FORMAT_JPEG: return "JPEG";
    case FORMAT_PNG: return "PNG";
    case FORMAT_GIF: return "GIF";
    case FORMAT_BMP: return "BMP";
    default: return "image";
    }
}

/* ---- little helpers for reading header fields (all callers check the length first) ---- */

static uint32_t read_be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t read_le16(const uint8_t *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t read_be32(const uint8_t *p) { return read_be16(p) << 16 | read_be16(p + 2); }
static uint32_t read_le32(const uint8_t *p) { return read_le16(p + 2) << 16 | read_le16(p); }

static int starts_with(const uint8_t *bytes, size_t n, const char *magic, size_t magic_len) {
    return n >= magic_len && memcmp(bytes, magic, magic_len) == 0;
}

/* ---- format recognition ---- */

static image_format sniff_format(const uint8_t *bytes, size_t n) {
    if (starts_with(bytes, n, "\xFF\xD8\xFF", 3)) return FORMAT_JPEG;
    if (starts_with(bytes, n, "\x89PNG\r\n\x1A\n", 8)) return FORMAT_PNG;
    if (starts_with(bytes, n, "GIF87a", 6) || starts_with(bytes, n, "GIF89a", 6)) return FORMAT_GIF;
    if (starts_with(bytes, n, "BM", 2)) return FORMAT_BMP;
    return FORMAT_UNKNOWN;
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
        return cf_fail(err, "not a supported image (JPEG, PNG, BMP, GIF): the file looks like text");
    if (what) return cf_fail(err, "not a supported image (JPEG, PNG, BMP, GIF): %s is not supported", what);
    return cf_fail(err, "not a supported image (JPEG, PNG, BMP, GIF)");
}

/* ---- limits ---- */

static int check_dimensions(uint64_t width, uint64_t height, image_format format, cf_error *err) {
    if (width == 0 || height == 0)
        return cf_fail(err, "corrupt %s: the header gives a size of %llux%llu pixels", format_name(format),
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

static int check_jpeg_frame(const uint8_t *seg, size_t seg_len, uint8_t marker, uint64_t *pixels, cf_error *err) {
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
    *pixels = (uint64_t)width * height;
    return check_dimensions(width, height, FORMAT_JPEG, err);
}

/* A DHT segment: tables of (class/id byte, 16 code counts, the symbols). The bundled stb_image
 * (2.27) writes past its 257-entry size table when the counts add up to more than 256, so this is
 * checked here, before stb_image sees the data; a valid table never has more than 256 symbols. */
static int check_jpeg_huffman_tables(const uint8_t *body, size_t len, cf_error *err) {
    while (len > 0) {
        if (len < 17) return cf_fail(err, "corrupt JPEG: Huffman table header cut short");
        if ((body[0] >> 4) > 1 || (body[0] & 15) > 3)
            return cf_fail(err, "corrupt JPEG: bad Huffman table id 0x%02X", body[0]);
        size_t symbols = 0;
        for (int i = 1; i <= 16; i++) symbols += body[i];
        if (symbols > 256) return cf_fail(err, "corrupt JPEG: Huffman table with %zu codes (at most 256)", symbols);
        if (symbols > len - 17) return cf_fail(err, "corrupt JPEG: Huffman table longer than its segment");
        body += 17 + symbols;
        len -= 17 + symbols;
    }
    return 0;
}

/* A DQT segment: tables of (precision/id byte, 64 one- or two-byte entries) filling it exactly. */
static int check_jpeg_quant_tables(const uint8_t *body, size_t len, cf_error *err) {
    while (len > 0) {
        if ((body[0] >> 4) > 1 || (body[0] & 15) > 3)
            return cf_fail(err, "corrupt JPEG: bad quantisation table id 0x%02X", body[0]);
        size_t table_len = 1 + 64 * (size_t)((body[0] >> 4) + 1);
        if (table_len > len) return cf_fail(err, "corrupt JPEG: quantisation table longer than its segment");
        body += table_len;
        len -= table_len;
    }
    return 0;
}

typedef struct {
    int seen_frame, scans, in_scan;
    uint64_t pixels;     /* width * height from the frame header */
    uint64_t scan_bytes; /* bytes of entropy-coded data seen */
} jpeg_walk;

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
        return check_jpeg_frame(seg, seg_len, marker, &walk->pixels, err);
    }
    switch (marker) {
    case 0xC4: return check_jpeg_huffman_tables(seg + 2, seg_len - 2, err);
    case 0xDB: return check_jpeg_quant_tables(seg + 2, seg_len - 2, err);
    case 0xDD: return seg_len == 4 ? 0 : cf_fail(err, "corrupt JPEG: restart interval segment of %zu bytes", seg_len);
    case 0xDA:
        if (!walk->seen_frame) return cf_fail(err, "corrupt JPEG: image data before the frame header");
        /* stb_image decodes every scan over the whole image: a file of thousands of tiny scans would
         * keep it busy for minutes (encoders write about 10 progressive scans). */
        if (++walk->scans > CF_JPEG_MAX_SCANS)
            return cf_fail(err, "unsupported JPEG: more than %d scans, over the limit", CF_JPEG_MAX_SCANS);
        walk->in_scan = 1;
        return 0;
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
    jpeg_walk walk = {0, 0, 0, 0, 0};
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
        if (marker == 0xD9) {
            if (!walk.scans) return cf_fail(err, "corrupt JPEG: no image data before the end of the image");
            return check_jpeg_density(&walk, err);
        }
        int stuffed_or_restart = marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7);
        if (stuffed_or_restart && walk.in_scan) { /* part of the entropy-coded data */
            walk.scan_bytes += 2;
            continue;
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
    return cf_fail(err, "truncated JPEG data: the file ends %s before the end-of-image marker",
                   walk.in_scan ? "inside the image data" : "before the image data");
}

/* Walks the chunks (length, type, data, CRC) up to IEND, which stb_image needs too: each must lie
 * inside the file. An empty first IDAT is refused: stb_image 2.27 then does pointer arithmetic on
 * its not yet allocated data buffer (undefined behaviour that UBSan reports; found by fuzzing). */
static int check_png_chunks(const uint8_t *bytes, size_t n, cf_error *err) {
    size_t pos = 8;
    int seen_data = 0;
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
        if (!strcmp(type, "IEND")) return 0;
        pos += 12 + (size_t)len;
    }
    return cf_fail(err, "truncated PNG data: the file ends before the end chunk (IEND)");
}

static int check_png(const uint8_t *bytes, size_t n, cf_error *err) {
    /* signature (8), IHDR length (4), "IHDR" (4), width (4), height (4) */
    if (n < 24) return cf_fail(err, "truncated PNG data: the file ends inside the header");
    if (memcmp(bytes + 12, "IHDR", 4) != 0 || read_be32(bytes + 8) != 13)
        return cf_fail(err, "corrupt PNG: the first chunk is not a valid IHDR header");
    if (check_dimensions(read_be32(bytes + 16), read_be32(bytes + 20), FORMAT_PNG, err)) return -1;
    return check_png_chunks(bytes, n, err);
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
    if (check_dimensions(read_le16(bytes + 6), read_le16(bytes + 8), FORMAT_GIF, err)) return -1;
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

static int check_bmp(const uint8_t *bytes, size_t n, cf_error *err) {
    if (n < 26) return cf_fail(err, "truncated BMP data: the file ends inside the header");
    uint32_t header_size = read_le32(bytes + 14);
    if (header_size == 12) { /* OS/2 core header: 16-bit unsigned sizes, always uncompressed */
        uint64_t width = read_le16(bytes + 18), height = read_le16(bytes + 20);
        if (check_dimensions(width, height, FORMAT_BMP, err)) return -1;
        return check_bmp_pixel_array(bytes, n, width, height, read_le16(bytes + 24), header_size, err);
    }
    if (header_size < 40) return 0; /* not a layout we know; stb_image reports it */
    if (n < 34) return cf_fail(err, "truncated BMP data: the file ends inside the header");
    int64_t width = (int32_t)read_le32(bytes + 18), height = (int32_t)read_le32(bytes + 22);
    if (width < 0) return cf_fail(err, "corrupt BMP: negative width %lld", (long long)width);
    if (height < 0) height = -height; /* negative height: rows stored top-down */
    if (check_dimensions((uint64_t)width, (uint64_t)height, FORMAT_BMP, err)) return -1;
    uint32_t compression = read_le32(bytes + 30);
    int uncompressed = compression == 0 || compression == 3 || compression == 6; /* RGB, (ALPHA)BITFIELDS */
    if (!uncompressed) return 0;
    return check_bmp_pixel_array(bytes, n, (uint64_t)width, (uint64_t)height, read_le16(bytes + 28), header_size,
                                 err);
}

/* Everything that can be said about the input without stb_image: size, format, header, completeness. */
static int check_input(const uint8_t *bytes, size_t n, image_format *format, cf_error *err) {
    if (n == 0) return cf_fail(err, "empty file (0 bytes)");
    if (!bytes) return cf_fail(err, "no image data (null buffer of %zu bytes)", n);
    if (n > CF_IMAGE_MAX_BYTES)
        return cf_fail(err, "file is %zu bytes, over the limit of %zu bytes (%zu MiB)", n, CF_IMAGE_MAX_BYTES,
                       CF_IMAGE_MAX_BYTES >> 20);
    *format = sniff_format(bytes, n);
    switch (*format) {
    case FORMAT_JPEG: return check_jpeg(bytes, n, err);
    case FORMAT_PNG: return check_png(bytes, n, err);
    case FORMAT_GIF: return check_gif(bytes, n, err);
    case FORMAT_BMP: return check_bmp(bytes, n, err);
    default: return fail_unsupported(bytes, n, err);
    }
}

/* Header check + stb_image's own header reading, which must agree that the image is usable. */
static int probe(const uint8_t *bytes, size_t n, image_format *format, int *width, int *height, cf_error *err) {
    if (check_input(bytes, n, format, err)) return -1;
    int w = 0, h = 0, channels = 0;
    /* n <= CF_IMAGE_MAX_BYTES, well below INT_MAX, so the int length stb takes is exact. */
    if (!stbi_info_from_memory(bytes, (int)n, &w, &h, &channels))
        return cf_fail(err, "corrupt or unsupported %s header", format_name(*format));
    if (check_dimensions((uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0), *format, err)) return -1;
    *width = w;
    *height = h;
    return 0;
}

int cf_image_probe(const uint8_t *bytes, size_t n, int *width, int *height, cf_error *err) {
    image_format format;
    int w, h;
    if (probe(bytes, n, &format, &w, &h, err)) return -1;
    if (width) *width = w;
    if (height) *height = h;
    return 0;
}

/* ---- decoding ---- */

/* stb_image's short failure codes, turned into messages that say what is wrong with the file. */
static int fail_from_stb_reason(image_format format, int width, int height, const char *reason, cf_error *err) {
    const char *name = format_name(format);
    if (!reason) reason = "unknown error";
    if (strcmp(reason, "outofmem") == 0)
        return cf_fail(err, "out of memory decoding a %dx%d %s image (a decoder buffer may not exceed %zu MiB; "
                            "corrupt data can ask for more)", width, height, name, CF_IMAGE_MAX_ALLOC >> 20);
    if (strcmp(reason, "too large") == 0)
        return cf_fail(err, "%s image too large to decode (limits: %d pixels per side, %zu pixels)", name,
                       CF_IMAGE_MAX_SIDE, CF_IMAGE_MAX_PIXELS);
    if (strcmp(reason, "only 8-bit") == 0) return cf_fail(err, "unsupported JPEG: only 8-bit JPEG is supported");
    if (strcmp(reason, "no header height") == 0)
        return cf_fail(err, "unsupported JPEG: the height is only given after the image data (DNL marker)");
    if (strcmp(reason, "BMP RLE") == 0) return cf_fail(err, "unsupported BMP: RLE compression");
    if (strcmp(reason, "BMP JPEG/PNG") == 0) return cf_fail(err, "unsupported BMP: embedded JPEG/PNG compression");
    if (strcmp(reason, "unknown BMP") == 0 || strcmp(reason, "bad BMP") == 0)
        return cf_fail(err, "unsupported BMP variant (%s)", reason);
    if (strcmp(reason, "1/2/4/8/16-bit only") == 0 || strcmp(reason, "bad bits_per_channel") == 0)
        return cf_fail(err, "unsupported PNG bit depth (%s)", reason);
    if (strcmp(reason, "outofdata") == 0)
        return cf_fail(err, "truncated %s data: the file ends before the image data is complete", name);
    return cf_fail(err, "truncated or corrupt %s data (%s)", name, reason);
}

/* Alpha over a white background, rounded to nearest: c*a/255 + (255 - a). */
static uint8_t over_white(uint8_t value, uint8_t alpha) {
    return (uint8_t)(((unsigned)value * alpha + 255u * (255u - alpha) + 127u) / 255u);
}

/* Turns stb's 1-4 channel pixels (grey, grey+alpha, RGB, RGBA) into RGB. Takes ownership of
 * pixels and returns an RGB buffer of count*3 bytes (possibly the same one), or NULL if out of
 * memory (pixels freed either way). */
static uint8_t *to_rgb(uint8_t *pixels, size_t count, int channels) {
    if (channels == 3) return pixels;
    if (channels == 4) { /* in place: pixel i is read at 4i before anything is written at 3i */
        for (size_t i = 0; i < count; i++) {
            const uint8_t *src = pixels + 4 * i;
            uint8_t a = src[3], r = over_white(src[0], a), g = over_white(src[1], a), b = over_white(src[2], a);
            pixels[3 * i] = r;
            pixels[3 * i + 1] = g;
            pixels[3 * i + 2] = b;
        }
        uint8_t *shrunk = realloc(pixels, count * 3);
        return shrunk ? shrunk : pixels; /* a failed shrink leaves the (larger) block valid */
    }
    uint8_t *rgb = malloc(count * 3);
    if (rgb) {
        for (size_t i = 0; i < count; i++) {
            uint8_t grey = channels == 2 ? over_white(pixels[2 * i], pixels[2 * i + 1]) : pixels[i];
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey;
        }
    }
    stbi_image_free(pixels);
    return rgb;
}

int cf_image_decode(const uint8_t *bytes, size_t n, cf_image *out, cf_error *err) {
    if (!out) return cf_fail(err, "internal error: no output image");
    out->width = out->height = 0;
    out->rgb = NULL;
    image_format format;
    int width, height;
    if (probe(bytes, n, &format, &width, &height, err)) return -1;

    int w = 0, h = 0, channels = 0;
    /* Desired channels 0: keep what the file has (stb adds alpha for PNG tRNS, which the header
     * alone does not reveal); 16-bit PNGs come back as 8-bit, a GIF as its first frame in RGBA. */
    uint8_t *pixels = stbi_load_from_memory(bytes, (int)n, &w, &h, &channels, 0);
    if (!pixels) return fail_from_stb_reason(format, width, height, stbi_failure_reason(), err);
    if (w != width || h != height || channels < 1 || channels > 4) {
        stbi_image_free(pixels);
        return cf_fail(err, "corrupt %s: decoded %dx%d pixels with %d channels, the header says %dx%d",
                       format_name(format), w, h, channels, width, height);
    }
    size_t count = (size_t)w * (size_t)h; /* <= CF_IMAGE_MAX_PIXELS, checked by probe */
    uint8_t *rgb = to_rgb(pixels, count, channels);
    if (!rgb) return cf_fail(err, "out of memory converting a %dx%d image to RGB", w, h);
    out->width = w;
    out->height = h;
    out->rgb = rgb;
    return 0;
}

int cf_image_from_pixels(const uint8_t *pixels, int width, int height, int channels, cf_image *out, cf_error *err) {
    out->width = out->height = 0;
    out->rgb = NULL;
    if (channels != 3 && channels != 4) return cf_fail(err, "pixels must have 3 (RGB) or 4 (RGBA) channels, not %d", channels);
    if (width < 0 || height < 0) return cf_fail(err, "negative image size %dx%d", width, height);
    if (check_dimensions((uint64_t)width, (uint64_t)height, FORMAT_PIXELS, err)) return -1;
    size_t count = (size_t)width * (size_t)height;
    uint8_t *rgb = malloc(count * 3);
    if (!rgb) return cf_fail(err, "out of memory copying a %dx%d image", width, height);
    if (channels == 3) memcpy(rgb, pixels, count * 3);
    for (size_t i = 0; channels == 4 && i < count; i++)
        for (int c = 0; c < 3; c++) rgb[3 * i + c] = over_white(pixels[4 * i + c], pixels[4 * i + 3]);
    out->width = width;
    out->height = height;
    out->rgb = rgb;
    return 0;
}

void cf_image_free(cf_image *img) {
    if (!img) return;
    free(img->rgb); /* stb's buffer or ours: both come from malloc (see stb_impl.c) */
    img->rgb = NULL;
    img->width = img->height = 0;
}

/* ---- centre crop and resize ---- */

void cf_image_center_square(int w, int h, int *x0, int *y0, int *side) {
    int s = w < h ? w : h;
    if (s < 0) s = 0;
    if (x0) *x0 = s > 0 ? (w - s) / 2 : 0;
    if (y0) *y0 = s > 0 ? (h - s) / 2 : 0;
    if (side) *side = s;
}

/* A square window into an image: side x side pixels starting at origin, rows stride bytes apart. */
typedef struct {
    const uint8_t *origin;
    size_t stride;
    int side;
} square_view;

static const uint8_t *view_pixel(const square_view *v, int x, int y) {
    return v->origin + (size_t)y * v->stride + (size_t)x * 3;
}

static uint8_t round_to_byte(double value) {
    if (!(value > 0.0)) return 0; /* also catches NaN */
    if (value >= 255.0) return 255;
    return (uint8_t)(value + 0.5);
}

/* Shrinking by exact area averaging. Along one axis, measure in units where a source pixel is
 * out_side long and an output pixel side long: output pixel i covers [i*side, (i+1)*side) and source
 * pixel k covers [k*out_side, (k+1)*out_side), so every overlap is an exact integer. Only the first and
 * last source pixel overlap partly; the ones between overlap fully (out_side units). */
typedef struct {
    int first, last;
    uint64_t first_weight, last_weight;
} area_span;

static area_span area_span_for(int i, int side, int out_side) {
    uint64_t lo = (uint64_t)i * (uint64_t)side, hi = lo + (uint64_t)side, unit = (uint64_t)out_side;
    area_span s;
    s.first = (int)(lo / unit);
    s.last = (int)((hi - 1) / unit);
    if (s.first == s.last) {
        s.first_weight = s.last_weight = (uint64_t)side;
    } else {
        s.first_weight = (uint64_t)(s.first + 1) * unit - lo;
        s.last_weight = hi - (uint64_t)s.last * unit;
    }
    return s;
}

/* Weighted sum along one source row for one output column; the weights sum to side. */
static void area_row_sum(const square_view *v, int y, area_span xs, int out_side, uint64_t sum[3]) {
    const uint8_t *first = view_pixel(v, xs.first, y);
    for (int c = 0; c < 3; c++) sum[c] = xs.first_weight * first[c];
    if (xs.last == xs.first) return;
    uint64_t middle[3] = {0, 0, 0};
    for (int x = xs.first + 1; x < xs.last; x++) {
        const uint8_t *p = view_pixel(v, x, y);
        for (int c = 0; c < 3; c++) middle[c] += p[c];
    }
    const uint8_t *last = view_pixel(v, xs.last, y);
    for (int c = 0; c < 3; c++) sum[c] += middle[c] * (uint64_t)out_side + xs.last_weight * last[c];
}

static void area_pixel(const square_view *v, area_span xs, area_span ys, int out_side, uint8_t *dst) {
    /* The weights are integers and the sums stay exact in double up to 2^53, i.e. for any side
     * below ~5.9 million pixels, so the result is the exact mean correctly rounded. */
    double acc[3] = {0, 0, 0};
    for (int y = ys.first; y <= ys.last; y++) {
        uint64_t wy = y == ys.first ? ys.first_weight : y == ys.last ? ys.last_weight : (uint64_t)out_side;
        uint64_t row[3];
        area_row_sum(v, y, xs, out_side, row);
        for (int c = 0; c < 3; c++) acc[c] += (double)wy * (double)row[c];
    }
    double area = (double)v->side * (double)v->side;
    for (int c = 0; c < 3; c++) dst[c] = round_to_byte(acc[c] / area);
}

static void resize_area(const square_view *v, int out_side, uint8_t *out) {
    for (int i = 0; i < out_side; i++) {
        area_span ys = area_span_for(i, v->side, out_side);
        for (int j = 0; j < out_side; j++) {
            area_span xs = area_span_for(j, v->side, out_side);
            area_pixel(v, xs, ys, out_side, out + ((size_t)i * (size_t)out_side + (size_t)j) * 3);
        }
    }
}

/* Enlarging: bilinear between the two nearest source pixel centres (half-pixel convention, so the
 * image is not shifted), clamped to the edge pixels. */
typedef struct {
    int k0, k1;
    double t;
} bilinear_tap;

static bilinear_tap bilinear_tap_for(int i, int side, int out_side) {
    double pos = ((double)i + 0.5) * (double)side / (double)out_side - 0.5;
    if (pos < 0.0) pos = 0.0;
    if (pos > (double)(side - 1)) pos = (double)(side - 1);
    bilinear_tap tap;
    tap.k0 = (int)pos;
    tap.k1 = tap.k0 + 1 < side ? tap.k0 + 1 : tap.k0;
    tap.t = pos - (double)tap.k0;
    return tap;
}

static void resize_bilinear(const square_view *v, int out_side, uint8_t *out) {
    for (int i = 0; i < out_side; i++) {
        bilinear_tap ty = bilinear_tap_for(i, v->side, out_side);
        for (int j = 0; j < out_side; j++) {
            bilinear_tap tx = bilinear_tap_for(j, v->side, out_side);
            const uint8_t *p00 = view_pixel(v, tx.k0, ty.k0), *p01 = view_pixel(v, tx.k1, ty.k0);
            const uint8_t *p10 = view_pixel(v, tx.k0, ty.k1), *p11 = view_pixel(v, tx.k1, ty.k1);
            uint8_t *dst = out + ((size_t)i * (size_t)out_side + (size_t)j) * 3;
            for (int c = 0; c < 3; c++) {
                double top = p00[c] + tx.t * (p01[c] - p00[c]);
                double bottom = p10[c] + tx.t * (p11[c] - p10[c]);
                dst[c] = round_to_byte(top + ty.t * (bottom - top));
            }
        }
    }
}

void cf_image_resize_square(const cf_image *img, int out_side, uint8_t *out) {
    if (!out || out_side <= 0) return;
    size_t out_bytes = (size_t)out_side * (size_t)out_side * 3;
    int x0, y0, side;
    cf_image_center_square(img ? img->width : 0, img ? img->height : 0, &x0, &y0, &side);
    if (!img || !img->rgb || side <= 0) { /* nothing to sample: a defined (black) result */
        memset(out, 0, out_bytes);
        return;
    }
    square_view view;
    view.stride = (size_t)img->width * 3;
    view.origin = img->rgb + (size_t)y0 * view.stride + (size_t)x0 * 3;
    view.side = side;
    if (side == out_side) { /* pass through bit for bit */
        for (int y = 0; y < side; y++)
            memcpy(out + (size_t)y * (size_t)side * 3, view_pixel(&view, 0, y), (size_t)side * 3);
    } else if (side > out_side) {
        resize_area(&view, out_side, out);
    } else {
        resize_bilinear(&view, out_side, out);
    }
}

int cf_image_load_model_input(const uint8_t *bytes, size_t n, uint8_t out[CF_MODEL_SIDE * CF_MODEL_SIDE * 3],
                              int *orig_width, int *orig_height, cf_error *err) {
    if (!out) return cf_fail(err, "internal error: no output buffer");
    cf_image img;
    if (cf_image_decode(bytes, n, &img, err)) return -1;
    cf_image_resize_square(&img, CF_MODEL_SIDE, out);
    if (orig_width) *orig_width = img.width;
    if (orig_height) *orig_height = img.height;
    cf_image_free(&img);
    return 0;
}
