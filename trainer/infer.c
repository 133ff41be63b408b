#include "infer.h"

#include <math.h>
#include <stdlib.h>

#define INFER_BATCH 256

int infer_scores(cf_model *m, const dataset *ds, const int *idx, int n, const float mean[3], const float std[3],
                 int n_threads, float *scores, cf_error *err) {
    cf_workspace ws;
    int batch = n < INFER_BATCH ? (n > 0 ? n : 1) : INFER_BATCH;
    if (cf_workspace_init(&ws, m, batch, n_threads, err)) return -1;
    if (cf_workspace_freeze_weights(&ws, m, err)) {
        cf_workspace_free(&ws);
        return -1;
    }
    float *input = malloc(sizeof(float) * DS_PIXELS * batch);
    if (!input) {
        cf_workspace_free(&ws);
        return cf_fail(err, "out of memory");
    }
    int k = cf_model_outputs(m);
    for (int start = 0; start < n; start += batch) {
        int b = n - start < batch ? n - start : batch;
        for (int i = 0; i < b; i++) dataset_prepare(ds, idx[start + i], mean, std, 0, 0, NULL, input + (size_t)i * DS_PIXELS);
        const float *logits = cf_forward(m, &ws, input, b, 0, 0, NULL);
        for (int i = 0; i < b; i++) scores[start + i] = cf_fake_score(m, logits + (size_t)i * k);
    }
    free(input);
    cf_workspace_free(&ws);
    return 0;
}

void score_metrics(const float *scores, const int *labels, int n, float temperature, float threshold, metrics *out) {
    float *p = calloc((size_t)n + 1, sizeof(float));
    if (!p) {
        out->n = 0;
        return;
    }
    for (int i = 0; i < n; i++) p[i] = cf_sigmoid(scores[i] / temperature);
    metrics_compute(scores, p, labels, n, threshold, out);
    calibration c;
    if (!calibration_compute(p, labels, n, ECE_BINS, &c)) out->ece = c.ece;
    for (int i = 0; i < n; i++) p[i] = cf_sigmoid(scores[i]);
    if (!calibration_compute(p, labels, n, ECE_BINS, &c)) out->ece_t1 = c.ece;
    free(p);
}

void metrics_print(FILE *f, const char *title, const metrics *m, int json) {
    if (json) {
        fprintf(f,
                "{\"split\": \"%s\", \"n\": %d, \"accuracy\": %.6f, \"precision\": %.6f, \"recall\": %.6f, "
                "\"f1\": %.6f, \"auroc\": %.6f, \"loss\": %.6f, ",
                title, m->n, m->accuracy, m->precision, m->recall, m->f1, m->auroc, m->loss);
        if (isfinite(m->ece) && isfinite(m->ece_t1))
            fprintf(f, "\"ece\": %.6f, \"ece_t1\": %.6f, \"ece_bins\": %d, ", m->ece, m->ece_t1, ECE_BINS);
        fprintf(f, "\"confusion\": {\"tp\": %d, \"fp\": %d, \"tn\": %d, \"fn\": %d}}\n", m->tp, m->fp, m->tn, m->fn);
        return;
    }
    fprintf(f, "%s (n = %d, FAKE is the positive class)\n", title, m->n);
    fprintf(f, "  accuracy  %.4f\n  precision %.4f\n  recall    %.4f\n  f1        %.4f\n  auroc     %.5f\n  loss      %.4f\n",
            m->accuracy, m->precision, m->recall, m->f1, m->auroc, m->loss);
    if (isfinite(m->ece) && isfinite(m->ece_t1))
        fprintf(f, "  ece       %.4f (%d bins; %.4f at temperature 1)\n", m->ece, ECE_BINS, m->ece_t1);
    fprintf(f, "  confusion          predicted REAL  predicted FAKE\n");
    fprintf(f, "    actual REAL      %14d  %14d\n", m->tn, m->fp);
    fprintf(f, "    actual FAKE      %14d  %14d\n", m->fn, m->tp);
}
