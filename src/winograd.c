#include "winograd.h"

#include <string.h>

#include "gemm.h"
#include "simd.h"

#define XI 16 /* elements of a transformed 4x4 tile */

/* Below this many input channels the GEMMs are too thin for the transforms to pay (the first
 * convolution of an RGB image has 3). */
#define CF_WINOGRAD_MIN_CHANNELS 8

int cf_winograd_applies(const cf_layer *L) {
    return L->kind == CF_CONV && L->ksize == 3 && (L->pad == 1 || L->pad == 0) && L->in.c >= CF_WINOGRAD_MIN_CHANNELS;
}

static int tiles_of(const cf_layer *L) { return ((L->out.h + 1) / 2) * ((L->out.w + 1) / 2); }

size_t cf_winograd_weight_floats(const cf_layer *L) { return XI * cf_gemm_packed_a_floats(L->out.c, L->in.c); }

size_t cf_winograd_staging_floats(const cf_layer *L) { return (size_t)XI * L->out.c * L->in.c; }

/* Scratch of one call: the zero-padded plane of one channel (Hp x Wp, Hp = 2*th + 2, Wp = 2*tw + 2);
 * that plane regrouped by the parity of its rows and columns (at most 4 * Hp * tw floats, also holding
 * the 4 output streams of one output channel); then, for all the images of a call, V (XI x Cin x
 * images*tiles) and M (XI x Cout x images*tiles). */
static size_t padded_plane_floats(const cf_layer *L) {
    return (size_t)(2 * ((L->out.h + 1) / 2) + 2) * (2 * ((L->out.w + 1) / 2) + 2);
}

static size_t regrouped_plane_floats(const cf_layer *L) {
    return (size_t)4 * (2 * ((L->out.h + 1) / 2) + 2) * ((L->out.w + 1) / 2);
}

size_t cf_winograd_scratch_floats(const cf_layer *L, int n_images) {
    size_t T = (size_t)tiles_of(L);
    return padded_plane_floats(L) + regrouped_plane_floats(L) + (size_t)XI * (L->in.c + L->out.c) * T * (size_t)n_images;
}

/* Small feature maps have few tiles per image (16 at 8x8), too few columns for the GEMM's micro-tile
 * (up to 32 wide): such layers take several images per call. */
#define CF_WINOGRAD_MIN_COLUMNS 64

int cf_winograd_group(const cf_layer *L) {
    int T = tiles_of(L), g = (CF_WINOGRAD_MIN_COLUMNS + T - 1) / T;
    return g < 1 ? 1 : g > 16 ? 16 : g;
}

/* u = G g G^T for one 3x3 kernel g (row-major); u row-major 4x4. */
static void transform_kernel(const float *g, float *u) {
    float t[4][3]; /* G g */
    for (int j = 0; j < 3; j++) {
        float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
        t[0][j] = g0;
        t[1][j] = 0.5f * (g0 + g1 + g2);
        t[2][j] = 0.5f * (g0 - g1 + g2);
        t[3][j] = g2;
    }
    for (int i = 0; i < 4; i++) {
        float a = t[i][0], b = t[i][1], c = t[i][2];
        u[i * 4 + 0] = a;
        u[i * 4 + 1] = 0.5f * (a + b + c);
        u[i * 4 + 2] = 0.5f * (a - b + c);
        u[i * 4 + 3] = c;
    }
}

void cf_winograd_pack_weights(const cf_layer *L, float *U, float *staging) {
    int O = L->out.c, C = L->in.c;
    size_t per_xi = cf_gemm_packed_a_floats(O, C), plain_size = (size_t)O * C;
    float u[XI];
    for (int o = 0; o < O; o++)
        for (int c = 0; c < C; c++) {
            transform_kernel(L->weight + ((size_t)o * C + c) * 9, u);
            for (int xi = 0; xi < XI; xi++) staging[xi * plain_size + (size_t)o * C + c] = u[xi];
        }
    for (int xi = 0; xi < XI; xi++) cf_gemm_pack_a(0, O, C, staging + xi * plain_size, C, U + xi * per_xi);
}

