/* test_provenance.c - the metadata reader (src/provenance.h): the shared provenance files with their
 * expected declarations, JPEG APP11 reassembly, the verdict rules, the JSON object, and hostile
 * metadata built here (lying lengths, text bombs, floods of chunks, huge XMP, invalid UTF-8).
 * The shared files are read from ../shared/provenance; those tests skip when it is absent. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime: timespec_get is not known to MemorySanitizer */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"
#include "generators.h"
#include "provenance.h"
#include "stb_image.h"
#include "test.h"

#define PROV_DIR "../shared/provenance"

static int prov_dir_present(void) {
    struct stat st;
    return stat(PROV_DIR, &st) == 0 && S_ISDIR(st.st_mode);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The first signal of a kind, or NULL. */
static const cf_prov_signal *signal_of(const cf_provenance *p, cf_signal_kind kind) {
    for (int i = 0; i < p->n_signals; i++)
        if (p->signals[i].kind == kind) return &p->signals[i];
    return NULL;
}

static const char *field_value(const cf_provenance *p, const char *name) {
    for (int i = 0; i < p->n_fields; i++)
        if (!strcmp(p->fields[i].name, name)) return p->fields[i].value;
    return NULL;
}

/* ---- a growable byte builder for the files made here ------------------------------------------ */

typedef struct {
    uint8_t *b;
    size_t n, cap;
} bytes;

static void put(bytes *o, const void *d, size_t n) {
    if (o->n + n > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->n + n) cap *= 2;
        o->b = realloc(o->b, cap);
        if (!o->b) abort();
        o->cap = cap;
    }
    memcpy(o->b + o->n, d, n);
    o->n += n;
}
static void put_be32(bytes *o, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 4);
}
static void put_be16(bytes *o, unsigned v) {
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(o, b, 2);
}
static void put_le32(bytes *o, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(o, b, 4);
}

/* A PNG chunk (CRC not written correctly: the reader does not check it). */
static void png_chunk(bytes *o, const char *type, const void *d, size_t n) {
    put_be32(o, (uint32_t)n);
    put(o, type, 4);
    if (n) put(o, d, n);
    put_be32(o, 0);
}
static void png_start(bytes *o) {
    put(o, "\x89PNG\r\n\x1a\n", 8);
    uint8_t ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0};
    png_chunk(o, "IHDR", ihdr, 13);
}
static void png_text_chunk(bytes *o, const char *key, const char *text) {
    bytes c = {0};
    put(&c, key, strlen(key) + 1);
    put(&c, text, strlen(text));
    png_chunk(o, "tEXt", c.b, c.n);
    free(c.b);
}

/* A stand-in C2PA manifest store: a "jumb" superbox with a c2pa description box and filler, size
 * bytes in all, its content a function of the offset so misplaced bytes show. */
static uint8_t *fake_store(size_t size) {
    uint8_t *s = malloc(size);
    for (size_t i = 0; i < size; i++) s[i] = (uint8_t)(i * 7 + 3);
    uint8_t head[] = {0, 0, 0, 0, 'j', 'u', 'm', 'b', 0, 0, 0, 0x1e, 'j', 'u', 'm', 'd', 'c', '2', 'p', 'a'};
    memcpy(s, head, sizeof head);
    s[0] = (uint8_t)(size >> 24), s[1] = (uint8_t)(size >> 16), s[2] = (uint8_t)(size >> 8), s[3] = (uint8_t)size;
    return s;
}

/* One APP11 segment: JP, instance, sequence, box header (repeated on continuations), payload. */
static void app11(bytes *o, unsigned instance, uint32_t seq, const uint8_t *box_header, const uint8_t *d, size_t n) {
    put(o, "\xFF\xEB", 2);
    put_be16(o, (unsigned)(2 + 8 + (box_header ? 8 : 0) + n));
    put(o, "JP", 2);
    put_be16(o, instance);
    put_be32(o, seq);
    if (box_header) put(o, box_header, 8);
    put(o, d, n);
}

/* A JPEG carrying store split into parts of at most part bytes, numbered from first_seq, written in
 * the order given by order (NULL: in sequence). */
static bytes jpeg_with_store(const uint8_t *store, size_t size, size_t part, uint32_t first_seq, const int *order,
                             int n_order) {
    bytes o = {0};
    put(&o, "\xFF\xD8", 2);
    size_t n_parts = 1 + (size - part + (part - 8) - 1) / (part - 8);
    if (size <= part) n_parts = 1;
    for (int k = 0; k < (order ? n_order : (int)n_parts); k++) {
        size_t i = order ? (size_t)order[k] : (size_t)k;
        if (i == 0) {
            app11(&o, 529, first_seq, NULL, store, size < part ? size : part);
        } else {
            size_t from = part + (i - 1) * (part - 8);
            if (from >= size) continue;
            size_t len = size - from < part - 8 ? size - from : part - 8;
            app11(&o, 529, first_seq + (uint32_t)i, store, store + from, len);
        }
    }
    put(&o, "\xFF\xD9", 2);
    return o;
}

/* ---- the shared files ------------------------------------------------------------------------- */

typedef struct {
    const char *path;
    cf_declares declares;
    cf_signal_kind kind;
    const char *generator; /* of that signal; "" none */
    const char *prompt_has; /* NULL: not checked */
} shared_case;

