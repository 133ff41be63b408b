/* cifake-detect - classifies image files as REAL, FAKE or UNSURE with one or more weight files.
 *
 * Prints PATH<TAB>REAL|FAKE|UNSURE<TAB>p_fake per image (or a JSON array with --json, which adds the
 * reason for UNSURE, the model that looked and its measured reliability on that kind of image). A file that cannot be
 * read or decoded gets an error naming it on stderr (and an "error" entry in JSON); the others are
 * still processed. With --cam DIR it also writes, per image, DIR/<name>.cam.png: the Grad-CAM heatmap
 * of the predicted class blended over the part of the image the model saw. Exit status: 0 all
 * classified, 1 some file failed, 2 usage error. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detector.h"
#include "fileio.h"
#include "image.h"
#include "json.h"
#include "png.h"

static void usage(FILE *f) {
    fprintf(f, "usage: cifake-detect [--weights FILE]... [--json] IMAGE...\n"
               "  Classifies each IMAGE (JPEG, PNG, BMP, GIF, WebP) as REAL, FAKE or UNSURE; prints\n"
               "  PATH<TAB>LABEL<TAB>p_fake. UNSURE is a verdict, not an error: the image is too small, out of\n"
               "  every model's measured scope (p_fake is then the first model's guess, for information only), or\n"
               "  its evidence is weak (p_fake in the model's uncertain band).\n"
               "  --weights FILE  weight file (default: $CIFAKE_WEIGHTS, else weights/cifake.bin beside the build);\n"
               "                  given several times, the models are tried in that order and the first whose\n"
               "                  scope holds the image judges it\n"
               "  --json          one JSON array instead of lines: path, label, p_fake, scope, reason (UNSURE),\n"
               "                  model (its weight file), reliability, width, height\n"
               "  --cam DIR       also write DIR/<image name>.cam.png, the heatmap of the evidence for the verdict:\n"
               "                  Grad-CAM over the square a thumbnail model saw, or a patch model's scores\n"
               "                  over the whole image (longer side --cam-size)\n"
               "  --cam-method M  gradcam (default) or gradcampp\n"
               "  --cam-class C   the class whose evidence to show: predicted (default), REAL or FAKE\n"
               "  --cam-layer N   explain the N-th layer of the weight file's spec (1-based; a convolution);\n"
               "                  default: the last convolution\n"
               "  --colormap C    turbo (default), jet or viridis\n"
               "  --alpha A       heatmap opacity in [0, 1] (default 0.5)\n"
               "  --cam-size N    side of the PNG in pixels (default 256)\n"
               "  Inputs over 64 MiB, 16384 pixels a side or 40 megapixels are refused before decoding, as are\n"
               "  truncated files and CMYK JPEGs; each failure is reported on stderr as \"cifake-detect: FILE: why\".\n"
               "  Exit status: 0 all images classified (UNSURE included), 1 some file failed (the others are still\n"
               "  classified), 2 usage error.\n"
               "  A verdict is a probability from a small model trained on CIFAKE (Stable Diffusion 1.4 fakes\n"
               "  versus CIFAR-10 photos, 32x32 pixels), which judges only 32x32 images: evidence, not proof.\n");
}

typedef struct {
    const char *dir;
    int target;     /* -1 predicted class, 0 REAL, 1 FAKE */
    int conv_layer; /* -1 last convolution, else a 0-based layer index of the (folded) spec */
    cf_cam_method method;
    cf_colormap colormap;
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

static int classify_file(cifake_detector *d, const cam_options *cam, const char *path, cifake_result *r, char *cam_file,
                         size_t cam_file_n, cf_error *err) {
    uint8_t *bytes;
    size_t n;
    if (read_file(path, CF_IMAGE_MAX_BYTES, &bytes, &n, err)) return -1;
    int rc = cifake_classify(d, bytes, n, r, err);
    free(bytes);
    if (!rc && cam->dir) rc = write_cam(d, cam, r, path, cam_file, cam_file_n, err);
    if (rc) cf_error_prefix(err, "%s", path);
    return rc;
}

