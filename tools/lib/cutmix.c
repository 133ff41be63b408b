#include "cutmix.h"

#include <string.h>

#include "common.h"

void cutmix_batch(float *images, const float *source, const int *labels, const uint64_t *ids, int n, float p,
                  uint64_t seed, float *targets) {
    for (int i = 0; i < n; i++) {
        targets[i] = (float)labels[i];
        cf_rng rng = cf_rng_make(seed, ids[i], 0xC07u);
        if (cf_rng_uniform(&rng) >= p) continue;
        int j = (int)cf_rng_below(&rng, (uint32_t)n);
        int bw = 8 * (1 + (int)cf_rng_below(&rng, 3)), bh = 8 * (1 + (int)cf_rng_below(&rng, 3));
        int x0 = 8 * (int)cf_rng_below(&rng, (uint32_t)(5 - bw / 8));
        int y0 = 8 * (int)cf_rng_below(&rng, (uint32_t)(5 - bh / 8));
        for (int c = 0; c < 3; c++)
            for (int y = y0; y < y0 + bh; y++) {
                size_t at = (size_t)c * 1024 + (size_t)y * 32 + (size_t)x0;
                memcpy(images + (size_t)i * DS_PIXELS + at, source + (size_t)j * DS_PIXELS + at,
                       sizeof(float) * bw);
            }
        float share = (float)(bw * bh) / 1024.0f;
        targets[i] = (1 - share) * (float)labels[i] + share * (float)labels[j];
    }
}
