/* metrics.h - binary classification metrics with FAKE (label 1) as the positive class, and the
 * calibration of scores (temperature) and of the decision threshold on a validation set. */
#ifndef CIFAKE_METRICS_H
#define CIFAKE_METRICS_H

typedef struct {
    int n, tp, fp, tn, fn;
    double accuracy, precision, recall, f1, auroc, loss;
} metrics;

/* scores: FAKE logits (any monotone score); p_fake: probabilities used for the threshold and loss. */
void metrics_compute(const float *scores, const float *p_fake, const int *labels, int n, float threshold, metrics *out);

/* Area under the ROC curve by the rank-sum statistic (ties count one half). */
double auroc(const float *scores, const int *labels, int n);

/* Temperature T > 0 minimising the mean binary cross-entropy of sigmoid(score / T). */
float fit_temperature(const float *scores, const int *labels, int n);

/* Threshold on p in (0, 1) maximising accuracy; among equals, the one closest to 0.5. */
float pick_threshold(const float *p_fake, const int *labels, int n);

/* Mean binary cross-entropy of probabilities p for labels. */
double mean_bce(const float *p_fake, const int *labels, int n);

#endif
