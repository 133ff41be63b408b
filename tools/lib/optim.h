/* optim.h - SGD with Nesterov momentum and decoupled-from-bias weight decay, and Adam, over a model's
 * flat parameter array; learning-rate schedules. Weight decay applies to conv and dense weights only
 * (not biases, not batch-norm scale/shift), the usual practice. */
#ifndef CIFAKE_OPTIM_H
#define CIFAKE_OPTIM_H

#include "model.h"

typedef enum { OPT_SGD, OPT_ADAM } optim_kind;
typedef enum { SCHED_ONECYCLE, SCHED_COSINE, SCHED_CONSTANT } sched_kind;

typedef struct {
    optim_kind kind;
    float momentum, weight_decay, beta1, beta2, eps;
    long long step;
    size_t n;
    float *m1, *m2;     /* SGD: velocity in m1; Adam: first and second moments */
    uint8_t *decay;     /* 1 where weight decay applies */
} optimizer;

int optim_init(optimizer *opt, const cf_model *m, optim_kind kind, float weight_decay, cf_error *err);
void optim_free(optimizer *opt);
void optim_step(optimizer *opt, cf_model *m, float lr);

/* Learning rate at step (0-based) of total: one-cycle = linear warm-up over the first 15% from
 * max/10 to max, then cosine to max/1000; cosine = cosine from max to max/1000. */
float schedule_lr(sched_kind kind, float max_lr, long long step, long long total);

#endif