static const shared_case shared_cases[] = {
    {"sd/automatic1111_cropped.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "AUTOMATIC1111", "photo of a duck"},
    {"sd/automatic1111_cropped.jpg", CF_DECLARES_AI_GENERATED, CF_SIGNAL_EXIF, "AUTOMATIC1111", "photo of a duck"},
    {"sd/fooocus1_cropped.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "Fooocus", NULL},
    {"sd/img2img_cropped.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "ComfyUI", NULL},
    {"sd/invokeai_imeta1.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "InvokeAI", "oil painting"},
    {"sd/invokeai_sdmeta1.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "InvokeAI", "brunette hair"},
    {"sd/novelai1_cropped.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "NovelAI", "cat, space"},
    {"synthetic/synth_xmp_trainedAlgorithmicMedia_google_style.jpg", CF_DECLARES_AI_GENERATED, CF_SIGNAL_XMP,
     "Google AI", NULL},
    {"synthetic/synth_xmp_compositeWithTrainedAlgorithmicMedia.png", CF_DECLARES_AI_EDITED, CF_SIGNAL_XMP,
     "Adobe Photoshop Generative Fill", NULL},
    {"synthetic/synth_forged_camera_exif_digitalCapture.jpg", CF_DECLARES_CAPTURE, CF_SIGNAL_EXIF, "", NULL},
    {"synthetic/synth_a1111_parameters.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "AUTOMATIC1111",
     "lighthouse at dusk"},
    {"synthetic/synth_comfyui_prompt_workflow.png", CF_DECLARES_AI_GENERATED, CF_SIGNAL_PNG_TEXT, "ComfyUI", NULL},
};

static int read_shared(const char *rel, cf_provenance *p, uint8_t **data, size_t *n) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PROV_DIR, rel);
    *data = test_read_file(path, n);
    if (!*data) return -1;
    cf_error err;
    return cf_provenance_read(*data, *n, p, &err);
}

TEST(provenance_shared_files_declare_what_the_manifest_says) {
    if (!prov_dir_present()) {
        test_skip(PROV_DIR " is absent");
        return;
    }
    for (size_t i = 0; i < sizeof shared_cases / sizeof shared_cases[0]; i++) {
        const shared_case *c = &shared_cases[i];
        cf_provenance p;
        uint8_t *data;
        size_t n;
        if (read_shared(c->path, &p, &data, &n)) {
            CHECK_MSG(0, "%s: cannot read", c->path);
            continue;
        }
        CHECK_MSG(p.declares == c->declares, "%s: declares %s, expected %s", c->path, cf_declares_name(p.declares),
                  cf_declares_name(c->declares));
        const cf_prov_signal *s = signal_of(&p, c->kind);
        CHECK_MSG(s != NULL, "%s: no %s signal", c->path, cf_signal_kind_name(c->kind));
        if (s) {
            CHECK_MSG(!strcmp(s->generator, c->generator), "%s: generator \"%s\", expected \"%s\"", c->path,
                      s->generator, c->generator);
            CHECK_MSG(s->says[0] != 0, "%s: says nothing", c->path);
            CHECK_MSG(s->verified == CF_VERIFIED_NA, "%s: an unsigned signal is %s", c->path,
                      cf_verified_name(s->verified));
            if (c->prompt_has)
                CHECK_MSG(s->prompt && strstr(s->prompt, c->prompt_has), "%s: prompt \"%s\" lacks \"%s\"", c->path,
                          s->prompt ? s->prompt : "(none)", c->prompt_has);
        }
        CHECK_MSG(p.unreadable[0] == 0, "%s: %s", c->path, p.unreadable);
        cf_provenance_free(&p);
        free(data);
    }
}

TEST(provenance_shared_details) {
    if (!prov_dir_present()) {
        test_skip(PROV_DIR " is absent");
        return;
    }
    cf_provenance p;
    uint8_t *data;
    size_t n;
    /* the forged camera: EXIF names the Canon, XMP declares digitalCapture; both only capture */
    if (read_shared("synthetic/synth_forged_camera_exif_digitalCapture.jpg", &p, &data, &n) == 0) {
        const cf_prov_signal *e = signal_of(&p, CF_SIGNAL_EXIF), *x = signal_of(&p, CF_SIGNAL_XMP);
        CHECK(e && strstr(e->says, "Canon EOS R5") && !strstr(e->says, "Canon Canon"));
        CHECK(x && x->declares == CF_DECLARES_CAPTURE);
        CHECK(field_value(&p, "EXIF:Make") && !strcmp(field_value(&p, "EXIF:Make"), "Canon"));
        cf_provenance_free(&p);
        free(data);
    }
    /* the Google-style XMP: the credit line gives the generator */
    if (read_shared("synthetic/synth_xmp_trainedAlgorithmicMedia_google_style.jpg", &p, &data, &n) == 0) {
        CHECK(field_value(&p, "XMP:Credit") && !strcmp(field_value(&p, "XMP:Credit"), "Made with Google AI"));
        const char *dst = field_value(&p, "XMP:DigitalSourceType");
        CHECK(dst && strstr(dst, "/trainedAlgorithmicMedia"));
        cf_provenance_free(&p);
        free(data);
    }
    /* ComfyUI names its checkpoint */
    if (read_shared("synthetic/synth_comfyui_prompt_workflow.png", &p, &data, &n) == 0) {
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_PNG_TEXT);
        CHECK(s && strstr(s->says, "ComfyUI workflow") && strstr(s->says, "sd_xl_base_1.0"));
        CHECK(field_value(&p, "PNG:workflow") != NULL);
        cf_provenance_free(&p);
        free(data);
    }
    /* the Nikon: camera EXIF with maker notes, and a C2PA store in four APP11 segments */
    if (read_shared("camera/nikon_z9_c2pa_building.jpeg", &p, &data, &n) == 0) {
        const cf_prov_signal *e = signal_of(&p, CF_SIGNAL_EXIF);
        CHECK(e && e->declares == CF_DECLARES_CAPTURE && strstr(e->says, "NIKON Z 9") && strstr(e->says, "maker notes"));
        CHECK(field_value(&p, "EXIF:MakerNote") && !strncmp(field_value(&p, "EXIF:MakerNote"), "present", 7));
        CHECK(p.c2pa_store && p.c2pa_store_size == 0x3a2fc);
        CHECK(p.c2pa_signal >= 0 && p.signals[p.c2pa_signal].kind == CF_SIGNAL_C2PA);
        cf_provenance_free(&p);
        free(data);
    }
}

/* Every C2PA file's store is reassembled to the length its superbox declares. */
TEST(provenance_shared_c2pa_stores_reassembled) {
    if (!prov_dir_present()) {
        test_skip(PROV_DIR " is absent");
        return;
    }
    static const struct {
        const char *path;
        size_t size;
    } files[] = {{"c2pa/adobe_firefly_photoshop_ocsp.jpg", 0x3e9c5},
                 {"c2pa/testcert_digitalCapture_cawg.jpg", 0xcf6a},
                 {"c2pa/testcert_tampered_datahash_XCA.jpg", 0x1c9f9},
                 {"c2pa/testcert_bad_signature_E-sig-CA.jpg", 0x1c9f9}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        cf_provenance p;
        uint8_t *data;
        size_t n;
        if (read_shared(files[i].path, &p, &data, &n)) {
            CHECK_MSG(0, "%s: cannot read", files[i].path);
            continue;
        }
        CHECK_MSG(p.c2pa_store && p.c2pa_store_size == files[i].size, "%s: store of %zu bytes, expected %zu",
                  files[i].path, p.c2pa_store_size, files[i].size);
        CHECK(p.c2pa_store && !memcmp(p.c2pa_store + 4, "jumb", 4));
        CHECK_MSG(p.c2pa_signal >= 0, "%s: no C2PA signal", files[i].path);
        cf_provenance_free(&p);
        free(data);
    }
}

TEST(provenance_stealth_parameters_in_alpha) {
    if (!prov_dir_present()) {
        test_skip(PROV_DIR " is absent");
        return;
    }
    uint8_t *data;
    size_t n;
    cf_provenance p;
    CHECK(read_shared("sd/automatic1111_stealth.png", &p, &data, &n) == 0);
    if (!data) return;
    /* An RGBA PNG: cf_provenance_read decodes its alpha channel and finds the parameters itself. */
    const cf_prov_signal *found = signal_of(&p, CF_SIGNAL_STEALTH);
    CHECK(found && p.n_signals == 1 && p.declares == CF_DECLARES_AI_GENERATED);
    cf_provenance_free(&p); /* empty again: the same from the pixels alone */
    int w, h, comp;
    uint8_t *rgba = stbi_load_from_memory(data, (int)n, &w, &h, &comp, 4);
    CHECK(rgba != NULL);
    if (rgba) {
        cf_error err;
        CHECK(cf_provenance_read_stealth(&p, rgba, w, h, &err) == 0);
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_STEALTH);
        CHECK(s && s->declares == CF_DECLARES_AI_GENERATED && !strcmp(s->generator, "AUTOMATIC1111"));
        CHECK(s && s->prompt && s->prompt[0]);
        CHECK(p.declares == CF_DECLARES_AI_GENERATED);
        free(rgba);
    }
    cf_provenance_free(&p);
    free(data);
}

/* "stealth_pngcomp": the parameters gzip-compressed (a stored deflate block here), and a gzip
 * member that is cut short. */
TEST(provenance_stealth_compressed) {
    const int w = 64, h = 64;
    const char *text = "a heron\nSteps: 30, Sampler: DPM++ 2M, Seed: 9, Model: juggernaut";
    size_t n = strlen(text);
    for (int cut = 0; cut <= 1; cut++) {
        bytes gz = {0};
        put(&gz, "\x1f\x8b\x08\0\0\0\0\0\0\xff", 10);
        uint8_t block[5] = {1, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n, (uint8_t)(~n >> 8)};
        put(&gz, block, 5);
        put(&gz, text, cut ? n / 2 : n);
        if (!cut) {
            put_le32(&gz, cf_crc32(0, text, n));
            put_le32(&gz, (uint32_t)n);
        }
        bytes bits = {0};
        put(&bits, "stealth_pngcomp", 15);
        put_be32(&bits, (uint32_t)gz.n * 8);
        put(&bits, gz.b, gz.n);
        uint8_t *rgba = malloc((size_t)w * h * 4);
        memset(rgba, 255, (size_t)w * h * 4);
        for (size_t i = 0; i < bits.n * 8; i++)
            rgba[((i % h) * w + i / h) * 4 + 3] = (uint8_t)(254 | (bits.b[i / 8] >> (7 - i % 8) & 1));
        cf_provenance p;
        cf_error err;
        cf_provenance_read(NULL, 0, &p, &err);
        CHECK(cf_provenance_read_stealth(&p, rgba, w, h, &err) == 0);
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_STEALTH);
        if (!cut) CHECK(s && s->prompt && !strcmp(s->prompt, "a heron") && strstr(s->says, "juggernaut"));
        else CHECK(s == NULL && strstr(p.unreadable, "corrupt"));
        cf_provenance_free(&p);
        free(rgba);
        free(bits.b);
        free(gz.b);
    }
}

/* NovelAI's JSON hidden the same way: its generator is named, not A1111's. */
TEST(provenance_stealth_novelai_json) {
    const int w = 64, h = 64;
    const char *text = "{\"Software\": \"NovelAI\", \"Description\": \"a cat\"}";
    bytes bits = {0};
    put(&bits, "stealth_pnginfo", 15);
    put_be32(&bits, (uint32_t)strlen(text) * 8);
    put(&bits, text, strlen(text));
    uint8_t *rgba = malloc((size_t)w * h * 4);
    memset(rgba, 255, (size_t)w * h * 4);
    for (size_t i = 0; i < bits.n * 8; i++)
        rgba[((i % h) * w + i / h) * 4 + 3] = (uint8_t)(254 | (bits.b[i / 8] >> (7 - i % 8) & 1));
    cf_provenance p;
    cf_error err;
    cf_provenance_read(NULL, 0, &p, &err);
    CHECK(cf_provenance_read_stealth(&p, rgba, w, h, &err) == 0);
    const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_STEALTH);
    CHECK(s && !strcmp(s->generator, "NovelAI") && strstr(s->says, "(NovelAI)"));
    cf_provenance_free(&p);
    free(rgba);
    free(bits.b);
}

