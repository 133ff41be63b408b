#include "patches.h"

#include <math.h>

int cf_patch_count(int n, int p) {
    if (p < 1 || n < p) return 0;
    return (n + p - 1) / p;
}

int cf_patch_offset(int i, int count, int n, int p) {
    if (count <= 1) return 0;
    /* 64-bit product: n - p and i can each reach the image limit (16384 pixels a side). */
    return (int)((long long)i * (n - p) / (count - 1));
}

int cf_patch_grid(int width, int height, int p, int budget, int *cols, int *rows) {
    *cols = cf_patch_count(width, p);
    *rows = cf_patch_count(height, p);
    long long n = (long long)*cols * *rows;
    if (budget > 0 && n > budget) {
        double shrink = sqrt((double)budget / (double)n);
        int c = (int)(*cols * shrink), r = (int)(*rows * shrink);
        c = c < 1 ? 1 : c;
        r = r < 1 ? 1 : r;
        /* a side of one patch holds the whole budget along the other */
        if (c == 1) r = *rows < budget ? *rows : budget;
        if (r == 1) c = *cols < budget ? *cols : budget;
        *cols = c;
        *rows = r;
    }
    return *cols * *rows;
}

int cf_patch_budget_read(const char *text, int *budget, cf_error *err) {
    *budget = 0;
    long long v;
    if (!text) return 0;
    if (cf_parse_int(text, 0, CF_PATCH_BUDGET_MAX, &v))
        return cf_fail(err, "weight file: patch_budget \"%s\" is not a count in 0..%d", text, CF_PATCH_BUDGET_MAX);
    *budget = (int)v;
    return 0;
}

float cf_patch_aggregate(const float *logits, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += logits[i];
    return n > 0 ? (float)(sum / n) : 0.0f;
}