/* V[xi * v_stride] = (B^T d B)[xi] for CF_VF tiles at once: p[i*4 + j] points at pixel (i, j) of
 * those tiles, CF_VF consecutive floats. */
static inline void transform_input_vectors(const float *const p[XI], float *V, size_t v_stride) {
    vf r[4][4], c[4][4];
    for (int j = 0; j < 4; j++) { /* B^T d: combine rows */
        vf d0 = vf_load(p[j]), d1 = vf_load(p[4 + j]), d2 = vf_load(p[8 + j]), d3 = vf_load(p[12 + j]);
        r[0][j] = vf_sub(d0, d2);
        r[1][j] = vf_add(d1, d2);
        r[2][j] = vf_sub(d2, d1);
        r[3][j] = vf_sub(d1, d3);
    }
    for (int i = 0; i < 4; i++) { /* (B^T d) B: combine columns */
        c[i][0] = vf_sub(r[i][0], r[i][2]);
        c[i][1] = vf_add(r[i][1], r[i][2]);
        c[i][2] = vf_sub(r[i][2], r[i][1]);
        c[i][3] = vf_sub(r[i][1], r[i][3]);
    }
    for (int xi = 0; xi < XI; xi++) vf_store(V + xi * v_stride, c[xi / 4][xi % 4]);
}

/* The same for one tile: p[i*4 + j] points at its pixel (i, j). */
static void transform_input_scalar(const float *const p[XI], float *V, size_t v_stride) {
    float r[4][4];
    for (int j = 0; j < 4; j++) {
        float d0 = *p[j], d1 = *p[4 + j], d2 = *p[8 + j], d3 = *p[12 + j];
        r[0][j] = d0 - d2, r[1][j] = d1 + d2, r[2][j] = d2 - d1, r[3][j] = d1 - d3;
    }
    for (int i = 0; i < 4; i++) {
        V[(i * 4 + 0) * v_stride] = r[i][0] - r[i][2];
        V[(i * 4 + 1) * v_stride] = r[i][1] + r[i][2];
        V[(i * 4 + 2) * v_stride] = r[i][2] - r[i][1];
        V[(i * 4 + 3) * v_stride] = r[i][1] - r[i][3];
    }
}

/* The plane into the interior of the padded plane (Hp x Wp, `pad` zero rows and columns before it,
 * zeros after it). Only the interior is written: every plane of a call has the same geometry, so
 * cf_winograd_forward zeroes the border once. */
static inline void copy_into_padded(const float *plane, int H, int W, int pad, int Wp, float *padded) {
    for (int y = 0; y < H; y++) memcpy(padded + (size_t)(y + pad) * Wp + pad, plane + (size_t)y * W, sizeof(float) * W);
}

/* dst[q] = src[2q + offset] for q in [0, n): one parity of a row. */
static inline void take_every_other(const float *src, int offset, int n, float *dst) {
    for (int q = 0; q < n; q++) dst[q] = src[2 * q + offset];
}

/* The two regroupings of transform_input_plane (below). Rows are short (5 to 17 floats), so the
 * callers pass the common widths as constants: inlined, each strided copy becomes a few shuffles
 * instead of a scalar loop. */
static inline void regroup_by_column_parity(const float *padded, int Hp, int Q, float *even, float *odd) {
    for (int yp = 0; yp < Hp; yp++) {
        take_every_other(padded + (size_t)yp * 2 * Q, 0, Q, even + (size_t)yp * Q);
        take_every_other(padded + (size_t)yp * 2 * Q, 1, Q, odd + (size_t)yp * Q);
    }
}

static inline void regroup_by_row_column_parity_and_shift(const float *padded, int th, int tw, float *regrouped) {
    size_t plane_floats = (size_t)(th + 1) * tw, Wp = 2 * (size_t)tw + 2;
    for (int rp = 0; rp < 2; rp++)
        for (int cp = 0; cp < 2; cp++)
            for (int s = 0; s < 2; s++) {
                float *dst = regrouped + (size_t)(rp * 4 + cp * 2 + s) * plane_floats;
                for (int y = 0; y <= th; y++)
                    take_every_other(padded + (2 * y + rp) * Wp + 2 * s, cp, tw, dst + (size_t)y * tw);
            }
}

