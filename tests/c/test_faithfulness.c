/* Deletion and insertion curves (tools/lib/faithfulness.c): the steps, the ranking, the composed
 * images, the area, and on a constructed model whose evidence is known (one bright patch), that the
 * curves start and end where they must and that a map pointing at the evidence beats a random one,
 * while a map pointing away from it does worse. */
#include <stdlib.h>
#include <string.h>

#include "faithfulness.h"
#include "fixtures.h"
#include "test.h"

TEST(faith_steps_ranks_and_area) {
    CHECK(faith_k(0) == 0.0 && faith_k(FAITH_STEPS - 1) == 1.0 && faith_k(1) == 0.05);
    CHECK(faith_cells(0, 64) == 0 && faith_cells(1, 64) == 3 && faith_cells(2, 64) == 6 && faith_cells(20, 64) == 64);
    CHECK(faith_cell_count(32, 4) == 64 && faith_cell_count(32, 1) == 1024 && faith_cell_count(32, 3) == 0);
    double flat[FAITH_STEPS], ramp[FAITH_STEPS];
    for (int s = 0; s < FAITH_STEPS; s++) flat[s] = 0.25, ramp[s] = faith_k(s);
    CHECK_NEAR(faith_auc(flat), 0.25, 1e-12);
    CHECK_NEAR(faith_auc(ramp), 0.5, 1e-12);
    /* ties go by the tiebreak, highest first */
    const float scores[5] = {0.0f, 0.9f, 0.0f, 0.5f, 0.0f}, tiebreak[5] = {0.1f, 0.0f, 0.7f, 0.0f, 0.4f};
    int order[5];
    faith_rank(scores, tiebreak, 5, order);
    CHECK(order[0] == 1 && order[1] == 3 && order[2] == 2 && order[3] == 4 && order[4] == 0);
    /* a cell's score is the mean of the map over it */
    float map[16], cells[4];
    for (int i = 0; i < 16; i++) map[i] = (float)(i % 4 < 2 && i / 4 < 2); /* the top-left 2x2 */
    faith_cell_scores(map, 4, 2, cells);
    CHECK(cells[0] == 1.0f && cells[1] == 0.0f && cells[2] == 0.0f && cells[3] == 0.0f);
}

TEST(faith_compose_swaps_whole_cells) {
    enum { SIDE = 8, CELL = 2, PER = FAITH_CHANNELS * SIDE * SIDE };
    float image[PER], baseline[PER];
    for (int i = 0; i < PER; i++) image[i] = 1.0f, baseline[i] = -1.0f;
    int order[16];
    for (int i = 0; i < 16; i++) order[i] = 15 - i;
    float *out = malloc(sizeof(float) * PER * 2 * FAITH_STEPS);
    faith_compose(image, baseline, SIDE, CELL, order, out);
    for (int s = 0; s < FAITH_STEPS; s++) {
        const float *del = out + (size_t)s * PER, *ins = out + (size_t)(FAITH_STEPS + s) * PER;
        int removed = 0, revealed = 0;
        for (int i = 0; i < PER; i++) removed += del[i] < 0, revealed += ins[i] > 0;
        int want = faith_cells(s, 16) * CELL * CELL * FAITH_CHANNELS;
        CHECK_MSG(removed == want && revealed == want, "step %d: %d removed, %d revealed, %d expected", s, removed,
                  revealed, want);
    }
    /* deletion at 20% replaces 3 cells, the first of the order (15, 14, 13: the bottom row of cells
     * from the right), in every channel */
    const float *step = out + (size_t)4 * PER;
    for (int ch = 0; ch < FAITH_CHANNELS; ch++) {
        CHECK(step[(ch * SIDE + 7) * SIDE + 7] == -1.0f && step[(ch * SIDE + 6) * SIDE + 6] == -1.0f);
        CHECK(step[(ch * SIDE + 7) * SIDE + 2] == -1.0f && step[(ch * SIDE + 6) * SIDE + 3] == -1.0f); /* cell 13 */
        CHECK(step[(ch * SIDE + 7) * SIDE + 1] == 1.0f && step[(ch * SIDE + 5) * SIDE + 7] == 1.0f); /* 12 and 11 */
    }
    free(out);
}

