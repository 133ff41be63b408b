/* CutMix tests (cutmix_batch in tools/lib/cutmix.c): on a batch whose images are each one flat
 * value, every mixed image must show exactly one box of another image's value, made of whole 8x8
 * blocks, and its target must be the FAKE share of its area; p = 0 changes nothing, and the same
 * ids give the same mix. */
#include <stdlib.h>
#include <string.h>

#include "cutmix.h"
#include "test.h"

#define N 16

static void flat_batch(float *images) {
    for (int i = 0; i < N; i++)
        for (int k = 0; k < DS_PIXELS; k++) images[(size_t)i * DS_PIXELS + k] = (float)i;
}

/* The bounding box of the pixels of image `img` that differ from `own`; returns their count. */
static int foreign_box(const float *img, float own, int *x0, int *y0, int *x1, int *y1, float *value) {
    int count = 0;
    *x0 = *y0 = 32;
    *x1 = *y1 = -1;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            if (img[y * 32 + x] != own) {
                count++;
                *value = img[y * 32 + x];
                if (x < *x0) *x0 = x;
                if (y < *y0) *y0 = y;
                if (x > *x1) *x1 = x;
                if (y > *y1) *y1 = y;
            }
    return count;
}

TEST(cutmix_pastes_whole_blocks_and_targets_the_fake_share) {
    size_t bytes = sizeof(float) * DS_PIXELS * N;
    float *images = malloc(bytes), *source = malloc(bytes);
    float targets[N], again[N];
    int labels[N];
    uint64_t ids[N];
    for (int i = 0; i < N; i++) labels[i] = i % 2, ids[i] = 1000 + (uint64_t)i;
    flat_batch(images);
    memcpy(source, images, bytes);
    cutmix_batch(images, source, labels, ids, N, 1.0f, 5, targets);
    int mixed = 0;
    for (int i = 0; i < N; i++) {
        const float *img = images + (size_t)i * DS_PIXELS;
        int x0, y0, x1, y1;
        float value = (float)i;
        int count = foreign_box(img, (float)i, &x0, &y0, &x1, &y1, &value);
        if (count == 0) { /* drew itself as partner */
            CHECK(targets[i] == (float)labels[i]);
            continue;
        }
        mixed++;
        int w = x1 - x0 + 1, h = y1 - y0 + 1, j = (int)value;
        CHECK_MSG(count == w * h, "image %d: the foreign pixels are not one filled box", i);
        CHECK_MSG(x0 % 8 == 0 && y0 % 8 == 0 && w % 8 == 0 && h % 8 == 0, "image %d: box not on the 8x8 grid", i);
        CHECK(w < 32 && h < 32); /* some of the image stays its own */
        for (int c = 1; c < 3; c++) /* all channels carry the same box */
            CHECK(memcmp(img + c * 1024, img, sizeof(float) * 1024) == 0);
        float share = (float)count / 1024.0f;
        CHECK_NEAR(targets[i], (1 - share) * labels[i] + share * labels[j], 1e-6);
    }
    CHECK(mixed >= N / 2);

    /* the same ids give the same mix; p = 0 leaves images and targets alone */
    float *twice = malloc(bytes);
    flat_batch(twice);
    cutmix_batch(twice, source, labels, ids, N, 1.0f, 5, again);
    CHECK(memcmp(twice, images, bytes) == 0);
    CHECK(memcmp(targets, again, sizeof targets) == 0);
    flat_batch(twice);
    cutmix_batch(twice, source, labels, ids, N, 0.0f, 5, again);
    CHECK(memcmp(twice, source, bytes) == 0);
    for (int i = 0; i < N; i++) CHECK(again[i] == (float)labels[i]);
    free(images);
    free(source);
    free(twice);
}
