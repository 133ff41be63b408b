/* layers.c - each kind of layer's forward and backward over a batch, side by side, behind one entry
 * each (cf_layer_forward, cf_layer_backward; layers.h), and what they need of the workspace. The
 * passes over the whole net are net.c's. Convolution is a packed GEMM (gemm.c) over an im2col matrix
 * that is never stored; the naive reference twins at the bottom are what the tests hold the fast
 * paths to. */
#include "layers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "parallel.h"
#include "simd.h"
#include "winograd.h"

/* ---------- what the layers need of the workspace ---------- */

static int conv_col_floats(const cf_layer *L) {
    return L->in.c * L->ksize * L->ksize * L->out.h * L->out.w;
}

static void raise_to(size_t *max, size_t value) {
    if (value > *max) *max = value;
}

/* The input gradient of a stride-1 convolution is itself a convolution: of dY, padded by k-1-pad,
 * with the kernel flipped in both directions and its channel axes swapped (conv_flip_kernel). This
 * is that convolution's shape: dY's shape in, x's shape out. */
static cf_layer conv_adjoint_shape(const cf_layer *L) {
    cf_layer adjoint = *L;
    adjoint.in = L->out;
    adjoint.out = L->in;
    adjoint.pad = L->ksize - 1 - L->pad;
    adjoint.weight = adjoint.bias = NULL;
    return adjoint;
}

/* flipped[c][o][ky][kx] = W[o][c][k-1-ky][k-1-kx]. */
static void conv_flip_kernel(const cf_layer *L, float *flipped) {
    int kk = L->ksize * L->ksize, C = L->in.c, O = L->out.c;
    for (int o = 0; o < O; o++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < kk; i++)
                flipped[((size_t)c * O + o) * kk + (kk - 1 - i)] = L->weight[((size_t)o * C + c) * kk + i];
}

void cf_layer_scratch(const cf_layer *L, cf_layer_scratch_floats *need) {
    raise_to(&need->layer_params, (size_t)(L->n_weight + L->n_bias));
    if (L->kind != CF_CONV) return;
    int K = L->in.c * L->ksize * L->ksize;
    raise_to(&need->col, (size_t)conv_col_floats(L));
    raise_to(&need->col, (size_t)cf_shape_size(L->in)); /* the pixel-major copy of pack_hwc_t_panel */
    raise_to(&need->packed, cf_gemm_packed_a_floats(L->out.c, K));
    raise_to(&need->packed, cf_gemm_packed_a_floats(K, L->out.c));
    raise_to(&need->weight, (size_t)L->n_weight);
    raise_to(&need->channels, (size_t)L->in.c);
    cf_layer adjoint = conv_adjoint_shape(L); /* the convolution its input gradient is */
    const cf_layer *both[2] = {L, &adjoint};
    for (int i = 0; i < 2; i++) {
        if (!cf_winograd_applies(both[i])) continue;
        raise_to(&need->wino_u, cf_winograd_weight_floats(both[i]));
        raise_to(&need->wino_staging, cf_winograd_staging_floats(both[i]));
        raise_to(&need->wino_scratch, cf_winograd_scratch_floats(both[i], cf_winograd_group(both[i])));
    }
}

static int conv_uses_winograd(const cf_layer *L, const cf_workspace *ws) {
    return ws->wino_u && cf_winograd_applies(L);
}

/* Convolution L's weights in the GEMM's packed form: Winograd-transformed where that applies. */
static size_t conv_packed_floats(const cf_layer *L, const cf_workspace *ws) {
    return conv_uses_winograd(L, ws) ? cf_winograd_weight_floats(L)
                                     : cf_gemm_packed_a_floats(L->out.c, L->in.c * L->ksize * L->ksize);
}

static void pack_conv_weights(const cf_layer *L, cf_workspace *ws, float *dst) {
    int K = L->in.c * L->ksize * L->ksize;
    if (conv_uses_winograd(L, ws))
        cf_winograd_pack_weights(L, dst, ws->wino_staging);
    else
        cf_gemm_pack_a(0, L->out.c, K, L->weight, K, dst);
}

float *cf_conv_pack_frozen(const cf_layer *L, cf_workspace *ws) {
    float *packed = cf_aligned_alloc(conv_packed_floats(L, ws) * sizeof(float));
    if (packed) pack_conv_weights(L, ws, packed);
    return packed;
}

/* ---------- convolution: implicit im2col + GEMM ---------- */

/* The convolution is a GEMM over the im2col matrix col[(c*k + ky)*k + kx][oy*ow + ox] =
 * x[c][oy + ky - pad][ox + kx - pad] (zero outside the image). That matrix is never built: the
 * packers below write the GEMM's B panels straight from the image, saving a full copy per image. */
