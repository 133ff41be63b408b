/* Hostile weight files: every lie a header can tell about lengths, counts, shapes and values, built
 * byte by byte here, must be refused with a message that says what is wrong, before anything large
 * is allocated (AddressSanitizer's allocator would report a multi-gigabyte request as an error, and
 * the exact-size copies below make any read past the end visible). */
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "test.h"
#include "weights.h"

typedef struct {
    uint8_t *data;
    size_t len;
} file_buf;

static void put(file_buf *b, const void *src, size_t n) {
    b->data = realloc(b->data, b->len + n + 4);
    if (!b->data) abort();
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void put_u32(file_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

static void put_str(file_buf *b, const char *s) {
    put_u32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}

static void put_f32(file_buf *b, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    put_u32(b, u);
}

/* Magic, version and the usual inference metadata with the given spec and input; n_extra_meta more
 * entries follow from extra[] (key, value pairs). */
static file_buf header(const char *spec, const char *input, const char **extra, int n_extra) {
    file_buf b = {NULL, 0};
    put(&b, CF_WEIGHTS_MAGIC, 8);
    put_u32(&b, CF_WEIGHTS_VERSION);
    put_u32(&b, (uint32_t)(7 + n_extra));
    const char *kv[] = {"spec", spec, "input", input, "mean", "0.5,0.5,0.5", "std", "0.25,0.25,0.25",
                        "classes", "REAL,FAKE", "threshold", "0.5", "temperature", "1"};
    for (int i = 0; i < 14; i++) put_str(&b, kv[i]);
    for (int i = 0; i < 2 * n_extra; i++) put_str(&b, extra[i]);
    return b;
}

/* One tensor: name, rank, dims, then `count` copies of value. */
static void tensor(file_buf *b, const char *name, int ndim, const uint32_t *dims, float value, size_t count) {
    put_str(b, name);
    put_u32(b, (uint32_t)ndim);
    for (int d = 0; d < ndim; d++) put_u32(b, dims[d]);
    for (size_t i = 0; i < count; i++) put_f32(b, value);
}

/* Appends the CRC and opens the file from an exact-size copy; expects failure naming `needle`. */
static void open_fails_with(file_buf *b, const char *needle, int *failures) {
    uint32_t crc = cf_crc32(0, b->data, b->len);
    put_u32(b, crc);
    uint8_t *exact = malloc(b->len);
    if (!exact) abort();
    memcpy(exact, b->data, b->len);
    cifake_detector *d = NULL;
    cf_error err = {{0}};
    int rc = cifake_open(exact, b->len, &d, &err);
    CHECK_MSG(rc == -1 && d == NULL && strstr(err.msg, needle), "expected '%s', got rc %d '%s'", needle, rc, err.msg);
    if (rc == 0) cifake_close(d);
    free(exact);
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

/* The tensors of "flat,d1" on 3x32x32 (3072 weights and a bias), all equal to value. */
static void flat_d1_tensors(file_buf *b, float value) {
    put_u32(b, 2);
    uint32_t w[2] = {1, 3072}, bias[1] = {1};
    tensor(b, "L1.weight", 2, w, value, 3072);
    tensor(b, "L1.bias", 1, bias, 0.0f, 1);
}

TEST(weights_hostile_minimal_file_opens) {
    /* the builder itself is right: the same bytes with honest values are accepted */
    file_buf b = header("flat,d1", "3x32x32", NULL, 0);
    flat_d1_tensors(&b, 0.001f);
    put_u32(&b, cf_crc32(0, b.data, b.len));
    cifake_detector *d = NULL;
    cf_error err = {{0}};
    CHECK_MSG(cifake_open(b.data, b.len, &d, &err) == 0, "%s", err.msg);
    cifake_close(d);
    free(b.data);
}

TEST(weights_hostile_lengths_and_counts) {
    file_buf b = header("flat,d1", "3x32x32", NULL, 0);
    put_u32(&b, 0xFFFFFFFFu); /* tensor count: 4 billion */
    open_fails_with(&b, "truncated or damaged", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    put_u32(&b, 1); /* fewer tensors than the spec needs */
    for (int i = 0; i < 3073 + 8; i++) put_f32(&b, 0.0f);
    open_fails_with(&b, "1 tensors, the spec needs 2", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    put_u32(&b, 2);
    uint32_t huge[2] = {0x10000u, 0x10000u}; /* 2^32 elements: wraps a 32-bit size_t to 0 */
    tensor(&b, "L1.weight", 2, huge, 0.0f, 3073); /* bytes enough for the real model */
    open_fails_with(&b, "larger than the file", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    put_u32(&b, 2);
    uint32_t rank5[5] = {1, 1, 1, 1, 3072};
    tensor(&b, "L1.weight", 5, rank5, 0.0f, 3072);
    open_fails_with(&b, "rank 5", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    put_u32(&b, 2);
    uint32_t zero[2] = {0, 3072};
    tensor(&b, "L1.weight", 2, zero, 0.0f, 3073);
    open_fails_with(&b, "larger than the file", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    put_u32(&b, 2);
    put_u32(&b, 0x7FFFFFF0u); /* tensor name length far past the end */
    for (int i = 0; i < 3073; i++) put_f32(&b, 0.0f);
    open_fails_with(&b, "tensor name needs", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    flat_d1_tensors(&b, 0.0f);
    put_u32(&b, 0); /* four stray bytes after the last tensor */
    open_fails_with(&b, "unexpected bytes after the tensors", failures);
}

TEST(weights_hostile_metadata) {
    const char *dup[] = {"spec", "c8,gap,d1"};
    file_buf b = header("flat,d1", "3x32x32", dup, 1);
    flat_d1_tensors(&b, 0.0f);
    open_fails_with(&b, "metadata key 'spec' appears twice", failures);

    const char *nul[] = {"note", "a\0b"};
    b = header("flat,d1", "3x32x32", NULL, 0);
    b.data[12] = 8; /* one more entry, written by hand: its value has a NUL inside */
    put_str(&b, nul[0]);
    put_u32(&b, 3);
    put(&b, nul[1], 3);
    flat_d1_tensors(&b, 0.0f);
    open_fails_with(&b, "contains a NUL byte", failures);

    b = (file_buf){NULL, 0};
    put(&b, CF_WEIGHTS_MAGIC, 8);
    put_u32(&b, CF_WEIGHTS_VERSION);
    put_u32(&b, 1);
    put_str(&b, "input");
    put_str(&b, "3x32x32");
    put_u32(&b, 0);
    open_fails_with(&b, "no model spec", failures);

    b = header("flat,d1", "100000x100000x100000", NULL, 0); /* c*h*w overflows 32 bits */
    put_u32(&b, 0);
    open_fails_with(&b, "bad input shape", failures);

    b = header("flat,d1", "3x32x64", NULL, 0);
    put_u32(&b, 2);
    uint32_t w[2] = {1, 3 * 32 * 64}, bias[1] = {1};
    tensor(&b, "L1.weight", 2, w, 0.0f, 3 * 32 * 64);
    tensor(&b, "L1.bias", 1, bias, 0.0f, 1);
    open_fails_with(&b, "the detector feeds square RGB inputs", failures);
}

TEST(weights_hostile_specs_cannot_ask_for_huge_allocations) {
    /* a few hundred bytes claiming a model of 3.6 million parameters (14 MB of tensors) */
    file_buf b = header("c400,c1000,gap,d1", "3x32x32", NULL, 0);
    put_u32(&b, 6);
    open_fails_with(&b, "its spec needs", failures);

    /* over the parameter maximum whatever the file size: 6 layers of 9 million weights */
    b = header("c1000,c1000,c1000,c1000,c1000,c1000,c1000,gap,d1", "3x32x32", NULL, 0);
    put_u32(&b, 18);
    open_fails_with(&b, "over the limit of 50000000", failures);

    /* 4 parameters but 64 million activation values per image */
    b = header("c1k1,relu,relu,gap,d1", "1x4000x4000", NULL, 0);
    put_u32(&b, 4);
    for (int i = 0; i < 64; i++) put_f32(&b, 0.0f);
    open_fails_with(&b, "activation values per image, over the limit", failures);

    /* a million filters on a million filters: the weight count overflows 32-bit int */
    b = header("c1000000,c1000000,gap,d1", "3x32x32", NULL, 0);
    put_u32(&b, 6);
    open_fails_with(&b, "layer too large", failures);

    /* a 15x15 kernel over many channels: small weights, but a huge im2col scratch buffer */
    b = header("c40000,relu,c1k15,gap,d1", "3x32x32", NULL, 0);
    put_u32(&b, 6);
    open_fails_with(&b, "layer too large", failures);
}

TEST(weights_hostile_values) {
    file_buf b = header("flat,d1", "3x32x32", NULL, 0);
    float nan;
    uint32_t nan_bits = 0x7FC00000u;
    memcpy(&nan, &nan_bits, 4);
    flat_d1_tensors(&b, nan);
    open_fails_with(&b, "not a finite number", failures);

    b = header("flat,d1", "3x32x32", NULL, 0);
    flat_d1_tensors(&b, 1.0f / 0.0f);
    open_fails_with(&b, "not a finite number", failures);

    /* batch norm with a negative running variance: it would be folded into the convolution as NaN */
    b = header("c1k1,bn,relu,gap,d1", "3x32x32", NULL, 0);
    put_u32(&b, 8);
    uint32_t conv[4] = {1, 3, 1, 1}, one[1] = {1}, dense[2] = {1, 1};
    tensor(&b, "L0.weight", 4, conv, 1.0f, 3);
    tensor(&b, "L0.bias", 1, one, 0.0f, 1);
    tensor(&b, "L1.weight", 1, one, 1.0f, 1);
    tensor(&b, "L1.bias", 1, one, 0.0f, 1);
    tensor(&b, "L1.running_mean", 1, one, 0.0f, 1);
    tensor(&b, "L1.running_var", 1, one, -1.0f, 1);
    tensor(&b, "L4.weight", 2, dense, 1.0f, 1);
    tensor(&b, "L4.bias", 1, one, 0.0f, 1);
    open_fails_with(&b, "negative running variance", failures);
}

TEST(weights_hostile_huge_finite_values_give_an_error_not_nan) {
    /* weights near FLT_MAX are finite, but the forward pass overflows to +inf and -inf, whose sum
     * is NaN: the classification must fail with a message, never report p_fake = NaN */
    file_buf b = header("flat,d1", "3x32x32", NULL, 0);
    flat_d1_tensors(&b, 3e38f);
    put_u32(&b, cf_crc32(0, b.data, b.len));
    cifake_detector *d = NULL;
    cf_error err = {{0}};
    CHECK_MSG(cifake_open(b.data, b.len, &d, &err) == 0, "%s", err.msg);
    if (d) {
        uint8_t rgb[3072];
        for (int i = 0; i < 3072; i++) rgb[i] = i < 1536 ? 0 : 255;
        cifake_result r;
        CHECK(cf_detector_classify_rgb(d, rgb, &r, &err) == -1 && strstr(err.msg, "not a number"));
        float cam[1024];
        CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAM, -1, -1, cam, &err) == -1);
        cifake_close(d);
    }
    free(b.data);
}

TEST(weights_hostile_folded_spec_longer_than_the_limit) {
    /* 63 "drop.55" tokens fit the 511-character limit; folded they are written "drop0.55" and do not */
    char spec[CF_SPEC_MAX] = "";
    for (int i = 0; i < 63; i++) strcat(spec, "drop.55,");
    strcat(spec, "d1");
    CHECK(strlen(spec) < CF_SPEC_MAX);
    file_buf b = header(spec, "3x32x32", NULL, 0);
    put_u32(&b, 2);
    uint32_t w[2] = {1, 3072}, bias[1] = {1};
    tensor(&b, "L63.weight", 2, w, 0.0f, 3072);
    tensor(&b, "L63.bias", 1, bias, 0.0f, 1);
    open_fails_with(&b, "once batch norm is folded", failures);
}
