/* workspace.h - the memory passes over a net run in.
 *
 * A cf_workspace owns everything a batch needs (activations, gradients, per-thread scratch), so the
 * per-image path never allocates once a workspace exists. It sits below both the layers (layers.h,
 * which read and write it) and the passes over the whole net (net.h, which run the layers in it). */
#ifndef CIFAKE_WORKSPACE_H
#define CIFAKE_WORKSPACE_H

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

#endif
