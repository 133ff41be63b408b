/* The hostile-input table (tests/hostile/cases.tsv) and the fuzzing regression files
 * (tests/regress/image, tests/regress/weights) through the public API. `make test-asan` runs these
 * under AddressSanitizer and UBSan, which is where they matter: every input must give a result or a
 * clean error, never a bad read, an overflow or a leak. Paths are relative to the repository root
 * (where make runs the tests); CIFAKE_WEIGHTS overrides weights/cifake.bin. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "image.h"
#include "test.h"

#define HOSTILE_DIR "tests/hostile"
#define REGRESS_DIR "tests/regress"

static cifake_detector *open_shipped(int *failures) {
    const char *path = getenv("CIFAKE_WEIGHTS");
    if (!path || !*path) path = "weights/cifake.bin";
    size_t n = 0;
    uint8_t *bytes = test_read_file(path, &n);
    if (!bytes) {
        test_skip("weight file not found (run from the repository root)");
        return NULL;
    }
    cifake_detector *d = NULL;
    cf_error err = {{0}};
    CHECK_MSG(cifake_open(bytes, n, &d, &err) == 0, "%s: %s", path, err.msg);
    free(bytes);
    return d;
}

/* Classifies cases/<name>: 0 with *p_fake set, or -1 with the message in err. */
static int classify_case(cifake_detector *d, const char *name, float *p_fake, cf_error *err) {
    char path[1024];
    snprintf(path, sizeof path, HOSTILE_DIR "/cases/%s", name);
    size_t n = 0;
    uint8_t *bytes = test_read_file(path, &n);
    if (!bytes) return cf_fail(err, "test: cannot read %s", path);
    cifake_result r;
    int rc = cifake_classify(d, bytes, n, &r, err);
    free(bytes);
    if (rc == 0) *p_fake = r.p_fake;
    return rc;
}

/* Checks one line of the table: FILE, KIND (error, ok, same, differs), ARG. */
static void check_case(cifake_detector *d, const char *file, const char *kind, const char *arg, int *failures) {
#ifndef CF_WITH_WEBP /* a build without libwebp (WebAssembly) refuses every WebP case by name */
    size_t len = strlen(file);
    if (len > 5 && !strcmp(file + len - 5, ".webp")) kind = "error", arg = "WebP is not supported";
#endif
    float p = 0.0f, q = 0.0f;
    cf_error err = {{0}};
    int rc = classify_case(d, file, &p, &err);
    if (!strcmp(kind, "error")) {
        CHECK_MSG(rc == -1 && strstr(err.msg, arg), "%s: expected an error containing '%s', got rc %d '%s'", file, arg,
                  rc, err.msg);
        return;
    }
    CHECK_MSG(rc == 0 && p >= 0.0f && p <= 1.0f, "%s: expected a result, got '%s'", file, err.msg);
    if (!strcmp(kind, "ok")) return;
    int other = classify_case(d, arg, &q, &err);
    CHECK_MSG(other == 0, "%s: %s", arg, err.msg);
    if (!strcmp(kind, "same")) CHECK_MSG(p == q, "%s: p_fake %.6f, %s: %.6f, expected equal", file, p, arg, q);
    else if (!strcmp(kind, "differs")) CHECK_MSG(p != q, "%s and %s: both p_fake %.6f, expected different", file, arg, p);
    else CHECK_MSG(0, "unknown kind '%s' in cases.tsv", kind);
}

TEST(hostile_table_native) {
    size_t n = 0;
    char *table = (char *)test_read_file(HOSTILE_DIR "/cases.tsv", &n);
    if (!table) {
        test_skip(HOSTILE_DIR "/cases.tsv not found (run from the repository root)");
        return;
    }
    cifake_detector *d = open_shipped(failures);
    if (!d) {
        free(table);
        return;
    }
    table = realloc(table, n + 1);
    table[n] = 0;
    int cases = 0;
    for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !line[0]) continue;
        char *file = line, *kind = strchr(file, '\t'), *arg = NULL;
        if (kind) *kind++ = 0;
        if (kind && (arg = strchr(kind, '\t'))) *arg++ = 0;
        CHECK_MSG(kind && (arg || !strcmp(kind, "ok")), "malformed line for %s", file);
        if (kind) check_case(d, file, kind, arg ? arg : "", failures);
        cases++;
    }
    CHECK_MSG(cases >= 25, "only %d cases in the table", cases);
    /* one byte over the encoded-size limit, as a real buffer: refused before it is read */
    uint8_t *big = calloc(CF_IMAGE_MAX_BYTES + 1, 1);
    if (big) {
        cifake_result r;
        cf_error err = {{0}};
        CHECK(cifake_classify(d, big, CF_IMAGE_MAX_BYTES + 1, &r, &err) == -1 &&
              strstr(err.msg, "over the limit of 67108864 bytes (64 MiB)"));
        free(big);
    }
    cifake_close(d);
    free(table);
}

