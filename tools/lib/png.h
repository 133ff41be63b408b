/* png.h - writing RGBA images as PNG files (stb_image_write, to memory, then an atomic write). */
#ifndef CIFAKE_PNG_H
#define CIFAKE_PNG_H

#include <stdint.h>

#include "common.h"

int png_write_rgba(const char *path, const uint8_t *rgba, int width, int height, cf_error *err);

#endif
