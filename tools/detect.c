/* cifake-detect - classifies image files as REAL, FAKE or UNSURE with one or more weight files, and
 * reads what each file declares about its own origin (provenance.h).
 *
 * Prints PATH<TAB>REAL|FAKE|UNSURE<TAB>p_fake per image (or a JSON array with --json, which adds the
 * reason, the model that looked, its measured reliability on that kind of image and the file's
 * provenance). p_fake is the pixel model's alone; metadata never changes it, only the label and the
 * reason (provenance.h's rules). A file that cannot be read gets an error naming it on stderr (and an
 * "error" entry in JSON); so does one that cannot be decoded, unless its metadata gives a verdict. The
 * others are still processed. With --cam DIR it also writes, per image the model judged,
 * DIR/<name>.cam.png: the heatmap of the evidence blended over the part of the image the model saw.
 * --provenance lists what the files declare instead. Exit status: 0 all classified, 1 some file
 * failed, 2 usage error. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c2pa_verify.h"
#include "detector_internals.h"
#include "fileio.h"
#include "image.h"
#include "json.h"
#include "options.h"
#include "png.h"
#include "provenance.h"

static const opt_program program = {
    "cifake-detect", PROG_DETECT,
    "usage: cifake-detect [--weights FILE]... [--json] [--trust PEM] [--cam DIR] IMAGE...\n"
    "       cifake-detect --provenance [--json] [--trust PEM] IMAGE...\n"
    "  Classifies each IMAGE (JPEG, PNG, BMP, GIF, WebP) as REAL, FAKE or UNSURE; prints\n"
    "  PATH<TAB>LABEL<TAB>p_fake. UNSURE is a verdict, not an error: the image is too small or out of\n"
    "  every model's measured scope (no probability then: p_fake is - in lines, null in JSON, and no\n"
    "  heatmap is written), or its evidence is weak (p_fake in the model's uncertain band).\n",
    "  Inputs over 64 MiB, 16384 pixels a side or 40 megapixels are refused before decoding, as are\n"
    "  truncated files and CMYK JPEGs; each failure is reported on stderr as \"cifake-detect: FILE: why\".\n"
    "  Exit status: 0 all images classified (UNSURE included), 1 some file failed (the others are still\n"
    "  classified), 2 usage error.\n"
    "  A verdict is a probability from a small model trained on CIFAKE (Stable Diffusion 1.4 fakes\n"
    "  versus CIFAR-10 photos, 32x32 pixels), which judges only 32x32 images: evidence, not proof.\n"
    "  The file's own metadata is read first: Content Credentials (checked: hash of the pixels, signature,\n"
    "  signer against the trust list) or an unsigned declaration saying the image was made or edited with\n"
    "  generative AI make it FAKE, with the reason; the probability stays the pixel model's. Credentials\n"
    "  that fail their checks give no verdict. Camera EXIF is shown but never makes an image REAL, and\n"
    "  missing metadata says nothing: most sites strip it.\n",
    1};

typedef struct {
    const char *dir;
    int target;     /* -1 predicted class, 0 REAL, 1 FAKE */
    int conv_layer; /* -1 last convolution, else a 0-based layer index of the (folded) spec */
    cifake_cam_method method;
    cifake_colormap colormap;
    float alpha;
    int side;
} cam_options;

/* DIR/<base name of path>.cam.png */
static void cam_path(const cam_options *cam, const char *path, char *out, size_t n) {
    const char *base = strrchr(path, '/');
    snprintf(out, n, "%s/%s.cam.png", cam->dir, base ? base + 1 : path);
}

/* The heatmap of the evidence: Grad-CAM over the square a thumbnail model saw, or the patch scores
 * over the whole image a patch model saw. */
static int write_cam(cifake_detector *d, const cam_options *cam, const cifake_result *r, const char *path,
                     char *written, size_t n, cf_error *err) {
    uint8_t *rgba = malloc((size_t)cam->side * cam->side * 4);
    float *map = malloc(sizeof(float) * cifake_cam_side(d) * cifake_cam_side(d));
    int rc = rgba && map ? 0 : cf_fail(err, "out of memory");
    cam_path(cam, path, written, n);
    if (!rc && r->view == CIFAKE_VIEW_PATCHES) {
        int w, h;
        rc = cifake_render_patches(d, cam->side, cam->colormap, cam->alpha, rgba, &w, &h, err) ||
             png_write_rgba(written, rgba, w, h, err);
    } else if (!rc) {
        rc = cifake_explain(d, cam->method, cam->target, cam->conv_layer, map, err) ||
             cifake_render(d, map, cam->side, cam->colormap, cam->alpha, rgba, err) ||
             png_write_rgba(written, rgba, cam->side, cam->side, err);
    }
    free(rgba);
    free(map);
    return rc ? -1 : 0;
}