/* Stealth data written here: plain signature, then a lying length. */
TEST(provenance_stealth_made_here_and_lying_length) {
    const int w = 40, h = 40;
    uint8_t *rgba = malloc((size_t)w * h * 4);
    const char *text = "a cat\nSteps: 20, Sampler: Euler, Seed: 1, Model: sdxl_base";
    bytes bits = {0};
    put(&bits, "stealth_pnginfo", 15);
    put_be32(&bits, (uint32_t)strlen(text) * 8);
    put(&bits, text, strlen(text));
    for (int lie = 0; lie < 2; lie++) {
        if (lie) bits.b[15] = 0x7f; /* claims ~2^30 bits */
        memset(rgba, 255, (size_t)w * h * 4);
        for (size_t i = 0; i < bits.n * 8; i++) {
            int bit = bits.b[i / 8] >> (7 - i % 8) & 1;
            size_t x = i / h, y = i % h;
            rgba[(y * w + x) * 4 + 3] = (uint8_t)(254 | bit);
        }
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(NULL, 0, &p, &err) == 0);
        CHECK(cf_provenance_read_stealth(&p, rgba, w, h, &err) == 0);
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_STEALTH);
        if (!lie) {
            CHECK(s && s->prompt && !strcmp(s->prompt, "a cat") && strstr(s->says, "sdxl_base"));
        } else {
            CHECK(s == NULL && strstr(p.unreadable, "metadata unreadable"));
        }
        cf_provenance_free(&p);
    }
    /* an opaque image has no stealth data */
    memset(rgba, 255, (size_t)w * h * 4);
    cf_provenance p;
    cf_error err;
    cf_provenance_read(NULL, 0, &p, &err);
    CHECK(cf_provenance_read_stealth(&p, rgba, w, h, &err) == 0 && p.n_signals == 0);
    cf_provenance_free(&p);
    free(bits.b);
    free(rgba);
}

/* ---- APP11 reassembly ------------------------------------------------------------------------- */

TEST(provenance_app11_reassembly_in_sequence_order) {
    size_t size = 150000;
    uint8_t *store = fake_store(size);
    for (uint32_t first = 0; first <= 1; first++) { /* producers number the first segment 0 or 1 */
        int shuffled[] = {2, 0, 1};
        for (int ordered = 0; ordered <= 1; ordered++) {
            bytes j = jpeg_with_store(store, size, 65000, first, ordered ? NULL : shuffled, 3);
            cf_provenance p;
            cf_error err;
            CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0);
            CHECK_MSG(p.c2pa_store_size == size && p.c2pa_store && !memcmp(p.c2pa_store, store, size),
                      "first %u ordered %d: store of %zu bytes", first, ordered, p.c2pa_store_size);
            CHECK(p.c2pa_signal >= 0);
            CHECK(!strstr(p.unreadable, "APP11")); /* the stand-in store itself is no manifest c2pa.c can read */
            cf_provenance_free(&p);
            free(j.b);
        }
    }
    free(store);
}

TEST(provenance_app11_missing_duplicate_truncated) {
    size_t size = 150000;
    uint8_t *store = fake_store(size);
    int missing[] = {0, 2}, duplicate[] = {0, 1, 1, 2};
    const int *orders[] = {missing, duplicate};
    int lens[] = {2, 4};
    for (int k = 0; k < 2; k++) {
        bytes j = jpeg_with_store(store, size, 65000, 1, orders[k], lens[k]);
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0);
        CHECK(p.c2pa_store == NULL);
        CHECK(strstr(p.unreadable, "metadata unreadable") != NULL);
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_C2PA);
        CHECK(s && s->problem[0] && s->declares == CF_DECLARES_NONE);
        cifake_result r = {.label = CIFAKE_REAL, .p_fake = 0.1f};
        cf_provenance_decide(&p, &r);
        CHECK(r.label == CIFAKE_REAL && strstr(r.reason, "could not be read"));
        cf_provenance_free(&p);
        free(j.b);
    }
    /* a segment whose length runs past the end of the file */
    bytes j = jpeg_with_store(store, size, 65000, 1, NULL, 0);
    j.n -= 1000;
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0);
    CHECK(p.c2pa_store == NULL && strstr(p.unreadable, "past the end"));
    cf_provenance_free(&p);
    free(j.b);
    /* a store whose box claims more than the segments hold */
    store[2] = 0xFF;
    j = jpeg_with_store(store, size, 65000, 1, NULL, 0);
    CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0);
    CHECK(p.c2pa_store == NULL && strstr(p.unreadable, "fewer bytes"));
    cf_provenance_free(&p);
    free(j.b);
    free(store);
}

TEST(provenance_c2pa_in_png_and_webp) {
    size_t size = 5000;
    uint8_t *store = fake_store(size);
    bytes png = {0};
    png_start(&png);
    png_chunk(&png, "caBX", store, size);
    png_chunk(&png, "IEND", NULL, 0);
    bytes webp = {0};
    put(&webp, "RIFF", 4);
    put_le32(&webp, 0);
    put(&webp, "WEBPC2PA", 8);
    put_le32(&webp, (uint32_t)size);
    put(&webp, store, size);
    bytes *files[] = {&png, &webp};
    for (int i = 0; i < 2; i++) {
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(files[i]->b, files[i]->n, &p, &err) == 0);
        CHECK(p.c2pa_store_size == size && p.c2pa_store && !memcmp(p.c2pa_store, store, size));
        cf_provenance_free(&p);
        free(files[i]->b);
    }
    free(store);
}

TEST(provenance_gif_and_bmp_give_nothing) {
    const uint8_t gif[] = "GIF89a\1\0\1\0\0\0\0;";
    const uint8_t bmp[] = "BM\0\0\0\0\0\0\0\0";
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(gif, sizeof gif, &p, &err) == 0 && p.declares == CF_DECLARES_NONE && p.n_signals == 0);
    cf_provenance_free(&p);
    CHECK(cf_provenance_read(bmp, sizeof bmp, &p, &err) == 0 && p.declares == CF_DECLARES_NONE && p.n_signals == 0);
    cf_provenance_free(&p);
}

