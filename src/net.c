/* net.c - the passes over a whole net: the forward pass, the backward pass between any two layers,
 * and the losses. Each layer's own work is in layers.c; this file runs the layers
 * in order and decides, in one place (fused_bn_relu), which two of them run as one. */
#include "net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"

/* ---------- passes over the whole net ---------- */

/* The one rule for fusing: in training, a batch norm (layer l) followed by a ReLU, both within the
 * layers a pass runs (up to last), runs as one step. The forward pass writes only the ReLU's output
 * (nothing reads the batch norm's in training: its activation stays unwritten), and the backward
 * pass applies the ReLU's mask inside the batch norm's. That saves two passes over the activation
 * each way. At inference the two run apart, so every activation is there (Grad-CAM reads them). */
static int fused_bn_relu(const cf_model *m, int training, int l, int last) {
    return training && m->layers[l].kind == CF_BN && l + 1 <= last && m->layers[l + 1].kind == CF_RELU;
}

const float *cf_forward(cf_model *m, cf_workspace *ws, const float *input, int batch, int training, uint64_t seed,
                        const uint64_t *image_ids) {
    ws->batch = batch;
    ws->training = training;
    memcpy(ws->act[0], input, sizeof(float) * (size_t)batch * cf_shape_size(m->input));
    for (int l = 0; l < m->n_layers; l++) {
        int fused = fused_bn_relu(m, training, l, m->n_layers - 1); /* writes the ReLU's output */
        cf_layer_forward(&m->layers[l], l, ws, ws->act[l], ws->act[l + 1 + fused], fused, seed, image_ids);
        l += fused;
    }
    return ws->act[m->n_layers];
}

float *cf_output_grad(cf_workspace *ws) { return ws->grad_a; }

const float *cf_backward(cf_model *m, cf_workspace *ws, int first_layer, int last_layer, int flags) {
    if (first_layer < 0 || last_layer >= m->n_layers || first_layer > last_layer) return NULL;
    float *dy = ws->grad_a, *dx = ws->grad_b;
    for (int l = last_layer; l >= first_layer; l--) {
        /* a fused batch norm + ReLU is one step, run by the batch norm with the ReLU's output */
        int fused = l > first_layer && fused_bn_relu(m, ws->training, l - 1, last_layer);
        l -= fused;
        float *dxl = l > first_layer || (flags & CF_GRAD_INPUT) ? dx : NULL;
        cf_layer_backward(&m->layers[l], l, ws, ws->act[l], ws->act[l + 1], dy, dxl, fused ? ws->act[l + 2] : NULL,
                          flags & CF_GRAD_PARAMS);
        if (!dxl) return NULL;
        float *tmp = dy;
        dy = dx;
        dx = tmp;
    }
    /* Leave the result in grad_a (cf_output_grad) so a further call can continue from here. */
    if (dy != ws->grad_a) {
        int l = first_layer;
        size_t n = (size_t)ws->batch * cf_shape_size(m->layers[l].in);
        memcpy(ws->grad_a, dy, sizeof(float) * n);
    }
    return ws->grad_a;
}

/* ---------- loss and probabilities ---------- */

float cf_sigmoid(float x) {
    return x >= 0.0f ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
}

float cf_fake_score(const cf_model *m, const float *logits) {
    return cf_model_outputs(m) == 1 ? logits[0] : logits[1] - logits[0];
}

/* Cross-entropy of one image against target t = P(FAKE); writes d(loss)/d(z) / batch into dz when
 * dz is not NULL. With t exactly 0 or 1 this is the usual hard-label loss, bit for bit. */
static double example_loss(const float *z, int k, float t, float *dz, int batch) {
    if (k == 1) {
        if (dz) dz[0] = (cf_sigmoid(z[0]) - t) / (float)batch;
        /* log(1 + e^-|z|) + max(z, 0) - z*t, stable for any z */
        return log1p(exp(-fabs((double)z[0]))) + (z[0] > 0 ? z[0] : 0.0) - (double)z[0] * t;
    }
    double zmax = z[0] > z[1] ? z[0] : z[1];
    double lse = zmax + log(exp(z[0] - zmax) + exp(z[1] - zmax));
    double tz[2] = {1.0 - t, t};
    if (dz)
        for (int j = 0; j < 2; j++) dz[j] = (float)(exp(z[j] - lse) - tz[j]) / (float)batch;
    return lse - (tz[0] * z[0] + tz[1] * z[1]);
}

/* Mean loss over the batch against hard labels or, when targets is not NULL, soft targets. */
static float batch_loss(const cf_model *m, const float *logits, const int *labels, const float *targets, int batch,
                        float *dlogits) {
    int k = cf_model_outputs(m);
    double total = 0.0;
    for (int b = 0; b < batch; b++) {
        float t = targets ? targets[b] : (float)labels[b];
        total += example_loss(logits + (size_t)b * k, k, t, dlogits ? dlogits + (size_t)b * k : NULL, batch);
    }
    return (float)(total / batch);
}

float cf_loss(const cf_model *m, const float *logits, const int *labels, int batch, float *dlogits) {
    return batch_loss(m, logits, labels, NULL, batch, dlogits);
}

float cf_loss_soft(const cf_model *m, const float *logits, const float *targets, int batch, float *dlogits) {
    return batch_loss(m, logits, NULL, targets, batch, dlogits);
}
