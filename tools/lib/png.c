#include "png.h"

#include <stdlib.h>

#include "fileio.h"
#include "stb_image_write.h"

static void append(void *ctx, void *data, int size) {
    if (size > 0) cf_buffer_append(ctx, data, (size_t)size);
}

int png_write_rgba(const char *path, const uint8_t *rgba, int width, int height, cf_error *err) {
    cf_buffer b = {0};
    int ok = stbi_write_png_to_func(append, &b, width, height, 4, rgba, width * 4);
    int rc = (!ok || b.failed) ? cf_fail(err, "%s: PNG encoding failed", path) : write_file_atomic(path, b.data, b.len, err);
    free(b.data);
    return rc;
}