typedef struct {
    const cf_layer *L;
    const float *x; /* one image, C x H x W */
} conv_panel_src;

static int min_int(int a, int b) { return a < b ? a : b; }

/* dst[q] = row[ix0 + q] for q in [0, n), zero where ix0 + q falls outside [0, W). */
static void copy_row_clipped(float *dst, const float *row, int ix0, int n, int W) {
    int lo = min_int(ix0 < 0 ? -ix0 : 0, n), hi = min_int(W - ix0, n);
    if (hi < lo) hi = lo;
    for (int q = 0; q < lo; q++) dst[q] = 0.0f;
    if (hi > lo) memcpy(dst + lo, row + ix0 + lo, sizeof(float) * (size_t)(hi - lo));
    for (int q = hi; q < n; q++) dst[q] = 0.0f;
}

/* row[q] = col[r][j0 + q] for q in [0, n): row r = (c, ky, kx) of the im2col matrix, from clipped runs
 * of the input's rows (one run per output row crossed). */
static void col_row(const conv_panel_src *cs, int r, int j0, int n, float *row) {
    const cf_layer *L = cs->L;
    int k = L->ksize, pad = L->pad, H = L->in.h, W = L->in.w, ow = L->out.w;
    int c = r / (k * k), ky = r / k % k, kx = r % k;
    const float *plane = cs->x + (size_t)c * H * W;
    for (int filled = 0, oy = j0 / ow, ox = j0 % ow; filled < n; ox = 0, oy++) {
        int run = min_int(ow - ox, n - filled), iy = oy + ky - pad;
        if (iy < 0 || iy >= H)
            for (int q = 0; q < run; q++) row[filled + q] = 0.0f;
        else
            copy_row_clipped(row + filled, plane + (size_t)iy * W, ox + kx - pad, run, W);
        filled += run;
    }
}

/* B = col (rows k = (c, ky, kx), columns j = output pixel): the forward pass's panels. Each row of
 * col is assembled once, then dealt out to the slivers. */
static void pack_col_panel(const void *src, int k0, int kc, int j0, int nc, float *Bp) {
    float row[CF_GEMM_MAX_NC];
    for (int kk = 0; kk < kc; kk++) {
        col_row(src, k0 + kk, j0, nc, row);
        for (int s = 0; s < nc; s += CF_NR) {
            float *d = Bp + (size_t)s * kc + (size_t)kk * CF_NR;
            int cols = min_int(CF_NR, nc - s);
            for (int q = 0; q < cols; q++) d[q] = row[s + q];
            for (int q = cols; q < CF_NR; q++) d[q] = 0.0f;
        }
    }
}

/* B = col transposed (rows k = output pixel, columns j = (c, ky, kx)): the weight gradient's panels.
 * Column j of a sliver is row j of col, written with a stride of CF_NR. Only convolutions on a
 * channel count that is not a whole number of slivers (the RGB input) use it: the others take
 * pack_hwc_t_panel below. */
static void pack_col_t_panel(const void *src, int k0, int kc, int j0, int nc, float *Bp) {
    float row[CF_GEMM_KC];
    for (int s = 0; s < nc; s += CF_NR) {
        float *dst = Bp + (size_t)s * kc;
        int cols = min_int(CF_NR, nc - s);
        for (int ci = 0; ci < CF_NR; ci++) {
            if (ci < cols)
                col_row(src, j0 + s + ci, k0, kc, row);
            else
                for (int kk = 0; kk < kc; kk++) row[kk] = 0.0f;
            for (int kk = 0; kk < kc; kk++) dst[(size_t)kk * CF_NR + ci] = row[kk];
        }
    }
}

/* A 1x1 convolution without padding reads its input as the GEMM operand directly. */
static int conv_needs_col(const cf_layer *L) { return !(L->ksize == 1 && L->pad == 0); }

/* Weight gradients where the input's channel count is a whole number of slivers take the kernel
 * taps in (ky, kx, c) order: a sliver's CF_NR taps are then consecutive channels of one input pixel,
 * which the image transposed to pixel-major order (x_hwc[pixel][c]) holds contiguously, so a panel
 * row is a few vector copies (or zeros off the image) instead of CF_NR scattered loads. The partial
 * gradients are put back in (c, ky, kx) order when they are summed (conv_backward). */
static int conv_dw_by_pixel(const cf_layer *L) { return conv_needs_col(L) && L->in.c % CF_NR == 0; }

typedef struct {
    const cf_layer *L;
    const float *x_hwc; /* one image, H x W x C */
} conv_hwc_src;

