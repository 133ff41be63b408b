#include "patches.h"

int cf_patch_count(int n, int p) {
    if (p < 1 || n < p) return 0;
    return (n + p - 1) / p;
}

int cf_patch_offset(int i, int count, int n, int p) {
    if (count <= 1) return 0;
    /* 64-bit product: n - p and i can each reach the image limit (16384 pixels a side). */
    return (int)((long long)i * (n - p) / (count - 1));
}

float cf_patch_aggregate(const float *logits, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += logits[i];
    return n > 0 ? (float)(sum / n) : 0.0f;
}
