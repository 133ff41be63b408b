/* make_jpegs.c - writes the JPEG cases of the hostile-input table with libjpeg (run once; the
 * outputs are checked in, so building the project does not need libjpeg):
 *
 *   gcc -std=c11 -O2 tests/hostile/make_jpegs.c -ljpeg -o /tmp/make_jpegs && /tmp/make_jpegs tests/hostile/cases
 *
 * colour.jpg       32x32 RGB baseline (the base for the truncated and huge-header cases)
 * grey.jpg         24x24 greyscale (1 component)
 * progressive.jpg  40x24 RGB progressive (non-square, so the centre crop is exercised)
 * cmyk.jpg         16x16 CMYK (4 components): must be refused
 * restart.jpg      40x24 RGB progressive with a restart marker after every MCU
 * scans.jpg        40x24 RGB sequential in three scans, one per component, 4:2:0, a restart marker
 *                  every 2 MCUs (generate.mjs derives hostile cases from these and progressive.jpg) */
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

/* A smooth, deterministic pattern: component c of pixel (x, y). */
static JSAMPLE pattern(int x, int y, int c) { return (JSAMPLE)((x * 7 + y * 5 + c * 60) % 256); }

/* progressive: 1 for jpeg_simple_progression, 2 for one sequential scan per component. */
static int write_jpeg(const char *dir, const char *name, int w, int h, int components, J_COLOR_SPACE space,
                      int progressive, unsigned restart_interval) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = components;
    cinfo.in_color_space = space;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 90, TRUE);
    static jpeg_scan_info one_per_component[3];
    if (progressive == 1) jpeg_simple_progression(&cinfo);
    if (progressive == 2) {
        for (int c = 0; c < 3; c++) {
            jpeg_scan_info *scan = &one_per_component[c];
            scan->comps_in_scan = 1;
            scan->component_index[0] = c;
            scan->Ss = 0, scan->Se = 63, scan->Ah = 0, scan->Al = 0;
        }
        cinfo.scan_info = one_per_component;
        cinfo.num_scans = 3;
    }
    cinfo.restart_interval = restart_interval;
    jpeg_start_compress(&cinfo, TRUE);
    JSAMPLE *row = malloc((size_t)w * (size_t)components);
    if (!row) return -1;
    while (cinfo.next_scanline < cinfo.image_height) {
        int y = (int)cinfo.next_scanline;
        for (int x = 0; x < w; x++)
            for (int c = 0; c < components; c++) row[x * components + c] = pattern(x, y, c);
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    return fclose(f);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_jpegs DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    if (write_jpeg(dir, "colour.jpg", 32, 32, 3, JCS_RGB, 0, 0) ||
        write_jpeg(dir, "grey.jpg", 24, 24, 1, JCS_GRAYSCALE, 0, 0) ||
        write_jpeg(dir, "progressive.jpg", 40, 24, 3, JCS_RGB, 1, 0) ||
        write_jpeg(dir, "cmyk.jpg", 16, 16, 4, JCS_CMYK, 0, 0) || write_jpeg(dir, "restart.jpg", 40, 24, 3, JCS_RGB, 1, 1) ||
        write_jpeg(dir, "scans.jpg", 40, 24, 3, JCS_RGB, 2, 2)) {
        fprintf(stderr, "make_jpegs: cannot write into %s\n", dir);
        return 1;
    }
    return 0;
}