/* A detector on model m (freed here), its weight file's metadata changed by extra ("key=value"). */
static cifake_detector *detector_of(cf_model *m, const char *const *extra) {
    size_t n = 0;
    uint8_t *bytes = test_weight_file(m, extra, &n);
    cifake_detector *d = NULL;
    cf_error err;
    if (bytes && cifake_open(bytes, n, &d, &err)) d = NULL;
    free(bytes);
    cf_model_free(m);
    return d;
}

/* A model whose FAKE evidence is the red channel's brightness: logit = 64 * mean(relu(red)) - 2 on
 * inputs pixel / 255. A black image with one 8x8 red patch (1/16 of the pixels) scores 2 (p_fake
 * 0.881); without it, -2 (0.119). */
static cifake_detector *patch_detector(void) {
    cf_model m;
    cf_error err;
    if (cf_model_build(&m, "c1,relu,gap,d1", (cf_shape){3, 32, 32}, &err)) return NULL;
    m.layers[0].weight[4] = 1.0f; /* red channel, centre tap */
    m.layers[3].weight[0] = 64.0f;
    m.layers[3].bias[0] = -2.0f;
    static const char *const unnormalised[] = {"mean=0,0,0", "std=1,1,1", "temperature=1", NULL};
    return detector_of(&m, unnormalised);
}

TEST(faith_curves_find_the_evidence_on_a_constructed_model) {
    cifake_detector *d = patch_detector();
    CHECK(d != NULL);
    if (!d) return;
    static uint8_t rgb[32 * 32 * 3];
    for (int y = 4; y < 12; y++)
        for (int x = 20; x < 28; x++) rgb[(y * 32 + x) * 3] = 255;
    cifake_result r;
    cf_error err;
    CHECK(cf_detector_classify_rgb(d, rgb, &r, &err) == 0);
    CHECK_NEAR(r.p_fake, 1.0 / (1.0 + exp(-2.0)), 1e-5);
    static float gradcam[1024], away[1024], random_map[1024], tiebreak[1024], baseline[3 * 1024];
    CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAM, 1, -1, gradcam, &err) == 0);
    CHECK(gradcam[5 * 32 + 21] == 1.0f && gradcam[20 * 32 + 5] == 0.0f); /* on the patch, and off it */
    cf_rng rng = cf_rng_make(7, 0, 0);
    for (int i = 0; i < 1024; i++) away[i] = 1.0f - gradcam[i], random_map[i] = cf_rng_uniform(&rng);
    for (int i = 0; i < 1024; i++) tiebreak[i] = cf_rng_uniform(&rng);
    const float *const maps[3] = {gradcam, random_map, away};
    for (int cell = 1; cell <= 4; cell *= 4) {
        faith_work w;
        double del[3 * FAITH_STEPS], ins[3 * FAITH_STEPS];
        CHECK(faith_work_init(&w, 32, cell, 3, &err) == 0);
        CHECK(faith_curves(d, &w, cf_detector_input(d), baseline, maps, 3, tiebreak, 1, del, ins, &err) == 0);
        for (int m = 0; m < 3; m++) {
            const double *dm = del + m * FAITH_STEPS, *im = ins + m * FAITH_STEPS;
            CHECK_NEAR(dm[0], r.p_fake, 1e-5);                   /* nothing deleted: the image */
            CHECK_NEAR(im[FAITH_STEPS - 1], r.p_fake, 1e-5);     /* everything inserted: the image */
            CHECK_NEAR(dm[FAITH_STEPS - 1], 1.0 / (1.0 + exp(2.0)), 1e-5); /* the baseline (black) */
            CHECK_NEAR(im[0], 1.0 / (1.0 + exp(2.0)), 1e-5);
        }
        double d_cam = faith_auc(del), d_rand = faith_auc(del + FAITH_STEPS), d_away = faith_auc(del + 2 * FAITH_STEPS);
        double i_cam = faith_auc(ins), i_rand = faith_auc(ins + FAITH_STEPS), i_away = faith_auc(ins + 2 * FAITH_STEPS);
        CHECK_MSG(d_cam < d_rand - 0.2 && i_cam > i_rand + 0.2, "cell %d: deletion %.3f vs random %.3f, insertion "
                  "%.3f vs random %.3f", cell, d_cam, d_rand, i_cam, i_rand);
        CHECK_MSG(d_away > d_rand + 0.1 && i_away < i_rand - 0.1, "cell %d: away %.3f / %.3f, random %.3f / %.3f", cell,
                  d_away, i_away, d_rand, i_rand);
        /* the explained class REAL reads the same images as 1 - p_fake */
        double del_real[3 * FAITH_STEPS], ins_real[3 * FAITH_STEPS];
        CHECK(faith_curves(d, &w, cf_detector_input(d), baseline, maps, 3, tiebreak, 0, del_real, ins_real, &err) == 0);
        CHECK_NEAR(del_real[3] + del[3], 1.0, 1e-9);
        faith_work_free(&w);
    }
    faith_work w;
    CHECK(faith_work_init(&w, 32, 3, 3, &err) == -1);
    CHECK(faith_work_init(&w, 32, 4, 25, &err) == -1); /* 1,050 images: more than one batch */
    cifake_close(d);
}