/* x_hwc[p][c] = x[c][p] for an image of C planes of P pixels, in 16 x 16 blocks. */
static void to_pixel_major(const float *x, int C, int P, float *x_hwc) {
    for (int c0 = 0; c0 < C; c0 += 16)
        for (int p0 = 0; p0 < P; p0 += 16)
            for (int c = c0; c < min_int(c0 + 16, C); c++)
                for (int p = p0; p < min_int(p0 + 16, P); p++) x_hwc[(size_t)p * C + c] = x[(size_t)c * P + p];
}

/* B = col transposed with the columns (taps) in (ky, kx, c) order. nc and j0 are whole slivers
 * (CF_NR divides both C and the GEMM's column blocks), so a sliver never straddles two taps. */
static void pack_hwc_t_panel(const void *src, int k0, int kc, int j0, int nc, float *Bp) {
    const conv_hwc_src *cs = src;
    const cf_layer *L = cs->L;
    int k = L->ksize, pad = L->pad, H = L->in.h, W = L->in.w, C = L->in.c, ow = L->out.w;
    for (int s = 0; s < nc; s += CF_NR) {
        float *dst = Bp + (size_t)s * kc;
        int tap = (j0 + s) / C, c0 = (j0 + s) % C, ky = tap / k, kx = tap % k;
        for (int kk = 0; kk < kc; kk++, dst += CF_NR) {
            int p = k0 + kk, iy = p / ow + ky - pad, ix = p % ow + kx - pad;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                const float *v = cs->x_hwc + ((size_t)iy * W + ix) * C + c0;
                for (int q = 0; q < CF_NR; q += CF_VF) vf_store(dst + q, vf_load(v + q));
            } else {
                for (int q = 0; q < CF_NR; q += CF_VF) vf_store(dst + q, vf_zero());
            }
        }
    }
}

/* dweight (c, ky, kx order) += the per-thread partial weight gradients in (ky, kx, c) order, in
 * thread order; the bias gradients after them are in the same place in both. */
static void reduce_partials_by_pixel(const cf_layer *L, cf_workspace *ws) {
    int C = L->in.c, taps = L->ksize * L->ksize, O = L->out.c;
    for (int t = 0; t < ws->n_threads; t++) {
        const float *src = ws->param_partial[t];
        for (int o = 0; o < O; o++)
            for (int tap = 0; tap < taps; tap++)
                for (int c = 0; c < C; c++)
                    L->dweight[((size_t)o * C + c) * taps + tap] += src[((size_t)o * taps + tap) * C + c];
        for (int o = 0; o < L->n_bias; o++) L->dbias[o] += src[L->n_weight + o];
    }
}

/* The adjoint of im2col: dx[c][iy][ix] = the sum of every col entry that was read from it. */
static void col2im(const cf_layer *L, const float *col, float *dx) {
    int k = L->ksize, pad = L->pad, H = L->in.h, W = L->in.w, oh = L->out.h, ow = L->out.w;
    memset(dx, 0, sizeof(float) * cf_shape_size(L->in));
    for (int c = 0; c < L->in.c; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = col + (size_t)((c * k + ky) * k + kx) * oh * ow;
                int x_lo = pad - kx > 0 ? pad - kx : 0;
                int x_hi = W + pad - kx < ow ? W + pad - kx : ow;
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy + ky - pad;
                    if (iy < 0 || iy >= H) continue;
                    float *dst = dx + ((size_t)c * H + iy) * W + kx - pad;
                    const float *src = row + oy * ow;
                    for (int ox = x_lo; ox < x_hi; ox++) dst[ox] += src[ox];
                }
            }
}

static cf_gemm_b conv_col_operand(const cf_layer *L, const conv_panel_src *src, int transposed) {
    int P = L->out.h * L->out.w;
    if (!conv_needs_col(L)) return (cf_gemm_b){transposed, src->x, P, NULL, NULL};
    return (cf_gemm_b){0, NULL, 0, transposed ? pack_col_t_panel : pack_col_panel, src};
}

/* The packed weights of convolution L (layer l) for this pass: packed once by
 * cf_workspace_freeze_weights, or now into the shared buffer. Winograd-transformed for the 3x3
 * convolutions where it applies (2.25x fewer multiplies; winograd.h). */
static const float *conv_packed_weights(const cf_layer *L, int l, cf_workspace *ws) {
    if (!ws->training && ws->frozen[l]) return ws->frozen[l]; /* frozen packs serve inference only */
    float *dst = conv_uses_winograd(L, ws) ? ws->wino_u : ws->packed_a;
    pack_conv_weights(L, ws, dst);
    return dst;
}

