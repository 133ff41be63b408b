/* test.h - a tiny self-registering test framework for the C unit tests.
 *
 *   TEST(name) { CHECK(x == 1); CHECK_NEAR(a, b, 1e-5); }
 *
 * Each TEST registers itself at start-up (constructor attribute: gcc, clang and emcc), so test files
 * are independent and need no central list. The runner (test_main.c) runs all tests, or those whose
 * name contains argv[1], and ends with the line "N passed, N failed". */
#ifndef CIFAKE_TEST_H
#define CIFAKE_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*test_fn)(int *failures);
void test_register(const char *name, test_fn fn);

/* Path of the shared data folder for tests that need real files (env CIFAKE_SAMPLE_DIR, else
 * ../shared/data/cifake-sample); NULL if absent. */
const char *test_sample_dir(void);
/* Full dataset root (env CIFAKE_DIR), NULL if unset or missing. */
const char *test_dataset_dir(void);
/* Reads a whole file into a malloc'ed buffer; NULL on failure. */
unsigned char *test_read_file(const char *path, size_t *n);
/* Marks the current test skipped with a reason (printed once). */
void test_skip(const char *reason);

#define TEST(name)                                                                     \
    static void test_##name(int *failures);                                            \
    __attribute__((constructor)) static void register_##name(void) {                   \
        test_register(#name, test_##name);                                             \
    }                                                                                  \
    static void test_##name(int *failures)

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            (*failures)++;                                                             \
        }                                                                              \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                              \
            fprintf(stderr, "\n");                                                     \
            (*failures)++;                                                             \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double a_ = (double)(a), b_ = (double)(b);                                     \
        if (!(fabs(a_ - b_) <= (tol)) ) {                                              \
            fprintf(stderr, "  %s:%d: CHECK_NEAR failed: %s = %.8g, %s = %.8g (tol %g)\n", \
                    __FILE__, __LINE__, #a, a_, #b, b_, (double)(tol));                \
            (*failures)++;                                                             \
        }                                                                              \
    } while (0)

#endif