/* V[xi][t] (row stride of one xi: v_stride) = B^T d_t B for every 4x4 input tile t of one channel.
 * Pixel (i, j) of tile (ty, tx) is padded pixel (2ty + i, 2tx + j). Regrouping the padded plane by
 * parity makes each of the 16 pixel positions a contiguous run, so the transform is pure vector
 * arithmetic:
 *  - when a tile row is a whole number of vectors, by column parity only: even[y][q] = pixel (y, 2q),
 *    odd[y][q] = (y, 2q + 1), q in [0, tw]; pixel (i, j) of the tiles of tile row ty is the run at
 *    row 2ty + i, column j/2 + tx;
 *  - otherwise (narrow maps: vectors span several tile rows) by row parity, column parity and a
 *    column shift s: plane[rp][cp][s][y][x] = pixel (2y + rp, 2(x + s) + cp), x in [0, tw), so pixel
 *    (i, j) of every tile is one run over all tiles t = ty*tw + tx, starting at row i/2 of
 *    plane[i%2][j%2][j/2]. */
static void transform_input_plane(const cf_layer *L, const float *plane, float *padded, float *regrouped, float *V,
                                  size_t v_stride) {
    int th = (L->out.h + 1) / 2, tw = (L->out.w + 1) / 2, T = th * tw, Hp = 2 * th + 2, Wp = 2 * tw + 2;
    int H = L->in.h, W = L->in.w, pad = L->pad;
    if (W == 32) /* the common widths as constants: each row copy inlined as a few vector moves */
        copy_into_padded(plane, H, 32, pad, Wp, padded);
    else if (W == 16)
        copy_into_padded(plane, H, 16, pad, Wp, padded);
    else if (W == 8)
        copy_into_padded(plane, H, 8, pad, Wp, padded);
    else
        copy_into_padded(plane, H, W, pad, Wp, padded);
    const float *p[XI];
    if (tw % CF_VF == 0) {
        int Q = tw + 1;
        float *even = regrouped, *odd = regrouped + (size_t)Hp * Q;
        if (Q == 17) /* 32-pixel rows */
            regroup_by_column_parity(padded, Hp, 17, even, odd);
        else
            regroup_by_column_parity(padded, Hp, Q, even, odd);
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx += CF_VF) {
                for (int k = 0; k < XI; k++)
                    p[k] = (k % 2 ? odd : even) + (size_t)(2 * ty + k / 4) * Q + (k % 4) / 2 + tx;
                transform_input_vectors(p, V + ty * tw + tx, v_stride);
            }
        return;
    }
    if (tw == 4) /* 8-pixel rows */
        regroup_by_row_column_parity_and_shift(padded, th, 4, regrouped);
    else if (tw == 8) /* 16-pixel rows */
        regroup_by_row_column_parity_and_shift(padded, th, 8, regrouped);
    else
        regroup_by_row_column_parity_and_shift(padded, th, tw, regrouped);
    size_t plane_floats = (size_t)(th + 1) * tw; /* one of the 8 regrouped planes */
    for (int k = 0; k < XI; k++) {
        int i = k / 4, j = k % 4;
        p[k] = regrouped + (size_t)((i % 2) * 4 + (j % 2) * 2 + j / 2) * plane_floats + (size_t)(i / 2) * tw;
    }
    int t = 0;
    for (; t + CF_VF <= T; t += CF_VF) {
        transform_input_vectors(p, V + t, v_stride);
        for (int k = 0; k < XI; k++) p[k] += CF_VF;
    }
    for (; t < T; t++) {
        transform_input_scalar(p, V + t, v_stride);
        for (int k = 0; k < XI; k++) p[k]++;
    }
}

/* out[i*2+j][t] = (A^T m_t A)[i][j] for every tile t of one output channel, where m_t[xi] =
 * M[xi * m_stride + t]. */