/* y = the Winograd convolution of the batch x, several images per call where the feature map is small
 * (cf_winograd_group). A work-sharing loop: it splits the groups across the threads of the enclosing
 * parallel region. */
static void winograd_batch(const cf_layer *L, cf_workspace *ws, const float *U, const float *x, float *y, int batch) {
    int in_size = cf_shape_size(L->in), out_size = cf_shape_size(L->out), group = cf_winograd_group(L);
    int n_groups = (batch + group - 1) / group;
    CF_FOR
    for (int g = 0; g < n_groups; g++) {
        int t = cf_thread_id(), b0 = g * group, n = batch - b0 < group ? batch - b0 : group;
        cf_winograd_forward(L, U, x + (size_t)b0 * in_size, y + (size_t)b0 * out_size, n, ws->wino_scratch[t],
                            ws->gemm_work[t]);
    }
}

static void conv_forward(const cf_layer *L, int l, cf_workspace *ws, const float *x, float *y, int batch) {
    const float *packed = conv_packed_weights(L, l, ws);
    if (conv_uses_winograd(L, ws)) {
        CF_PARALLEL(ws->n_threads) winograd_batch(L, ws, packed, x, y, batch);
        return;
    }
    int K = L->in.c * L->ksize * L->ksize, P = L->out.h * L->out.w, in_size = cf_shape_size(L->in);
    cf_gemm_a weights = {0, NULL, 0, packed}; /* shared by every image and thread */
    CF_PARALLEL_FOR(ws->n_threads)
    for (int b = 0; b < batch; b++) {
        conv_panel_src src = {L, x + (size_t)b * in_size};
        cf_gemm_b col = conv_col_operand(L, &src, 0);
        float *yb = y + (size_t)b * L->out.c * P;
        cf_gemm_ex(L->out.c, P, K, &weights, &col, 0.0f, yb, P, ws->gemm_work[cf_thread_id()]);
        for (int o = 0; o < L->out.c; o++) {
            float bias = L->bias[o], *row = yb + (size_t)o * P;
            for (int p = 0; p < P; p++) row[p] += bias;
        }
    }
}

/* Sums the per-thread partial gradients in thread order (deterministic for a fixed thread count). */
static void reduce_partials(cf_workspace *ws, float *dst, int n) {
    for (int t = 0; t < ws->n_threads; t++) {
        const float *src = ws->param_partial[t];
        for (int i = 0; i < n; i++) dst[i] += src[i];
    }
}

static void conv_backward(const cf_layer *L, cf_workspace *ws, const float *x, const float *dy, float *dx, int batch,
                          int param_grads) {
    int K = L->in.c * L->ksize * L->ksize, P = L->out.h * L->out.w, in_size = cf_shape_size(L->in);
    int n_w = L->n_weight, n_all = L->n_weight + L->n_bias;
    /* dX: by Winograd on the adjoint convolution where it applies, else W^T dY then col2im. The
     * packed weights are shared by all images. */
    cf_layer adjoint = conv_adjoint_shape(L);
    int adjoint_winograd = dx && conv_uses_winograd(&adjoint, ws), by_pixel = conv_dw_by_pixel(L);
    if (adjoint_winograd) {
        conv_flip_kernel(L, ws->flipped);
        adjoint.weight = ws->flipped;
        adjoint.bias = ws->zero_bias;
        cf_winograd_pack_weights(&adjoint, ws->wino_u, ws->wino_staging);
    } else if (dx) {
        cf_gemm_pack_a(1, K, L->out.c, L->weight, K, ws->packed_a);
    }
    cf_gemm_a weights_t = {1, NULL, 0, ws->packed_a};
    /* every partial is zeroed here, not by its thread: the runtime may start fewer threads than
     * the workspace has partials (or none but this one, without OpenMP), and all are summed */
    if (param_grads)
        for (int t = 0; t < ws->n_threads; t++) memset(ws->param_partial[t], 0, sizeof(float) * n_all);
    CF_PARALLEL(ws->n_threads) {
        int t = cf_thread_id();
        float *dw = ws->param_partial[t], *db = dw + n_w;
        CF_FOR
        for (int b = 0; b < batch; b++) {
            conv_panel_src src = {L, x + (size_t)b * in_size};
            const float *dyb = dy + (size_t)b * L->out.c * P;
            if (param_grads) { /* dW += dY col^T */
                cf_gemm_a dy_op = {0, dyb, P, NULL};
                cf_gemm_b col_t = conv_col_operand(L, &src, 1);
                conv_hwc_src hwc = {L, ws->dcol[t]}; /* dcol is free until the dX GEMM below */
                if (by_pixel) {
                    to_pixel_major(src.x, L->in.c, L->in.h * L->in.w, ws->dcol[t]);
                    col_t = (cf_gemm_b){0, NULL, 0, pack_hwc_t_panel, &hwc};
                }
                cf_gemm_ex(L->out.c, K, P, &dy_op, &col_t, 1.0f, dw, K, ws->gemm_work[t]);
                for (int o = 0; o < L->out.c; o++) db[o] += vf_sum(dyb + (size_t)o * P, P);
            }
            if (dx && !adjoint_winograd) { /* dcol = W^T dY, then scattered back onto the image */
                float *dxb = dx + (size_t)b * in_size;
                cf_gemm_b dy_op = {0, dyb, P, NULL, NULL};
                float *dcol = conv_needs_col(L) ? ws->dcol[t] : dxb;
                cf_gemm_ex(K, P, L->out.c, &weights_t, &dy_op, 0.0f, dcol, P, ws->gemm_work[t]);
                if (conv_needs_col(L)) col2im(L, dcol, dxb);
            }
        }
        if (adjoint_winograd) winograd_batch(&adjoint, ws, ws->wino_u, dy, dx, batch);
    }
    if (param_grads && by_pixel)
        reduce_partials_by_pixel(L, ws);
    else if (param_grads)
        reduce_partials(ws, L->dweight, n_all); /* dweight and dbias are adjacent */
}