/* What the file declares about its origin, C2PA checked where a trust list was loaded. Fails only when
 * memory runs out: unreadable metadata is noted in p->unreadable. */
static int read_provenance(const uint8_t *bytes, size_t n, const c2pa_trust *trust, cf_provenance *p, cf_error *err) {
    if (cf_provenance_read(bytes, n, p, err)) return -1;
    if (p->c2pa_store) return c2pa_verify(p, bytes, n, trust, err);
    return 0;
}

/* Whether the pixel model gave a verdict of its own (REAL, FAKE or weak evidence): an image out of
 * every model's scope or too small has none, so it gets no probability in the output and no heatmap. */
static int pixel_verdict(const cifake_result *r) {
    return r->scope == CIFAKE_JUDGED || r->scope == CIFAKE_WEAK_EVIDENCE;
}

/* One file: its provenance and the pixel verdict, decided together (provenance.h's rules). A file
 * whose pixels cannot be decoded still gets a result when its metadata declares a verdict (e.g. a
 * Stable Diffusion PNG holding only its parameters); pixel_error then says why there is no pixel
 * verdict. Returns -1 (message in err) when there is nothing to report but the error. */
static int classify_file(cifake_detector *d, const cam_options *cam, const c2pa_trust *trust, const char *path,
                         cifake_result *r, cf_provenance *prov, char *pixel_error, size_t pixel_error_n,
                         char *cam_file, size_t cam_file_n, int *cam_skipped, cf_error *err) {
    uint8_t *bytes;
    size_t n;
    *pixel_error = 0;
    if (read_file(path, CF_IMAGE_MAX_BYTES, &bytes, &n, err)) return cf_error_prefix(err, "%s", path), -1;
    int rc = read_provenance(bytes, n, trust, prov, err);
    if (!rc && cifake_classify(d, bytes, n, r, err)) {
        snprintf(pixel_error, pixel_error_n, "%s", err->msg);
        *r = (cifake_result){.label = CIFAKE_UNSURE, .scope = CIFAKE_OUT_OF_SCOPE, .model = -1, .reliability = ""};
        cf_provenance_decide(prov, r);
        if (r->label == CIFAKE_UNSURE) rc = -1; /* nothing but the error to say */
    } else if (!rc) {
        int judged = pixel_verdict(r);
        cf_provenance_decide(prov, r);
        if (cam->dir && judged) rc = write_cam(d, cam, r, path, cam_file, cam_file_n, err);
        else if (cam->dir) *cam_skipped = 1;
    }
    free(bytes);
    if (rc) cf_error_prefix(err, "%s", path);
    return rc;
}

/* The --cam options, read by the table (options.h). */
static cam_options cam_options_of(const opt_args *a) {
    cam_options cam = {opt_text(a, "--cam"), opt_choice(a, "--cam-class") - 1, -1, CIFAKE_CAM_GRADCAM, CIFAKE_COLORMAP_TURBO,
                       opt_float(a, "--alpha"), (int)opt_int(a, "--cam-size")};
    if (opt_count(a, "--cam-layer")) cam.conv_layer = (int)opt_int(a, "--cam-layer") - 1;
    /* the table holds the names these parsers take */
    (void)cf_cam_method_parse(opt_text(a, "--cam-method"), &cam.method);
    (void)cf_colormap_parse(opt_text(a, "--colormap"), &cam.colormap);
    return cam;
}

static void print_json_provenance(const cf_provenance *prov) {
    cf_buffer json = {0};
    cf_provenance_json(prov, &json);
    printf(", \"provenance\": %.*s", json.failed ? 4 : (int)json.len, json.failed ? "null" : (const char *)json.data);
    free(json.data);
}

