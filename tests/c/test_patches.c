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