/* ---------- batch normalisation ---------- */

/* y = the normalised x, or max(0, that) with `relu` (a fused batch norm + ReLU). */
static void bn_forward(const cf_layer *L, cf_workspace *ws, int l, const float *x, float *y, int batch, int training,
                       int relu) {
    int C = L->in.c, P = L->in.h * L->in.w;
    CF_PARALLEL_FOR(ws->n_threads)
    for (int c = 0; c < C; c++) {
        float mean, invstd;
        if (training) {
            double sum = 0.0, sumsq = 0.0; /* SIMD within a plane, double across planes */
            for (int b = 0; b < batch; b++) {
                float s, q;
                vf_sum_sumsq(x + ((size_t)b * C + c) * P, P, &s, &q);
                sum += s;
                sumsq += q;
            }
            double n = (double)batch * P, m = sum / n, var = sumsq / n - m * m;
            if (var < 0.0) var = 0.0;
            mean = (float)m;
            invstd = (float)(1.0 / sqrt(var + CF_BN_EPS));
            double unbiased = n > 1.0 ? var * n / (n - 1.0) : var;
            L->running_mean[c] = (1.0f - CF_BN_MOMENTUM) * L->running_mean[c] + CF_BN_MOMENTUM * mean;
            L->running_var[c] = (1.0f - CF_BN_MOMENTUM) * L->running_var[c] + CF_BN_MOMENTUM * (float)unbiased;
        } else {
            mean = L->running_mean[c];
            invstd = 1.0f / sqrtf(L->running_var[c] + CF_BN_EPS);
        }
        ws->bn_mean[l][c] = mean;
        ws->bn_invstd[l][c] = invstd;
        float scale = L->weight[c] * invstd, shift = L->bias[c] - mean * scale;
        for (int b = 0; b < batch; b++) {
            const float *xc = x + ((size_t)b * C + c) * P;
            float *yc = y + ((size_t)b * C + c) * P;
            if (relu)
                for (int p = 0; p < P; p++) { /* not fmaxf: without -ffast-math it stays a libm call */
                    float v = xc[p] * scale + shift;
                    yc[p] = v > 0.0f ? v : 0.0f;
                }
            else
                for (int p = 0; p < P; p++) yc[p] = xc[p] * scale + shift;
        }
    }
}

/* With relu_out (a fused batch norm + ReLU, whose output that is), dy is the gradient of the ReLU's
 * output: it is first masked in place into the gradient of the batch norm's output. */
