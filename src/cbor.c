/* cbor.c - the bounded CBOR reader (cbor.h). */
#include "cbor.h"

#include <string.h>

/* One decoded head: major type, argument, whether it opens an indefinite-length item, and whether it
 * is the "break" stop code. */
typedef struct {
    int major;
    uint64_t arg;
    int indefinite, is_break;
    size_t len; /* bytes of the head itself */
} head;

/* Reads the head at buf[pos]; checks that string contents fit and that a definite array or map does
 * not announce more entries than bytes remain (each entry takes at least one byte). */
static int read_head(const uint8_t *buf, size_t size, size_t pos, head *h) {
    if (pos >= size) return -1;
    uint8_t ib = buf[pos];
    memset(h, 0, sizeof *h);
    h->major = ib >> 5;
    int ai = ib & 31;
    size_t extra = 0;
    if (ai < 24) {
        h->arg = (uint64_t)ai;
    } else if (ai <= 27) {
        extra = (size_t)1 << (ai - 24);
        if (extra > size - pos - 1) return -1;
        for (size_t i = 0; i < extra; i++) h->arg = (h->arg << 8) | buf[pos + 1 + i];
    } else if (ai == 31) {
        if (h->major == CF_CBOR_SIMPLE) h->is_break = 1;
        else if (h->major >= CF_CBOR_BYTES && h->major <= CF_CBOR_MAP) h->indefinite = 1;
        else return -1; /* indefinite integers and tags do not exist */
    } else {
        return -1; /* 28..30 are reserved */
    }
    h->len = 1 + extra;
    size_t left = size - pos - h->len;
    if (h->indefinite) return 0;
    if ((h->major == CF_CBOR_BYTES || h->major == CF_CBOR_TEXT) && h->arg > left) return -1;
    if (h->major == CF_CBOR_ARRAY && h->arg > left) return -1;
    if (h->major == CF_CBOR_MAP && h->arg > left / 2) return -1;
    return 0;
}

cf_cbor cf_cbor_at(const uint8_t *bytes, size_t n) {
    cf_cbor v = {bytes, n, 0};
    return v;
}

int cf_cbor_major(cf_cbor v) {
    head h;
    if (read_head(v.buf, v.size, v.pos, &h) != 0 || h.is_break) return -1;
    return h.major;
}

/* Skips an indefinite-length string's chunks (definite strings of the same major type) up to and
 * including its break. */
static int skip_chunks(const uint8_t *buf, size_t size, size_t *pos, int major) {
    for (;;) {
        head h;
        if (read_head(buf, size, *pos, &h) != 0) return -1;
        *pos += h.len;
        if (h.is_break) return 0;
        if (h.major != major || h.indefinite) return -1;
        *pos += (size_t)h.arg;
    }
}

/* Walks one item from *pos, leaving *pos after it. Open containers are kept on an explicit stack of
 * at most CF_CBOR_MAX_DEPTH entries: the count of items left (a map entry counts two) or, for an
 * indefinite container, a flag that it ends at a break. */
static int skip_item(const uint8_t *buf, size_t size, size_t *pos) {
    uint64_t left[CF_CBOR_MAX_DEPTH];
    uint8_t indefinite[CF_CBOR_MAX_DEPTH];
    int depth = 0, after_tag = 0;
    for (;;) {
        head h;
        if (read_head(buf, size, *pos, &h) != 0) return -1;
        *pos += h.len;
        if (h.is_break) {
            if (depth == 0 || !indefinite[depth - 1] || after_tag) return -1;
            depth--;
        } else if (h.major == CF_CBOR_BYTES || h.major == CF_CBOR_TEXT) {
            if (h.indefinite) {
                if (skip_chunks(buf, size, pos, h.major) != 0) return -1;
            } else {
                *pos += (size_t)h.arg;
            }
        } else if (h.major == CF_CBOR_ARRAY || h.major == CF_CBOR_MAP) {
            uint64_t items = h.major == CF_CBOR_MAP ? h.arg * 2 : h.arg;
            if (h.indefinite || items > 0) {
                if (depth == CF_CBOR_MAX_DEPTH) return -1;
                left[depth] = items;
                indefinite[depth] = (uint8_t)h.indefinite;
                depth++;
                after_tag = 0;
                continue; /* its first entry comes next */
            }
        } else if (h.major == CF_CBOR_TAG) {
            after_tag = 1;
            continue; /* the tagged item follows and completes this one */
        }
        after_tag = 0;
        /* One item completed: count it against the containers it closes. */
        while (depth > 0 && !indefinite[depth - 1]) {
            if (--left[depth - 1] > 0) break;
            depth--;
        }
        if (depth == 0) return 0;
    }
}

int cf_cbor_item_size(cf_cbor v, size_t *size) {
    size_t pos = v.pos;
    if (skip_item(v.buf, v.size, &pos) != 0) return -1;
    *size = pos - v.pos;
    return 0;
}

int cf_cbor_untag(cf_cbor v, cf_cbor *inner, uint64_t *tag) {
    uint64_t last = UINT64_MAX;
    for (;;) {
        head h;
        if (read_head(v.buf, v.size, v.pos, &h) != 0 || h.is_break) return -1;
        if (h.major != CF_CBOR_TAG) break;
        last = h.arg;
        v.pos += h.len;
    }
    *inner = v;
    if (tag) *tag = last;
    return 0;
}

