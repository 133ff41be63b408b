/* cbor.h - a small, bounded CBOR (RFC 8949) reader for C2PA claims, assertions and COSE structures,
 * and the few writes a COSE Sig_structure needs.
 *
 * An item is addressed by its buffer and the offset of its first byte (cf_cbor); nothing is copied.
 * Every length is checked against the bytes left before use: a string longer than its buffer, an
 * array or map announcing more entries than bytes remain, a reserved additional-information value or
 * nesting deeper than CF_CBOR_MAX_DEPTH is refused (-1). Skipping an item walks it with an explicit
 * stack (no recursion), in time linear in its size. Indefinite-length arrays, maps and strings are
 * walked and skipped; the getters read definite-length strings only (C2PA uses deterministic CBOR),
 * an indefinite one reads as "not a string". */
#ifndef CIFAKE_CBOR_H
#define CIFAKE_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define CF_CBOR_MAX_DEPTH 16

enum { CF_CBOR_UINT = 0, CF_CBOR_NEGINT, CF_CBOR_BYTES, CF_CBOR_TEXT, CF_CBOR_ARRAY, CF_CBOR_MAP, CF_CBOR_TAG, CF_CBOR_SIMPLE };

/* An item: buf[pos] is its first byte, buf[0..size) the bytes it may extend over. */
typedef struct {
    const uint8_t *buf;
    size_t size, pos;
} cf_cbor;

/* The item at the start of bytes[0..n). */
cf_cbor cf_cbor_at(const uint8_t *bytes, size_t n);

/* Major type of the item (CF_CBOR_*), or -1 when its head is truncated or malformed. */
int cf_cbor_major(cf_cbor v);
/* The whole item's encoded size in bytes (head, content and nested items); -1 if malformed. */
int cf_cbor_item_size(cf_cbor v, size_t *size);
/* Strips any tags; *tag gets the innermost tag number (or UINT64_MAX when untagged). */
int cf_cbor_untag(cf_cbor v, cf_cbor *inner, uint64_t *tag);

/* Getters: 0 on success, -1 when the item is not of that type (or malformed). */
int cf_cbor_text(cf_cbor v, const char **s, size_t *len);
int cf_cbor_bytes(cf_cbor v, const uint8_t **b, size_t *len);
int cf_cbor_int(cf_cbor v, int64_t *x); /* major 0 or 1 within int64_t */
int cf_cbor_uint(cf_cbor v, uint64_t *x);

/* Iterates the entries of an array (one item per next) or a map (key then value, two per entry). */
typedef struct {
    cf_cbor cur;
    uint64_t left; /* items left (a map entry counts two) */
    int indefinite, done;
} cf_cbor_iter;

int cf_cbor_iter_begin(cf_cbor container, cf_cbor_iter *it); /* -1 when not an array or map */
/* 1 and *item when there is a next item, 0 at the end, -1 when malformed. */
int cf_cbor_iter_next(cf_cbor_iter *it, cf_cbor *item);
/* Number of entries of an array or map (indefinite ones: counted by walking); -1 if malformed. */
int cf_cbor_count(cf_cbor container, size_t *count);

/* Map lookup by text key or integer key: 1 and *value when found, 0 when absent, -1 malformed. */
int cf_cbor_map_get(cf_cbor map, const char *key, cf_cbor *value);
int cf_cbor_map_get_int(cf_cbor map, int64_t key, cf_cbor *value);
/* Convenience: the text value of map[key] (0), or -1 when absent or not text. */
int cf_cbor_map_text(cf_cbor map, const char *key, const char **s, size_t *len);

/* Writes the head of an item of the given major type and argument (a length, count or value) in
 * its shortest form, as deterministic CBOR requires. */
void cf_cbor_put_head(cf_buffer *out, int major, uint64_t arg);

#endif