static void bn_backward(const cf_layer *L, cf_workspace *ws, int l, const float *x, float *dy, const float *relu_out,
                        float *dx, int batch, int param_grads) {
    int C = L->in.c, P = L->in.h * L->in.w;
    int training = ws->training;
    CF_PARALLEL_FOR(ws->n_threads)
    for (int c = 0; c < C; c++) {
        float mean = ws->bn_mean[l][c], invstd = ws->bn_invstd[l][c], gamma = L->weight[c];
        double dbeta = 0.0, dgamma = 0.0;
        for (int b = 0; b < batch; b++) {
            float s, d, *dyc = dy + ((size_t)b * C + c) * P;
            if (relu_out) {
                const float *z = relu_out + ((size_t)b * C + c) * P;
                for (int p = 0; p < P; p++) dyc[p] = z[p] > 0.0f ? dyc[p] : 0.0f;
            }
            vf_sum_dot_shifted(dyc, x + ((size_t)b * C + c) * P, mean, P, &s, &d);
            dbeta += s;
            dgamma += (double)d * invstd;
        }
        if (param_grads) {
            L->dweight[c] += (float)dgamma;
            L->dbias[c] += (float)dbeta;
        }
        if (!dx) continue;
        double n = (double)batch * P;
        /* With batch statistics the mean and variance depend on x too; with running statistics
         * (eval-mode backward, as in Grad-CAM) the layer is a fixed affine map. */
        float k1 = training ? (float)(dbeta / n) : 0.0f, k2 = training ? (float)(dgamma / n) : 0.0f;
        float s = gamma * invstd;
        for (int b = 0; b < batch; b++) {
            const float *xc = x + ((size_t)b * C + c) * P, *dyc = dy + ((size_t)b * C + c) * P;
            float *dxc = dx + ((size_t)b * C + c) * P;
            for (int p = 0; p < P; p++) dxc[p] = s * (dyc[p] - k1 - (xc[p] - mean) * invstd * k2);
        }
    }
}

/* ---------- element-wise and pooling layers ---------- */

/* Element-wise layers split the batch across threads, one image per iteration. */
static void relu_forward(const float *x, float *y, size_t per_image, int batch, int n_threads) {
    (void)n_threads; /* unused in builds without OpenMP */
    CF_PARALLEL_FOR(n_threads)
    for (int b = 0; b < batch; b++) {
        const float *xb = x + (size_t)b * per_image;
        float *yb = y + (size_t)b * per_image;
        size_t i = 0;
        for (; i + CF_VF <= per_image; i += CF_VF) vf_store(yb + i, vf_max(vf_load(xb + i), vf_zero()));
        for (; i < per_image; i++) yb[i] = xb[i] > 0.0f ? xb[i] : 0.0f;
    }
}

static void relu_backward(const float *y, const float *dy, float *dx, size_t per_image, int batch, int n_threads) {
    (void)n_threads; /* unused in builds without OpenMP */
    CF_PARALLEL_FOR(n_threads)
    for (int b = 0; b < batch; b++) {
        size_t o = (size_t)b * per_image;
        for (size_t i = o; i < o + per_image; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    }
}

static void maxpool_forward(const cf_layer *L, const float *x, float *y, int32_t *index, int batch, int n_threads) {
    (void)n_threads; /* unused in builds without OpenMP */
    int H = L->in.h, W = L->in.w, oh = L->out.h, ow = L->out.w, planes = batch * L->in.c;
    CF_PARALLEL_FOR(n_threads)
    for (int pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * H * W;
        float *yp = y + (size_t)pl * oh * ow;
        int32_t *ip = index + (size_t)pl * oh * ow;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                int i0 = 2 * oy * W + 2 * ox, cand[4] = {i0, i0 + 1, i0 + W, i0 + W + 1}, best = i0;
                for (int q = 1; q < 4; q++)
                    if (xp[cand[q]] > xp[best]) best = cand[q];
                yp[oy * ow + ox] = xp[best];
                ip[oy * ow + ox] = best;
            }
    }
}

static void maxpool_backward(const cf_layer *L, const float *dy, const int32_t *index, float *dx, int batch,
                             int n_threads) {
    (void)n_threads; /* unused in builds without OpenMP */
    int HW = L->in.h * L->in.w, ohw = L->out.h * L->out.w, planes = batch * L->in.c;
    CF_PARALLEL_FOR(n_threads)
    for (int pl = 0; pl < planes; pl++) {
        float *dxp = dx + (size_t)pl * HW;
        memset(dxp, 0, sizeof(float) * HW);
        for (int o = 0; o < ohw; o++) dxp[index[(size_t)pl * ohw + o]] += dy[(size_t)pl * ohw + o];
    }
}

static void gap_forward(const cf_layer *L, const float *x, float *y, int batch) {
    int P = L->in.h * L->in.w, planes = batch * L->in.c;
    for (int pl = 0; pl < planes; pl++) {
        const float *xp = x + (size_t)pl * P;
        float s = 0.0f;
        for (int p = 0; p < P; p++) s += xp[p];
        y[pl] = s / (float)P;
    }
}

static void gap_backward(const cf_layer *L, const float *dy, float *dx, int batch) {
    int P = L->in.h * L->in.w, planes = batch * L->in.c;
    for (int pl = 0; pl < planes; pl++) {
        float g = dy[pl] / (float)P;
        for (int p = 0; p < P; p++) dx[(size_t)pl * P + p] = g;
    }
}

