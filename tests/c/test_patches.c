/* test_patches.c - the patch grid covers every pixel, evenly, and the aggregation is the mean. */
#include "patches.h"
#include "test.h"

/* Every pixel of a side of n is inside some patch; patches stay inside [0, n); first at 0, last ends at n;
 * offsets increase and neighbours never leave a gap. */
static int grid_covers(int n, int p) {
    int count = cf_patch_count(n, p);
    if (count != (n + p - 1) / p) return 0;
    int covered_to = 0;
    for (int i = 0; i < count; i++) {
        int x = cf_patch_offset(i, count, n, p);
        if (x < 0 || x + p > n || x > covered_to) return 0;
        if (i > 0 && x <= cf_patch_offset(i - 1, count, n, p)) return 0;
        covered_to = x + p;
    }
    return cf_patch_offset(0, count, n, p) == 0 && covered_to == n;
}

TEST(patch_grid_covers_sides_that_are_not_multiples) {
    int sides[] = {32, 33, 63, 64, 65, 100, 127, 128, 129, 500, 4000, 6028, 16384};
    for (size_t s = 0; s < sizeof sides / sizeof *sides; s++) {
        CHECK_MSG(grid_covers(sides[s], 32), "n=%d p=32", sides[s]);
        CHECK_MSG(grid_covers(sides[s], 64) || sides[s] < 64, "n=%d p=64", sides[s]);
    }
    /* exact multiples tile without overlap */
    for (int i = 0; i < 4; i++) CHECK(cf_patch_offset(i, 4, 128, 32) == 32 * i);
    CHECK(cf_patch_count(100, 32) == 4);
    CHECK(cf_patch_offset(3, 4, 100, 32) == 68);
}

TEST(patch_grid_is_empty_below_one_patch) {
    CHECK(cf_patch_count(31, 32) == 0);
    CHECK(cf_patch_count(0, 32) == 0);
    CHECK(cf_patch_count(64, 0) == 0);
    CHECK(cf_patch_count(32, 32) == 1);
    CHECK(cf_patch_offset(0, 1, 40, 32) == 0);
}

TEST(patch_scores_aggregate_to_their_mean) {
    float logits[] = {2.0f, -1.0f, 0.5f, 4.5f};
    CHECK_NEAR(cf_patch_aggregate(logits, 4), 1.5f, 1e-6);
    CHECK_NEAR(cf_patch_aggregate(logits, 1), 2.0f, 1e-6);
    CHECK(cf_patch_aggregate(logits, 0) == 0.0f);
}

TEST(patch_budget_samples_a_spread_grid_within_the_budget) {
    int cols, rows;
    /* under the budget, or none: the full grid */
    CHECK(cf_patch_grid(100, 70, 32, 0, &cols, &rows) == 12 && cols == 4 && rows == 3);
    CHECK(cf_patch_grid(100, 70, 32, 12, &cols, &rows) == 12 && cols == 4 && rows == 3);
    CHECK(cf_patch_grid(31, 400, 32, 5, &cols, &rows) == 0);
    /* a 12-megapixel photo: 125 x 94 patches, sampled in the same proportion */
    int n = cf_patch_grid(4000, 3000, 32, 2048, &cols, &rows);
    CHECK(n == cols * rows && n <= 2048 && n > 1900 && cols > rows && cols * 3 / rows == 4);
    /* every budget is kept, however elongated the image */
    int sizes[][2] = {{4000, 3000}, {16000, 40}, {40, 16000}, {33, 33}, {1000, 1000}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int budget = 1; budget <= 3000; budget += budget / 3 + 1) {
            int full_cols = cf_patch_count(sizes[s][0], 32), full_rows = cf_patch_count(sizes[s][1], 32);
            n = cf_patch_grid(sizes[s][0], sizes[s][1], 32, budget, &cols, &rows);
            CHECK_MSG(n <= budget && n >= 1 && cols <= full_cols && rows <= full_rows, "%dx%d budget %d: %dx%d",
                      sizes[s][0], sizes[s][1], budget, cols, rows);
            /* the sample spans the image: the last patch ends at the edge when there is more than one */
            if (cols > 1) CHECK(cf_patch_offset(cols - 1, cols, sizes[s][0], 32) == sizes[s][0] - 32);
        }
    /* one row of 500 patches, budget 10: ten patches along it, not one */
    CHECK(cf_patch_grid(16000, 40, 32, 10, &cols, &rows) == 10 && cols == 10 && rows == 1);
}
