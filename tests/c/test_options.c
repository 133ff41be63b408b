/* The options table (tools/lib/options.h): strict values, clear errors, help from the table. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gradcam.h"
#include "options.h"
#include "test.h"

static const opt_program train = {"cifake-train", PROG_TRAIN, "usage: cifake-train ...\n", NULL, 0};
static const opt_program detect = {"cifake-detect", PROG_DETECT, "usage: cifake-detect ...\n", "notes\n", 1};
static const opt_program camstats = {"cifake-camstats", PROG_CAMSTATS, "usage: cifake-camstats ...\n", NULL, 0};

/* Parses the NULL-terminated arguments after the program name; err gets the message. */
static int parse(const opt_program *p, opt_args *a, cf_error *err, ...) {
    char *argv[40] = {(char *)p->name};
    int argc = 1;
    va_list ap;
    va_start(ap, err);
    for (char *s; argc < 39 && (s = va_arg(ap, char *));) argv[argc++] = s;
    va_end(ap);
    err->msg[0] = 0;
    return opt_parse(p, argc, argv, a, err);
}

TEST(options_strict_numbers_and_ranges) {
    opt_args a;
    cf_error err;
    CHECK(parse(&train, &a, &err, "--batch", "x", NULL) == -1);
    CHECK_MSG(!strcmp(err.msg, "--batch: expected an integer in 2..65536, got 'x'"), "%s", err.msg);
    static const char *const refused[][2] = {
        {"--batch", "1"},       {"--batch", "3x"},   {"--batch", " 3"},      {"--batch", ""},
        {"--epochs", "0"},      {"--seed", "-3"},    {"--seed", "1e3"},      {"--lr", "0"},
        {"--lr", "abc"},        {"--ema", "1"},      {"--ema", "-0.5"},      {"--cutmix", "nan"},
        {"--wd", "inf"},        {"--pad", "17"},     {"--optim", "adamw"},   {"--jpeg-quality", "90,60"},
        {"--jpeg-quality", "0,50"}, {"--jpeg-quality", "60"}, {"--patch", "48"}, {"--val-permille", "501"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int rc = parse(&train, &a, &err, refused[i][0], refused[i][1], NULL);
        CHECK_MSG(rc == -1, "%s '%s' accepted", refused[i][0], refused[i][1]);
        CHECK_MSG(strstr(err.msg, refused[i][0]) == err.msg && strstr(err.msg, "expected"), "%s", err.msg);
    }
    CHECK(parse(&train, &a, &err, "--batch", "2", "--ema", "0.999", "--lr", "1e-3", "--seed", "18446744073709551615",
                "--jpeg-quality", "70,70", "--optim", "adam", "--patch", "32", NULL) == 0);
    CHECK(opt_int(&a, "--batch") == 2);
    CHECK(opt_float(&a, "--ema") == 0.999f);
    CHECK(opt_float(&a, "--lr") == 1e-3f);
    CHECK(opt_u64(&a, "--seed") == UINT64_MAX);
    CHECK(opt_choice(&a, "--optim") == 1);
    CHECK(opt_int(&a, "--patch") == 32);
    int q[2];
    opt_int_pair(&a, "--jpeg-quality", q);
    CHECK(q[0] == 70 && q[1] == 70);
}

TEST(options_unknown_missing_and_foreign) {
    opt_args a;
    cf_error err;
    CHECK(parse(&train, &a, &err, "--bogus", NULL) == -1);
    CHECK_MSG(!strcmp(err.msg, "unknown option --bogus"), "%s", err.msg);
    CHECK(parse(&train, &a, &err, "--epochs", "3", "--batch", NULL) == -1);
    CHECK_MSG(strstr(err.msg, "--batch needs a value"), "%s", err.msg);
    /* an option of another program is named as such */
    CHECK(parse(&train, &a, &err, "--grid", "g.png", NULL) == -1);
    CHECK_MSG(strstr(err.msg, "not an option of cifake-train") && strstr(err.msg, "cifake-camstats"), "%s", err.msg);
    CHECK(parse(&camstats, &a, &err, "--batch", "8", NULL) == -1);
    CHECK_MSG(strstr(err.msg, "not an option of cifake-camstats") && strstr(err.msg, "cifake-train"), "%s", err.msg);
    /* a program without operands refuses one */
    CHECK(parse(&train, &a, &err, "stray", NULL) == -1);
    CHECK_MSG(strstr(err.msg, "unexpected argument 'stray'"), "%s", err.msg);
    /* the same name means another thing per program: camstats' --subset defaults to 2000, train's to 0 */
    CHECK(parse(&camstats, &a, &err, NULL) == 0 && opt_int(&a, "--subset") == 2000);
    CHECK(parse(&train, &a, &err, NULL) == 0 && opt_int(&a, "--subset") == 0);
    /* --help wins when it comes before any error */
    CHECK(parse(&train, &a, &err, "--epochs", "3", "--help", "--batch", "x", NULL) == 1);
    CHECK(parse(&train, &a, &err, "--batch", "x", "-h", NULL) == -1);
}

TEST(options_repeats_operands_and_defaults) {
    opt_args a;
    cf_error err;
    /* a repeated option keeps every value, up to its count */
    CHECK(parse(&detect, &a, &err, "--weights", "a.bin", "--weights", "b.bin", "--json", "x.jpg", "--json", NULL) == 0);
    CHECK(opt_count(&a, "--weights") == 2);
    CHECK(!strcmp(opt_item(&a, "--weights", 0), "a.bin") && !strcmp(opt_item(&a, "--weights", 1), "b.bin"));
    CHECK(opt_item(&a, "--weights", 2) == NULL);
    CHECK(opt_count(&a, "--json") == 1); /* "--json" after the first operand is an operand */
    CHECK(a.first_operand == 6);
    CHECK(parse(&detect, &a, &err, "--", "--json", NULL) == 0 && a.first_operand == 2 && !opt_count(&a, "--json"));
    CHECK(parse(&detect, &a, &err, "-", NULL) == 0 && a.first_operand == 1);
    CHECK(parse(&detect, &a, &err, "--weights", "1", "--weights", "2", "--weights", "3", "--weights", "4", "--weights",
                "5", NULL) == -1);
    CHECK_MSG(strstr(err.msg, "--weights: given more than 4 times"), "%s", err.msg);
    /* a single-valued option given twice: the last counts */
    CHECK(parse(&detect, &a, &err, "--alpha", "0.2", "--alpha", "0.7", "x.jpg", NULL) == 0);
    CHECK(opt_float(&a, "--alpha") == 0.7f);
    /* not given: the default, or nothing */
    CHECK(parse(&detect, &a, &err, "x.jpg", NULL) == 0);
    CHECK(opt_float(&a, "--alpha") == 0.5f && opt_int(&a, "--cam-size") == 256 && opt_choice(&a, "--cam-class") == 0);
    CHECK(opt_text(&a, "--cam") == NULL && opt_count(&a, "--cam-layer") == 0);
}

static int parses_cam_method(const char *word) {
    cifake_cam_method m;
    return !cf_cam_method_parse(word, &m);
}

static int parses_colormap(const char *word) {
    cifake_colormap m;
    return !cf_colormap_parse(word, &m);
}

/* Whether every choice of entry d is a word parses takes. */
static int choices_parse(const opt_def *d, int (*parses)(const char *word)) {
    if (!d || !d->choices) return 0;
    for (const char *c = d->choices; c;) {
        char word[32];
        const char *bar = strchr(c, '|');
        snprintf(word, sizeof word, "%.*s", (int)(bar ? bar - c : (long)strlen(c)), c);
        if (!parses(word)) return 0;
        c = bar ? bar + 1 : NULL;
    }
    return 1;
}

/* Every entry is well formed: its default passes its own checks, a program never has two entries of
 * one name, and the choices the programs hand to the core's parsers are the ones those take. */
TEST(options_table_consistent) {
    int n;
    const opt_def *t = opt_table(&n);
    CHECK(n > 0 && n <= OPT_MAX_ENTRIES);
    for (int i = 0; i < n; i++) {
        cf_error err;
        CHECK_MSG(t[i].name && !strncmp(t[i].name, "--", 2) && t[i].programs && t[i].help && *t[i].help, "entry %d", i);
        CHECK_MSG((t[i].kind == OPT_FLAG) == !t[i].value, "%s: a value placeholder iff it takes a value", t[i].name);
        CHECK_MSG(t[i].max_count <= OPT_MAX_VALUES, "%s", t[i].name);
        CHECK_MSG(!t[i].def || !opt_check_value(&t[i], t[i].def, &err), "%s default: %s", t[i].name, err.msg);
        CHECK_MSG((t[i].kind == OPT_CHOICE) == !!t[i].choices, "%s", t[i].name);
        for (int j = i + 1; j < n; j++)
            CHECK_MSG(strcmp(t[i].name, t[j].name) || !(t[i].programs & t[j].programs), "%s twice", t[i].name);
    }
    CHECK(choices_parse(opt_find("--cam-method", PROG_DETECT), parses_cam_method));
    CHECK(choices_parse(opt_find("--cam-method", PROG_CAMSTATS), parses_cam_method));
    CHECK(choices_parse(opt_find("--colormap", PROG_DETECT), parses_colormap));
}

/* --help is written from the table: every option of the program with its placeholder, range and
 * default, none of another program's, then the notes. */
TEST(options_help_from_table) {
    static const opt_program *const programs[] = {&train, &detect, &camstats};
    int n;
    const opt_def *t = opt_table(&n);
    for (int k = 0; k < 3; k++) {
        cf_buffer out = {0};
        opt_help(programs[k], &out);
        cf_buffer_append(&out, "", 1);
        CHECK(!out.failed);
        const char *help = (const char *)out.data;
        CHECK(!strncmp(help, programs[k]->usage, strlen(programs[k]->usage)));
        for (int i = 0; help && i < n; i++) {
            char line[128];
            snprintf(line, sizeof line, "\n  %s%s%s ", t[i].name, t[i].value ? " " : "", t[i].value ? t[i].value : "");
            int mine = (t[i].programs & programs[k]->id) != 0, shown = strstr(help, line) != NULL;
            if (mine) CHECK_MSG(shown, "%s: %s missing from --help", programs[k]->name, line + 1);
            else if (!opt_find(t[i].name, programs[k]->id)) CHECK_MSG(!shown, "%s: %s shown", programs[k]->name, line + 1);
        }
        if (programs[k]->notes) CHECK(strstr(help, programs[k]->notes) != NULL);
        free(out.data);
    }
    /* usage lines and notes of any length come whole */
    static char long_usage[3000];
    memset(long_usage, 'u', sizeof long_usage - 2);
    long_usage[sizeof long_usage - 2] = '\n';
    const opt_program wordy = {"cifake-export", PROG_EXPORT, long_usage, long_usage, 0};
    cf_buffer out = {0};
    opt_help(&wordy, &out);
    CHECK(out.len > 2 * strlen(long_usage) && !memcmp(out.data, long_usage, strlen(long_usage)) &&
          !memcmp(out.data + out.len - strlen(long_usage), long_usage, strlen(long_usage)));
    free(out.data);
    out = (cf_buffer){0};
    opt_help(&train, &out);
    cf_buffer_append(&out, "", 1);
    const char *batch = out.data ? strstr((const char *)out.data, "\n  --batch N ") : NULL;
    const char *end = batch ? strstr(batch + 1, "\n  --") : NULL;
    CHECK(batch && end);
    if (batch && end) {
        char para[512];
        snprintf(para, sizeof para, "%.*s", (int)(end - batch), batch);
        CHECK_MSG(strstr(para, "an integer in 2..65536") && strstr(para, "default 128"), "%s", para);
    }
    free(out.data);
}

TEST(parse_numbers_strictly) {
    long long i;
    uint64_t u;
    double d;
    CHECK(!cf_parse_int("-12", -20, 20, &i) && i == -12);
    CHECK(cf_parse_int(" 12", 0, 20, &i) && cf_parse_int("+12", 0, 20, &i) && cf_parse_int("12x", 0, 20, &i));
    CHECK(cf_parse_int("21", 0, 20, &i) && cf_parse_int("", 0, 20, &i) && cf_parse_int(NULL, 0, 20, &i));
    CHECK(cf_parse_int("99999999999999999999", 0, 20, &i));
    CHECK(!cf_parse_u64("18446744073709551615", &u) && u == UINT64_MAX);
    CHECK(cf_parse_u64("18446744073709551616", &u) && cf_parse_u64("-1", &u) && cf_parse_u64("1e3", &u));
    CHECK(!cf_parse_double("5e-4", &d) && d == 5e-4 && !cf_parse_double("-.5", &d) && d == -0.5);
    CHECK(cf_parse_double("nan", &d) && cf_parse_double("1e999", &d) && cf_parse_double("0.5,", &d));
    CHECK(cf_parse_double(" 1", &d) && cf_parse_double("", &d));
}
