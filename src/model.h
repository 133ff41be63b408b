/* model.h - a CNN described by a short spec string: its layers, building it, its parameters. The
 * passes over it (forward, backward, the workspace they run in, the losses) are in net.h.
 *
 * Spec grammar: comma-separated layer tokens, applied in order to a C x H x W input.
 *   cN      3x3 convolution, N filters, zero "same" padding, with bias
 *   cNkK    KxK convolution (K odd), same padding;     cNv / cNkKv: no padding ("valid")
 *   bn      batch normalisation (batch statistics in training, running statistics at inference)
 *   relu    rectified linear unit
 *   mp      2x2 max-pool, stride 2 (odd sizes drop the last row/column)
 *   gap     global average pool (C x H x W -> C x 1 x 1)
 *   flat    flatten (no-op on the data: activations are stored C,H,W per image)
 *   dN      dense layer with N outputs (input flattened)
 *   dropP   dropout with drop probability P (0 <= P < 1), e.g. drop0.5; identity at inference
 *   npr     neighbouring-pixel residual (NPR, Tan et al., CVPR 2024), no parameters: each pixel minus
 *           the top-left pixel of its 2x2 block, y[c][i][j] = x[c][i][j] - x[c][2*(i/2)][2*(j/2)]
 *           (x minus its nearest-neighbour up-sampling of a 2x down-sampling); same shape
 * The net must end with a dense layer of 1 unit (sigmoid output, binary cross-entropy) or 2 units
 * (softmax over REAL, FAKE, cross-entropy). Class index 1 is FAKE, the positive class.
 *
 * Example, the paper's best topology: "c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1".
 *
 * Memory: a cf_model owns its parameters, gradients and buffers (batch-norm running statistics);
 * a cf_workspace (net.h) everything a batch needs. */
#ifndef CIFAKE_MODEL_H
#define CIFAKE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define CF_MAX_LAYERS 64
#define CF_SPEC_MAX 512

typedef enum { CF_CONV, CF_BN, CF_RELU, CF_MAXPOOL, CF_GAP, CF_FLATTEN, CF_DENSE, CF_DROPOUT, CF_NPR } cf_layer_kind;

typedef struct {
    int c, h, w;
} cf_shape;

static inline int cf_shape_size(cf_shape s) { return s.c * s.h * s.w; }

typedef struct {
    cf_layer_kind kind;
    cf_shape in, out;
    int ksize, pad;  /* convolution */
    float drop_p;    /* dropout */
    /* Views into the model's parameter, gradient and buffer arrays (NULL when the layer has none).
     * conv: weight [out.c][in.c*k*k], bias [out.c]; dense: weight [units][inputs], bias [units];
     * bn: weight = gamma [c], bias = beta [c], running_mean/var [c]. */
    float *weight, *bias, *dweight, *dbias;
    float *running_mean, *running_var;
    int n_weight, n_bias;
} cf_layer;

typedef struct {
    char spec[CF_SPEC_MAX];
    cf_shape input;
    int n_layers;
    cf_layer layers[CF_MAX_LAYERS];
    size_t n_params, n_buffers;
    float *params;  /* all trainable parameters, layer by layer, weight then bias */
    float *grads;   /* same layout as params */
    float *buffers; /* batch-norm running statistics, layer by layer, mean then var */
} cf_model;

/* Builds the layer list of a spec for an input shape and allocates zeroed parameters. */
int cf_model_build(cf_model *m, const char *spec, cf_shape input, cf_error *err);
/* cf_model_build in two steps, so a reader of untrusted files can check the sizes a spec implies
 * (n_params, n_buffers, cf_model_activation_floats) before anything large is allocated: parse fills
 * the layer list and counts (params NULL); alloc then allocates (on failure the model is freed). */
int cf_model_parse(cf_model *m, const char *spec, cf_shape input, cf_error *err);
int cf_model_alloc(cf_model *m, cf_error *err);
/* Floats of activation one image needs: the input plus every layer's output. */
size_t cf_model_activation_floats(const cf_model *m);
void cf_model_free(cf_model *m);
/* He-normal weights, zero biases, gamma 1, beta 0, running mean 0 and var 1; deterministic in seed. */
void cf_model_init_params(cf_model *m, uint64_t seed);
/* Number of output units (1: sigmoid, 2: softmax). */
int cf_model_outputs(const cf_model *m);
/* Deep copy (parameters and buffers; gradients zeroed). */
int cf_model_clone(const cf_model *src, cf_model *dst, cf_error *err);
/* Zeroes m->grads (the passes of net.h add to them). */
void cf_model_zero_grads(cf_model *m);
/* Inference copy with every batch norm that directly follows a conv or dense layer folded into it
 * (w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta): same outputs,
 * fewer layers. */
int cf_model_fold_bn(const cf_model *src, cf_model *dst, cf_error *err);

#define CF_BN_EPS 1e-5f
#define CF_BN_MOMENTUM 0.1f

const char *cf_layer_name(cf_layer_kind kind);

#endif