/* A random (not mirror-symmetric) model whose file asks for flip averaging. */
static cifake_detector *flip_averaged_detector(void) {
    cf_model m;
    cf_error err;
    if (cf_model_build(&m, "c4,relu,mp,c8,relu,gap,d1", (cf_shape){3, 32, 32}, &err)) return NULL;
    cf_model_init_params(&m, 5);
    static const char *const flip_averaged[] = {"temperature=0.5", "tta=flip", NULL};
    return detector_of(&m, flip_averaged);
}

/* With tta=flip the curves follow the detector's p_fake (both views), not the network's on one. */
TEST(faith_curves_score_both_views_of_a_flip_averaged_file) {
    cifake_detector *d = flip_averaged_detector();
    CHECK(d != NULL);
    if (!d) return;
    CHECK(cf_detector_flip_averaged(d));
    static uint8_t rgb[32 * 32 * 3];
    cf_rng rng = cf_rng_make(9, 0, 0);
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)cf_rng_below(&rng, 256);
    cifake_result r;
    cf_error err;
    CHECK(cf_detector_classify_rgb(d, rgb, &r, &err) == 0);
    float one_view;
    CHECK(cf_detector_predict(d, cf_detector_input(d), 1, &one_view, NULL, &err) == 0);
    CHECK(fabsf(one_view - r.p_fake) > 1e-4f); /* the two views differ for this model */
    static float map[1024], tiebreak[1024], baseline[3 * 1024];
    for (int i = 0; i < 1024; i++) map[i] = cf_rng_uniform(&rng), tiebreak[i] = cf_rng_uniform(&rng);
    const float *const maps[1] = {map};
    faith_work w;
    double del[FAITH_STEPS], ins[FAITH_STEPS];
    CHECK(faith_work_init(&w, 32, 4, 1, &err) == 0);
    CHECK(faith_curves(d, &w, cf_detector_input(d), baseline, maps, 1, tiebreak, 1, del, ins, &err) == 0);
    CHECK_NEAR(del[0], r.p_fake, 1e-5);
    CHECK_NEAR(ins[FAITH_STEPS - 1], r.p_fake, 1e-5);
    faith_work_free(&w);
    cifake_close(d);
}