typedef void (*file_fn)(cifake_detector *d, const char *path, const uint8_t *bytes, size_t n, int *failures);

/* Calls fn on every regular file in dir (sorted order does not matter); returns how many. */
static int for_each_file(const char *dir, cifake_detector *d, file_fn fn, int *failures) {
    DIR *dh = opendir(dir);
    if (!dh) return 0;
    int count = 0;
    for (struct dirent *e; (e = readdir(dh));) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t n = 0;
        uint8_t *bytes = test_read_file(path, &n);
        if (!bytes) continue; /* a folder */
        fn(d, path, bytes, n, failures);
        free(bytes);
        count++;
    }
    closedir(dh);
    return count;
}

/* A result with a probability and explainable, or an error with a message: nothing else. */
static void replay_image(cifake_detector *d, const char *path, const uint8_t *bytes, size_t n, int *failures) {
    cifake_result r;
    cf_error err = {{0}};
    if (cifake_classify(d, bytes, n, &r, &err) == 0) {
        CHECK_MSG(r.p_fake >= 0.0f && r.p_fake <= 1.0f, "%s: p_fake %g", path, r.p_fake);
        float cam[CF_MODEL_SIDE * CF_MODEL_SIDE];
        uint8_t rgba[40 * 40 * 4];
        CHECK_MSG(cifake_explain(d, CIFAKE_CAM_GRADCAMPP, -1, -1, cam, &err) == 0, "%s: %s", path, err.msg);
        CHECK_MSG(cifake_render(d, cam, 40, CIFAKE_COLORMAP_JET, 0.5f, rgba, &err) == 0, "%s: %s", path, err.msg);
    } else {
        CHECK_MSG(err.msg[0] != 0, "%s: failed without a message", path);
    }
}

/* As the weights fuzz target does: the file as it is, and with its checksum made right. */
static void replay_weights(cifake_detector *unused, const char *path, const uint8_t *bytes, size_t n, int *failures) {
    (void)unused;
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) return;
    memcpy(copy, bytes, n);
    for (int fixed = 0; fixed < 2; fixed++) {
        if (fixed && n >= 4) {
            uint32_t crc = cf_crc32(0, copy, n - 4);
            for (int i = 0; i < 4; i++) copy[n - 4 + i] = (uint8_t)(crc >> (8 * i));
        }
        cifake_detector *d = NULL;
        cf_error err = {{0}};
        if (cifake_open(copy, n, &d, &err) == 0) {
            uint8_t rgb[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
            for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)(i * 37u + 11u);
            cifake_result r;
            if (cf_detector_classify_rgb(d, rgb, &r, &err) == 0)
                CHECK_MSG(r.p_fake >= 0.0f && r.p_fake <= 1.0f, "%s: p_fake %g", path, r.p_fake);
            else
                CHECK_MSG(err.msg[0] != 0, "%s: classify failed without a message", path);
            cifake_close(d);
        } else {
            CHECK_MSG(err.msg[0] != 0 && d == NULL, "%s: open failed without a message", path);
        }
    }
    free(copy);
}

/* The progressive JPEG whose second scan uses an AC Huffman table defined only later in the file
 * (shared/regress): stb_image read that table from uninitialised memory, so the outcome depended on
 * what earlier images left on the heap (a clean error, other pixels, or an abort in a stb_image
 * assertion). It is refused by name before stb_image sees it; `make test-msan` runs this and the
 * replay below under MemorySanitizer, with and without stb_image's zeroed allocations. */
TEST(hostile_jpeg_scan_with_undefined_huffman_table) {
    cifake_detector *d = open_shipped(failures);
    if (!d) return;
    size_t n = 0;
    uint8_t *bytes = test_read_file(REGRESS_DIR "/image/jpeg-progressive-undefined-table.jpg", &n);
    CHECK_MSG(bytes != NULL, "cannot read " REGRESS_DIR "/image/jpeg-progressive-undefined-table.jpg");
    for (int round = 0; bytes && round < 2; round++) { /* the same message every time */
        cifake_result r;
        cf_error err = {{0}};
        CHECK(cifake_classify(d, bytes, n, &r, &err) == -1);
        CHECK_MSG(!strcmp(err.msg, "corrupt JPEG: scan 2 uses AC Huffman table 0, which is not defined before that scan"),
                  "got '%s'", err.msg);
    }
    free(bytes);
    cifake_close(d);
}

TEST(hostile_fuzz_regressions_replay) {
    cifake_detector *d = open_shipped(failures);
    if (!d) return;
    int images = for_each_file(REGRESS_DIR "/image", d, replay_image, failures);
    int weights = for_each_file(REGRESS_DIR "/weights", d, replay_weights, failures);
    CHECK_MSG(weights >= 1, "no files in " REGRESS_DIR "/weights (run from the repository root)");
    (void)images;
    cifake_close(d);
}