static int definite_string(cf_cbor v, int major, const uint8_t **b, size_t *len) {
    head h;
    if (read_head(v.buf, v.size, v.pos, &h) != 0 || h.major != major || h.indefinite || h.is_break) return -1;
    *b = v.buf + v.pos + h.len;
    *len = (size_t)h.arg;
    return 0;
}

int cf_cbor_text(cf_cbor v, const char **s, size_t *len) {
    const uint8_t *b;
    if (definite_string(v, CF_CBOR_TEXT, &b, len) != 0) return -1;
    *s = (const char *)b;
    return 0;
}

int cf_cbor_bytes(cf_cbor v, const uint8_t **b, size_t *len) { return definite_string(v, CF_CBOR_BYTES, b, len); }

int cf_cbor_uint(cf_cbor v, uint64_t *x) {
    head h;
    if (read_head(v.buf, v.size, v.pos, &h) != 0 || h.major != CF_CBOR_UINT) return -1;
    *x = h.arg;
    return 0;
}

int cf_cbor_int(cf_cbor v, int64_t *x) {
    head h;
    if (read_head(v.buf, v.size, v.pos, &h) != 0) return -1;
    if (h.major != CF_CBOR_UINT && h.major != CF_CBOR_NEGINT) return -1;
    if (h.arg > (uint64_t)INT64_MAX) return -1;
    *x = h.major == CF_CBOR_UINT ? (int64_t)h.arg : -1 - (int64_t)h.arg;
    return 0;
}

int cf_cbor_iter_begin(cf_cbor container, cf_cbor_iter *it) {
    head h;
    memset(it, 0, sizeof *it);
    if (read_head(container.buf, container.size, container.pos, &h) != 0) return -1;
    if (h.major != CF_CBOR_ARRAY && h.major != CF_CBOR_MAP) return -1;
    it->cur = container;
    it->cur.pos += h.len;
    it->indefinite = h.indefinite;
    it->left = h.major == CF_CBOR_MAP ? h.arg * 2 : h.arg;
    return 0;
}

int cf_cbor_iter_next(cf_cbor_iter *it, cf_cbor *item) {
    if (it->done) return 0;
    if (it->indefinite) {
        if (it->cur.pos >= it->cur.size) return -1;
        if (it->cur.buf[it->cur.pos] == 0xff) {
            it->done = 1;
            return 0;
        }
    } else if (it->left == 0) {
        it->done = 1;
        return 0;
    } else {
        it->left--;
    }
    *item = it->cur;
    size_t pos = it->cur.pos;
    if (skip_item(it->cur.buf, it->cur.size, &pos) != 0) return -1;
    it->cur.pos = pos;
    return 1;
}

int cf_cbor_count(cf_cbor container, size_t *count) {
    cf_cbor_iter it;
    cf_cbor item;
    size_t n = 0;
    int r;
    if (cf_cbor_iter_begin(container, &it) != 0) return -1;
    while ((r = cf_cbor_iter_next(&it, &item)) == 1) n++;
    if (r < 0) return -1;
    *count = cf_cbor_major(container) == CF_CBOR_MAP ? n / 2 : n;
    return 0;
}

/* Walks a map's entries and returns the value of the first whose key matches. */
static int map_find(cf_cbor map, const char *text_key, int64_t int_key, cf_cbor *value) {
    cf_cbor_iter it;
    cf_cbor key, val;
    if (cf_cbor_major(map) != CF_CBOR_MAP || cf_cbor_iter_begin(map, &it) != 0) return -1;
    size_t want = text_key ? strlen(text_key) : 0;
    for (;;) {
        int r = cf_cbor_iter_next(&it, &key);
        if (r <= 0) return r;
        if (cf_cbor_iter_next(&it, &val) != 1) return -1;
        if (text_key) {
            const char *s;
            size_t len;
            if (cf_cbor_text(key, &s, &len) == 0 && len == want && memcmp(s, text_key, len) == 0) break;
        } else {
            int64_t k;
            if (cf_cbor_int(key, &k) == 0 && k == int_key) break;
        }
    }
    *value = val;
    return 1;
}

int cf_cbor_map_get(cf_cbor map, const char *key, cf_cbor *value) { return map_find(map, key, 0, value); }

int cf_cbor_map_get_int(cf_cbor map, int64_t key, cf_cbor *value) { return map_find(map, NULL, key, value); }

int cf_cbor_map_text(cf_cbor map, const char *key, const char **s, size_t *len) {
    cf_cbor v;
    if (cf_cbor_map_get(map, key, &v) != 1) return -1;
    return cf_cbor_text(v, s, len);
}

void cf_cbor_put_head(cf_buffer *out, int major, uint64_t arg) {
    uint8_t b[9];
    size_t n;
    uint8_t m = (uint8_t)(major << 5);
    if (arg < 24) {
        b[0] = (uint8_t)(m | arg);
        n = 1;
    } else {
        int bytes = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffu ? 4 : 8;
        b[0] = (uint8_t)(m | (bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
        for (int i = 0; i < bytes; i++) b[1 + i] = (uint8_t)(arg >> (8 * (bytes - 1 - i)));
        n = 1 + (size_t)bytes;
    }
    cf_buffer_append(out, b, n);
}
