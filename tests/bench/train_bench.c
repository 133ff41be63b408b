/* train_bench - training and inference throughput of the C engine on a model spec.
 *
 *   train_bench SPEC THREADS BATCH STEPS
 * Runs STEPS training steps (forward, loss, backward, SGD update) on random 3x32x32 inputs after two
 * warm-up steps, then STEPS inference batches, and prints one JSON object with images/s for both
 * and the achieved GFLOP/s of the forward pass. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "net.h"
#include "optim.h"
#include "progress.h"

/* Multiply-adds of one forward pass for one image (conv and dense layers). */
static double forward_macs(const cf_model *m) {
    double macs = 0;
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        if (L->kind == CF_CONV || L->kind == CF_DENSE) macs += (double)L->n_weight * L->out.h * L->out.w;
    }
    return macs;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: train_bench SPEC THREADS BATCH STEPS\n");
        return 2;
    }
    int threads = atoi(argv[2]), batch = atoi(argv[3]), steps = atoi(argv[4]);
    cf_error err;
    cf_model m;
    cf_workspace ws;
    optimizer opt;
    if (cf_model_build(&m, argv[1], (cf_shape){3, 32, 32}, &err) || cf_workspace_init(&ws, &m, batch, threads, &err) ||
        optim_init(&opt, &m, OPT_SGD, 5e-4f, &err)) {
        fprintf(stderr, "train_bench: %s\n", err.msg);
        return 1;
    }
    cf_model_init_params(&m, 1);
    float *x = malloc(sizeof(float) * 3072 * batch);
    int *labels = malloc(sizeof(int) * batch);
    cf_rng rng = cf_rng_make(1, 2, 3);
    for (int i = 0; i < 3072 * batch; i++) x[i] = cf_rng_normal(&rng);
    for (int i = 0; i < batch; i++) labels[i] = i & 1;
    double t0 = 0;
    for (int s = 0; s < steps + 2; s++) {
        if (s == 2) t0 = now_seconds();
        const float *z = cf_forward(&m, &ws, x, batch, 1, 1, NULL);
        cf_loss(&m, z, labels, batch, cf_output_grad(&ws));
        cf_model_zero_grads(&m);
        cf_backward(&m, &ws, 0, m.n_layers - 1, CF_GRAD_PARAMS);
        optim_step(&opt, &m, 0.01f);
    }
    double train_s = now_seconds() - t0;
    t0 = now_seconds();
    for (int s = 0; s < steps; s++) cf_forward(&m, &ws, x, batch, 0, 0, NULL);
    double infer_s = now_seconds() - t0;
    double macs = forward_macs(&m);
    printf("{\"engine\": \"cifake\", \"spec\": \"%s\", \"threads\": %d, \"batch\": %d, \"params\": %zu, "
           "\"train_images_per_s\": %.1f, \"infer_images_per_s\": %.1f, \"forward_gflops\": %.2f, "
           "\"train_gflops\": %.2f}\n",
           argv[1], threads, batch, m.n_params, steps * batch / train_s, steps * batch / infer_s,
           2 * macs * steps * batch / infer_s * 1e-9, 3 * 2 * macs * steps * batch / train_s * 1e-9);
    return 0;
}