/* ---- generators ------------------------------------------------------------------------------- */

TEST(provenance_generator_names_whole_words) {
    CHECK(cf_generator_find("ImageNet classifier", 100) == NULL);
    CHECK(cf_generator_find("influx", 100) == NULL);
    CHECK(!strcmp(cf_generator_find("flux1-dev.safetensors", 100), "FLUX"));
    CHECK(!strcmp(cf_generator_find("Adobe_Firefly adobe_c2pa/0.12.4", 100), "Adobe Firefly"));
    CHECK(!strcmp(cf_generator_find("Google Imagen 3", 100), "Google Imagen"));
    CHECK(!strcmp(cf_generator_find("Made with Google AI", 100), "Google AI"));
    CHECK(cf_generator_find("Adobe Photoshop 26.0", 100) == NULL);
    CHECK(cf_generator_edits(cf_generator_find("Adobe Photoshop 26.0 (Generative Fill)", 100)) == 1);
    CHECK(cf_generator_edits("Adobe Firefly") == 0);
}

/* ---- XMP forms -------------------------------------------------------------------------------- */

static cf_declares xmp_declares(const char *xmp, char *generator, size_t cap) {
    bytes png = {0};
    png_start(&png);
    bytes c = {0};
    put(&c, "XML:com.adobe.xmp\0\0\0\0\0", 22);
    put(&c, xmp, strlen(xmp));
    png_chunk(&png, "iTXt", c.b, c.n);
    png_chunk(&png, "IEND", NULL, 0);
    cf_provenance p;
    cf_error err;
    cf_declares d = CF_DECLARES_NONE;
    if (cf_provenance_read(png.b, png.n, &p, &err) == 0) {
        d = p.declares;
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_XMP);
        if (generator) snprintf(generator, cap, "%s", s ? s->generator : "");
        cf_provenance_free(&p);
    }
    free(c.b);
    free(png.b);
    return d;
}

TEST(provenance_xmp_forms_and_codes) {
    const char *base = "http://cv.iptc.org/newscodes/digitalsourcetype/";
    char x[1024], g[128];
    snprintf(x, sizeof x, "<rdf:Description Iptc4xmpExt:DigitalSourceType=\"%strainedAlgorithmicMedia\"/>", base);
    CHECK(xmp_declares(x, NULL, 0) == CF_DECLARES_AI_GENERATED);
    snprintf(x, sizeof x, "<rdf:Description Iptc4xmpExt:DigitalSourceType='%scompositeWithTrainedAlgorithmicMedia'/>", base);
    CHECK(xmp_declares(x, NULL, 0) == CF_DECLARES_AI_EDITED);
    snprintf(x, sizeof x, "<Iptc4xmpExt:DigitalSourceType rdf:resource=\"%sdigitalCapture\"/>", base);
    CHECK(xmp_declares(x, NULL, 0) == CF_DECLARES_CAPTURE);
    snprintf(x, sizeof x, "<Iptc4xmpExt:DigitalSourceType>%salgorithmicMedia</Iptc4xmpExt:DigitalSourceType>", base);
    CHECK(xmp_declares(x, NULL, 0) == CF_DECLARES_OTHER); /* not "trained": not AI */
    snprintf(x, sizeof x, "<Iptc4xmpExt:DigitalSourceType>%salgorithmicallyEnhanced</Iptc4xmpExt:DigitalSourceType>", base);
    CHECK(xmp_declares(x, NULL, 0) == CF_DECLARES_OTHER);
    CHECK(xmp_declares("<xmp:CreatorTool>Adobe Firefly Image 3</xmp:CreatorTool>", g, sizeof g) ==
          CF_DECLARES_AI_GENERATED);
    CHECK(!strcmp(g, "Adobe Firefly"));
    CHECK(xmp_declares("<dc:title><rdf:Alt><rdf:li xml:lang='x-default'>x</rdf:li></rdf:Alt></dc:title>"
                       "<photoshop:Credit>Made with Google AI</photoshop:Credit>",
                       g, sizeof g) == CF_DECLARES_AI_GENERATED);
    CHECK(xmp_declares("<xmp:CreatorTool>Adobe Photoshop 25.0</xmp:CreatorTool>", NULL, 0) == CF_DECLARES_OTHER);
    CHECK(xmp_declares("</Iptc4xmpExt:DigitalSourceType>", NULL, 0) == CF_DECLARES_NONE);
}

/* ---- EXIF UserComment in both UTF-16 byte orders ---------------------------------------------- */

static bytes jpeg_with_exif_comment(const uint8_t *comment, size_t n, int little) {
    bytes t = {0};
    /* TIFF: header, IFD0 with the EXIF pointer, EXIF IFD with UserComment */
    uint8_t hdr[8] = {'M', 'M', 0, 42, 0, 0, 0, 8};
    if (little) memcpy(hdr, "II\x2a\0\x08\0\0\0", 8);
#define P16(v) do { uint8_t b_[2]; if (little) { b_[0] = (uint8_t)(v); b_[1] = (uint8_t)((v) >> 8); } \
                    else { b_[0] = (uint8_t)((v) >> 8); b_[1] = (uint8_t)(v); } put(&t, b_, 2); } while (0)
#define P32(v) do { if (little) put_le32(&t, (uint32_t)(v)); else put_be32(&t, (uint32_t)(v)); } while (0)
    put(&t, hdr, 8);
    P16(1);
    P16(0x8769); P16(4); P32(1); P32(26);
    P32(0);
    P16(1); /* at 26 */
    P16(0x9286); P16(7); P32(n); P32(44);
    P32(0);
    put(&t, comment, n); /* at 44 */
#undef P16
#undef P32
    bytes j = {0};
    put(&j, "\xFF\xD8\xFF\xE1", 4);
    put_be16(&j, (unsigned)(2 + 6 + t.n));
    put(&j, "Exif\0\0", 6);
    put(&j, t.b, t.n);
    put(&j, "\xFF\xD9", 2);
    free(t.b);
    return j;
}

TEST(provenance_exif_user_comment_utf16_either_order) {
    const char *text = "a red fox \xC3\xA9\nNegative prompt: blur\nSteps: 20, Sampler: Euler a, Seed: 5, Model: dreamshaper_8";
    for (int little = 0; little <= 1; little++) {
        bytes c = {0};
        put(&c, "UNICODE\0", 8);
        for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
            unsigned u = *s;
            if (u == 0xC3) u = 0xE9, s++; /* the one non-ASCII character: U+00E9 */
            uint8_t b[2] = {(uint8_t)(little ? u : u >> 8), (uint8_t)(little ? u >> 8 : u)};
            put(&c, b, 2);
        }
        bytes j = jpeg_with_exif_comment(c.b, c.n, little);
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0);
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_EXIF);
        CHECK_MSG(s && s->prompt && !strcmp(s->prompt, "a red fox \xC3\xA9"), "little %d: prompt %s", little,
                  s && s->prompt ? s->prompt : "(none)");
        CHECK(s && strstr(s->says, "dreamshaper_8"));
        cf_provenance_free(&p);
        free(j.b);
        free(c.b);
    }
    /* ASCII charset */
    bytes c = {0};
    put(&c, "ASCII\0\0\0", 8);
    put(&c, text, strlen(text));
    bytes j = jpeg_with_exif_comment(c.b, c.n, 0);
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0 && p.declares == CF_DECLARES_AI_GENERATED);
    cf_provenance_free(&p);
    free(j.b);
    free(c.b);
}

/* ---- the verdict rules ------------------------------------------------------------------------ */

static cf_provenance one_signal(cf_signal_kind kind, cf_declares d, cf_verified v, const char *says,
                                const char *signer) {
    cf_provenance p;
    cf_error err;
    cf_provenance_read(NULL, 0, &p, &err);
    cf_prov_signal *s = cf_prov_add_signal(&p, kind);
    s->declares = d;
    s->verified = v;
    snprintf(s->says, sizeof s->says, "%s", says);
    snprintf(s->signer, sizeof s->signer, "%s", signer);
    if (kind == CF_SIGNAL_C2PA) p.c2pa_signal = 0;
    cf_provenance_update_declares(&p);
    return p;
}

