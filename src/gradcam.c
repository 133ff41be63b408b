/* gradcam.c - Grad-CAM / Grad-CAM++ over any conv layer, bilinear upsampling, colour maps, blending. */
#include "gradcam.h"

#include <float.h>
#include <math.h>
#include <string.h>

int cf_cam_feature_layer(const cf_model *m, int conv_layer, int *feature_layer, cf_error *err) {
    if (conv_layer < 0)
        for (int l = m->n_layers - 1; l >= 0 && conv_layer < 0; l--)
            if (m->layers[l].kind == CF_CONV) conv_layer = l;
    if (conv_layer < 0) return cf_fail(err, "the model has no convolution layer to explain");
    if (conv_layer >= m->n_layers || m->layers[conv_layer].kind != CF_CONV)
        return cf_fail(err, "layer %d is not a convolution (it is '%s'); Grad-CAM needs a conv layer", conv_layer + 1,
                       conv_layer < m->n_layers ? cf_layer_name(m->layers[conv_layer].kind) : "past the end");
    int l = conv_layer;
    while (l + 1 < m->n_layers && (m->layers[l + 1].kind == CF_BN || m->layers[l + 1].kind == CF_RELU)) l++;
    *feature_layer = l;
    return 0;
}

/* Per-channel weights from the gradients g and activations A of one image (C planes of P values). */
static void channel_weights(const float *A, const float *g, int C, int P, cifake_cam_method method, float *w) {
    for (int k = 0; k < C; k++) {
        const float *a = A + (size_t)k * P, *gk = g + (size_t)k * P;
        double sum = 0.0;
        if (method == CIFAKE_CAM_GRADCAM) {
            for (int p = 0; p < P; p++) sum += gk[p];
            w[k] = (float)(sum / P);
            continue;
        }
        double act_sum = 0.0;
        for (int p = 0; p < P; p++) act_sum += a[p];
        for (int p = 0; p < P; p++) {
            double g1 = gk[p], g2 = g1 * g1, g3 = g2 * g1;
            if (g1 == 0.0) continue;
            double denom = 2.0 * g2 + act_sum * g3;
            double alpha = denom != 0.0 ? g2 / denom : 0.0;
            sum += alpha * (g1 > 0.0 ? g1 : 0.0);
        }
        w[k] = (float)sum;
    }
}

int cf_gradcam(cf_model *m, cf_workspace *ws, int feature_layer, int target, cifake_cam_method method, float *map, int *fh,
               int *fw, cf_error *err) {
    if (feature_layer < 0 || feature_layer >= m->n_layers) return cf_fail(err, "CAM layer out of range");
    if (ws->training) return cf_fail(err, "Grad-CAM needs an inference-mode forward pass");
    if (target != 0 && target != 1) return cf_fail(err, "CAM target class must be 0 (REAL) or 1 (FAKE)");
    const cf_layer *F = &m->layers[feature_layer];
    int C = F->out.c, P = F->out.h * F->out.w, k = cf_model_outputs(m);
    int batch = ws->batch;
    /* d(class score)/d(logits): a sigmoid head's REAL score is -z; a softmax head's is z_target */
    float *dz = cf_output_grad(ws);
    memset(dz, 0, sizeof(float) * batch * k);
    if (k == 1) dz[0] = target ? 1.0f : -1.0f;
    else dz[target] = 1.0f;
    /* d(score)/d(output of the feature layer), which is dz itself when that is the last layer */
    const float *g = dz;
    if (feature_layer + 1 < m->n_layers) g = cf_backward(m, ws, feature_layer + 1, m->n_layers - 1, CF_GRAD_INPUT);
    const float *A = ws->act[feature_layer + 1];
    float weights[4096];
    if (C > (int)(sizeof weights / sizeof weights[0])) return cf_fail(err, "CAM layer has too many channels (%d)", C);
    channel_weights(A, g, C, P, method, weights);
    float peak = 0.0f;
    for (int p = 0; p < P; p++) {
        double s = 0.0;
        for (int c = 0; c < C; c++) s += (double)weights[c] * A[(size_t)c * P + p];
        /* NaN counts as no evidence, and a sum beyond float range (weights near FLT_MAX in a hostile
         * file) is clamped, so the map always normalises into [0, 1]. */
        map[p] = s > 0.0 ? (float)(s < FLT_MAX ? s : FLT_MAX) : 0.0f;
        if (map[p] > peak) peak = map[p];
    }
    /* peak == 0: no positive evidence anywhere; the map stays all zeros rather than 0/0 */
    if (peak > 0.0f)
        for (int p = 0; p < P; p++) map[p] /= peak;
    *fh = F->out.h;
    *fw = F->out.w;
    return 0;
}

