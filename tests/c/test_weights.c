/* Weight file tests: bit-exact round trip, and a clear error for every kind of damage. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "weights.h"

static const char *SPEC = "c4,bn,relu,mp,c6,relu,gap,d3,relu,d1";

static void make_model(cf_model *m, cf_meta *meta) {
    cf_error err;
    cf_model_build(m, SPEC, (cf_shape){3, 8, 8}, &err);
    cf_model_init_params(m, 3);
    for (size_t i = 0; i < m->n_buffers; i++) m->buffers[i] = 0.1f * (float)i + 0.5f;
    memset(meta, 0, sizeof *meta);
    cf_meta_set(meta, "spec", SPEC, &err);
    cf_meta_set(meta, "input", "3x8x8", &err);
    cf_meta_set(meta, "mean", "0.5,0.5,0.5", &err);
    cf_meta_set(meta, "std", "0.25,0.25,0.25", &err);
    cf_meta_set(meta, "classes", "REAL,FAKE", &err);
    cf_meta_setf(meta, "threshold", &err, "%.9g", 0.4871234f);
    cf_meta_setf(meta, "temperature", &err, "%.9g", 1.2345678f);
    cf_meta_set(meta, "command", "cifake-train --data x", &err);
}

static uint8_t *serialise(size_t *n) {
    cf_model m;
    cf_meta meta;
    cf_error err;
    make_model(&m, &meta);
    uint8_t *bytes = NULL;
    cf_weights_write(&m, &meta, NULL, &bytes, n, &err);
    cf_model_free(&m);
    cf_meta_free(&meta);
    return bytes;
}

/* Recomputes the trailing CRC so a deliberately altered body reaches the structural checks. */
static void fix_crc(uint8_t *b, size_t n) {
    uint32_t c = cf_crc32(0, b, n - 4);
    for (int i = 0; i < 4; i++) b[n - 4 + i] = (uint8_t)(c >> (8 * i));
}

static uint8_t *find_bytes(uint8_t *hay, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k)) return hay + i;
    return NULL;
}

static int read_fails_with(const uint8_t *b, size_t n, const char *needle, int *failures) {
    cf_model m;
    cf_meta meta;
    cf_error err = {{0}};
    int rc = cf_weights_read(b, n, &m, &meta, NULL, &err);
    if (rc == 0) {
        cf_model_free(&m);
        cf_meta_free(&meta);
    }
    CHECK_MSG(rc == -1 && strstr(err.msg, needle), "expected error containing '%s', got rc %d '%s'", needle, rc, err.msg);
    return rc;
}

TEST(weights_round_trip_bit_exact) {
    cf_model m, r;
    cf_meta meta, rmeta;
    cf_error err;
    make_model(&m, &meta);
    cf_extras ex = {1, {{"opt.m1", m.params, m.n_params}}}, rex;
    uint8_t *bytes, *bytes2;
    size_t n, n2;
    CHECK(cf_weights_write(&m, &meta, &ex, &bytes, &n, &err) == 0);
    CHECK(cf_weights_read(bytes, n, &r, &rmeta, &rex, &err) == 0);
    CHECK(memcmp(m.params, r.params, sizeof(float) * m.n_params) == 0);
    CHECK(memcmp(m.buffers, r.buffers, sizeof(float) * m.n_buffers) == 0);
    CHECK(rex.n == 1 && rex.t[0].n == m.n_params && !memcmp(rex.t[0].data, m.params, sizeof(float) * m.n_params));
    CHECK(strcmp(cf_meta_get(&rmeta, "command"), "cifake-train --data x") == 0);
    cf_infer_params p;
    CHECK(cf_infer_params_parse(&rmeta, &r, &p, &err) == 0);
    CHECK(p.threshold == 0.4871234f && p.temperature == 1.2345678f); /* %.9g round-trips floats */
    CHECK(!strcmp(p.classes[0], "REAL") && !strcmp(p.classes[1], "FAKE"));
    CHECK(cf_weights_write(&r, &rmeta, &rex, &bytes2, &n2, &err) == 0);
    CHECK(n == n2 && memcmp(bytes, bytes2, n) == 0); /* write(read(write(x))) == write(x) */
    free(bytes), free(bytes2);
    cf_extras_free(&rex);
    cf_meta_free(&meta), cf_meta_free(&rmeta);
    cf_model_free(&m), cf_model_free(&r);
}

TEST(weights_truncated_at_every_length_fail_cleanly) {
    size_t n;
    uint8_t *bytes = serialise(&n);
    for (size_t len = 0; len < n; len += (len < 200 ? 1 : 97)) {
        uint8_t *copy = malloc(len ? len : 1); /* exact-size buffer so ASan catches over-reads */
        memcpy(copy, bytes, len);
        cf_model m;
        cf_meta meta;
        cf_error err = {{0}};
        int rc = cf_weights_read(copy, len, &m, &meta, NULL, &err);
        CHECK_MSG(rc == -1 && err.msg[0], "length %zu accepted", len);
        free(copy);
    }
    free(bytes);
}

