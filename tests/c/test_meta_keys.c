/* Tests of the metadata key table (src/meta_keys.h): its entries, the type checks, and that the
 * shipped weight file holds only keys the table names, each with a value of its type. */
#include <stdlib.h>
#include <string.h>

#include "meta_keys.h"
#include "test.h"
#include "weights.h"

TEST(meta_keys_are_unique_and_documented) {
    int n;
    const cf_meta_key *keys = cf_meta_keys(&n);
    CHECK(n > 40);
    for (int i = 0; i < n; i++) {
        CHECK_MSG(keys[i].doc && *keys[i].doc, "%s has no doc", keys[i].name);
        CHECK(cf_meta_key_find(keys[i].name) == &keys[i]); /* also: no name twice */
        CHECK(keys[i].type != CF_VALUE_CHOICE || (keys[i].choices && strchr(keys[i].choices, '|')));
        CHECK(keys[i].type != CF_VALUE_NUMBERS || keys[i].count > 1);
    }
    CHECK(cf_meta_key_find("no_such_key") == NULL);
}

static int accepts(const char *key, const char *value) {
    cf_error err;
    return cf_meta_key_check(cf_meta_key_find(key), value, &err) == 0;
}

TEST(meta_keys_check_each_type) {
    CHECK(accepts(CF_META_SEED, "18446744073709551615") && accepts(CF_META_BEST_EPOCH, "0"));
    CHECK(!accepts(CF_META_SEED, "18446744073709551616") && !accepts(CF_META_SEED, "1.5") &&
          !accepts(CF_META_SEED, " 1") && !accepts(CF_META_SEED, "") && !accepts(CF_META_SEED, "-"));
    CHECK(accepts(CF_META_THRESHOLD, "0.596550524") && accepts(CF_META_EMA, "1e-3") && accepts(CF_META_VAL_AUROC, "nan"));
    CHECK(!accepts(CF_META_THRESHOLD, "abc") && !accepts(CF_META_THRESHOLD, "0.5x") && !accepts(CF_META_THRESHOLD, ""));
    CHECK(accepts(CF_META_MEAN, "0.47,0.46,0.41") && accepts(CF_META_UNSURE_BAND, "0.9,0.1"));
    CHECK(!accepts(CF_META_MEAN, "0.47,0.46") && !accepts(CF_META_MEAN, "0.47,0.46,0.41,") &&
          !accepts(CF_META_MEAN, "0.47,,0.41") && !accepts(CF_META_UNSURE_BAND, "0.5"));
    CHECK(accepts(CF_META_INPUT, "3x32x32") && !accepts(CF_META_INPUT, "3x32") && !accepts(CF_META_INPUT, "3x0x32") &&
          !accepts(CF_META_INPUT, "3x32x32 "));
    CHECK(accepts(CF_META_VIEW, CF_VIEW_PATCHES) && accepts(CF_META_TTA, CF_TTA_NONE) && !accepts(CF_META_VIEW, "patch") &&
          !accepts(CF_META_TTA, "") && !accepts(CF_META_TEACHER_MODE, "cached|live"));
    CHECK(accepts(CF_META_NAME, "") && accepts(CF_META_COMMAND, "anything at all"));
    cf_error err;
    CHECK(cf_meta_key_check(cf_meta_key_find(CF_META_MEAN), "1,2", &err) != 0 && strstr(err.msg, "mean \"1,2\"") &&
          strstr(err.msg, "3 numbers"));
}

TEST(meta_keys_name_every_key_of_the_shipped_file) {
    const char *path = getenv("CIFAKE_WEIGHTS");
    if (!path || !*path) path = "weights/cifake.bin";
    size_t n = 0;
    unsigned char *bytes = test_read_file(path, &n);
    if (!bytes) {
        test_skip("weight file not found (run from the repository root)");
        return;
    }
    cf_model m;
    cf_meta meta = {0};
    cf_error err = {{0}};
    int rc = cf_weights_read(bytes, n, &m, &meta, NULL, &err);
    free(bytes);
    CHECK_MSG(rc == 0, "%s: %s", path, err.msg);
    if (rc) return;
    for (int i = 0; i < meta.n; i++) {
        const cf_meta_key *k = cf_meta_key_find(meta.key[i]);
        CHECK_MSG(k != NULL, "%s: key %s is not in the table", path, meta.key[i]);
        CHECK_MSG(!k || cf_meta_key_check(k, meta.value[i], &err) == 0, "%s: %s", path, err.msg);
    }
    cf_meta_free(&meta);
    cf_model_free(&m);
}