void cf_resize_bilinear(const float *src, int sh, int sw, float *dst, int dh, int dw) {
    float sy = (float)sh / dh, sx = (float)sw / dw;
    for (int y = 0; y < dh; y++) {
        float fy = (y + 0.5f) * sy - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        float wy = fy - y0;
        for (int x = 0; x < dw; x++) {
            float fx = (x + 0.5f) * sx - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            float wx = fx - x0;
            float top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
            float bottom = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
            dst[y * dw + x] = top * (1 - wy) + bottom * wy;
        }
    }
}

static uint8_t to_byte(float v) {
    v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    return (uint8_t)(v * 255.0f + 0.5f);
}

/* Polynomial fits instead of 256-entry tables: viridis (matplotlib's; within a few 8-bit levels of
 * the table) and turbo (Mikhailov's published polynomial, Google 2019; it runs darker than the table
 * near 0); jet is piecewise linear by definition. */
static float poly(const float *c, float t) {
    return c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5]))));
}

void cf_colormap_rgb(cifake_colormap cmap, float v, uint8_t rgb[3]) {
    float t = v != v ? 0.0f : v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    if (cmap == CIFAKE_COLORMAP_JET) {
        float r = 1.5f - fabsf(4.0f * t - 3.0f), g = 1.5f - fabsf(4.0f * t - 2.0f), b = 1.5f - fabsf(4.0f * t - 1.0f);
        rgb[0] = to_byte(r), rgb[1] = to_byte(g), rgb[2] = to_byte(b);
        return;
    }
    static const float turbo[3][6] = {{0.13572138f, 4.61539260f, -42.66032258f, 132.13108234f, -152.94239396f, 59.28637943f},
                                      {0.09140261f, 2.19418839f, 4.84296658f, -14.18503333f, 4.27729857f, 2.82956604f},
                                      {0.10667330f, 12.64194608f, -60.58204836f, 110.36276771f, -89.90310912f, 27.34824973f}};
    static const float viridis[3][7] = {{0.2777273272234177f, 0.1050930431085774f, -0.3308618287255563f, -4.634230498983486f, 6.228269936347081f, 4.776384997670288f, -5.435455855934631f},
                                        {0.005407344544966578f, 1.404613529898575f, 0.214847559468213f, -5.799100973351585f, 14.17993336680509f, -13.74514537774601f, 4.645852612178535f},
                                        {0.3340998053353061f, 1.384590162594685f, 0.09509516302823659f, -19.33244095627987f, 56.69055260068105f, -65.35303263337234f, 26.3124352495832f}};
    for (int c = 0; c < 3; c++) {
        float value = cmap == CIFAKE_COLORMAP_VIRIDIS ? poly(viridis[c], t) + viridis[c][6] * powf(t, 6.0f) : poly(turbo[c], t);
        rgb[c] = to_byte(value);
    }
}

int cf_colormap_parse(const char *name, cifake_colormap *cmap) {
    if (!strcmp(name, "turbo")) *cmap = CIFAKE_COLORMAP_TURBO;
    else if (!strcmp(name, "jet")) *cmap = CIFAKE_COLORMAP_JET;
    else if (!strcmp(name, "viridis")) *cmap = CIFAKE_COLORMAP_VIRIDIS;
    else return -1;
    return 0;
}

int cf_cam_method_parse(const char *name, cifake_cam_method *method) {
    if (!strcmp(name, "gradcam")) *method = CIFAKE_CAM_GRADCAM;
    else if (!strcmp(name, "gradcampp")) *method = CIFAKE_CAM_GRADCAMPP;
    else return -1;
    return 0;
}

void cf_cam_blend(const float *map, const uint8_t *rgb, int w, int h, cifake_colormap cmap, float alpha, uint8_t *rgba) {
    alpha = alpha < 0.0f ? 0.0f : alpha > 1.0f ? 1.0f : alpha;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        uint8_t color[3];
        cf_colormap_rgb(cmap, map[i], color);
        for (int c = 0; c < 3; c++) rgba[i * 4 + c] = (uint8_t)((1.0f - alpha) * rgb[i * 3 + c] + alpha * color[c] + 0.5f);
        rgba[i * 4 + 3] = 255;
    }
}
