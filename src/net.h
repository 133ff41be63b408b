/* net.h - passes over a whole net (model.h) in a workspace (workspace.h): the forward pass, the
 * backward pass between any two layers, and the losses. Each layer's own forward and backward are
 * in layers.c (layers.h); net.c runs them in order and decides which of them run fused. */
#ifndef CIFAKE_NET_H
#define CIFAKE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "model.h"
#include "workspace.h"

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