/* NPR: y = x - x at the top-left of its 2x2 block. The block's anchor feeds every pixel of its
 * block, so its gradient is its own dy minus the sum of the block's dy (the anchor's output is 0). */
static void npr_forward(const cf_layer *L, const float *x, float *y, int batch) {
    int H = L->in.h, W = L->in.w;
    size_t planes = (size_t)batch * L->in.c;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        float *yp = y + pl * H * W;
        for (int i = 0; i < H; i++) {
            const float *anchor = xp + (size_t)(i & ~1) * W;
            for (int j = 0; j < W; j++) yp[i * W + j] = xp[i * W + j] - anchor[j & ~1];
        }
    }
}

static void npr_backward(const cf_layer *L, const float *dy, float *dx, int batch) {
    int H = L->in.h, W = L->in.w;
    size_t planes = (size_t)batch * L->in.c;
    memcpy(dx, dy, sizeof(float) * planes * H * W);
    for (size_t pl = 0; pl < planes; pl++) {
        const float *dyp = dy + pl * H * W;
        float *dxp = dx + pl * H * W;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) dxp[(i & ~1) * W + (j & ~1)] -= dyp[i * W + j];
    }
}

static void dropout_forward(const cf_layer *L, int l, const float *x, float *y, float *mask, int batch, int training,
                            uint64_t seed, const uint64_t *ids) {
    size_t n = (size_t)cf_shape_size(L->in);
    if (!training) {
        memcpy(y, x, sizeof(float) * n * batch);
        return;
    }
    float keep_scale = 1.0f / (1.0f - L->drop_p);
    for (int b = 0; b < batch; b++) {
        cf_rng rng = cf_rng_make(seed, ids ? ids[b] : (uint64_t)b, 0xD209u + (uint64_t)l);
        for (size_t i = 0; i < n; i++) {
            float m = cf_rng_uniform(&rng) < L->drop_p ? 0.0f : keep_scale;
            mask[b * n + i] = m;
            y[b * n + i] = x[b * n + i] * m;
        }
    }
}

/* In training, dropout's gradient goes through its mask; at inference it is the identity. */
static void dropout_backward(const cf_layer *L, int l, const cf_workspace *ws, const float *dy, float *dx) {
    size_t n = (size_t)ws->batch * cf_shape_size(L->in);
    if (ws->training)
        for (size_t i = 0; i < n; i++) dx[i] = dy[i] * ws->drop_mask[l][i];
    else
        memcpy(dx, dy, sizeof(float) * n);
}

/* ---------- dense ---------- */

/* Y[B x out] = X[B x in] W^T + b, rows of the batch split across threads. */
static void dense_forward(const cf_layer *L, cf_workspace *ws, const float *x, float *y, int batch) {
    int in = cf_shape_size(L->in), out = L->out.c, nt = ws->n_threads;
    CF_PARALLEL_FOR(nt)
    for (int t = 0; t < nt; t++) {
        int b0 = batch * t / nt, b1 = batch * (t + 1) / nt;
        if (b1 > b0)
            cf_gemm(0, 1, b1 - b0, out, in, x + (size_t)b0 * in, in, L->weight, in, 0.0f, y + (size_t)b0 * out, out,
                    ws->gemm_work[cf_thread_id()]);
    }
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < out; o++) y[(size_t)b * out + o] += L->bias[o];
}

static void dense_backward(const cf_layer *L, cf_workspace *ws, const float *x, const float *dy, float *dx, int batch,
                           int param_grads) {
    int in = cf_shape_size(L->in), out = L->out.c, nt = ws->n_threads;
    CF_PARALLEL_FOR(nt)
    for (int t = 0; t < nt; t++) {
        float *work = ws->gemm_work[cf_thread_id()];
        if (param_grads) { /* dW[out x in] += dY^T X, columns of dW split across threads */
            int j0 = in * t / nt, j1 = in * (t + 1) / nt;
            if (j1 > j0)
                cf_gemm(1, 0, out, j1 - j0, batch, dy, out, x + j0, in, 1.0f, L->dweight + j0, in, work);
        }
        if (dx) { /* dX[B x in] = dY W, rows split */
            int b0 = batch * t / nt, b1 = batch * (t + 1) / nt;
            if (b1 > b0)
                cf_gemm(0, 0, b1 - b0, in, out, dy + (size_t)b0 * out, out, L->weight, in, 0.0f, dx + (size_t)b0 * in,
                        in, work);
        }
    }
    if (param_grads)
        for (int o = 0; o < out; o++) {
            float s = 0.0f;
            for (int b = 0; b < batch; b++) s += dy[(size_t)b * out + o];
            L->dbias[o] += s;
        }
}

