/* metrics.h - binary classification metrics with FAKE (label 1) as the positive class, and the
 * calibration of scores (temperature) and of the decision threshold on a validation set. */
#ifndef CIFAKE_METRICS_H
#define CIFAKE_METRICS_H

typedef struct {
    int n, tp, fp, tn, fn;
    double accuracy, precision, recall, f1, auroc, loss;
    /* expected calibration error (ECE_BINS bins, calibration_compute below) of the probabilities the
     * metrics were computed from, and of sigmoid(score) (temperature 1; cifake-eval gives an ensemble
     * that of its mean raw logit); NaN when not computed */
    double ece, ece_t1;
} metrics;

/* The number of equal-width confidence bins of every reported ECE (Guo et al. 2017 use 15). */
#define ECE_BINS 15

/* scores: FAKE logits (any monotone score); p_fake: probabilities used for the threshold and loss.
 * Leaves ece and ece_t1 NaN (score_metrics in infer.h fills them). */
void metrics_compute(const float *scores, const float *p_fake, const int *labels, int n, float threshold, metrics *out);

/* Area under the ROC curve by the rank-sum statistic (ties count one half). */
double auroc(const float *scores, const int *labels, int n);

/* Temperature T > 0 minimising the mean binary cross-entropy of sigmoid(score / T). */
float fit_temperature(const float *scores, const int *labels, int n);

/* Threshold on p in (0, 1) maximising accuracy; among equals, the one closest to 0.5. */
float pick_threshold(const float *p_fake, const int *labels, int n);

/* Mean binary cross-entropy of probabilities p for labels. */
double mean_bce(const float *p_fake, const int *labels, int n);

/* Calibration of p_fake in the top-label form of Guo et al. (2017, "On calibration of modern neural
 * networks"): each image's prediction is FAKE when p_fake >= 0.5, else REAL (the most probable class,
 * whatever threshold a weight file decides with); its confidence is max(p_fake, 1 - p_fake), in
 * [0.5, 1]; it is correct when the prediction equals its label. Confidences fall into `bins`
 * equal-width bins of [0, 1], bin b holding (b / bins, (b + 1) / bins] (bin 0 also holds 0). Then
 *   ECE = sum over bins of count_b / n * |accuracy_b - confidence_b|,
 * accuracy_b the share of correct predictions in bin b and confidence_b their mean confidence; 0 for
 * a perfectly calibrated model, 1 when every prediction is certain and wrong. The largest gap over
 * non-empty bins is the maximum calibration error (MCE). A two-class model fills only the bins above
 * 0.5 - 1/bins. */
#define CALIBRATION_MAX_BINS 100

typedef struct {
    int bins, n;
    int count[CALIBRATION_MAX_BINS];
    double confidence[CALIBRATION_MAX_BINS]; /* mean confidence of the bin's images (0 when empty) */
    double accuracy[CALIBRATION_MAX_BINS];   /* share of them predicted right (0 when empty) */
    double ece, mce;
} calibration;

/* Fills out for probabilities p_fake[0..n) and labels (0 REAL, 1 FAKE). Fails (-1, out untouched)
 * when bins is outside 1..CALIBRATION_MAX_BINS, n < 1, or a probability is outside [0, 1] or NaN. */
int calibration_compute(const float *p_fake, const int *labels, int n, int bins, calibration *out);

#endif
