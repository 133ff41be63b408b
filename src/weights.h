/* weights.h - the versioned weight file: a model, its metadata and optional extra tensors.
 *
 * Layout (all integers little-endian u32, floats IEEE-754 binary32 little-endian):
 *   magic     8 bytes "CIFAKEWT"
 *   version   u32 (CF_WEIGHTS_VERSION)
 *   n_meta    u32, then n_meta pairs of strings (key, value); a string is u32 length + bytes
 *   n_tensor  u32, then n_tensor tensors: name (string), ndim u32 (1..4), dims u32[ndim], data
 *   crc32     u32 over every byte before it
 * Required metadata: spec, input ("CxHxW"), mean and std (per input channel, comma-separated),
 * classes ("REAL,FAKE"), threshold, temperature. Anything else (provenance: data, seed, command,
 * date, threads, metrics) is free-form text carried along.
 * The model tensors come first, in layer order, named "L<index>.<param>" (weight, bias,
 * running_mean, running_var); after them, any extra tensors (a checkpoint's optimiser state).
 * Every length and count is checked against the bytes that remain before it is used, so a damaged
 * or hostile file is refused with a message and never read out of bounds; the model a spec
 * describes must fit in the file and within the maxima below before it is allocated; duplicate
 * metadata keys and non-finite tensor values are refused. */
#ifndef CIFAKE_WEIGHTS_H
#define CIFAKE_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "meta_keys.h"
#include "model.h"

#define CF_WEIGHTS_MAGIC "CIFAKEWT"
#define CF_WEIGHTS_VERSION 1u
#define CF_META_MAX 64
#define CF_EXTRA_MAX 16
/* Sane maxima for a model read from a file, checked before anything is allocated for it (the
 * shipped model has 287,137 parameters and 244,865 activation values per image). */
#define CF_WEIGHTS_MAX_PARAMS 50000000      /* parameters + buffers: 200 MB of floats */
/* The largest weight file the tools read: the parameter limit in floats, plus room for metadata and
 * a checkpoint's optimiser state. */
#define CF_WEIGHTS_MAX_FILE_BYTES ((size_t)256 << 20)
#define CF_WEIGHTS_MAX_ACTIVATIONS 16000000 /* floats per image over all layers: 64 MB */


typedef struct {
    int n;
    char *key[CF_META_MAX];
    char *value[CF_META_MAX];
} cf_meta;

int cf_meta_set(cf_meta *meta, const char *key, const char *value, cf_error *err);
/* Sets one "KEY=VALUE" pair: the key is everything before the first '=' (not empty, under
 * CF_META_KEY_MAX bytes), the value everything after it (may be empty or contain '='). */
#define CF_META_KEY_MAX 256
int cf_meta_set_pair(cf_meta *meta, const char *pair, cf_error *err);
int cf_meta_setf(cf_meta *meta, const char *key, cf_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
const char *cf_meta_get(const cf_meta *meta, const char *key);
void cf_meta_free(cf_meta *meta);

/* A named float array outside the model (e.g. optimiser state). */
typedef struct {
    char name[64];
    float *data;
    size_t n;
} cf_tensor;

typedef struct {
    int n;
    cf_tensor t[CF_EXTRA_MAX];
} cf_extras;

void cf_extras_free(cf_extras *ex); /* frees data read by cf_weights_read */

/* Serialises into a malloc'ed buffer (*out, *n). extras may be NULL. */
int cf_weights_write(const cf_model *m, const cf_meta *meta, const cf_extras *extras, uint8_t **out, size_t *n,
                     cf_error *err);

/* Parses and validates a weight file: builds *m from its spec and fills parameters and buffers;
 * fills *meta; extras (may be NULL to refuse none, ignore all) receives copies of extra tensors. */
int cf_weights_read(const uint8_t *bytes, size_t n, cf_model *m, cf_meta *meta, cf_extras *extras, cf_error *err);

/* The inference settings kept in the metadata, parsed and checked. */
typedef struct {
    float mean[3], std[3];
    float threshold;   /* on p_fake: FAKE when p_fake >= threshold */
    float temperature; /* p_fake = sigmoid(score / temperature) */
    char classes[2][16];
} cf_infer_params;

int cf_infer_params_parse(const cf_meta *meta, const cf_model *m, cf_infer_params *p, cf_error *err);

#endif
