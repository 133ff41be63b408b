#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int optim_init(optimizer *opt, const cf_model *m, optim_kind kind, float weight_decay, cf_error *err) {
    memset(opt, 0, sizeof *opt);
    opt->kind = kind;
    opt->momentum = 0.9f;
    opt->beta1 = 0.9f;
    opt->beta2 = 0.999f;
    opt->eps = 1e-8f;
    opt->weight_decay = weight_decay;
    opt->n = m->n_params;
    opt->m1 = calloc(opt->n + 1, sizeof(float));
    opt->m2 = calloc(opt->n + 1, sizeof(float));
    opt->decay = calloc(opt->n + 1, 1);
    if (!opt->m1 || !opt->m2 || !opt->decay) {
        optim_free(opt);
        return cf_fail(err, "out of memory for the optimiser state");
    }
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        if (L->kind == CF_CONV || L->kind == CF_DENSE) memset(opt->decay + (L->weight - m->params), 1, (size_t)L->n_weight);
    }
    return 0;
}

void optim_free(optimizer *opt) {
    free(opt->m1);
    free(opt->m2);
    free(opt->decay);
    memset(opt, 0, sizeof *opt);
}

void optim_step(optimizer *opt, cf_model *m, float lr) {
    float *w = m->params;
    const float *g = m->grads;
    opt->step++;
    if (opt->kind == OPT_SGD) {
        float mu = opt->momentum;
        for (size_t i = 0; i < opt->n; i++) {
            float gi = g[i] + (opt->decay[i] ? opt->weight_decay * w[i] : 0.0f);
            float v = mu * opt->m1[i] + gi;
            opt->m1[i] = v;
            w[i] -= lr * (gi + mu * v); /* Nesterov, as torch.optim.SGD(nesterov=True) */
        }
    } else {
        float b1 = opt->beta1, b2 = opt->beta2;
        float c1 = 1.0f - powf(b1, (float)opt->step), c2 = 1.0f - powf(b2, (float)opt->step);
        for (size_t i = 0; i < opt->n; i++) {
            float gi = g[i] + (opt->decay[i] ? opt->weight_decay * w[i] : 0.0f);
            opt->m1[i] = b1 * opt->m1[i] + (1 - b1) * gi;
            opt->m2[i] = b2 * opt->m2[i] + (1 - b2) * gi * gi;
            w[i] -= lr * (opt->m1[i] / c1) / (sqrtf(opt->m2[i] / c2) + opt->eps);
        }
    }
}

float schedule_lr(sched_kind kind, float max_lr, long long step, long long total) {
    if (total < 1) total = 1;
    double t = (double)step / (double)total, floor_lr = max_lr / 1000.0;
    if (kind == SCHED_CONSTANT) return max_lr;
    if (kind == SCHED_ONECYCLE) {
        double warm = 0.15;
        if (t < warm) return (float)(max_lr / 10.0 + (max_lr - max_lr / 10.0) * t / warm);
        t = (t - warm) / (1.0 - warm);
    }
    return (float)(floor_lr + (max_lr - floor_lr) * 0.5 * (1.0 + cos(3.141592653589793 * t)));
}