static void print_json_result(const cifake_result *r, const cf_provenance *prov, const char *pixel_error,
                              const char **weights, const char *cam_file) {
    printf(", \"label\": \"%s\", \"p_fake\": ", cifake_label_name(r->label));
    if (pixel_verdict(r)) printf("%.4f", r->p_fake);
    else printf("null");
    printf(", \"scope\": \"%s\"", cifake_scope_name(r->scope));
    if (*r->reason) {
        printf(", \"reason\": ");
        json_write_string(stdout, r->reason);
    }
    if (*r->detail) {
        printf(", \"detail\": ");
        json_write_string(stdout, r->detail);
    }
    if (*pixel_error) {
        printf(", \"pixel_error\": ");
        json_write_string(stdout, pixel_error);
    }
    printf(", \"model\": ");
    if (r->model >= 0) json_write_string(stdout, weights[r->model]);
    else printf("null");
    printf(", \"reliability\": ");
    json_write_string(stdout, r->reliability);
    printf(", \"width\": %d, \"height\": %d", r->width, r->height);
    if (cam_file && *cam_file) {
        printf(", \"cam\": ");
        json_write_string(stdout, cam_file);
    }
    print_json_provenance(prov);
}

/* One field of the listing, on one line: a long value (a ComfyUI workflow is kilobytes of JSON) is cut
 * to its start with its size said; --json gives it whole. */
static void print_field(const char *name, const char *value) {
    enum { SHOWN = 160 };
    size_t len = strlen(value);
    printf("  %-28s ", name);
    for (size_t i = 0; i < len && i < SHOWN; i++) putchar(value[i] == '\n' || value[i] == '\r' ? ' ' : value[i]);
    if (len > SHOWN) printf("... (%zu bytes)", len);
    putchar('\n');
}

/* --provenance: an exiftool-like view of what the file declares, with the checks. */
static void print_provenance_text(const char *path, const cf_provenance *p) {
    printf("%s\n  declares: %s\n", path, cf_declares_name(p->declares));
    for (int k = 0; k < p->n_signals; k++) {
        const cf_prov_signal *s = &p->signals[k];
        printf("  %-8s %s", cf_signal_kind_name(s->kind), s->says);
        if (s->verified != CF_VERIFIED_NA) printf(" [check: %s", cf_verified_name(s->verified));
        if (s->verified != CF_VERIFIED_NA && *s->signer) printf(", signer: %s", s->signer);
        if (s->verified != CF_VERIFIED_NA && *s->problem) printf(", %s", s->problem);
        printf("%s\n", s->verified != CF_VERIFIED_NA ? "]" : "");
    }
    for (int k = 0; k < p->n_fields; k++) print_field(p->fields[k].name, p->fields[k].value);
    if (*p->unreadable) printf("  %s\n", p->unreadable);
    if (!p->n_signals && !p->n_fields) printf("  no provenance found (most sites strip it; this says nothing about the image)\n");
}

static void print_provenance_json(const cf_provenance *p) {
    print_json_provenance(p);
    printf(", \"fields\": [");
    for (int k = 0; k < p->n_fields; k++) {
        printf("%s{\"name\": ", k ? ", " : "");
        json_write_string(stdout, p->fields[k].name);
        printf(", \"value\": ");
        json_write_string(stdout, p->fields[k].value);
        printf("}");
    }
    printf("]");
}

/* --provenance: reads and checks every file's metadata; no pixel verdict. */
static int list_provenance(char **paths, int n, const c2pa_trust *trust, int json) {
    int failed = 0;
    if (json) printf("[");
    for (int i = 0; i < n; i++) {
        cf_provenance prov;
        memset(&prov, 0, sizeof prov);
        cf_error err;
        uint8_t *bytes = NULL;
        size_t size;
        int ok = !read_file(paths[i], CF_IMAGE_MAX_BYTES, &bytes, &size, &err) &&
                 !read_provenance(bytes, size, trust, &prov, &err);
        free(bytes);
        if (!ok) {
            failed++;
            fprintf(stderr, "cifake-detect: %s: %s\n", paths[i], err.msg);
        }
        if (json) {
            printf("%s\n  {\"path\": ", i ? "," : "");
            json_write_string(stdout, paths[i]);
            if (ok) print_provenance_json(&prov);
            else printf(", \"error\": "), json_write_string(stdout, err.msg);
            printf("}");
        } else if (ok) print_provenance_text(paths[i], &prov);
        cf_provenance_free(&prov);
    }
    if (json) printf("\n]\n");
    return failed ? 1 : 0;
}

