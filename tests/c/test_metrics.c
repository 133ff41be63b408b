/* Calibration (tools/lib/metrics.c): the expected calibration error on constructed cases whose value is
 * worked out by hand, so a wrong binning, a wrong confidence or a wrong weighting changes the result. */
#include <math.h>

#include "metrics.h"
#include "test.h"

/* Twelve images, 15 bins. Top-label confidences and bins:
 *   p_fake 0.9 x 4 (3 FAKE, 1 REAL): predicted FAKE, confidence 0.9, bin 13 (0.867, 0.933]
 *   p_fake 0.1 x 2 (both REAL):      predicted REAL, confidence 0.9, bin 13 too
 *   p_fake 0.25 x 6 (all REAL):      predicted REAL, confidence 0.75, bin 11 (0.733, 0.8]
 * bin 13: 6 images, 5 right, accuracy 5/6, confidence 0.9, gap 0.9 - 5/6 = 1/15
 * bin 11: 6 images, 6 right, accuracy 1, confidence 0.75, gap 0.25
 * ECE = 6/12 * 1/15 + 6/12 * 0.25 = 0.158333..., MCE 0.25. (Binning p_fake itself instead of the
 * confidence would give 4/12 * 0.15 + 2/12 * 0.1 + 6/12 * 0.25 = 0.191667.) */
static const float case_p[12] = {0.9f, 0.9f, 0.9f, 0.9f, 0.1f, 0.1f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f, 0.25f};
static const int case_labels[12] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};

TEST(calibration_ece_of_a_constructed_case) {
    calibration c;
    CHECK(calibration_compute(case_p, case_labels, 12, 15, &c) == 0);
    CHECK(c.bins == 15 && c.n == 12);
    CHECK(c.count[13] == 6 && c.count[11] == 6);
    int others = 0;
    for (int b = 0; b < 15; b++) others += b != 11 && b != 13 ? c.count[b] : 0;
    CHECK(others == 0);
    CHECK_NEAR(c.accuracy[13], 5.0 / 6.0, 1e-12);
    CHECK_NEAR(c.confidence[13], 0.9, 1e-6);
    CHECK_NEAR(c.accuracy[11], 1.0, 1e-12);
    CHECK_NEAR(c.confidence[11], 0.75, 1e-6);
    CHECK_NEAR(c.ece, 0.5 / 15.0 + 0.125, 1e-6);
    CHECK_NEAR(c.mce, 0.25, 1e-6);
}

/* The check above can fail: the same probabilities with one label changed have another ECE. A REAL
 * image at p_fake 0.25 made FAKE: bin 11 accuracy 5/6, gap 5/6 - 0.75 = 1/12, so
 * ECE = 6/12 * 1/15 + 6/12 * 1/12 = 0.075 (not 0.158), which an implementation ignoring labels misses. */
TEST(calibration_ece_follows_the_labels) {
    int labels[12];
    for (int i = 0; i < 12; i++) labels[i] = case_labels[i];
    labels[11] = 1;
    calibration c;
    CHECK(calibration_compute(case_p, labels, 12, 15, &c) == 0);
    CHECK_NEAR(c.ece, 0.5 / 15.0 + 0.5 / 12.0, 1e-6);
    CHECK(fabs(c.ece - (0.5 / 15.0 + 0.125)) > 0.05);
}

/* Calibrated probabilities give 0: p_fake 0.75 for four images of which three are FAKE, and p_fake
 * 0.5 (predicted FAKE, confidence 0.5, bin 7) for one FAKE and one REAL. */
TEST(calibration_ece_is_zero_when_calibrated) {
    const float p[6] = {0.75f, 0.75f, 0.75f, 0.75f, 0.5f, 0.5f};
    const int labels[6] = {1, 1, 1, 0, 1, 0};
    calibration c;
    CHECK(calibration_compute(p, labels, 6, 15, &c) == 0);
    CHECK(c.count[7] == 2 && c.count[11] == 4);
    CHECK_NEAR(c.ece, 0.0, 1e-7);
    CHECK_NEAR(c.mce, 0.0, 1e-7);
    /* certain and right: confidence 1 falls into the last bin, not past it */
    const float sure[2] = {1.0f, 0.0f};
    const int sure_labels[2] = {1, 0};
    CHECK(calibration_compute(sure, sure_labels, 2, 15, &c) == 0);
    CHECK(c.count[14] == 2 && c.ece == 0.0);
    /* certain and wrong: the largest possible gap */
    const int wrong_labels[2] = {0, 1};
    CHECK(calibration_compute(sure, wrong_labels, 2, 15, &c) == 0);
    CHECK_NEAR(c.ece, 1.0, 1e-12);
}

TEST(calibration_refuses_bad_input) {
    calibration c = {0};
    c.ece = 7.0;
    const float bad[2] = {0.5f, NAN}, above[1] = {1.5f};
    const int labels[2] = {0, 1};
    CHECK(calibration_compute(case_p, case_labels, 12, 0, &c) == -1);
    CHECK(calibration_compute(case_p, case_labels, 12, CALIBRATION_MAX_BINS + 1, &c) == -1);
    CHECK(calibration_compute(case_p, case_labels, 0, 15, &c) == -1);
    CHECK(calibration_compute(bad, labels, 2, 15, &c) == -1);
    CHECK(calibration_compute(above, labels, 1, 15, &c) == -1);
    CHECK(c.ece == 7.0); /* untouched */
}
