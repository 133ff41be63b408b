/* provenance_bench - what reading an image's provenance metadata costs beside decoding its pixels.
 *
 *   provenance_bench FILE [RUNS]
 *
 * Times RUNS calls of cf_provenance_read (container walk, EXIF, XMP, text chunks and the C2PA store's
 * parse: everything but signature checks) and of decoding the pixels with stb_image, on one file
 * (make bench gives it the 12-megapixel Nikon Z 9 original of ../shared/provenance, which carries
 * EXIF, maker notes, XMP and a C2PA store in four APP11 segments). The budget for the metadata is
 * 2 ms. Prints one JSON line. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provenance.h"
#include "stb_image.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: provenance_bench FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 20;
    if (runs < 1 || runs > 1000) runs = 20;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "provenance_bench: cannot open %s\n", argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = size > 0 ? malloc((size_t)size) : NULL;
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "provenance_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    double *read_ms = malloc(sizeof(double) * (size_t)runs), decode_ms[3];
    int n_signals = 0, width = 0, height = 0;
    for (int k = 0; k < runs; k++) {
        cf_provenance p;
        cf_error err;
        double t = now_ms();
        if (cf_provenance_read(data, (size_t)size, &p, &err)) {
            fprintf(stderr, "provenance_bench: %s\n", err.msg);
            return 1;
        }
        read_ms[k] = now_ms() - t;
        n_signals = p.n_signals;
        cf_provenance_free(&p);
    }
    for (int k = 0; k < 3; k++) {
        int comp;
        double t = now_ms();
        uint8_t *px = stbi_load_from_memory(data, (int)size, &width, &height, &comp, 3);
        decode_ms[k] = now_ms() - t;
        free(px);
    }
    qsort(read_ms, (size_t)runs, sizeof *read_ms, compare_doubles);
    qsort(decode_ms, 3, sizeof *decode_ms, compare_doubles);
    printf("{\"file\": \"%s\", \"bytes\": %ld, \"width\": %d, \"height\": %d, \"signals\": %d, \"runs\": %d, "
           "\"read_median_ms\": %.4f, \"read_best_ms\": %.4f, \"decode_median_ms\": %.1f, \"budget_ms\": 2}\n",
           argv[1], size, width, height, n_signals, runs, read_ms[runs / 2], read_ms[0], decode_ms[1]);
    free(read_ms);
    free(data);
    return 0;
}
