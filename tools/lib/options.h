/* options.h - the command-line options of the five programs, in one table (options.c): each entry has
 * its name, the programs that take it, the type and range of its value, its default and its help. One
 * parser reads argv against the table for a program, checks every value strictly (the whole value must
 * be a number of the option's type and inside its range: atoi("3x") would be 3 and atoi("x") 0,
 * silently) and prints the program's --help from the same entries, so the help cannot drift from what
 * is parsed. A name may have one entry per meaning: --seed seeds training in cifake-train and the
 * noise in cifake-eval, each entry listing its own programs (llama.cpp's common/arg.cpp works so).
 *
 *   opt_args a;
 *   int status = opt_parse_main(&program, argc, argv, &a);   // 0 parsed, 1 --help printed, 2 usage error
 *   if (status) return status == 1 ? 0 : 2;
 *   int batch = (int)opt_int(&a, "--batch");                  // the value given, else the default
 *
 * Cross-option rules (--real with --fake, an even batch for patch models) stay in the programs. */
#ifndef CIFAKE_OPTIONS_H
#define CIFAKE_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "common.h"

/* The programs, as bits of an entry's `programs`. */
enum {
    PROG_TRAIN = 1 << 0,
    PROG_EVAL = 1 << 1,
    PROG_DETECT = 1 << 2,
    PROG_EXPORT = 1 << 3,
    PROG_CAMSTATS = 1 << 4,
};

typedef enum {
    OPT_FLAG,        /* no value: given or not */
    OPT_INT,         /* a whole number in [min, max] */
    OPT_U64,         /* an unsigned 64-bit whole number (seeds) */
    OPT_NUMBER,      /* a finite number in the range of min, max and bounds */
    OPT_TEXT,        /* any text (a path, a list), or what `check` accepts */
    OPT_CHOICE,      /* one of the words in choices, "a|b|c" */
    OPT_INT_PAIR,    /* MIN,MAX: two whole numbers in [min, max], MIN <= MAX */
    OPT_NUMBER_PAIR, /* LO,HI: two numbers in [min, max], LO <= HI */
} opt_kind;

/* bounds of an OPT_NUMBER: the range excludes min or max, or has no upper end. */
enum { OPT_MIN_OPEN = 1, OPT_MAX_OPEN = 2, OPT_NO_MAX = 4 };

/* A numeric macro as a string literal, for help texts: OPT_STR(ECE_BINS) is "15". */
#define OPT_STR_(x) #x
#define OPT_STR(x) OPT_STR_(x)

/* How many values a program may take per option and how many entries the table may hold. */
#define OPT_MAX_VALUES 16
#define OPT_MAX_ENTRIES 96

typedef struct {
    const char *name;     /* "--batch" */
    unsigned programs;    /* PROG_* bits */
    opt_kind kind;
    const char *value;    /* the value's placeholder in --help ("N", "FILE"); NULL for a flag */
    double min, max;      /* OPT_INT, OPT_NUMBER and the pairs */
    unsigned bounds;      /* OPT_NUMBER: OPT_MIN_OPEN, OPT_MAX_OPEN; OPT_INT, OPT_NUMBER: OPT_NO_MAX */
    const char *choices;  /* OPT_CHOICE */
    const char *def;      /* the value when not given, as text; NULL: none (the help says what then) */
    const char *env;      /* OPT_TEXT: the environment variable read when not given, before def */
    int max_count;        /* 0: one value (given again, the last counts); N: up to N values, all kept */
    /* A rule beyond the kind and range: NULL when value follows it, else what is expected. */
    const char *(*check)(const char *value);
    const char *help;     /* lines separated by '\n' */
} opt_def;

/* A program: its name, bit, the usage lines its --help starts with and the notes it ends with. */
typedef struct {
    const char *name; /* "cifake-train" */
    unsigned id;      /* PROG_* */
    const char *usage;
    const char *notes;    /* NULL: none */
    int takes_operands;   /* arguments after the options (cifake-detect's IMAGE...) */
} opt_program;

/* What opt_parse read: per entry of the table, the values given (pointers into argv). */
typedef struct {
    const opt_program *program;
    int count[OPT_MAX_ENTRIES];
    const char *given[OPT_MAX_ENTRIES][OPT_MAX_VALUES];
    int first_operand; /* argv index of the first operand; argc when there is none */
} opt_args;

/* The table, and the entry of a name for a program (NULL when the program does not take it). */
const opt_def *opt_table(int *n);
const opt_def *opt_find(const char *name, unsigned program);

/* Reads argv against the table for program p. Returns 0, 1 when --help or -h comes before any error and
 * any operand, or -1 with err saying what is wrong ("--batch: expected an integer in 2..65536,
 * got 'x'"; an unknown option; an option of another program; a missing value). */
int opt_parse(const opt_program *p, int argc, char **argv, opt_args *a, cf_error *err);

/* opt_parse for a main(): prints the help to stdout (returns 1) or "NAME: error" to stderr (returns 2). */
int opt_parse_main(const opt_program *p, int argc, char **argv, opt_args *a);

/* Writes program p's --help: its usage lines, one paragraph per option of the table it takes (with the
 * value's type, range and default), its notes. */
void opt_help(const opt_program *p, cf_buffer *out);
void opt_print_help(const opt_program *p, FILE *f);

/* What a value must be, in words ("an integer in 2..65536", "one of sgd|adam"); "" for a flag or text. */
const char *opt_expected(const opt_def *d, char *buf, size_t n);

/* Checks one value against an entry: 0, or -1 with err naming the option, the expectation and value. */
int opt_check_value(const opt_def *d, const char *value, cf_error *err);

/* The values of a parsed option (name must be one the program takes: anything else is a bug in the
 * program and aborts). Each returns the last value given, else the environment variable, else the
 * default; opt_text returns NULL when there is none, the numeric getters 0. */
int opt_count(const opt_args *a, const char *name);          /* times given */
const char *opt_text(const opt_args *a, const char *name);
const char *opt_item(const opt_args *a, const char *name, int k); /* the k-th value given */
long long opt_int(const opt_args *a, const char *name);
uint64_t opt_u64(const opt_args *a, const char *name);
double opt_number(const opt_args *a, const char *name);
float opt_float(const opt_args *a, const char *name);       /* strtof of the value: as a float reads it */
int opt_choice(const opt_args *a, const char *name);        /* index among the choices; -1 when none */
void opt_int_pair(const opt_args *a, const char *name, int out[2]);
void opt_float_pair(const opt_args *a, const char *name, float out[2]);

#endif
