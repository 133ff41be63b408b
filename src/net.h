/* net.h - passes over a whole net (model.h): the workspace they run in, the forward pass, the
 * backward pass between any two layers, and the losses.
 *
 * A cf_workspace owns everything a batch needs (activations, gradients, per-thread scratch), so the
 * per-image path never allocates once a workspace exists. Each layer's own forward and backward are
 * in layers.c (layers.h); net.c runs them in order and decides which of them run fused. */
#ifndef CIFAKE_NET_H
#define CIFAKE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "model.h"

typedef struct {
    int max_batch, n_threads;
    int batch;           /* batch size of the last forward pass */
    int training;        /* mode of the last forward pass */
    /* act[0] input, act[l+1] output of layer l, each max_batch images. In training, a batch norm
     * followed by a ReLU leaves its own output unwritten (the two run fused: net.c decides) */
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

/* The buffer to write d(loss)/d(output of last_layer) into before cf_backward (batch x that
 * output's size; for the whole net, batch x cf_model_outputs: the gradient of the logits). */
float *cf_output_grad(cf_workspace *ws);

/* What cf_backward computes besides passing the gradient down through the layers. */
enum {
    CF_GRAD_INPUT = 1,  /* the gradient with respect to the input of first_layer (0: the net's input) */
    CF_GRAD_PARAMS = 2, /* parameter gradients, ADDED to m->grads (zero them with cf_model_zero_grads) */
};

/* Backward pass through layers last_layer down to first_layer (0 <= first_layer <= last_layer <
 * n_layers), for the batch of the last forward pass, from the gradient in cf_output_grad. With
 * CF_GRAD_INPUT, returns the gradient with respect to the input of first_layer (batch x its size),
 * left in the cf_output_grad buffer so a further call can continue below first_layer; otherwise
 * NULL. Returns NULL for a range outside the net. */
const float *cf_backward(cf_model *m, cf_workspace *ws, int first_layer, int last_layer, int flags);

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

#endif
