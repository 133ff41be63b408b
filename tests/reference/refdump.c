/* refdump - writes a random model and one training step's results for the PyTorch cross-check.
 *
 *   refdump SPEC SEED OUT.bin
 * OUT.bin is a weight file (the model's parameters before the step, batch-norm running statistics
 * randomised) whose extra tensors hold: input (4 images, 3x32x32), labels, logits_train (training
 * mode: batch statistics), loss, grads (every parameter gradient, model order), buffers_after
 * (running statistics after the training-mode pass) and logits_eval (inference mode, before the
 * training pass changed the running statistics), and for image 0 in inference mode the class
 * activation maps of the last conv block at 32x32: cam_gradcam_fake, cam_gradcam_real,
 * cam_gradcampp_fake, cam_gradcampp_real. check_torch.py recomputes all of it with PyTorch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "gradcam.h"
#include "net.h"
#include "weights.h"

#define BATCH 4

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: refdump SPEC SEED OUT.bin\n");
        return 2;
    }
    cf_error err;
    cf_model m;
    if (cf_model_build(&m, argv[1], (cf_shape){3, 32, 32}, &err)) {
        fprintf(stderr, "refdump: %s\n", err.msg);
        return 1;
    }
    uint64_t seed = strtoull(argv[2], NULL, 10);
    cf_model_init_params(&m, seed);
    cf_rng rng = cf_rng_make(seed, 99, 0);
    for (size_t i = 0; i < m.n_params; i++) /* perturb so biases and BN affine are not trivial */
        m.params[i] += 0.05f * cf_rng_normal(&rng);
    for (int l = 0; l < m.n_layers; l++)
        if (m.layers[l].kind == CF_BN)
            for (int c = 0; c < m.layers[l].in.c; c++) {
                m.layers[l].running_mean[c] = 0.2f * cf_rng_normal(&rng);
                m.layers[l].running_var[c] = 0.5f + cf_rng_uniform(&rng);
            }
    size_t n_in = (size_t)BATCH * 3 * 32 * 32;
    float *input = malloc(sizeof(float) * n_in), labels[BATCH], loss_value;
    int ilabels[BATCH];
    for (size_t i = 0; i < n_in; i++) input[i] = cf_rng_normal(&rng);
    for (int b = 0; b < BATCH; b++) ilabels[b] = b % 2, labels[b] = (float)ilabels[b];

    cf_model before;
    cf_model_clone(&m, &before, &err);
    cf_workspace ws;
    if (cf_workspace_init(&ws, &m, BATCH, 2, &err)) return 1;
    int k = cf_model_outputs(&m);
    float logits_eval[BATCH * 2], logits_train[BATCH * 2];
    memcpy(logits_eval, cf_forward(&m, &ws, input, BATCH, 0, 0, NULL), sizeof(float) * BATCH * k);
    memcpy(logits_train, cf_forward(&m, &ws, input, BATCH, 1, 0, NULL), sizeof(float) * BATCH * k);
    loss_value = cf_loss(&m, logits_train, ilabels, BATCH, cf_output_grad(&ws));
    cf_model_zero_grads(&m);
    cf_backward(&m, &ws, 0, m.n_layers - 1, CF_GRAD_PARAMS);

    /* class activation maps, from a fresh inference pass on image 0, before the training step */
    cf_model cam_model; /* the parameters before the step; m keeps the gradients */
    cf_model_clone(&before, &cam_model, &err);
    float cams[4][32 * 32];
    for (int method = 0; method < 2; method++)
        for (int target = 0; target < 2; target++) {
            int feature, fh, fw;
            float map[32 * 32];
            cf_forward(&cam_model, &ws, input, 1, 0, 0, NULL);
            if (cf_cam_feature_layer(&cam_model, -1, &feature, &err) ||
                cf_gradcam(&cam_model, &ws, feature, 1 - target, (cifake_cam_method)method, map, &fh, &fw, &err)) {
                fprintf(stderr, "refdump: %s\n", err.msg);
                return 1;
            }
            cf_resize_bilinear(map, fh, fw, cams[method * 2 + target], 32, 32);
        }
    cf_meta meta = {0};
    cf_meta_set(&meta, "spec", m.spec, &err);
    cf_meta_set(&meta, "input", "3x32x32", &err);
    cf_extras ex = {11,
                    {{"input", input, n_in},
                     {"labels", labels, BATCH},
                     {"logits_train", logits_train, (size_t)BATCH * k},
                     {"loss", &loss_value, 1},
                     {"grads", m.grads, m.n_params},
                     {"buffers_after", m.buffers, m.n_buffers ? m.n_buffers : 1},
                     {"logits_eval", logits_eval, (size_t)BATCH * k},
                     {"cam_gradcam_fake", cams[0], 1024},
                     {"cam_gradcam_real", cams[1], 1024},
                     {"cam_gradcampp_fake", cams[2], 1024},
                     {"cam_gradcampp_real", cams[3], 1024}}};
    uint8_t *bytes;
    size_t n;
    int rc = cf_weights_write(&before, &meta, &ex, &bytes, &n, &err) || write_file_atomic(argv[3], bytes, n, &err);
    if (rc) fprintf(stderr, "refdump: %s\n", err.msg);
    return rc ? 1 : 0;
}
