/* onnx.h - a cifake model as an ONNX graph (opset 13), for other inference engines.
 *
 * The graph takes the normalised input "input", float32 [N, C, H, W] (N symbolic), exactly what
 * cf_normalise writes: (pixel / 255 - mean[c]) / std[c], RGB channel order, mean and std from
 * the weight file (also stored in the ONNX metadata). It outputs
 *   "logit"   float32 [N, 1]: the FAKE score (for a softmax head z_fake - z_real, folded into the
 *             last Gemm), what cifake_result.score holds;
 *   "p_fake"  float32 [N, 1]: sigmoid(logit / temperature), the calibrated probability.
 * Batch norm that follows a convolution or dense layer is folded into it first (as the detector
 * does); any other batch norm becomes BatchNormalization, dropout disappears (identity at
 * inference). Every string of the weight file's metadata is copied into the model's metadata_props. */
#ifndef CIFAKE_ONNX_H
#define CIFAKE_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "model.h"
#include "weights.h"

#define ONNX_OPSET 13
#define ONNX_IR_VERSION 8

/* Serialises model m (as read from a weight file, batch norm not yet folded) into a malloc'ed
 * ONNX ModelProto (*out, *n). producer_version is recorded in the file. */
int onnx_export(const cf_model *m, const cf_meta *meta, const char *producer_version, uint8_t **out, size_t *n,
                cf_error *err);

#endif
