/* classify.c - the cifake C library from a C program: classifies image files with a weight file.
 *
 *   make install PREFIX=$HOME/.local
 *   export PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig
 *   cc -std=c11 classify.c $(pkg-config --cflags --libs cifake) -o classify
 *   ./classify weights/cifake.bin photo.jpg more.png
 *
 * Prints PATH<TAB>REAL|FAKE|UNSURE<TAB>p_fake per image, as cifake-detect does; a file that cannot be
 * read or decoded gets its message on stderr and the exit status 1. */
#include <cifake.h>
#include <stdio.h>
#include <stdlib.h>

/* The whole file in a malloc'ed buffer, or NULL. */
static unsigned char *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(len ? (size_t)len : 1)) != NULL &&
        fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) *n = (size_t)len;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s WEIGHTS IMAGE...\n", argv[0]);
        return 2;
    }
    size_t n = 0;
    unsigned char *weights = read_file(argv[1], &n);
    if (!weights) {
        fprintf(stderr, "classify: %s: cannot read the file\n", argv[1]);
        return 1;
    }
    cifake_detector *d;
    cifake_error err;
    int rc = cifake_open(weights, n, &d, &err);
    free(weights); /* the detector keeps its own copy */
    if (rc) {
        fprintf(stderr, "classify: %s: %s\n", argv[1], err.msg);
        return 1;
    }
    int status = 0;
    for (int i = 2; i < argc; i++) {
        unsigned char *image = read_file(argv[i], &n);
        cifake_result r;
        if (!image) {
            fprintf(stderr, "classify: %s: cannot read the file\n", argv[i]);
            status = 1;
        } else if (cifake_classify(d, image, n, &r, &err)) {
            fprintf(stderr, "classify: %s: %s\n", argv[i], err.msg);
            status = 1;
        } else if (r.scope == CIFAKE_JUDGED || r.scope == CIFAKE_WEAK_EVIDENCE) {
            printf("%s\t%s\t%.4f\n", argv[i], cifake_label_name(r.label), r.p_fake);
        } else { /* UNSURE with no verdict of the model's own: too small, or out of every model's scope */
            printf("%s\t%s\t-\n", argv[i], cifake_label_name(r.label));
        }
        free(image);
    }
    cifake_close(d);
    return status;
}
