/* winograd.h - 3x3 convolution by Winograd's minimal filtering, F(2x2, 3x3).
 *
 * Each 2x2 block of outputs is computed from a 4x4 block of input in the transformed domain: 16
 * element-wise products per input channel instead of 36 multiply-adds, so the GEMMs that carry the
 * work are 2.25 times smaller. With G, B and A the F(2x2, 3x3) matrices (Lavin & Gray, 2016):
 *
 *   U[o][c] = G g[o][c] G^T              (4x4, once per pass: cf_winograd_pack_weights)
 *   V[c][t] = B^T d[c][t] B              (4x4, input tile t of channel c)
 *   M_xi    = U_xi V_xi                  (16 GEMMs: Cout x Cin times Cin x tiles)
 *   y[o][t] = A^T M[o][t] A + bias[o]    (2x2 outputs)
 *
 * layers.c uses it for the forward pass (training and inference) and for the input gradient, which
 * is itself a 3x3 convolution (of dY with the flipped kernel); the weight gradient stays an im2col
 * GEMM. The results differ from the direct convolution by rounding only. */
#ifndef CIFAKE_WINOGRAD_H
#define CIFAKE_WINOGRAD_H

#include <stddef.h>

#include "model.h"

/* 3x3, same or valid padding, and enough input channels for the transform to pay. */
int cf_winograd_applies(const cf_layer *L);

/* Floats of the packed transformed weights of L, of the staging area packing them needs, and of
 * one thread's scratch for n_images images. */
size_t cf_winograd_weight_floats(const cf_layer *L);
size_t cf_winograd_staging_floats(const cf_layer *L);
size_t cf_winograd_scratch_floats(const cf_layer *L, int n_images);

/* How many images one cf_winograd_forward call should take for L, so that its GEMMs are wide enough. */
int cf_winograd_group(const cf_layer *L);

/* Transforms and packs L's weights into U (cf_winograd_weight_floats floats), through staging
 * (cf_winograd_staging_floats floats). */
void cf_winograd_pack_weights(const cf_layer *L, float *U, float *staging);

/* y = the convolution of n_images images x (each in.c x in.h x in.w, contiguous; y likewise), with U
 * from cf_winograd_pack_weights. scratch: cf_winograd_scratch_floats(L, n_images) floats;
 * gemm_work: cf_gemm_work_floats floats. */
void cf_winograd_forward(const cf_layer *L, const float *U, const float *x, float *y, int n_images, float *scratch,
                         float *gemm_work);

#endif
