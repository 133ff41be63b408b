/* model.h - a CNN described by a short spec string: building it, forward and backward over a batch.
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
 * Memory: a cf_model owns its parameters, gradients and buffers (batch-norm running statistics).
 * A cf_workspace owns everything a batch needs (activations, gradients, per-thread scratch), so the
 * per-image path never allocates once a workspace exists. */
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
/* Inference copy with every batch norm that directly follows a conv or dense layer folded into it
 * (w' = w * gamma / sqrt(var + eps), b' = (b - mean) * gamma / sqrt(var + eps) + beta): same outputs,
 * fewer layers. */
int cf_model_fold_bn(const cf_model *src, cf_model *dst, cf_error *err);

#define CF_BN_EPS 1e-5f
#define CF_BN_MOMENTUM 0.1f

typedef struct {
    int max_batch, n_threads;
    int batch;           /* batch size of the last forward pass */
    int training;        /* mode of the last forward pass */
    /* act[0] input, act[l+1] output of layer l, each max_batch images; in training, a batch norm
     * followed by a ReLU leaves its own output unwritten (the two run fused, layers.c) */
    float *act[CF_MAX_LAYERS + 1];
    float *grad_a, *grad_b;        /* ping-pong activation gradients */
    float *bn_mean[CF_MAX_LAYERS], *bn_invstd[CF_MAX_LAYERS]; /* batch statistics saved for backward */
    int32_t *pool_index[CF_MAX_LAYERS];                       /* argmax of each pooled window */
    float *drop_mask[CF_MAX_LAYERS];                          /* 0 or 1/(1-p) per activation */
    float *packed_a;     /* one convolution's weights packed for the GEMM (shared, read-only in a pass) */
    float *wino_u;       /* one convolution's Winograd-transformed weights, or NULL (no layer qualifies) */
    float *flipped, *zero_bias; /* one convolution's flipped kernel (for dX) and a bias of zeros */
    float *wino_staging; /* room to transform one convolution's weights before packing them */
    float *frozen[CF_MAX_LAYERS]; /* each convolution's weights packed once (cf_workspace_freeze_weights) */
    /* per-thread scratch */
    float **dcol, **gemm_work, **param_partial, **wino_scratch;
    size_t max_act;      /* floats per image of the largest activation */
} cf_workspace;

int cf_workspace_init(cf_workspace *ws, const cf_model *m, int max_batch, int n_threads, cf_error *err);
void cf_workspace_free(cf_workspace *ws);

/* For a workspace that will only run inference on weights that no longer change (the detector, an
 * evaluation): packs every convolution's weights once, so inference passes skip that work. The
 * packs are not refreshed: after changing the weights, use a new workspace. Training-mode passes
 * ignore them. */
int cf_workspace_freeze_weights(cf_workspace *ws, const cf_model *m, cf_error *err);

/* Forward pass over `batch` images stored contiguously (C,H,W each, normalised floats). In training
 * mode batch norm uses batch statistics (and updates the running ones) and dropout draws its masks
 * from (seed, image_ids[i], layer), so a given image gets the same mask whatever its batch position.
 * image_ids may be NULL (index in batch). Returns the logits: batch x cf_model_outputs(m). */
const float *cf_forward(cf_model *m, cf_workspace *ws, const float *input, int batch, int training, uint64_t seed,
                        const uint64_t *image_ids);

/* The buffer to write d(loss)/d(logits) into before cf_backward (batch x outputs). */
float *cf_output_grad(cf_workspace *ws, const cf_model *m);

/* Backward pass through layers n_layers-1 down to first_layer, for the batch of the last forward.
 * With param_grads, parameter gradients are ADDED to m->grads (zero them first with
 * cf_model_zero_grads). Returns the gradient with respect to the input of first_layer (the output of
 * layer first_layer-1), or NULL when first_layer == 0 (input gradients are never needed). */
const float *cf_backward(cf_model *m, cf_workspace *ws, int first_layer, int param_grads);
void cf_model_zero_grads(cf_model *m);

/* Loss for labels (0 REAL, 1 FAKE): mean binary or categorical cross-entropy over the batch; writes
 * d(loss)/d(logits) into dlogits when it is not NULL. */
float cf_loss(const cf_model *m, const float *logits, const int *labels, int batch, float *dlogits);
/* The same against soft targets: targets[b] is the probability that image b is FAKE (for mixed
 * images, e.g. a REAL image with a FAKE patch pasted in); 0/1 targets give exactly cf_loss. */
float cf_loss_soft(const cf_model *m, const float *logits, const float *targets, int batch, float *dlogits);

/* Score of FAKE as a single logit: z for a sigmoid head, z_fake - z_real for a softmax head; the
 * probability of FAKE at temperature T is sigmoid(score / T) in both cases. */
float cf_fake_score(const cf_model *m, const float *logits_of_one_image);
float cf_sigmoid(float x);

/* Per-layer reference twins (naive loops), used by tests to check the fast paths. */
void cf_conv_forward_ref(const cf_layer *L, const float *x, float *y);
void cf_conv_backward_ref(const cf_layer *L, const float *x, const float *dy, float *dx, float *dw, float *db);

const char *cf_layer_name(cf_layer_kind kind);

#endif
