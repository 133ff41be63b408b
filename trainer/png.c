#include "png.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "stb_image_write.h"

typedef struct {
    uint8_t *bytes;
    size_t n, cap;
    int failed;
} png_buffer;

static void append(void *ctx, void *data, int size) {
    png_buffer *b = ctx;
    if (b->failed || size <= 0) return;
    if (b->n + (size_t)size > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 65536) + (size_t)size;
        uint8_t *p = realloc(b->bytes, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->bytes = p;
        b->cap = cap;
    }
    memcpy(b->bytes + b->n, data, (size_t)size);
    b->n += (size_t)size;
}

int png_write_rgba(const char *path, const uint8_t *rgba, int width, int height, cf_error *err) {
    png_buffer b = {0};
    int ok = stbi_write_png_to_func(append, &b, width, height, 4, rgba, width * 4);
    int rc = (!ok || b.failed) ? cf_fail(err, "%s: PNG encoding failed", path) : write_file_atomic(path, b.bytes, b.n, err);
    free(b.bytes);
    return rc;
}
