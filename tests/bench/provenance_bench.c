/* provenance_bench - what reading a file's provenance adds to judging a full-size JPEG.
 *
 *   provenance_bench FILE.jpg [RUNS]
 *
 * Times, on one file (the bench uses the 11-megapixel Nikon Z 9 original of ../shared/provenance,
 * which carries full EXIF, MakerNotes and four APP11 segments of Content Credentials): decoding and
 * classifying it (cifake_classify with the shipped weights), reading its metadata
 * (cf_provenance_read: the segment walk, EXIF, XMP and the C2PA manifest's parsing) and checking its
 * Content Credentials (c2pa_verify: SHA-256 over the file, the signature, the certificate chain).
 * Prints one JSON line with the median of RUNS runs of each, after a warm-up. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "c2pa_verify.h"
#include "fileio.h"
#include "image.h"
#include "provenance.h"
#include "timing.h"

/* One run of each stage; times in ms into t[0..2]. */
static int time_once(cifake_detector *d, const c2pa_trust *trust, const uint8_t *bytes, size_t n, double t[3],
                     cf_error *err) {
    cifake_result r;
    cf_provenance p;
    double t0 = now_ms();
    if (cifake_classify(d, bytes, n, &r, err)) return -1;
    double t1 = now_ms();
    if (cf_provenance_read(bytes, n, &p, err)) return -1;
    double t2 = now_ms();
    int rc = p.c2pa_store ? c2pa_verify(&p, bytes, n, trust, err) : 0;
    double t3 = now_ms();
    cf_provenance_free(&p);
    t[0] = t1 - t0, t[1] = t2 - t1, t[2] = t3 - t2;
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: provenance_bench FILE.jpg [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 9;
    if (runs < 1 || runs > 1000) runs = 9;
    char buf[PATH_MAX + 64];
    const char *weights[1] = {default_weights_path(buf, sizeof buf)};
    uint8_t *bytes;
    size_t n;
    cf_error err;
    cifake_detector *d = NULL;
    c2pa_trust *trust = NULL;
    if (c2pa_trust_load_default(NULL, &trust, &err))
        fprintf(stderr, "provenance_bench: %s\n", err.msg);
    if (read_file(argv[1], CF_IMAGE_MAX_BYTES, &bytes, &n, &err) || open_detector_files(weights, 1, &d, &err)) {
        fprintf(stderr, "provenance_bench: %s\n", err.msg);
        return 1;
    }
    double *t = malloc(sizeof(double) * 3 * (size_t)runs), warm[3];
    int rc = !t || time_once(d, trust, bytes, n, warm, &err);
    for (int k = 0; !rc && k < runs; k++) rc = time_once(d, trust, bytes, n, t + 3 * k, &err);
    if (rc) fprintf(stderr, "provenance_bench: %s\n", t ? err.msg : "out of memory");
    else {
        double stage[3][1000];
        for (int s = 0; s < 3; s++)
            for (int k = 0; k < runs; k++) stage[s][k] = t[3 * k + s];
        int w, h;
        cf_image_probe(bytes, n, &w, &h, &err);
        printf("{\"file_bytes\": %zu, \"width\": %d, \"height\": %d, \"runs\": %d, \"classify_ms\": %.3f, "
               "\"metadata_ms\": %.3f, \"c2pa_verify_ms\": %.3f}\n",
               n, w, h, runs, median_ms(stage[0], runs), median_ms(stage[1], runs), median_ms(stage[2], runs));
    }
    free(t);
    free(bytes);
    cifake_close(d);
    c2pa_trust_free(trust);
    return rc ? 1 : 0;
}