/* The trust lists: --trust (claim signers), else $CIFAKE_TRUST, else the bundled one beside the build;
 * the time-stamping authorities' list bundled beside it. A missing list is not an error: C2PA
 * signatures are then still checked, but no signer can be called trusted. */
static c2pa_trust *load_trust(const char *path) {
    c2pa_trust *trust = NULL;
    cf_error err;
    if (c2pa_verify_available() && c2pa_trust_load_default(path, &trust, &err))
        fprintf(stderr, "cifake-detect: %s (signers cannot be called trusted)\n", err.msg);
    return trust;
}

/* One result: a JSON object, or a line PATH<TAB>LABEL<TAB>p_fake. */
static void print_result(int json, int first, const char *path, int ok, const cifake_result *r,
                         const cf_provenance *prov, const char *pixel_error, const char **weights,
                         const char *cam_file, const cf_error *err) {
    if (json) {
        printf("%s\n  {\"path\": ", first ? "" : ",");
        json_write_string(stdout, path);
        if (ok) print_json_result(r, prov, pixel_error, weights, cam_file);
        else {
            printf(", \"error\": ");
            json_write_string(stdout, err->msg);
        }
        printf("}");
    } else if (ok) {
        printf("%s\t%s\t", path, cifake_label_name(r->label));
        if (pixel_verdict(r)) printf("%.4f\n", r->p_fake);
        else printf("-\n");
    }
}

int main(int argc, char **argv) {
    opt_args args;
    int status = opt_parse_main(&program, argc, argv, &args);
    if (status) return status == 1 ? 0 : 2;
    const char *weights[CIFAKE_MAX_MODELS] = {NULL};
    const char *trust_path = opt_text(&args, "--trust");
    int n_weights = opt_count(&args, "--weights"), first = args.first_operand;
    int json = opt_count(&args, "--json") > 0, provenance_only = opt_count(&args, "--provenance") > 0;
    for (int k = 0; k < n_weights; k++) weights[k] = opt_item(&args, "--weights", k);
    char buf[PATH_MAX + 64];
    cam_options cam = cam_options_of(&args);
    if (first >= argc) {
        fprintf(stderr, "cifake-detect: no images given (cifake-detect --help lists the options)\n");
        return 2;
    }
    c2pa_trust *trust = load_trust(trust_path);
    if (provenance_only) {
        int rc = list_provenance(argv + first, argc - first, trust, json);
        c2pa_trust_free(trust);
        return rc;
    }
    if (!n_weights) weights[n_weights++] = default_weights_path(buf, sizeof buf);
    cf_error err;
    cifake_detector *d = NULL;
    if ((cam.dir && make_dirs(cam.dir, &err)) || open_detector_files(weights, n_weights, &d, &err)) {
        fprintf(stderr, "cifake-detect: %s\n", err.msg);
        c2pa_trust_free(trust);
        return 1;
    }
    int failed = 0, cam_skipped = 0;
    if (json) printf("[");
    for (int i = first; i < argc; i++) {
        cifake_result r;
        cf_provenance prov;
        memset(&prov, 0, sizeof prov);
        char cam_file[PATH_MAX + 64] = "", pixel_error[sizeof err.msg];
        int ok = classify_file(d, &cam, trust, argv[i], &r, &prov, pixel_error, sizeof pixel_error, cam_file,
                               sizeof cam_file, &cam_skipped, &err) == 0;
        if (!ok) {
            failed++;
            fprintf(stderr, "cifake-detect: %s\n", err.msg);
        } else if (*pixel_error)
            fprintf(stderr, "cifake-detect: %s: %s (the verdict comes from its metadata)\n", argv[i], pixel_error);
        print_result(json, i == first, argv[i], ok, &r, &prov, pixel_error, weights, cam.dir ? cam_file : NULL, &err);
        cf_provenance_free(&prov);
    }
    if (json) printf("\n]\n");
    if (cam_skipped)
        fprintf(stderr, "cifake-detect: no heatmap for images the model gave no verdict on (too small or out of its scope)\n");
    cifake_close(d);
    c2pa_trust_free(trust);
    return failed ? 1 : 0;
}
