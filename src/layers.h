/* layers.h - internal to the library: each kind of layer's forward and backward over a batch
 * (layers.c), for the passes over the whole net (net.c), and what they need of the workspace. */
#ifndef CIFAKE_LAYERS_H
#define CIFAKE_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "workspace.h"

/* The shared and per-thread scratch of a workspace, in floats: cf_layer_scratch raises each to what
 * layer L's passes need (start from zeros; the workspace allocates at least one float of each). */
typedef struct {
    size_t col;          /* per thread: one image's im2col rows or pixel-major copy (convolution) */
    size_t layer_params; /* per thread: one layer's partial parameter gradients */
    size_t packed;       /* one convolution's weights packed for the GEMM, either orientation */
    size_t wino_u, wino_staging, wino_scratch; /* Winograd (0: no layer takes it), scratch per thread */
    size_t weight, channels; /* the flipped kernel and the zero bias of a Winograd input gradient */
} cf_layer_scratch_floats;

void cf_layer_scratch(const cf_layer *L, cf_layer_scratch_floats *need);

/* Convolution L's weights packed for this workspace's inference passes, in a new allocation (NULL
 * when out of memory): cf_workspace_freeze_weights keeps it in ws->frozen. */
float *cf_conv_pack_frozen(const cf_layer *L, cf_workspace *ws);

/* Layer L (index l) forward over ws->batch images, in ws->training mode: x (its input) to y (its
 * output). relu (batch norm only): y = max(0, the batch norm's output), a fused batch norm + ReLU.
 * seed and image_ids: dropout's masks (cf_forward). */
void cf_layer_forward(const cf_layer *L, int l, cf_workspace *ws, const float *x, float *y, int relu, uint64_t seed,
                      const uint64_t *image_ids);

/* Layer L (index l) backward for the batch of the last forward pass: x and y its input and output
 * then, dy the gradient of its output. dx (NULL: not wanted) receives the gradient of its input;
 * with param_grads the parameter gradients are added to L->dweight and L->dbias. relu_out (batch
 * norm only): the output of a fused ReLU (cf_layer_forward with relu), whose mask is applied to dy
 * in place first, dy being then the ReLU's output gradient. */
void cf_layer_backward(const cf_layer *L, int l, cf_workspace *ws, const float *x, const float *y, float *dy,
                       float *dx, const float *relu_out, int param_grads);

/* Reference twins (naive loops) of one image's convolution, which the tests hold the fast paths to. */
void cf_conv_forward_ref(const cf_layer *L, const float *x, float *y);
void cf_conv_backward_ref(const cf_layer *L, const float *x, const float *dy, float *dx, float *dw, float *db);

#endif