static void transform_output_plane(const float *M, size_t m_stride, int T, float *out) {
    int t = 0;
    for (; t + CF_VF <= T; t += CF_VF) {
        vf r[2][4];
        for (int j = 0; j < 4; j++) { /* A^T m: combine rows */
            vf m0 = vf_load(M + j * m_stride + t), m1 = vf_load(M + (4 + j) * m_stride + t);
            vf m2 = vf_load(M + (8 + j) * m_stride + t), m3 = vf_load(M + (12 + j) * m_stride + t);
            r[0][j] = vf_add(vf_add(m0, m1), m2);
            r[1][j] = vf_sub(vf_sub(m1, m2), m3);
        }
        for (int i = 0; i < 2; i++) { /* (A^T m) A: combine columns */
            vf_store(out + (size_t)(i * 2) * T + t, vf_add(vf_add(r[i][0], r[i][1]), r[i][2]));
            vf_store(out + (size_t)(i * 2 + 1) * T + t, vf_sub(vf_sub(r[i][1], r[i][2]), r[i][3]));
        }
    }
    for (; t < T; t++) {
        float r[2][4];
        for (int j = 0; j < 4; j++) {
            float m0 = M[j * m_stride + t], m1 = M[(4 + j) * m_stride + t];
            float m2 = M[(8 + j) * m_stride + t], m3 = M[(12 + j) * m_stride + t];
            r[0][j] = m0 + m1 + m2, r[1][j] = m1 - m2 - m3;
        }
        for (int i = 0; i < 2; i++) {
            out[(size_t)(i * 2) * T + t] = r[i][0] + r[i][1] + r[i][2];
            out[(size_t)(i * 2 + 1) * T + t] = r[i][1] - r[i][2] - r[i][3];
        }
    }
}

void cf_winograd_forward(const cf_layer *L, const float *U, const float *x, float *y, int n_images, float *scratch,
                         float *gemm_work) {
    int C = L->in.c, O = L->out.c, H = L->in.h, W = L->in.w, oh = L->out.h, ow = L->out.w;
    int tw = (ow + 1) / 2, T = tiles_of(L), NT = n_images * T;
    size_t per_xi = cf_gemm_packed_a_floats(O, C), in_size = (size_t)C * H * W, out_size = (size_t)O * oh * ow;
    float *padded = scratch, *streams = padded + padded_plane_floats(L); /* regrouped plane, output streams */
    memset(padded, 0, sizeof(float) * padded_plane_floats(L)); /* its border; interiors are copied in */
    float *V = streams + regrouped_plane_floats(L), *M = V + (size_t)XI * C * NT;
    for (int b = 0; b < n_images; b++) /* image b's tiles are columns [b*T, (b+1)*T) */
        for (int c = 0; c < C; c++)
            transform_input_plane(L, x + b * in_size + (size_t)c * H * W, padded, streams,
                                  V + (size_t)c * NT + (size_t)b * T, (size_t)C * NT);
    for (int xi = 0; xi < XI; xi++) {
        cf_gemm_a u = {0, NULL, 0, U + xi * per_xi};
        cf_gemm_b vt = {0, V + (size_t)xi * C * NT, NT, NULL, NULL};
        cf_gemm_ex(O, NT, C, &u, &vt, 0.0f, M + (size_t)xi * O * NT, NT, gemm_work);
    }
    for (int b = 0; b < n_images; b++)
        for (int o = 0; o < O; o++) {
            transform_output_plane(M + (size_t)o * NT + (size_t)b * T, (size_t)O * NT, T, streams);
            float bias = L->bias[o], *yo = y + b * out_size + (size_t)o * oh * ow;
            for (int oy = 0; oy < oh; oy++) { /* interleave the four output streams back into rows */
                const float *s0 = streams + (size_t)(oy % 2 * 2) * T + (size_t)(oy / 2) * tw, *s1 = s0 + T;
                float *row = yo + (size_t)oy * ow;
                for (int tx = 0; tx < ow / 2; tx++) {
                    row[2 * tx] = s0[tx] + bias;
                    row[2 * tx + 1] = s1[tx] + bias;
                }
                if (ow % 2) row[ow - 1] = s0[ow / 2] + bias;
            }
        }
}
