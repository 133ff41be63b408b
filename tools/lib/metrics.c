#include "metrics.h"

#include <math.h>
#include <stdlib.h>

#include "model.h"

typedef struct {
    float score;
    int label;
} scored;

static int compare_scored(const void *a, const void *b) {
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x < y ? -1 : x > y;
}

double auroc(const float *scores, const int *labels, int n) {
    scored *s = malloc(sizeof *s * (n + 1));
    if (!s) return NAN;
    long long pos = 0, neg = 0;
    for (int i = 0; i < n; i++) {
        s[i].score = scores[i];
        s[i].label = labels[i];
        pos += labels[i] == 1;
    }
    neg = n - pos;
    qsort(s, (size_t)n, sizeof *s, compare_scored);
    double rank_sum = 0.0; /* sum of the (1-based, tie-averaged) ranks of the positives */
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && s[j].score == s[i].score) j++;
        double avg_rank = (i + 1 + j) / 2.0;
        for (int k = i; k < j; k++)
            if (s[k].label == 1) rank_sum += avg_rank;
        i = j;
    }
    free(s);
    if (pos == 0 || neg == 0) return NAN;
    return (rank_sum - (double)pos * (pos + 1) / 2.0) / ((double)pos * neg);
}

double mean_bce(const float *p, const int *labels, int n) {
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        double q = p[i] < 1e-7f ? 1e-7 : p[i] > 1 - 1e-7f ? 1 - 1e-7 : p[i];
        total -= labels[i] ? log(q) : log(1.0 - q);
    }
    return n ? total / n : 0.0;
}

void metrics_compute(const float *scores, const float *p_fake, const int *labels, int n, float threshold, metrics *out) {
    metrics m = {0};
    m.n = n;
    for (int i = 0; i < n; i++) {
        int pred = p_fake[i] >= threshold;
        if (pred && labels[i]) m.tp++;
        else if (pred) m.fp++;
        else if (labels[i]) m.fn++;
        else m.tn++;
    }
    m.accuracy = n ? (double)(m.tp + m.tn) / n : 0.0;
    m.precision = m.tp + m.fp ? (double)m.tp / (m.tp + m.fp) : 0.0;
    m.recall = m.tp + m.fn ? (double)m.tp / (m.tp + m.fn) : 0.0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0.0;
    m.auroc = auroc(scores, labels, n);
    m.loss = mean_bce(p_fake, labels, n);
    m.ece = m.ece_t1 = NAN;
    *out = m;
}

static double nll_at(const float *scores, const int *labels, int n, double T) {
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        double z = scores[i] / T;
        /* -log sigmoid(z) for FAKE, -log(1 - sigmoid(z)) for REAL, computed stably */
        double t = labels[i] ? -z : z;
        total += t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
    }
    return total / n;
}

float fit_temperature(const float *scores, const int *labels, int n) {
    /* golden-section search on log T over [1/20, 20]; the NLL is unimodal in T */
    double lo = log(0.05), hi = log(20.0), g = (sqrt(5.0) - 1) / 2;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = nll_at(scores, labels, n, exp(a)), fb = nll_at(scores, labels, n, exp(b));
    for (int it = 0; it < 80; it++) {
        if (fa < fb) {
            hi = b;
            b = a;
            fb = fa;
            a = hi - g * (hi - lo);
            fa = nll_at(scores, labels, n, exp(a));
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + g * (hi - lo);
            fb = nll_at(scores, labels, n, exp(b));
        }
    }
    return (float)exp((lo + hi) / 2);
}

static int compare_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

float pick_threshold(const float *p, const int *labels, int n) {
    /* Candidates: midpoints between consecutive distinct probabilities, plus 0.5. */
    float *sorted = malloc(sizeof(float) * (n + 1));
    if (!sorted) return 0.5f;
    for (int i = 0; i < n; i++) sorted[i] = p[i];
    qsort(sorted, (size_t)n, sizeof(float), compare_float);
    float best = 0.5f;
    int best_correct = -1;
    for (int i = -1; i < n; i++) {
        float t = i < 0 ? 0.5f : (i + 1 < n ? 0.5f * (sorted[i] + sorted[i + 1]) : sorted[i]);
        if (i >= 0 && (i + 1 >= n || sorted[i] == sorted[i + 1])) continue;
        if (!(t > 0.0f && t < 1.0f)) continue;
        int correct = 0;
        for (int k = 0; k < n; k++) correct += (p[k] >= t) == (labels[k] == 1);
        if (correct > best_correct || (correct == best_correct && fabsf(t - 0.5f) < fabsf(best - 0.5f))) {
            best_correct = correct;
            best = t;
        }
    }
    free(sorted);
    return best;
}

int calibration_compute(const float *p_fake, const int *labels, int n, int bins, calibration *out) {
    if (bins < 1 || bins > CALIBRATION_MAX_BINS || n < 1) return -1;
    calibration c = {0};
    c.bins = bins;
    c.n = n;
    for (int i = 0; i < n; i++) {
        double p = p_fake[i];
        if (!(p >= 0.0 && p <= 1.0)) return -1;
        int predicted = p >= 0.5;
        double confidence = predicted ? p : 1.0 - p;
        int b = (int)ceil(confidence * bins) - 1; /* (b / bins, (b + 1) / bins] */
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        c.count[b]++;
        c.confidence[b] += confidence;
        c.accuracy[b] += predicted == (labels[i] == 1);
    }
    for (int b = 0; b < bins; b++) {
        if (!c.count[b]) continue;
        c.confidence[b] /= c.count[b];
        c.accuracy[b] /= c.count[b];
        double gap = fabs(c.accuracy[b] - c.confidence[b]);
        c.ece += (double)c.count[b] / n * gap;
        if (gap > c.mce) c.mce = gap;
    }
    *out = c;
    return 0;
}
