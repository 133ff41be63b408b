/* cifake-export - writes a weight file's model in another format for other inference engines, or a
 * copy of the weight file with metadata set (the scope and reliability measured after training).
 *
 *   cifake-export --onnx OUT.onnx [--weights FILE]
 *   cifake-export --set KEY=VALUE [--set ...] --out OUT.bin [--weights FILE]
 *   cifake-export --keys
 * The ONNX graph (opset 13) takes the normalised input [N, 3, 32, 32] and outputs p_fake and the raw
 * FAKE logit; tools/lib/onnx.h says exactly what they are. Exit status 0 written, 1 failure, 2 usage. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "fileio.h"
#include "onnx.h"
#include "options.h"
#include "weights.h"

#ifndef CIFAKE_VERSION
#define CIFAKE_VERSION "unknown"
#endif

static const opt_program program = {
    "cifake-export", PROG_EXPORT,
    "usage: cifake-export --onnx OUT.onnx [--weights FILE]\n"
    "  Writes the weight file's model as an ONNX graph (opset " OPT_STR(ONNX_OPSET) ") for other inference engines.\n"
    "  input   'input'  float32 [N,3,32,32]: RGB, (pixel/255 - mean)/std per channel, mean and std\n"
    "                   from the weight file (copied into the ONNX metadata), as cf_normalise does\n"
    "  outputs 'p_fake' float32 [N,1]: sigmoid(logit / temperature), the calibrated probability of FAKE\n"
    "          'logit'  float32 [N,1]: the raw FAKE score\n"
    "  Batch norm is folded into the convolution before it, as the detector does. The graph scores one\n"
    "  view: for a file with tta=flip the detector averages the logits of the image and its mirror image.\n"
    "usage: cifake-export --set KEY=VALUE [--set KEY=VALUE...] --out OUT.bin [--weights FILE]\n"
    "  Writes a copy of the weight file with metadata keys set (the parameters are copied unchanged),\n"
    "  e.g. the keys the detector reads for a model's scope: view, scope_max_side, unsure_band (LO,HI),\n"
    "  reliability, reliability_out_of_scope, name; and tta (flip: score the mean logit of the image and\n"
    "  its mirror image; none). The copy is checked by opening it as the detector does, and the value of\n"
    "  every key the project knows by its type (cifake-export --keys).\n"
    "usage: cifake-export --keys\n"
    "  Lists the metadata keys the project writes or reads: name, type of value, meaning.\n",
    NULL, 0};

/* Reads and parses a weight file (the model as trained, batch norm not folded). */
static int read_weights(const char *weights, cf_model *m, cf_meta *meta, cf_error *err) {
    uint8_t *bytes;
    size_t n;
    if (read_file(weights, CF_WEIGHTS_MAX_FILE_BYTES, &bytes, &n, err)) return -1;
    int rc = cf_weights_read(bytes, n, m, meta, NULL, err);
    free(bytes);
    if (rc) cf_error_prefix(err, "%s", weights);
    return rc;
}

/* Reads the weight file and writes the ONNX file atomically; prints a one-line summary. */
static int export_onnx(const char *weights, const char *out, cf_error *err) {
    uint8_t *onnx = NULL;
    size_t onnx_n = 0;
    cf_model m;
    cf_meta meta = {0};
    if (read_weights(weights, &m, &meta, err)) return -1;
    int rc = onnx_export(&m, &meta, CIFAKE_VERSION, &onnx, &onnx_n, err);
    if (rc) cf_error_prefix(err, "%s", weights);
    if (!rc) rc = write_file_atomic(out, onnx, onnx_n, err);
    if (!rc) printf("%s: %zu bytes, ONNX opset %d, model %s\n", out, onnx_n, ONNX_OPSET, m.spec);
    free(onnx);
    cf_meta_free(&meta);
    cf_model_free(&m);
    return rc;
}

/* Checks the value of a KEY=VALUE the detector accepted against its key's type in the table
 * (meta_keys.h), e.g. a seed that is not a number; keys the table does not name may hold anything. */
static int check_set_type(const char *pair, cf_error *err) {
    const char *eq = strchr(pair, '=');
    char key[CF_META_KEY_MAX];
    snprintf(key, sizeof key, "%.*s", (int)(eq - pair), pair); /* cf_meta_set_pair checked the form */
    const cf_meta_key *k = cf_meta_key_find(key);
    if (k && cf_meta_key_check(k, eq + 1, err)) return cf_error_prefix(err, "--set"), -1;
    return 0;
}

/* Prints the table of metadata keys: name, type, meaning. */
static void print_keys(void) {
    int n;
    const cf_meta_key *keys = cf_meta_keys(&n);
    for (int i = 0; i < n; i++) {
        char buf[32];
        printf("%-26s %-18s %s\n", keys[i].name, cf_meta_key_type_name(&keys[i], buf, sizeof buf), keys[i].doc);
    }
}

/* Reads the weight file, sets each KEY=VALUE in its metadata, checks that the detector opens the
 * result, and writes it atomically. */
static int set_meta(const char *weights, const char **sets, int n_sets, const char *out, cf_error *err) {
    uint8_t *written = NULL;
    size_t written_n = 0;
    cf_model m;
    cf_meta meta = {0};
    if (read_weights(weights, &m, &meta, err)) return -1;
    int rc = 0;
    for (int i = 0; !rc && i < n_sets; i++)
        if (cf_meta_set_pair(&meta, sets[i], err)) {
            cf_error_prefix(err, "--set");
            rc = -1;
        }
    if (!rc) rc = cf_weights_write(&m, &meta, NULL, &written, &written_n, err);
    cifake_detector *d = NULL;
    if (!rc && cifake_open(written, written_n, &d, err)) {
        cf_error_prefix(err, "the result would not open");
        rc = -1;
    }
    cifake_close(d);
    for (int i = 0; !rc && i < n_sets; i++) rc = check_set_type(sets[i], err);
    if (!rc) rc = write_file_atomic(out, written, written_n, err);
    if (!rc) printf("%s: %zu bytes, %d metadata keys\n", out, written_n, meta.n);
    free(written);
    cf_meta_free(&meta);
    cf_model_free(&m);
    return rc;
}

int main(int argc, char **argv) {
    opt_args args;
    int status = opt_parse_main(&program, argc, argv, &args);
    if (status) return status == 1 ? 0 : 2;
    if (opt_count(&args, "--keys") && argc == 2) return print_keys(), 0;
    const char *weights = opt_text(&args, "--weights"), *onnx = opt_text(&args, "--onnx"), *out = opt_text(&args, "--out");
    const char *sets[OPT_MAX_VALUES];
    int n_sets = opt_count(&args, "--set");
    for (int k = 0; k < n_sets; k++) sets[k] = opt_item(&args, "--set", k);
    if (!onnx == !(n_sets && out)) {
        fprintf(stderr, "cifake-export: say what to write: --onnx OUT.onnx, --set KEY=VALUE with --out OUT.bin, or --keys "
                        "alone\n");
        return 2;
    }
    char buf[PATH_MAX + 64];
    if (!weights) weights = default_weights_path(buf, sizeof buf);
    cf_error err;
    if (onnx ? export_onnx(weights, onnx, &err) : set_meta(weights, sets, n_sets, out, &err)) {
        fprintf(stderr, "cifake-export: %s\n", err.msg);
        return 1;
    }
    return 0;
}
