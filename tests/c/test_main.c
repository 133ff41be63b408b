/* test_main.c - runs every registered TEST; prints "N passed, N failed" as its last line. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simd.h"
#include "test.h"

#define MAX_TESTS 512

static struct {
    const char *name;
    test_fn fn;
} tests[MAX_TESTS];
static int n_tests;
static const char *skip_reason;

void test_register(const char *name, test_fn fn) {
    if (n_tests < MAX_TESTS) {
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        n_tests++;
    }
}

void test_skip(const char *reason) { skip_reason = reason; }

static int is_dir(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *test_sample_dir(void) {
    const char *env = getenv("CIFAKE_SAMPLE_DIR");
    if (env && is_dir(env)) return env;
    const char *fallback = "../shared/data/cifake-sample";
    return is_dir(fallback) ? fallback : NULL;
}

const char *test_dataset_dir(void) {
    const char *env = getenv("CIFAKE_DIR");
    return is_dir(env) ? env : NULL;
}

unsigned char *test_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) *n = (size_t)len;
    return buf;
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0, skipped = 0;
    printf("vector path: %s, %d float%s per vector\n", CF_SIMD_NAME, CF_VF, CF_VF > 1 ? "s" : "");
    for (int i = 0; i < n_tests; i++) {
        if (filter && !strstr(tests[i].name, filter)) continue;
        int failures = 0;
        skip_reason = NULL;
        tests[i].fn(&failures);
        if (failures) {
            printf("FAIL %s (%d checks failed)\n", tests[i].name, failures);
            failed++;
        } else if (skip_reason) {
            printf("SKIP %s: %s\n", tests[i].name, skip_reason);
            skipped++;
            passed++;
        } else {
            printf("ok   %s\n", tests[i].name);
            passed++;
        }
        fflush(stdout);
    }
    if (skipped) printf("(%d of the passed tests were skipped, see SKIP lines)\n", skipped);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
