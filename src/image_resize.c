/* image_resize.c - the centre crop and the resize policy of image_resize.h, and the model-input
 * helper that decodes and resizes in one call. */
#include "image_resize.h"

#include <string.h>

void cf_image_center_square(int w, int h, int *x0, int *y0, int *side) {
    int s = w < h ? w : h;
    if (s < 0) s = 0;
    if (x0) *x0 = s > 0 ? (w - s) / 2 : 0;
    if (y0) *y0 = s > 0 ? (h - s) / 2 : 0;
    if (side) *side = s;
}

/* A window into an image: width x height pixels starting at origin, rows stride bytes apart. */
typedef struct {
    const uint8_t *origin;
    size_t stride;
    int width, height;
} image_view;

static const uint8_t *view_pixel(const image_view *v, int x, int y) {
    return v->origin + (size_t)y * v->stride + (size_t)x * 3;
}

static uint8_t round_to_byte(double value) {
    if (!(value > 0.0)) return 0; /* also catches NaN */
    if (value >= 255.0) return 255;
    return (uint8_t)(value + 0.5);
}

/* Shrinking by exact area averaging. Along one axis of n source pixels and out output pixels,
 * measure in units where a source pixel is out long and an output pixel n long: output pixel i
 * covers [i*n, (i+1)*n) and source pixel k covers [k*out, (k+1)*out), so every overlap is an exact
 * integer. Only the first and last source pixel overlap partly; the ones between overlap fully (out
 * units). */
typedef struct {
    int first, last;
    uint64_t first_weight, last_weight, middle_weight;
} area_span;

static area_span area_span_for(int i, int n, int out) {
    uint64_t lo = (uint64_t)i * (uint64_t)n, hi = lo + (uint64_t)n, unit = (uint64_t)out;
    area_span s;
    s.first = (int)(lo / unit);
    s.last = (int)((hi - 1) / unit);
    s.middle_weight = unit;
    if (s.first == s.last) {
        s.first_weight = s.last_weight = (uint64_t)n;
    } else {
        s.first_weight = (uint64_t)(s.first + 1) * unit - lo;
        s.last_weight = hi - (uint64_t)s.last * unit;
    }
    return s;
}

/* Weighted sum along one source row for one output column; the weights sum to the source width. */
static void area_row_sum(const image_view *v, int y, area_span xs, uint64_t sum[3]) {
    const uint8_t *first = view_pixel(v, xs.first, y);
    for (int c = 0; c < 3; c++) sum[c] = xs.first_weight * first[c];
    if (xs.last == xs.first) return;
    uint64_t middle[3] = {0, 0, 0};
    for (int x = xs.first + 1; x < xs.last; x++) {
        const uint8_t *p = view_pixel(v, x, y);
        for (int c = 0; c < 3; c++) middle[c] += p[c];
    }
    const uint8_t *last = view_pixel(v, xs.last, y);
    for (int c = 0; c < 3; c++) sum[c] += middle[c] * xs.middle_weight + xs.last_weight * last[c];
}

static void area_pixel(const image_view *v, area_span xs, area_span ys, uint8_t *dst) {
    /* The weights are integers and the sums stay exact in double up to 2^53, i.e. for any side
     * below ~5.9 million pixels, so the result is the exact mean correctly rounded. */
    double acc[3] = {0, 0, 0};
    for (int y = ys.first; y <= ys.last; y++) {
        uint64_t wy = y == ys.first ? ys.first_weight : y == ys.last ? ys.last_weight : ys.middle_weight;
        uint64_t row[3];
        area_row_sum(v, y, xs, row);
        for (int c = 0; c < 3; c++) acc[c] += (double)wy * (double)row[c];
    }
    double area = (double)v->width * (double)v->height;
    for (int c = 0; c < 3; c++) dst[c] = round_to_byte(acc[c] / area);
}

/* Enlarging: bilinear between the two nearest source pixel centres (half-pixel convention, so the
 * image is not shifted), clamped to the edge pixels. */
typedef struct {
    int k0, k1;
    double t;
} bilinear_tap;