static cifake_result pixel(cifake_label label, float p_fake) {
    cifake_result r;
    memset(&r, 0, sizeof r);
    r.label = label;
    r.p_fake = p_fake;
    r.scope = label == CIFAKE_UNSURE ? CIFAKE_TOO_SMALL : CIFAKE_JUDGED;
    if (label == CIFAKE_UNSURE) snprintf(r.reason, sizeof r.reason, "too small to judge: 16x16 pixels");
    return r;
}

TEST(provenance_rule_valid_ai_manifest_gives_fake_naming_signer) {
    cf_verified statuses[] = {CF_VERIFIED_VALID, CF_VERIFIED_UNTRUSTED, CF_VERIFIED_EXPIRED, CF_VERIFIED_NOT_CHECKED};
    for (int i = 0; i < 4; i++) {
        cf_provenance p = one_signal(CF_SIGNAL_C2PA, CF_DECLARES_AI_EDITED, statuses[i],
                                     "edited with generative AI (Adobe Firefly)", "Adobe Inc.");
        cifake_result r = pixel(CIFAKE_REAL, 0.2f);
        float before = r.p_fake;
        cf_provenance_decide(&p, &r);
        CHECK(r.label == CIFAKE_FAKE);
        CHECK(r.p_fake == before);
        CHECK_MSG(strstr(r.reason, "Content Credentials signed by Adobe Inc. say it was edited with generative AI") &&
                      strstr(r.reason, "pixel model says REAL"),
                  "%s", r.reason);
        if (statuses[i] == CF_VERIFIED_UNTRUSTED) CHECK(strstr(r.reason, "not on the C2PA trust list"));
        if (statuses[i] == CF_VERIFIED_EXPIRED) CHECK(strstr(r.reason, "expired"));
        cf_provenance_free(&p);
    }
}

TEST(provenance_rule_failed_manifest_gives_no_fake) {
    cf_provenance p = one_signal(CF_SIGNAL_C2PA, CF_DECLARES_AI_GENERATED, CF_VERIFIED_NOT_CHECKED,
                                 "generated by DALL-E", "OpenAI");
    cf_provenance_set_c2pa_status(&p, CF_VERIFIED_INVALID, NULL, "the pixels changed after signing");
    CHECK(p.declares == CF_DECLARES_NONE);
    cifake_result r = pixel(CIFAKE_REAL, 0.1f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_REAL);
    CHECK_MSG(strstr(r.reason, "present but they do not match this image") && strstr(r.reason, "pixels changed"), "%s",
              r.reason);
    r = pixel(CIFAKE_UNSURE, 0.5f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_UNSURE && strstr(r.reason, "too small") && strstr(r.reason, "do not match"));
    cf_provenance_free(&p);
}

TEST(provenance_rule_camera_exif_alone_never_real) {
    cf_provenance p = one_signal(CF_SIGNAL_EXIF, CF_DECLARES_CAPTURE, CF_VERIFIED_NA,
                                 "EXIF names a Canon EOS R5 camera (EXIF can be forged)", "");
    cifake_result r = pixel(CIFAKE_UNSURE, 0.5f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_UNSURE && strstr(r.reason, "Canon EOS R5") && strstr(r.reason, "consistent with a camera"));
    r = pixel(CIFAKE_FAKE, 0.9f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_FAKE && strstr(r.reason, "Canon EOS R5"));
    cf_provenance_free(&p);
    /* an unverified or untrusted capture manifest neither */
    cf_verified statuses[] = {CF_VERIFIED_NOT_CHECKED, CF_VERIFIED_UNTRUSTED, CF_VERIFIED_EXPIRED};
    for (int i = 0; i < 3; i++) {
        p = one_signal(CF_SIGNAL_C2PA, CF_DECLARES_CAPTURE, statuses[i], "captured by a camera", "NIKON CORPORATION");
        r = pixel(CIFAKE_UNSURE, 0.5f);
        cf_provenance_decide(&p, &r);
        CHECK(r.label == CIFAKE_UNSURE);
        cf_provenance_free(&p);
    }
}

TEST(provenance_rule_trusted_capture_manifest_gives_real) {
    cf_provenance p = one_signal(CF_SIGNAL_C2PA, CF_DECLARES_CAPTURE, CF_VERIFIED_VALID, "captured by a camera",
                                 "NIKON CORPORATION");
    cifake_result r = pixel(CIFAKE_FAKE, 0.8f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_REAL);
    CHECK_MSG(strstr(r.reason, "NIKON CORPORATION") && strstr(r.reason, "pixel model says FAKE"), "%s", r.reason);
    cf_provenance_free(&p);
}

TEST(provenance_rule_unsigned_declaration_gives_fake) {
    cf_provenance p = one_signal(CF_SIGNAL_PNG_TEXT, CF_DECLARES_AI_GENERATED, CF_VERIFIED_NA,
                                 "A ComfyUI workflow with a FLUX checkpoint is in the PNG: it declares the image generated", "");
    cifake_result r = pixel(CIFAKE_FAKE, 0.9f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_FAKE);
    CHECK_MSG(strstr(r.reason, "FLUX checkpoint") && strstr(r.reason, "unsigned") && !strstr(r.reason, "pixel model"),
              "agreeing verdicts need no second clause: %s", r.reason);
    r = pixel(CIFAKE_UNSURE, 0.5f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_FAKE && strstr(r.reason, "pixel model is unsure"));
    cf_provenance_free(&p);
}

/* Nothing found is no evidence either way: the pixel verdict and its reason stand unchanged (the
 * provenance object says "none"; the page and --provenance say "no provenance found"). */
TEST(provenance_rule_nothing_found_leaves_the_pixel_verdict) {
    cf_provenance p;
    cf_error err;
    const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xD9};
    CHECK(cf_provenance_read(jpeg, sizeof jpeg, &p, &err) == 0 && p.declares == CF_DECLARES_NONE);
    cifake_result r = pixel(CIFAKE_REAL, 0.05f), before = r;
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_REAL && !strcmp(r.reason, before.reason));
    r = before = pixel(CIFAKE_UNSURE, 0.5f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_UNSURE && !strcmp(r.reason, before.reason) && strstr(r.reason, "too small"));
    /* Unreadable metadata and nothing else: said, and the pixel verdict stands. */
    snprintf(p.unreadable, sizeof p.unreadable, "metadata unreadable: a test");
    r = pixel(CIFAKE_REAL, 0.05f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_REAL && strstr(r.reason, "metadata unreadable"));
    cf_provenance_free(&p);
}

/* ---- JSON ------------------------------------------------------------------------------------- */

/* 1 when s is valid UTF-8 with no raw control characters. */
static int clean_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x20) return 0;
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n || (len == 2 && c < 0xC2)) return 0;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) return 0;
        i += len;
    }
    return 1;
}

