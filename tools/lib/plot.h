/* plot.h - simple raster figures for the tools' reports (reliability diagrams, deletion and insertion
 * curves): an RGBA canvas, rectangles, lines, text in a built-in 5x7 pixel font, and panels with
 * axes that map data coordinates to pixels. Written as PNG by png.h. */
#ifndef CIFAKE_PLOT_H
#define CIFAKE_PLOT_H

#include <stdint.h>

#include "common.h"

typedef struct {
    int width, height;
    uint8_t *rgba; /* width x height x 4, rows top to bottom */
} plot_canvas;

/* A white canvas. */
int plot_canvas_init(plot_canvas *c, int width, int height, cf_error *err);
void plot_canvas_free(plot_canvas *c);
int plot_canvas_write_png(const plot_canvas *c, const char *path, cf_error *err);

/* Fills the rectangle [x, x + w) x [y, y + h) (clipped to the canvas). */
void plot_rect(plot_canvas *c, int x, int y, int w, int h, const uint8_t rgb[3]);
/* A line of the given thickness in pixels; dash > 0 draws dash pixels on, dash off. */
void plot_line(plot_canvas *c, double x0, double y0, double x1, double y1, int thickness, int dash, const uint8_t rgb[3]);
/* Printable ASCII at (x, y) (top-left), each glyph 5x7 pixels times scale with one column of space;
 * other characters draw as spaces. */
void plot_text(plot_canvas *c, int x, int y, int scale, const char *text, const uint8_t rgb[3]);
int plot_text_width(const char *text, int scale);
#define PLOT_TEXT_HEIGHT(scale) (7 * (scale))

/* A rectangle of the canvas (x, y, w, h in pixels) showing data in [x0, x1] x [y0, y1] (y upwards;
 * log_y: y0, y1 and the values are mapped by log10). */
typedef struct {
    int x, y, w, h;
    double x0, x1, y0, y1;
    int log_y;
} plot_panel;

double plot_px(const plot_panel *p, double x);
double plot_py(const plot_panel *p, double y);

/* The panel's frame, tick marks and labels (printf formats of one double, e.g. "%.1f"), light grid
 * lines at the ticks, the x label centred below and the y label above the y axis. */
void plot_axes(plot_canvas *c, const plot_panel *p, const double *xticks, int nx, const char *xfmt, const double *yticks,
               int ny, const char *yfmt, const char *xlabel, const char *ylabel);

#endif
