/* fixtures.h - weight files for the C tests, built in memory from a model and a few metadata entries.
 *
 *   const char *const extra[] = {"temperature=1", "tta=flip", NULL};
 *   size_t n;
 *   uint8_t *bytes = test_random_weight_file("c4,relu,gap,d1", 32, 11, extra, &n);
 *
 * Metadata starts from what a REAL/FAKE detector needs (the model's spec and input, mean 0.5 and std
 * 0.25 per channel, threshold 0.5, temperature 1.5); each "key=value" of extra (NULL-terminated, or
 * NULL for none) then replaces or adds one entry. */
#ifndef CIFAKE_FIXTURES_H
#define CIFAKE_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The bytes of a weight file of m (malloc'ed, *n long); NULL on failure. */
uint8_t *test_weight_file(const cf_model *m, const char *const *extra, size_t *n);
/* The same for a model of spec on side x side RGB input, its parameters drawn from seed. */
uint8_t *test_random_weight_file(const char *spec, int side, uint64_t seed, const char *const *extra, size_t *n);

#endif
