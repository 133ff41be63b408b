/* fuzz_weights.c - libFuzzer target for the weight-file loader (cifake_open), the other untrusted
 * input: a page or a pipeline may be handed any file as weights.
 *
 * A weight file ends with a CRC-32 of everything before it, so almost every mutation would stop at
 * the checksum. Each input is therefore tried twice: as it is (the checksum path) and with its last
 * four bytes replaced by the correct CRC, which lets the fuzzer reach the header, metadata, spec and
 * tensor checks behind it. An accepted file must then classify a fixed image (or fail cleanly) and
 * explain it. */
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "fuzz_common.h"

static void use_detector(cifake_detector *d) {
    uint8_t rgb[CF_MODEL_SIDE * CF_MODEL_SIDE * 3];
    for (size_t i = 0; i < sizeof rgb; i++) rgb[i] = (uint8_t)(i * 37u + 11u);
    cifake_result r;
    float cam[CF_MODEL_SIDE * CF_MODEL_SIDE];
    cf_error err;
    if (cf_detector_classify_rgb(d, rgb, &r, &err)) { /* e.g. finite weights whose sums overflow to NaN */
        if (!err.msg[0]) fuzz_die("classify failed without a message");
        if (cifake_explain(d, CIFAKE_CAM_GRADCAM, -1, -1, cam, &err) == 0) fuzz_die("explain after a failed classify");
        return;
    }
    if (!(r.p_fake >= 0.0f && r.p_fake <= 1.0f)) fuzz_die("p_fake %g is not a probability", (double)r.p_fake);
    if (cifake_explain(d, CIFAKE_CAM_GRADCAMPP, -1, -1, cam, &err) == 0)
        for (int i = 0; i < CF_MODEL_SIDE * CF_MODEL_SIDE; i++)
            if (!(cam[i] >= 0.0f && cam[i] <= 1.0f)) fuzz_die("map value %g outside [0, 1]", (double)cam[i]);
}

static void try_open(const uint8_t *bytes, size_t n) {
    cifake_detector *d = NULL;
    cf_error err = {{0}};
    if (cifake_open(bytes, n, &d, &err) == 0) {
        use_detector(d);
        cifake_close(d);
    } else if (!err.msg[0] || d) {
        fuzz_die("open failed without a message or left a detector behind");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_open(data, size);
    if (size < 4) return 0;
    uint8_t *fixed = malloc(size); /* exact size, so AddressSanitizer sees any read past the end */
    if (!fixed) return 0;
    memcpy(fixed, data, size);
    uint32_t crc = cf_crc32(0, fixed, size - 4);
    for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    try_open(fixed, size);
    free(fixed);
    return 0;
}