TEST(provenance_json_exact_and_escaped) {
    cf_provenance p = one_signal(CF_SIGNAL_C2PA, CF_DECLARES_AI_GENERATED, CF_VERIFIED_UNTRUSTED,
                                 "generated by \"DALL-E\"", "OpenAI");
    cf_buffer b = {0};
    cf_provenance_json(&p, &b);
    cf_buffer_append(&b, "", 1);
    CHECK_MSG(b.data && !strcmp((char *)b.data,
                                "{\"declares\": \"ai-generated\", \"signals\": [{\"kind\": \"c2pa\", \"says\": "
                                "\"generated by \\\"DALL-E\\\"\", \"signer\": \"OpenAI\", \"verified\": \"untrusted\"}]}"),
              "%s", b.data);
    free(b.data);
    cf_provenance_free(&p);
    /* bytes that are not UTF-8, control characters and backslashes */
    p = one_signal(CF_SIGNAL_PNG_TEXT, CF_DECLARES_OTHER, CF_VERIFIED_NA, "bad \xff\xfe bytes \x01 \\ \xc3\x28 \xed\xa0\x80", "");
    { const char *t_ = "tab\there\nnew \xe2\x82"; p.signals[0].prompt = malloc(strlen(t_) + 1); strcpy(p.signals[0].prompt, t_); }
    memset(&b, 0, sizeof b);
    cf_provenance_json(&p, &b);
    CHECK(clean_utf8(b.data, b.len));
    cf_buffer_append(&b, "", 1);
    CHECK(strstr((char *)b.data, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \\u0001 \\\\ \xEF\xBF\xBD("));
    CHECK(strstr((char *)b.data, "\"prompt\": \"tab\\there\\nnew \xEF\xBF\xBD\xEF\xBF\xBD\""));
    free(b.data);
    cf_provenance_free(&p);
}

/* ---- hostile metadata ------------------------------------------------------------------------- */

/* A zlib stream (fixed Huffman codes) that inflates to `zeros` zero bytes: one literal then matches
 * of 258 at distance 1, 13 bits per 258 bytes. */
static bytes zlib_bomb(size_t zeros) {
    bytes o = {0};
    put(&o, "\x78\x01", 2);
    uint64_t acc = 0;
    int nbits = 0;
#define BITS(v, n) do { acc |= (uint64_t)(v) << nbits; nbits += (n); \
        while (nbits >= 8) { uint8_t byte_ = (uint8_t)acc; put(&o, &byte_, 1); acc >>= 8; nbits -= 8; } } while (0)
/* Huffman codes are sent most significant bit first */
#define CODE(c, n) do { unsigned r_ = 0; for (int k_ = 0; k_ < (n); k_++) r_ |= (((c) >> k_) & 1u) << ((n) - 1 - k_); BITS(r_, n); } while (0)
    BITS(1, 1); /* final block */
    BITS(1, 2); /* fixed Huffman */
    CODE(0x30, 8); /* literal 0 */
    for (size_t done = 1; done + 258 <= zeros; done += 258) {
        CODE(0xC5, 8); /* length 258 (code 285) */
        CODE(0, 5);    /* distance 1 */
    }
    CODE(0, 7); /* end of block */
    if (nbits) BITS(0, 8 - nbits);
#undef BITS
#undef CODE
    put_be32(&o, 0);
    return o;
}

TEST(provenance_hostile_ztxt_bomb_stops_at_the_cap) {
    bytes bomb = zlib_bomb((size_t)100 << 20);
    bytes png = {0};
    png_start(&png);
    for (int i = 0; i < 40; i++) { /* forty bombs: the file's inflate budget stops them */
        bytes c = {0};
        put(&c, "parameters\0\0", 12);
        put(&c, bomb.b, bomb.n);
        png_chunk(&png, "zTXt", c.b, c.n);
        free(c.b);
    }
    png_chunk(&png, "IEND", NULL, 0);
    double t0 = now_seconds();
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0);
    double took = now_seconds() - t0;
    CHECK_MSG(took < 1.0, "took %.2f s", took);
    CHECK(strstr(p.unreadable, "metadata unreadable") != NULL);
    cf_provenance_free(&p);
    /* a small compressed chunk still inflates */
    bytes small = zlib_bomb(1000);
    bytes png2 = {0};
    png_start(&png2);
    bytes c = {0};
    put(&c, "Comment\0\0", 9);
    put(&c, small.b, small.n);
    png_chunk(&png2, "zTXt", c.b, c.n);
    CHECK(cf_provenance_read(png2.b, png2.n, &p, &err) == 0);
    CHECK(p.unreadable[0] == 0 && field_value(&p, "PNG:Comment") != NULL);
    cf_provenance_free(&p);
    free(c.b);
    free(small.b);
    free(png2.b);
    free(bomb.b);
    free(png.b);
}

TEST(provenance_hostile_ten_thousand_text_chunks) {
    bytes png = {0};
    png_start(&png);
    for (int i = 0; i < 10000; i++) png_text_chunk(&png, "k", "v");
    png_text_chunk(&png, "parameters", "x\nSteps: 1, Sampler: Euler, Seed: 1");
    png_chunk(&png, "IEND", NULL, 0);
    double t0 = now_seconds();
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0);
    CHECK_MSG(now_seconds() - t0 < 1.0, "took %.2f s", now_seconds() - t0);
    CHECK(p.n_fields <= CF_PROV_MAX_FIELDS && strstr(p.unreadable, "skipped"));
    cf_provenance_free(&p);
    free(png.b);
}

TEST(provenance_hostile_lying_lengths) {
    /* a PNG chunk claiming more than the file holds; an iTXt without its fields; a keyword without NUL */
    bytes png = {0};
    png_start(&png);
    png_text_chunk(&png, "Software", "NovelAI");
    png_chunk(&png, "iTXt", "XML:com.adobe.xmp\0\1", 19);
    png_chunk(&png, "tEXt", "nokeyword", 9);
    put_be32(&png, 0x7ffffff0);
    put(&png, "tEXt", 4);
    put(&png, "abc", 3);
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0);
    CHECK(p.declares == CF_DECLARES_AI_GENERATED); /* what came before the lie is kept */
    CHECK(strstr(p.unreadable, "metadata unreadable"));
    cf_provenance_free(&p);
    free(png.b);
    /* every truncation of a file with metadata */
    size_t size = 3000;
    uint8_t *store = fake_store(size);
    bytes j = jpeg_with_store(store, size, 1000, 1, NULL, 0);
    for (size_t n = 0; n <= j.n; n += 7) {
        CHECK(cf_provenance_read(j.b, n, &p, &err) == 0);
        cf_provenance_free(&p);
    }
    free(j.b);
    free(store);
    /* EXIF whose offsets point anywhere */
    uint8_t tiff[] = {'M', 'M', 0, 42, 0xFF, 0xFF, 0xFF, 0xF0};
    bytes e = {0};
    put(&e, "\xFF\xD8\xFF\xE1\x00\x10" "Exif\0\0", 12);
    put(&e, tiff, 8);
    CHECK(cf_provenance_read(e.b, e.n, &p, &err) == 0 && strstr(p.unreadable, "EXIF"));
    cf_provenance_free(&p);
    free(e.b);
}

TEST(provenance_hostile_huge_xmp) {
    size_t big = (size_t)50 << 20;
    bytes png = {0};
    png_start(&png);
    bytes c = {0};
    put(&c, "XML:com.adobe.xmp\0\0\0\0\0", 22);
    char *filler = malloc(big);
    memset(filler, ' ', big);
    const char *tail = "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
                       "</Iptc4xmpExt:DigitalSourceType>";
    memcpy(filler + big - strlen(tail), tail, strlen(tail));
    put(&c, filler, big);
    png_chunk(&png, "iTXt", c.b, c.n);
    free(c.b);
    free(filler);
    double t0 = now_seconds();
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0);
    CHECK_MSG(now_seconds() - t0 < 1.0, "took %.2f s", now_seconds() - t0);
    CHECK(strstr(p.unreadable, "over the limit") != NULL);
    CHECK(p.declares == CF_DECLARES_NONE); /* the declaration lies past what is read */
    cf_provenance_free(&p);
    free(png.b);
    /* extended XMP in a JPEG claiming 50 MB */
    bytes j = {0};
    put(&j, "\xFF\xD8\xFF\xE1", 4);
    put_be16(&j, 2 + 35 + 32 + 8 + 4);
    put(&j, "http://ns.adobe.com/xmp/extension/\0", 35);
    put(&j, "0123456789ABCDEF0123456789ABCDEF", 32);
    put_be32(&j, (uint32_t)big);
    put_be32(&j, 0);
    put(&j, "<x/>", 4);
    CHECK(cf_provenance_read(j.b, j.n, &p, &err) == 0 && strstr(p.unreadable, "extended XMP"));
    cf_provenance_free(&p);
    free(j.b);
}