/* ---------- one entry each way ---------- */

void cf_layer_forward(const cf_layer *L, int l, cf_workspace *ws, const float *x, float *y, int relu, uint64_t seed,
                      const uint64_t *image_ids) {
    int batch = ws->batch, training = ws->training;
    switch (L->kind) {
    case CF_CONV: conv_forward(L, l, ws, x, y, batch); break;
    case CF_BN: bn_forward(L, ws, l, x, y, batch, training, relu); break;
    case CF_RELU: relu_forward(x, y, cf_shape_size(L->in), batch, ws->n_threads); break;
    case CF_MAXPOOL: maxpool_forward(L, x, y, ws->pool_index[l], batch, ws->n_threads); break;
    case CF_GAP: gap_forward(L, x, y, batch); break;
    case CF_FLATTEN: memcpy(y, x, sizeof(float) * (size_t)batch * cf_shape_size(L->in)); break;
    case CF_NPR: npr_forward(L, x, y, batch); break;
    case CF_DENSE: dense_forward(L, ws, x, y, batch); break;
    case CF_DROPOUT: dropout_forward(L, l, x, y, ws->drop_mask[l], batch, training, seed, image_ids); break;
    }
}

void cf_layer_backward(const cf_layer *L, int l, cf_workspace *ws, const float *x, const float *y, float *dy,
                       float *dx, const float *relu_out, int param_grads) {
    int batch = ws->batch;
    switch (L->kind) { /* layers with parameters */
    case CF_CONV: conv_backward(L, ws, x, dy, dx, batch, param_grads); return;
    case CF_BN: bn_backward(L, ws, l, x, dy, relu_out, dx, batch, param_grads); return;
    case CF_DENSE: dense_backward(L, ws, x, dy, dx, batch, param_grads); return;
    default: break;
    }
    if (!dx) return; /* the others have only an input gradient */
    switch (L->kind) {
    case CF_RELU: relu_backward(y, dy, dx, cf_shape_size(L->in), batch, ws->n_threads); break;
    case CF_MAXPOOL: maxpool_backward(L, dy, ws->pool_index[l], dx, batch, ws->n_threads); break;
    case CF_GAP: gap_backward(L, dy, dx, batch); break;
    case CF_FLATTEN: memcpy(dx, dy, sizeof(float) * (size_t)batch * cf_shape_size(L->in)); break;
    case CF_NPR: npr_backward(L, dy, dx, batch); break;
    case CF_DROPOUT: dropout_backward(L, l, ws, dy, dx); break;
    default: break;
    }
}

/* ---------- reference twins ---------- */

void cf_conv_forward_ref(const cf_layer *L, const float *x, float *y) {
    int k = L->ksize, pad = L->pad;
    for (int o = 0; o < L->out.c; o++)
        for (int oy = 0; oy < L->out.h; oy++)
            for (int ox = 0; ox < L->out.w; ox++) {
                double s = L->bias[o];
                for (int c = 0; c < L->in.c; c++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy + ky - pad, ix = ox + kx - pad;
                            if (iy < 0 || iy >= L->in.h || ix < 0 || ix >= L->in.w) continue;
                            s += (double)L->weight[((o * L->in.c + c) * k + ky) * k + kx] *
                                 x[((size_t)c * L->in.h + iy) * L->in.w + ix];
                        }
                y[((size_t)o * L->out.h + oy) * L->out.w + ox] = (float)s;
            }
}

void cf_conv_backward_ref(const cf_layer *L, const float *x, const float *dy, float *dx, float *dw, float *db) {
    int k = L->ksize, pad = L->pad;
    memset(dx, 0, sizeof(float) * cf_shape_size(L->in));
    memset(dw, 0, sizeof(float) * L->n_weight);
    memset(db, 0, sizeof(float) * L->n_bias);
    for (int o = 0; o < L->out.c; o++)
        for (int oy = 0; oy < L->out.h; oy++)
            for (int ox = 0; ox < L->out.w; ox++) {
                float g = dy[((size_t)o * L->out.h + oy) * L->out.w + ox];
                db[o] += g;
                for (int c = 0; c < L->in.c; c++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy + ky - pad, ix = ox + kx - pad;
                            if (iy < 0 || iy >= L->in.h || ix < 0 || ix >= L->in.w) continue;
                            size_t wi = ((size_t)(o * L->in.c + c) * k + ky) * k + kx;
                            size_t xi = ((size_t)c * L->in.h + iy) * L->in.w + ix;
                            dw[wi] += g * x[xi];
                            dx[xi] += g * L->weight[wi];
                        }
            }
}

