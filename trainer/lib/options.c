#include "options.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

float opt_float(const char *v) {
    char *end;
    float x = strtof(v, &end);
    return end == v || *end ? NAN : x;
}

int opt_int(const char *v) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    return end == v || *end || errno || x <= INT_MIN || x > INT_MAX ? INT_MIN : (int)x;
}

int opt_u64(const char *v, uint64_t *out) {
    char *end;
    errno = 0;
    if (*v == '-') return -1; /* strtoull would wrap a negative number */
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || errno) return -1;
    *out = x;
    return 0;
}