static bilinear_tap bilinear_tap_for(int i, int n, int out) {
    double pos = ((double)i + 0.5) * (double)n / (double)out - 0.5;
    if (pos < 0.0) pos = 0.0;
    if (pos > (double)(n - 1)) pos = (double)(n - 1);
    bilinear_tap tap;
    tap.k0 = (int)pos;
    tap.k1 = tap.k0 + 1 < n ? tap.k0 + 1 : tap.k0;
    tap.t = pos - (double)tap.k0;
    return tap;
}

static void bilinear_pixel(const image_view *v, bilinear_tap tx, bilinear_tap ty, uint8_t *dst) {
    const uint8_t *p00 = view_pixel(v, tx.k0, ty.k0), *p01 = view_pixel(v, tx.k1, ty.k0);
    const uint8_t *p10 = view_pixel(v, tx.k0, ty.k1), *p11 = view_pixel(v, tx.k1, ty.k1);
    for (int c = 0; c < 3; c++) {
        double top = p00[c] + tx.t * (p01[c] - p00[c]);
        double bottom = p10[c] + tx.t * (p11[c] - p10[c]);
        dst[c] = round_to_byte(top + ty.t * (bottom - top));
    }
}

/* Resizes a window to out_w x out_h: unchanged when the size is the same, area averaging when
 * shrinking both ways, bilinear otherwise (the thumbnail path only ever shrinks or enlarges a
 * square both ways). */
static void resize_view(const image_view *v, int out_w, int out_h, uint8_t *out) {
    if (v->width == out_w && v->height == out_h) { /* pass through bit for bit */
        for (int y = 0; y < out_h; y++) memcpy(out + (size_t)y * (size_t)out_w * 3, view_pixel(v, 0, y), (size_t)out_w * 3);
        return;
    }
    int shrink = v->width >= out_w && v->height >= out_h;
    for (int i = 0; i < out_h; i++) {
        area_span ys = area_span_for(i, v->height, out_h);
        bilinear_tap ty = bilinear_tap_for(i, v->height, out_h);
        for (int j = 0; j < out_w; j++) {
            uint8_t *dst = out + ((size_t)i * (size_t)out_w + (size_t)j) * 3;
            if (shrink) area_pixel(v, area_span_for(j, v->width, out_w), ys, dst);
            else bilinear_pixel(v, bilinear_tap_for(j, v->width, out_w), ty, dst);
        }
    }
}

void cf_image_resize_square(const cf_image *img, int out_side, uint8_t *out) {
    if (!out || out_side <= 0) return;
    size_t out_bytes = (size_t)out_side * (size_t)out_side * 3;
    int x0, y0, side;
    cf_image_center_square(img ? img->width : 0, img ? img->height : 0, &x0, &y0, &side);
    if (!img || !img->rgb || side <= 0) { /* nothing to sample: a defined (black) result */
        memset(out, 0, out_bytes);
        return;
    }
    image_view view;
    view.stride = (size_t)img->width * 3;
    view.origin = img->rgb + (size_t)y0 * view.stride + (size_t)x0 * 3;
    view.width = view.height = side;
    resize_view(&view, out_side, out_side, out);
}

void cf_image_resize(const cf_image *img, int out_w, int out_h, uint8_t *out) {
    if (!out || out_w <= 0 || out_h <= 0) return;
    if (!img || !img->rgb || img->width <= 0 || img->height <= 0) {
        memset(out, 0, (size_t)out_w * (size_t)out_h * 3);
        return;
    }
    image_view view = {img->rgb, (size_t)img->width * 3, img->width, img->height};
    resize_view(&view, out_w, out_h, out);
}

int cf_image_load_model_input(const uint8_t *bytes, size_t n, uint8_t out[CF_MODEL_SIDE * CF_MODEL_SIDE * 3],
                              int *orig_width, int *orig_height, cf_error *err) {
    if (!out) return cf_fail(err, "internal error: no output buffer");
    cf_image img;
    if (cf_image_decode(bytes, n, &img, err)) return -1;
    cf_image_resize_square(&img, CF_MODEL_SIDE, out);
    if (orig_width) *orig_width = img.width;
    if (orig_height) *orig_height = img.height;
    cf_image_free(&img);
    return 0;
}