static int parse_cam_option(const char *a, const char *v, cam_options *cam) {
    char *end;
    if (!strcmp(a, "--cam")) cam->dir = v;
    else if (!strcmp(a, "--cam-method")) return cf_cam_method_parse(v, &cam->method);
    else if (!strcmp(a, "--colormap")) return cf_colormap_parse(v, &cam->colormap);
    else if (!strcmp(a, "--cam-class")) {
        cam->target = !strcmp(v, "REAL") ? 0 : !strcmp(v, "FAKE") ? 1 : !strcmp(v, "predicted") ? -1 : -2;
        return cam->target == -2 ? -1 : 0;
    } else if (!strcmp(a, "--cam-layer")) {
        cam->conv_layer = (int)strtol(v, &end, 10) - 1;
        return *end || cam->conv_layer < 0 ? -1 : 0;
    }
    else if (!strcmp(a, "--alpha")) {
        cam->alpha = strtof(v, &end);
        return *end || !(cam->alpha >= 0.0f && cam->alpha <= 1.0f) ? -1 : 0;
    } else if (!strcmp(a, "--cam-size")) {
        cam->side = (int)strtol(v, &end, 10);
        return *end || cam->side < 8 || cam->side > 2048 ? -1 : 0;
    } else return 1; /* not a CAM option */
    return 0;
}

#define MAX_WEIGHTS 4

static void print_json_result(const cifake_result *r, const char **weights, const char *cam_file) {
    printf(", \"label\": \"%s\", \"p_fake\": ", cifake_label_name(r->label));
    if (r->p_fake == r->p_fake) printf("%.4f", r->p_fake);
    else printf("null");
    printf(", \"scope\": \"%s\"", cifake_scope_name(r->scope));
    if (r->label == CIFAKE_UNSURE) {
        printf(", \"reason\": ");
        json_write_string(stdout, r->reason);
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
}

int main(int argc, char **argv) {
    const char *weights[MAX_WEIGHTS] = {NULL};
    int n_weights = 0;
    int json = 0, first = 0;
    char buf[PATH_MAX + 64];
    cam_options cam = {NULL, -1, -1, CF_CAM_GRADCAM, CF_COLORMAP_TURBO, 0.5f, 256};
    for (int i = 1; i < argc && !first; i++) {
        int cam_rc = i + 1 < argc ? parse_cam_option(argv[i], argv[i + 1], &cam) : 1;
        if (cam_rc < 0) {
            fprintf(stderr, "cifake-detect: bad value for %s: %s\n", argv[i], argv[i + 1]);
            return usage(stderr), 2;
        }
        if (cam_rc == 0) i++;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--weights") && i + 1 < argc) {
            if (n_weights == MAX_WEIGHTS) {
                fprintf(stderr, "cifake-detect: at most %d weight files\n", MAX_WEIGHTS);
                return usage(stderr), 2;
            }
            weights[n_weights++] = argv[++i];
        }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(stdout), 0;
        else if (!strcmp(argv[i], "--")) first = i + 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cifake-detect: unknown option %s\n", argv[i]);
            return usage(stderr), 2;
        } else first = i;
    }
    if (!first || first >= argc) {
        fprintf(stderr, "cifake-detect: no images given\n");
        return usage(stderr), 2;
    }
    if (!n_weights) weights[n_weights++] = default_weights_path(buf, sizeof buf);
    cf_error err;
    if (cam.dir && make_dirs(cam.dir, &err)) {
        fprintf(stderr, "cifake-detect: %s\n", err.msg);
        return 1;
    }
    cifake_detector *d;
    if (open_detector_files(weights, n_weights, &d, &err)) {
        fprintf(stderr, "cifake-detect: %s\n", err.msg);
        return 1;
    }
    int failed = 0;
    if (json) printf("[");
    for (int i = first; i < argc; i++) {
        cifake_result r;
        char cam_file[PATH_MAX + 64] = "";
        int ok = classify_file(d, &cam, argv[i], &r, cam_file, sizeof cam_file, &err) == 0;
        if (!ok) {
            failed++;
            fprintf(stderr, "cifake-detect: %s\n", err.msg);
        }
        if (json) {
            printf("%s\n  {\"path\": ", i > first ? "," : "");
            json_write_string(stdout, argv[i]);
            if (ok) print_json_result(&r, weights, cam.dir ? cam_file : NULL);
            else {
                printf(", \"error\": ");
                json_write_string(stdout, err.msg);
            }
            printf("}");
        } else if (ok) {
            printf("%s\t%s\t", argv[i], cifake_label_name(r.label));
            if (r.p_fake == r.p_fake) printf("%.4f\n", r.p_fake);
            else printf("-\n");
        }
    }
    if (json) printf("\n]\n");
    cifake_close(d);
    return failed ? 1 : 0;
}