TEST(provenance_hostile_invalid_utf8_text) {
    bytes png = {0};
    png_start(&png);
    png_text_chunk(&png, "parameters", "\xff\xfe\xc0\xaf prompt \xed\xa0\x80\nSteps: 3, Sampler: \xf8, Model: \xe2\x82");
    png_chunk(&png, "IEND", NULL, 0);
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0 && p.declares == CF_DECLARES_AI_GENERATED);
    cf_buffer b = {0};
    cf_provenance_json(&p, &b);
    CHECK(clean_utf8(b.data, b.len));
    cifake_result r = pixel(CIFAKE_REAL, 0.1f);
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_FAKE);
    free(b.data);
    cf_provenance_free(&p);
    free(png.b);
}

/* Reading a JPEG's metadata walks its segments up to the first scan and never reads the scan data
 * (which is what keeps it far under its 2 ms budget on a 12-megapixel photo; the time itself is
 * measured by make bench, tests/bench/provenance_bench.c): an XMP declaration hidden after the start
 * of scan, inside 6 MiB of entropy-coded bytes, is not found. */
TEST(provenance_jpeg_walk_stops_at_the_scan) {
    size_t size = 6u << 20;
    uint8_t *f = malloc(size);
    CHECK(f != NULL);
    if (!f) return;
    memset(f, 0x55, size);
    const uint8_t head[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
                            0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0};
    memcpy(f, head, sizeof head);
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description "
                              "Iptc4xmpExt:DigitalSourceType=\"http://cv.iptc.org/newscodes/digitalsourcetype/"
                              "trainedAlgorithmicMedia\"/></x:xmpmeta>";
    size_t at = size / 2, len = sizeof xmp - 1 + 2;
    f[at] = 0xFF, f[at + 1] = 0xE1, f[at + 2] = (uint8_t)(len >> 8), f[at + 3] = (uint8_t)len;
    memcpy(f + at + 4, xmp, sizeof xmp - 1);
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(f, size, &p, &err) == 0);
    CHECK(p.n_signals == 0 && p.declares == CF_DECLARES_NONE);
    cf_provenance_free(&p);
    /* the same segment before the scan is read */
    uint8_t *g = malloc(sizeof head + 4 + sizeof xmp);
    CHECK(g != NULL);
    if (g) {
        memcpy(g, head, 2);
        memcpy(g + 2, f + at, 4 + sizeof xmp - 1);
        memcpy(g + 2 + 4 + sizeof xmp - 1, head + 2, sizeof head - 2);
        CHECK(cf_provenance_read(g, sizeof head + 4 + sizeof xmp - 1, &p, &err) == 0);
        CHECK(p.declares == CF_DECLARES_AI_GENERATED);
        cf_provenance_free(&p);
    }
    free(g);
    free(f);
}

/* The rules on the shared C2PA files, with the status a verifier would set (c2pa_verify natively,
 * the C2PA project's c2pa-wasm in the page): what each file's declaration is worth once checked. */
