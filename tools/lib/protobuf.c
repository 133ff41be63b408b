#include "protobuf.h"

#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5 };

void pb_varint(cf_buffer *b, uint64_t v) {
    uint8_t out[10];
    int n = 0;
    do {
        out[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) out[n] |= 0x80;
        n++;
    } while (v);
    cf_buffer_append(b, out, (size_t)n);
}

static void tag(cf_buffer *b, int field, int wire) { pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire); }

void pb_int(cf_buffer *b, int field, int64_t v) {
    tag(b, field, WIRE_VARINT);
    pb_varint(b, (uint64_t)v);
}

void pb_float(cf_buffer *b, int field, float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    tag(b, field, WIRE_FIXED32);
    cf_buffer_append(b, le, sizeof le);
}

void pb_bytes(cf_buffer *b, int field, const void *bytes, size_t n) {
    tag(b, field, WIRE_LEN);
    pb_varint(b, n);
    cf_buffer_append(b, bytes, n);
}

void pb_string(cf_buffer *b, int field, const char *s) { pb_bytes(b, field, s, strlen(s)); }

void pb_message(cf_buffer *b, int field, const cf_buffer *msg) {
    if (msg->failed) b->failed = 1;
    pb_bytes(b, field, msg->data, msg->len);
}
