/* test_teachers.c - distillation targets (tools/lib/teachers.h): the ensemble's logit is the mean of
 * the teachers' calibrated logits, cached upright and mirrored or scored live on a prepared batch,
 * in the teacher's own normalisation; teachers of another validation split are refused. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detector_internals.h"
#include "fileio.h"
#include "fixtures.h"
#include "teachers.h"
#include "test.h"

#define N_IMAGES 6
#define SPEC "c4,relu,mp,c8,relu,gap,d1"

/* A random 3x32x32 model written to dir/name, with the given temperature, held-out split and tta, in
 * a normalisation of its own. */
static int teacher_file(const char *dir, const char *name, uint64_t init_seed, const char *temperature,
                        const char *split_seed, const char *tta, char *path, size_t n) {
    char entries[3][64];
    snprintf(entries[0], sizeof entries[0], "temperature=%s", temperature);
    snprintf(entries[1], sizeof entries[1], "split_seed=%s", split_seed);
    snprintf(entries[2], sizeof entries[2], "%s=%s", CF_META_TTA, tta);
    const char *const extra[] = {entries[0], entries[1], entries[2], "val_permille=50",
                                 "mean=0.5,0.4,0.3", "std=0.25,0.2,0.3", NULL};
    size_t size = 0;
    uint8_t *bytes = test_random_weight_file(SPEC, DS_SIDE, init_seed, extra, &size);
    cf_error err;
    snprintf(path, n, "%s/%s", dir, name);
    int rc = !bytes || write_file_atomic(path, bytes, size, &err);
    free(bytes);
    return rc;
}

static void random_images(dataset *ds) {
    ds->n = N_IMAGES;
    ds->pixels = malloc((size_t)N_IMAGES * DS_PIXELS);
    cf_rng rng = cf_rng_make(3, 0, 0);
    for (size_t i = 0; i < (size_t)N_IMAGES * DS_PIXELS; i++) ds->pixels[i] = (uint8_t)cf_rng_below(&rng, 256);
}

/* One teacher's calibrated logit of image i of ds, mirrored or not, computed directly. */
static float direct_logit(const char *path, const dataset *ds, int i, int mirrored) {
    size_t n;
    unsigned char *bytes = test_read_file(path, &n);
    cifake_detector *d = NULL;
    cf_error err;
    if (!bytes || cifake_open(bytes, n, &d, &err)) return free(bytes), NAN;
    free(bytes);
    const cf_infer_params *p = cf_detector_params(d);
    uint8_t px[DS_PIXELS];
    const uint8_t *src = ds->pixels + (size_t)i * DS_PIXELS;
    for (int y = 0; y < DS_SIDE; y++)
        for (int x = 0; x < DS_SIDE; x++)
            memcpy(px + (y * DS_SIDE + x) * 3, src + (y * DS_SIDE + (mirrored ? DS_SIDE - 1 - x : x)) * 3, 3);
    float input[DS_PIXELS], prob, score = NAN;
    cf_normalise(p->mean, p->std, px, DS_SIDE * DS_SIDE, input);
    if (cf_detector_predict(d, input, 1, &prob, &score, &err)) score = NAN;
    float t = p->temperature;
    cifake_close(d);
    return score / t;
}

TEST(teachers_cache_and_live_scores_are_the_ensembles_calibrated_logits) {
    char dir[64], a[128], b[128], other[128], flip[128];
    snprintf(dir, sizeof dir, "/tmp/cifake-teachers-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    CHECK(!teacher_file(dir, "a.bin", 1, "1", "1", "none", a, sizeof a));
    CHECK(!teacher_file(dir, "b.bin", 2, "2.5", "1", "none", b, sizeof b));
    CHECK(!teacher_file(dir, "other.bin", 3, "1", "9", "none", other, sizeof other));
    CHECK(!teacher_file(dir, "flip.bin", 4, "1.5", "1", CF_TTA_FLIP, flip, sizeof flip));
    dataset ds = {0};
    random_images(&ds);
    const char *files[2] = {a, b};
    teacher_set t;
    cf_error err;
    CHECK(!teachers_open(&t, files, 2, 1, 50, &err));
    int idx[3] = {4, 1, 2}; /* a subset, out of order: the cache is indexed by dataset image */
    CHECK(!teachers_cache(&t, &ds, idx, 3, 2, &err));
    for (int k = 0; k < 3; k++)
        for (int mirrored = 0; mirrored < 2; mirrored++) {
            float want = (direct_logit(a, &ds, idx[k], mirrored) + direct_logit(b, &ds, idx[k], mirrored)) / 2;
            CHECK_NEAR(teachers_cached_logit(&t, idx[k], mirrored), want, 1e-4);
        }
    CHECK(isnan(teachers_cached_logit(&t, 0, 0))); /* never scored */

    /* live, on a batch prepared in another normalisation than the teachers', some images mirrored */
    const float mean[3] = {0.45f, 0.45f, 0.45f}, std[3] = {0.22f, 0.22f, 0.22f};
    float batch[3 * DS_PIXELS], z[3];
    int flipped[3];
    CHECK(!teachers_go_live(&t, 4, 2, &err));
    for (int k = 0; k < 3; k++) {
        cf_rng rng = cf_rng_make(5, (uint64_t)k, 0);
        flipped[k] = dataset_prepare(&ds, idx[k], mean, std, 1, 0, &rng, batch + (size_t)k * DS_PIXELS);
    }
    CHECK(flipped[0] || flipped[1] || flipped[2]); /* the seeds draw at least one mirror */
    CHECK(!flipped[0] || !flipped[1] || !flipped[2]);
    teachers_score_batch(&t, batch, 3, mean, std, z);
    for (int k = 0; k < 3; k++) CHECK_NEAR(z[k], teachers_cached_logit(&t, idx[k], flipped[k]), 1e-4);
    teachers_close(&t);

    /* a teacher whose file asks for flip averaging gives both views the mean of their logits */
    const char *with_flip[2] = {a, flip};
    CHECK(!teachers_open(&t, with_flip, 2, 1, 50, &err));
    CHECK(!teachers_cache(&t, &ds, idx, 3, 2, &err));
    CHECK(!teachers_go_live(&t, 4, 2, &err));
    teachers_score_batch(&t, batch, 3, mean, std, z);
    for (int k = 0; k < 3; k++) {
        float both = (direct_logit(flip, &ds, idx[k], 0) + direct_logit(flip, &ds, idx[k], 1)) / 2;
        for (int mirrored = 0; mirrored < 2; mirrored++)
            CHECK_NEAR(teachers_cached_logit(&t, idx[k], mirrored), (direct_logit(a, &ds, idx[k], mirrored) + both) / 2, 1e-4);
        CHECK_NEAR(z[k], teachers_cached_logit(&t, idx[k], flipped[k]), 1e-4);
    }
    teachers_close(&t);

    /* a teacher that held out another validation split is refused, by name */
    const char *mixed[2] = {a, other};
    CHECK(teachers_open(&t, mixed, 2, 1, 50, &err) == -1);
    CHECK(strstr(err.msg, "other.bin held out another validation split") != NULL);
    CHECK(teachers_open(&t, files, 2, 1, 100, &err) == -1); /* another held-out share */
    CHECK(teachers_open(&t, files, 0, 1, 50, &err) == -1);
    remove(a);
    remove(b);
    remove(other);
    remove(flip);
    rmdir(dir);
    free(ds.pixels);
}
