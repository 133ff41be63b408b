/* wild-thumbs - 32x32 copies of images with a common resampler, to measure the CIFAKE thumbnail model
 * on shrunk real-world images (weights/WILD.md, "The CIFAKE model on shrunk images";
 * scripts/wild-scope32.sh builds and runs it).
 *
 *   wild-thumbs RESAMPLER SRC_DIR OUT_DIR < LIST
 *
 * LIST holds one path relative to SRC_DIR a line; each image's centre square (the detector's own crop,
 * image.h) is resized to 32x32 and written as a lossless PNG to OUT_DIR/<path without extension>.png
 * (written to a temporary name, then renamed). RESAMPLER:
 *   area      box filter, the mean of the source pixels under each output pixel (stb_image_resize's
 *             STBIR_FILTER_BOX; exact area averaging for whole-number ratios)
 *   bilinear  antialiased triangle filter widened by the ratio (Pillow's BILINEAR)
 *   bicubic   antialiased Catmull-Rom cubic widened by the ratio (Pillow's BICUBIC, a = -0.5)
 *   nearest-bilinear  bilinear interpolation of the four nearest source pixels without widening
 *             (OpenCV's INTER_LINEAR, tf.image.resize without antialias)
 * All in the stored (gamma-encoded) values, as those libraries do. Standalone C11: stb headers only. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#include "stb_image.h"
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include "stb_image_write.h"

#define SIDE 32

static int make_dirs(char *path) { /* every parent folder of path */
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc && errno != EEXIST) return -1;
    }
    return 0;
}

static void nearest_bilinear(const unsigned char *in, int side, int stride, unsigned char *out) {
    float s = (float)side / SIDE;
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            float sx = (x + 0.5f) * s - 0.5f, sy = (y + 0.5f) * s - 0.5f;
            if (sx < 0) sx = 0;
            if (sy < 0) sy = 0;
            int x0 = (int)sx, y0 = (int)sy;
            int x1 = x0 + 1 < side ? x0 + 1 : side - 1, y1 = y0 + 1 < side ? y0 + 1 : side - 1;
            float fx = sx - x0, fy = sy - y0;
            for (int c = 0; c < 3; c++) {
                float a = in[y0 * stride + x0 * 3 + c], b = in[y0 * stride + x1 * 3 + c];
                float d = in[y1 * stride + x0 * 3 + c], e = in[y1 * stride + x1 * 3 + c];
                float v = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy;
                out[(y * SIDE + x) * 3 + c] = (unsigned char)(v + 0.5f);
            }
        }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: wild-thumbs area|bilinear|bicubic|nearest-bilinear SRC_DIR OUT_DIR < LIST\n");
        return 2;
    }
    const char *kind = argv[1];
    int filter = !strcmp(kind, "area")       ? STBIR_FILTER_BOX
                 : !strcmp(kind, "bilinear") ? STBIR_FILTER_TRIANGLE
                 : !strcmp(kind, "bicubic")  ? STBIR_FILTER_CATMULLROM
                                             : -1;
    int nearest = !strcmp(kind, "nearest-bilinear");
    if (filter < 0 && !nearest) return fprintf(stderr, "wild-thumbs: unknown resampler %s\n", kind), 2;
    char rel[4096], src[8192], dst[8192], tmp[8300];
    int n = 0;
    while (fgets(rel, sizeof rel, stdin)) {
        rel[strcspn(rel, "\r\n")] = 0;
        if (!*rel) continue;
        snprintf(src, sizeof src, "%s/%s", argv[2], rel);
        int w, h, ch;
        unsigned char *px = stbi_load(src, &w, &h, &ch, 3);
        if (!px) return fprintf(stderr, "wild-thumbs: cannot decode %s: %s\n", src, stbi_failure_reason()), 1;
        int side = w < h ? w : h, x0 = (w - side) / 2, y0 = (h - side) / 2;
        const unsigned char *square = px + ((size_t)y0 * w + x0) * 3;
        unsigned char out[SIDE * SIDE * 3];
        if (nearest) nearest_bilinear(square, side, w * 3, out);
        else if (!stbir_resize_uint8_generic(square, side, side, w * 3, out, SIDE, SIDE, 0, 3, STBIR_ALPHA_CHANNEL_NONE,
                                             0, STBIR_EDGE_CLAMP, (stbir_filter)filter, STBIR_COLORSPACE_LINEAR, NULL))
            return fprintf(stderr, "wild-thumbs: resizing %s failed\n", src), 1;
        stbi_image_free(px);
        char *dot = strrchr(rel, '.');
        if (dot && !strchr(dot, '/')) *dot = 0;
        snprintf(dst, sizeof dst, "%s/%s.png", argv[3], rel);
        snprintf(tmp, sizeof tmp, "%s.tmp", dst);
        if (make_dirs(dst)) return fprintf(stderr, "wild-thumbs: cannot create the folders of %s\n", dst), 1;
        if (!stbi_write_png(tmp, SIDE, SIDE, 3, out, SIDE * 3) || rename(tmp, dst))
            return fprintf(stderr, "wild-thumbs: cannot write %s\n", dst), 1;
        n++;
    }
    fprintf(stderr, "wild-thumbs: %d images, %s\n", n, kind);
    return 0;
}
