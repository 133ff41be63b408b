/* test_simd_path.c - which vector path of simd.h this runner exercises. The builds of `make test-simd`
 * define CF_TEST_SIMD as the path they were compiled for; a compiler or flag change that silently
 * selected another path (and so left the intended kernels untested) fails here. */
#include <string.h>

#include "simd.h"
#include "test.h"

TEST(simd_path_is_the_one_built_for) {
#ifdef CF_TEST_SIMD
    CHECK_MSG(strcmp(CF_SIMD_NAME, CF_TEST_SIMD) == 0, "built for %s, compiled as %s", CF_TEST_SIMD, CF_SIMD_NAME);
#endif
    static const struct {
        const char *name;
        int lanes;
    } paths[] = {{"scalar", 1}, {"sse2", 4}, {"avx2-fma", 8}, {"avx512", 16}, {"wasm-simd128", 4}};
    int found = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!strcmp(paths[i].name, CF_SIMD_NAME)) {
            found = 1;
            CHECK_MSG(CF_VF == paths[i].lanes, "%s with %d lanes", CF_SIMD_NAME, CF_VF);
        }
    CHECK_MSG(found, "unknown vector path %s", CF_SIMD_NAME);
}