TEST(provenance_rules_on_shared_c2pa_files) {
    if (!prov_dir_present()) {
        test_skip(PROV_DIR " is absent");
        return;
    }
    static const struct {
        const char *path;
        cf_verified status;
        const char *signer, *problem;
        cifake_label pixel_label, expected;
        const char *reason_has[3];
    } cases[] = {
        {"c2pa/adobe_firefly_photoshop_ocsp.jpg", CF_VERIFIED_UNTRUSTED, "Adobe Inc.", NULL, CIFAKE_REAL, CIFAKE_FAKE,
         {"Content Credentials signed by Adobe Inc.", "not on the C2PA trust list", "pixel model says REAL"}},
        /* the same manifest when its hash fails (moved onto another image): no FAKE from it */
        {"c2pa/adobe_firefly_photoshop_ocsp.jpg", CF_VERIFIED_INVALID, "Adobe Inc.", "the pixels changed after signing",
         CIFAKE_REAL, CIFAKE_REAL, {"do not match this image", "pixels changed", NULL}},
        {"c2pa/testcert_tampered_datahash_XCA.jpg", CF_VERIFIED_INVALID, "C2PA Test Signing Cert",
         "assertion.dataHash.mismatch", CIFAKE_UNSURE, CIFAKE_UNSURE, {"do not match this image", NULL, NULL}},
        {"c2pa/testcert_digitalCapture_cawg.jpg", CF_VERIFIED_UNTRUSTED, "C2PA Test Signing Cert", NULL, CIFAKE_UNSURE,
         CIFAKE_UNSURE, {"consistent with a camera original", NULL, NULL}},
        {"camera/nikon_z9_c2pa_building.jpeg", CF_VERIFIED_EXPIRED, "NIKON CORPORATION", NULL, CIFAKE_UNSURE,
         CIFAKE_UNSURE, {"NIKON", "consistent with a camera original", NULL}},
        /* a camera maker's valid, trusted capture manifest may give REAL */
        {"camera/nikon_z9_c2pa_building.jpeg", CF_VERIFIED_VALID, "NIKON CORPORATION", NULL, CIFAKE_UNSURE,
         CIFAKE_REAL, {"signed by NIKON CORPORATION", "trust list", "pixel model is unsure"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cf_provenance p;
        uint8_t *data;
        size_t n;
        if (read_shared(cases[i].path, &p, &data, &n)) {
            CHECK_MSG(0, "%s: cannot read", cases[i].path);
            continue;
        }
        cf_provenance_set_c2pa_status(&p, cases[i].status, cases[i].signer, cases[i].problem);
        cifake_result r = pixel(cases[i].pixel_label, cases[i].pixel_label == CIFAKE_REAL ? 0.1f : 0.5f);
        cf_provenance_decide(&p, &r);
        CHECK_MSG(r.label == cases[i].expected, "%s (%s): %s, expected %s: %s", cases[i].path,
                  cf_verified_name(cases[i].status), cifake_label_name(r.label), cifake_label_name(cases[i].expected),
                  r.reason);
        for (int k = 0; k < 3 && cases[i].reason_has[k]; k++)
            CHECK_MSG(strstr(r.reason, cases[i].reason_has[k]), "%s: \"%s\" lacks \"%s\"", cases[i].path, r.reason,
                      cases[i].reason_has[k]);
        cf_provenance_free(&p);
        free(data);
    }
}

/* The prov-* cases of the hostile table (tests/hostile/cases.tsv): metadata refused or bounded, fast. */
TEST(provenance_hostile_table_cases) {
    static const struct {
        const char *file, *unreadable_has;
        cf_declares declares;
    } cases[] = {
        {"prov-ztxt-bomb.png", "inflates past", CF_DECLARES_NONE},
        {"prov-400-text-chunks.png", "text chunks past the first", CF_DECLARES_OTHER},
        {"prov-app11-overlapping.jpg", "same sequence number", CF_DECLARES_NONE},
        {"prov-xmp-invalid-utf8.jpg", NULL, CF_DECLARES_OTHER},
        {"prov-exif-offsets-past-end.jpg", "EXIF", CF_DECLARES_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/hostile/cases/%s", cases[i].file);
        size_t n;
        uint8_t *data = test_read_file(path, &n);
        CHECK_MSG(data != NULL, "%s is missing (node tests/hostile/generate.mjs writes it)", path);
        if (!data) continue;
        double t0 = now_seconds();
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(data, n, &p, &err) == 0);
        CHECK_MSG(now_seconds() - t0 < 1.0, "%s took %.2f s", path, now_seconds() - t0);
        CHECK_MSG(p.declares == cases[i].declares, "%s declares %s", path, cf_declares_name(p.declares));
        if (cases[i].unreadable_has)
            CHECK_MSG(strstr(p.unreadable, cases[i].unreadable_has), "%s: \"%s\"", path, p.unreadable);
        cf_buffer b = {0};
        cf_provenance_json(&p, &b);
        CHECK(clean_utf8(b.data, b.len));
        cifake_result r = pixel(CIFAKE_REAL, 0.2f);
        cf_provenance_decide(&p, &r);
        CHECK_MSG(r.label == CIFAKE_REAL && clean_utf8((const uint8_t *)r.reason, strlen(r.reason)), "%s: %s", path,
                  r.reason);
        free(b.data);
        cf_provenance_free(&p);
        free(data);
    }
}

/* Many large text chunks: what is kept stays bounded in all, not only per chunk. */
TEST(provenance_hostile_many_large_text_chunks) {
    size_t big = (size_t)1 << 20;
    char *text = malloc(big + 1);
    memset(text, 'a', big);
    text[big] = 0;
    bytes png = {0};
    png_start(&png);
    for (int i = 0; i < 30; i++) png_text_chunk(&png, "Comment", text);
    png_chunk(&png, "IEND", NULL, 0);
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0);
    size_t kept = 0;
    for (int i = 0; i < p.n_fields; i++) kept += strlen(p.fields[i].value);
    CHECK_MSG(kept <= (size_t)8 << 20, "%zu bytes kept", kept);
    CHECK(strstr(p.unreadable, "skipped") != NULL);
    cf_provenance_free(&p);
    free(png.b);
    free(text);
}

/* A long sentence and a long pixel reason: the reason stays within its buffer, the provenance
 * sentence comes first, cut with "...", and the pixel model's words survive whole. */
TEST(provenance_reason_fits_with_both_sides) {
    cf_provenance p = one_signal(CF_SIGNAL_C2PA, CF_DECLARES_AI_GENERATED, CF_VERIFIED_NOT_CHECKED,
                                 "generated by Adobe Firefly", "Adobe Inc.");
    cf_provenance_set_c2pa_status(&p, CF_VERIFIED_INVALID, NULL,
                                  "signature invalid: the claim's signature does not match its certificate, and the "
                                  "certificate chain could not be built to any trust anchor on the bundled list");
    cifake_result r = pixel(CIFAKE_UNSURE, 0.5f);
    r.scope = CIFAKE_OUT_OF_SCOPE;
    snprintf(r.reason, sizeof r.reason,
             "out of scope: CIFAKE 32x32 model judges images of at most 32x32 pixels, this one is 1024x683");
    cf_provenance_decide(&p, &r);
    CHECK(r.label == CIFAKE_UNSURE);
    CHECK(strlen(r.reason) < sizeof r.reason);
    CHECK_MSG(!strncmp(r.reason, "Content Credentials signed by Adobe Inc. are present but they do not match", 74) &&
                  strstr(r.reason, "...; the pixel model is unsure (the image is not of a kind it judges)"),
              "%s", r.reason);
    cf_provenance_free(&p);
}

/* Front ends recognised from text chunks made here: a ComfyUI UI graph alone (its checkpoint only in
 * widgets_values), InvokeAI's newer keys, SwarmUI's JSON, and text that names nothing. */
TEST(provenance_front_ends_made_here) {
    static const struct {
        const char *key, *text, *generator, *says_has, *prompt;
    } cases[] = {
        {"workflow",
         "{\"nodes\": [{\"type\": \"UNETLoader\", \"widgets_values\": [\"flux1-dev.safetensors\", \"fp8\"]}, "
         "{\"type\": \"CLIPTextEncode\", \"widgets_values\": [\"a cat\"]}]}",
         "ComfyUI", "ComfyUI workflow with a FLUX checkpoint (flux1-dev.safetensors)", NULL},
        {"invokeai_graph", "{\"id\": \"x\", \"nodes\": {}, \"positive_prompt\": \"a dog\"}", "InvokeAI",
         "invokeai_graph", "a dog"},
        {"parameters", "{\"sui_image_params\": {\"prompt\": \"a fox\", \"model\": \"OfficialStableDiffusion/sd_xl_base_1.0\"}}",
         "SwarmUI", "model OfficialStableDiffusion/sd_xl_base_1.0", "a fox"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes png = {0};
        png_start(&png);
        png_text_chunk(&png, cases[i].key, cases[i].text);
        png_chunk(&png, "IEND", NULL, 0);
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0);
        const cf_prov_signal *s = signal_of(&p, CF_SIGNAL_PNG_TEXT);
        CHECK_MSG(s && s->declares == CF_DECLARES_AI_GENERATED && !strcmp(s->generator, cases[i].generator) &&
                      strstr(s->says, cases[i].says_has),
                  "%s: %s / %s", cases[i].key, s ? s->generator : "(no signal)", s ? s->says : "");
        if (cases[i].prompt) CHECK(s && s->prompt && !strcmp(s->prompt, cases[i].prompt));
        cf_provenance_free(&p);
        free(png.b);
    }
    /* ordinary text: listed, declares nothing about AI */
    bytes png = {0};
    png_start(&png);
    png_text_chunk(&png, "Software", "GIMP 2.10");
    png_text_chunk(&png, "Comment", "a photo of fireflies at dusk, made with Stable Diffusion in mind");
    png_chunk(&png, "IEND", NULL, 0);
    cf_provenance p;
    cf_error err;
    CHECK(cf_provenance_read(png.b, png.n, &p, &err) == 0 && p.declares == CF_DECLARES_OTHER);
    cf_provenance_free(&p);
    free(png.b);
}

/* EXIF and XMP found in every container: PNG eXIf, WebP EXIF (with and without the "Exif" prefix)
 * and XMP chunks. */
TEST(provenance_exif_and_xmp_in_png_and_webp) {
    const char *text = "x\nSteps: 20, Sampler: Euler, Seed: 1, Model: m1";
    bytes c = {0};
    put(&c, "ASCII\0\0\0", 8);
    put(&c, text, strlen(text));
    bytes j = jpeg_with_exif_comment(c.b, c.n, 1);
    const uint8_t *tiff = j.b + 4 + 2 + 6; /* after SOI, APP1 marker, length, "Exif\0\0" */
    size_t tiff_n = j.n - 12 - 2;
    const char *xmp = "<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/"
                      "trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>";
    for (int kind = 0; kind < 3; kind++) {
        bytes f = {0};
        if (kind == 0) {
            png_start(&f);
            png_chunk(&f, "eXIf", tiff, tiff_n);
            bytes x = {0};
            put(&x, "XML:com.adobe.xmp\0\0\0\0\0", 22);
            put(&x, xmp, strlen(xmp));
            png_chunk(&f, "iTXt", x.b, x.n);
            free(x.b);
        } else {
            put(&f, "RIFF\0\0\0\0WEBP", 12);
            bytes e = {0};
            if (kind == 2) put(&e, "Exif\0\0", 6);
            put(&e, tiff, tiff_n);
            put(&f, "EXIF", 4);
            put_le32(&f, (uint32_t)e.n);
            put(&f, e.b, e.n);
            if (e.n & 1) put(&f, "", 1);
            put(&f, "XMP ", 4);
            put_le32(&f, (uint32_t)strlen(xmp));
            put(&f, xmp, strlen(xmp));
            free(e.b);
        }
        cf_provenance p;
        cf_error err;
        CHECK(cf_provenance_read(f.b, f.n, &p, &err) == 0);
        const cf_prov_signal *e = signal_of(&p, CF_SIGNAL_EXIF), *x = signal_of(&p, CF_SIGNAL_XMP);
        CHECK_MSG(e && e->declares == CF_DECLARES_AI_GENERATED && e->prompt && !strcmp(e->prompt, "x"), "kind %d", kind);
        CHECK_MSG(x && x->declares == CF_DECLARES_AI_GENERATED, "kind %d", kind);
        CHECK_MSG(p.unreadable[0] == 0, "kind %d: %s", kind, p.unreadable);
        cf_provenance_free(&p);
        free(f.b);
    }
    free(j.b);
    free(c.b);
}