TEST(weights_damage_is_reported) {
    size_t n;
    uint8_t *b = serialise(&n);
    uint8_t *c = malloc(n);

    memcpy(c, b, n);
    c[0] = 'X';
    read_fails_with(c, n, "wrong magic", failures);

    memcpy(c, b, n);
    c[n / 2] ^= 0x40; /* a flipped bit in the tensors */
    read_fails_with(c, n, "checksum", failures);

    memcpy(c, b, n);
    c[8] = 9; /* version 9 */
    fix_crc(c, n);
    read_fails_with(c, n, "version 9", failures);

    memcpy(c, b, n);
    c[12] = 0xFF, c[13] = 0xFF; /* metadata count 65535 */
    fix_crc(c, n);
    read_fails_with(c, n, "metadata entries", failures);

    memcpy(c, b, n);
    c[16] = 0xF0, c[17] = 0xFF, c[18] = 0xFF, c[19] = 0x7F; /* first key length far past the end */
    fix_crc(c, n);
    read_fails_with(c, n, "truncated or damaged", failures);

    /* a spec that disagrees with the stored tensors: c4 -> c5 keeps the length */
    memcpy(c, b, n);
    uint8_t *spec = find_bytes(c, n, "c4,bn");
    CHECK(spec != NULL);
    if (spec) {
        spec[1] = '3'; /* fewer filters: the file still holds enough bytes */
        fix_crc(c, n);
        read_fails_with(c, n, "does not match its model spec", failures);
    }

    /* an unknown layer token */
    memcpy(c, b, n);
    spec = find_bytes(c, n, "c4,bn");
    if (spec) {
        spec[3] = 'x';
        fix_crc(c, n);
        read_fails_with(c, n, "unknown layer token", failures);
    }

    read_fails_with((const uint8_t *)"hello", 5, "not a cifake weight file", failures);
    free(b);
    free(c);
}

TEST(weights_missing_inference_metadata_is_refused) {
    cf_model m;
    cf_meta meta;
    cf_error err = {{0}};
    make_model(&m, &meta);
    cf_infer_params p;
    cf_meta_set(&meta, "threshold", "1.5", &err);
    CHECK(cf_infer_params_parse(&meta, &m, &p, &err) == -1 && strstr(err.msg, "threshold"));
    cf_meta_set(&meta, "threshold", "0.5", &err);
    cf_meta_set(&meta, "std", "0.2,0,0.2", &err);
    CHECK(cf_infer_params_parse(&meta, &m, &p, &err) == -1 && strstr(err.msg, "std"));
    cf_meta_set(&meta, "std", "0.2,0.2,0.2", &err);
    cf_meta_set(&meta, "classes", "REAL", &err);
    CHECK(cf_infer_params_parse(&meta, &m, &p, &err) == -1 && strstr(err.msg, "classes"));
    cf_meta_free(&meta);
    cf_model_free(&m);
}

TEST(weights_meta_pair_splits_at_the_first_equals) {
    cf_meta meta = {0};
    cf_error err = {{0}};
    CHECK(cf_meta_set_pair(&meta, "note=a=b", &err) == 0);
    CHECK(cf_meta_get(&meta, "note") && !strcmp(cf_meta_get(&meta, "note"), "a=b"));
    CHECK(cf_meta_set_pair(&meta, "note=", &err) == 0);
    CHECK(cf_meta_get(&meta, "note") && !strcmp(cf_meta_get(&meta, "note"), ""));
    CHECK(meta.n == 1);
    char long_key[CF_META_KEY_MAX + 8];
    memset(long_key, 'k', CF_META_KEY_MAX);
    strcpy(long_key + CF_META_KEY_MAX, "=v");
    const char *bad[] = {"novalue", "=v", long_key};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        CHECK(cf_meta_set_pair(&meta, bad[i], &err) == -1 && strstr(err.msg, "expected KEY=VALUE"));
    }
    CHECK(meta.n == 1);
    cf_meta_free(&meta);
}

/* The bit-at-a-time CRC-32 definition, against which the table-driven cf_crc32 is checked. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    return ~crc;
}

TEST(crc32_matches_the_bitwise_definition) {
    CHECK(cf_crc32(0, "123456789", 9) == 0xCBF43926u); /* the standard check value */
    CHECK(cf_crc32(0, "", 0) == 0);
    uint8_t buf[300];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
    /* every length and start around the 8-byte steps, and a checksum continued over two calls */
    for (size_t start = 0; start < 9; start++)
        for (size_t n = 0; start + n <= sizeof buf; n += 1 + n / 16) {
            CHECK(cf_crc32(0, buf + start, n) == crc32_bitwise(0, buf + start, n));
            size_t half = n / 3;
            CHECK(cf_crc32(cf_crc32(0, buf + start, half), buf + start + half, n - half) ==
                  crc32_bitwise(0, buf + start, n));
        }
}
