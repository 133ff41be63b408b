/* fileio.h - the trainer's file I/O policy: whole-file reads with a size cap, atomic writes. */
#ifndef CIFAKE_FILEIO_H
#define CIFAKE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "loaded_model.h"

/* Reads a whole file (at most max_bytes) into a malloc'ed buffer. */
int read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *n, cf_error *err);

/* Writes bytes to path atomically: a temporary file beside it, flushed to disk, then renamed over
 * path, so a reader (or a crash) sees the old file or the new one, never half of one. */
int write_file_atomic(const char *path, const void *bytes, size_t n, cf_error *err);

int file_exists(const char *path);

/* Opens a detector on weight files (at most CF_WEIGHTS_MAX_FILE_BYTES each): the first with
 * cifake_open, the others added in order (cifake_add_model). On failure *d is NULL and the message
 * names the file. */
int open_detector_files(const char *const *weights, int n, cifake_detector **d, cf_error *err);

/* Opens one weight file (at most CF_WEIGHTS_MAX_FILE_BYTES) as a loaded model, for a tool that runs
 * the model itself rather than a detector; on failure the message names the file. */
int open_model_file(const char *path, cf_loaded_model *m, cf_error *err);

/* The weight file a tool uses without --weights: $CIFAKE_WEIGHTS, else ../weights/cifake.bin relative
 * to the executable (the shipped file beside the build), else weights/cifake.bin. buf holds the
 * built path (n bytes). */
const char *default_weights_path(char *buf, size_t n);

/* The same rule for any file shipped in the repository: $env_name, else ../relative from the
 * executable's folder, else relative (to the current folder). */
const char *default_data_path(const char *env_name, const char *relative, char *buf, size_t n);

/* Makes the parent directories of path (like mkdir -p of its dirname). */
int make_parent_dirs(const char *path, cf_error *err);

/* Makes dir and its parents (like mkdir -p dir). */
int make_dirs(const char *dir, cf_error *err);

#endif
