/* protobuf.h - just enough of the protocol-buffers wire format to write an ONNX file.
 *
 * Fields are appended to a cf_buffer in the order the caller writes them. A nested message is built
 * in a buffer of its own and then appended with pb_message, which writes its length first (the wire
 * format needs the length before the bytes, and our messages are small enough to copy once).
 * Wire types used: 0 varint (integers, enums), 2 length-delimited (strings, bytes, messages, packed
 * arrays), 5 fixed32 (float). Errors are sticky in the buffer (cf_buffer.failed), checked once. */
#ifndef CIFAKE_PROTOBUF_H
#define CIFAKE_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

void pb_varint(cf_buffer *b, uint64_t v);
/* An int64 field (negative values take ten bytes, as the format says). */
void pb_int(cf_buffer *b, int field, int64_t v);
void pb_float(cf_buffer *b, int field, float v);
void pb_bytes(cf_buffer *b, int field, const void *bytes, size_t n);
void pb_string(cf_buffer *b, int field, const char *s);
/* Appends the message built in msg as field `field`; msg's failure carries over to b. */
void pb_message(cf_buffer *b, int field, const cf_buffer *msg);

#endif
