/* options.h - the numbers the programs take on their command lines, read strictly: the whole value
 * must be a number, or the option is refused (atoi("3x") would be 3 and atoi("x") 0, silently). */
#ifndef CIFAKE_OPTIONS_H
#define CIFAKE_OPTIONS_H

#include <stdint.h>

/* The whole of v as a number, or NaN, which every range check refuses. */
float opt_float(const char *v);

/* The whole of v as an int, or INT_MIN (out of every range the programs accept) when it is not one. */
int opt_int(const char *v);

/* The whole of v as an unsigned 64-bit number into *out: 0, or -1 when it is not one. */
int opt_u64(const char *v, uint64_t *out);

#endif
