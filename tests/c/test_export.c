/* The protobuf encoder against the wire format's published examples, the ONNX graph read back with an
 * independent little protobuf reader, and the detector's batched cf_detector_predict against one image at
 * a time. (onnxruntime itself runs the exported files in tests/node/onnx.test.mjs.) */
#include <stdlib.h>
#include <string.h>

#include "detector_internals.h"
#include "onnx.h"
#include "protobuf.h"
#include "test.h"

TEST(protobuf_varints_match_the_wire_format) {
    struct {
        uint64_t v;
        int n;
        uint8_t bytes[10];
    } cases[] = {
        {0, 1, {0x00}},
        {1, 1, {0x01}},
        {127, 1, {0x7f}},
        {150, 2, {0x96, 0x01}}, /* the encoding guide's example */
        {300, 2, {0xac, 0x02}},
        {UINT64_MAX, 10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}}, /* int64 -1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cf_buffer b = {0};
        pb_varint(&b, cases[i].v);
        CHECK_MSG(b.len == (size_t)cases[i].n && !memcmp(b.data, cases[i].bytes, b.len), "varint %llu",
                  (unsigned long long)cases[i].v);
        free(b.data);
    }
    /* field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67 */
    cf_buffer b = {0};
    pb_int(&b, 1, 150);
    pb_string(&b, 2, "testing");
    const uint8_t want[] = {0x08, 0x96, 0x01, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'};
    CHECK(b.len == sizeof want && !memcmp(b.data, want, sizeof want));
    free(b.data);
    /* a float is fixed32, little-endian: field 2 = 1.0f is 15 00 00 80 3f */
    b = (cf_buffer){0};
    pb_float(&b, 2, 1.0f);
    const uint8_t one[] = {0x15, 0x00, 0x00, 0x80, 0x3f};
    CHECK(b.len == sizeof one && !memcmp(b.data, one, sizeof one));
    free(b.data);
}

/* ---------------------------------------------------------------- a minimal protobuf reader */

typedef struct {
    const uint8_t *p, *end;
} reader;

static int read_varint(reader *r, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t byte = *r->p++;
        *v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return 0;
    }
    return -1;
}

/* Next field: number, and either its integer value or its bytes (sub). 0 at the end, -1 if malformed. */
static int next_field(reader *r, int *field, uint64_t *value, reader *sub) {
    *sub = (reader){r->end, r->end};
    if (r->p >= r->end) return 0;
    uint64_t key;
    if (read_varint(r, &key)) return -1;
    *field = (int)(key >> 3);
    switch (key & 7) {
    case 0: return read_varint(r, value) ? -1 : 1;
    case 5:
        if (r->end - r->p < 4) return -1;
        r->p += 4;
        return 1;
    case 2:
        if (read_varint(r, value) || *value > (uint64_t)(r->end - r->p)) return -1;
        *sub = (reader){r->p, r->p + *value};
        r->p += *value;
        return 1;
    default: return -1;
    }
}

typedef struct {
    int ir_version, opset, n_nodes, n_inits, n_inputs, n_outputs, malformed;
    char ops[32][24];
    char init_name[32][24];
    size_t init_bytes[32];
    const uint8_t *init_raw[32];
} onnx_summary;

static void copy_string(char *dst, size_t n, reader s) {
    size_t len = (size_t)(s.end - s.p) < n - 1 ? (size_t)(s.end - s.p) : n - 1;
    memcpy(dst, s.p, len);
    dst[len] = 0;
}

static void read_node(onnx_summary *o, reader node) {
    int f, rc;
    uint64_t v;
    reader s;
    while ((rc = next_field(&node, &f, &v, &s)) > 0)
        if (f == 4 && o->n_nodes < 32) copy_string(o->ops[o->n_nodes], sizeof o->ops[0], s);
    if (rc < 0) o->malformed = 1;
    o->n_nodes++;
}

static void read_initializer(onnx_summary *o, reader t) {
    int f, rc, k = o->n_inits++;
    uint64_t v;
    reader s;
    if (k >= 32) return;
    while ((rc = next_field(&t, &f, &v, &s)) > 0) {
        if (f == 8) copy_string(o->init_name[k], sizeof o->init_name[0], s);
        if (f == 9) o->init_bytes[k] = (size_t)(s.end - s.p), o->init_raw[k] = s.p;
    }
    if (rc < 0) o->malformed = 1;
}

static onnx_summary summarise(const uint8_t *bytes, size_t n) {
    onnx_summary o = {0};
    reader model = {bytes, bytes + n}, s, g;
    int f, rc;
    uint64_t v;
    while ((rc = next_field(&model, &f, &v, &s)) > 0) {
        if (f == 1) o.ir_version = (int)v;
        if (f == 8) {
            reader opset = s;
            while (next_field(&opset, &f, &v, &g) > 0)
                if (f == 2) o.opset = (int)v;
        }
        if (f != 7) continue;
        while ((rc = next_field(&s, &f, &v, &g)) > 0) {
            if (f == 1) read_node(&o, g);
            if (f == 5) read_initializer(&o, g);
            if (f == 11) o.n_inputs++;
            if (f == 12) o.n_outputs++;
        }
        if (rc < 0) o.malformed = 1;
    }
    if (rc < 0) o.malformed = 1;
    return o;
}

/* A weight file's model and metadata with random parameters and non-trivial batch-norm statistics. */
static int make_model(const char *spec, cf_model *m, cf_meta *meta) {
    cf_error err;
    if (cf_model_build(m, spec, (cf_shape){3, 32, 32}, &err)) return -1;
    cf_model_init_params(m, 11);
    for (size_t i = 0; i < m->n_buffers; i++) m->buffers[i] = 0.5f + 0.25f * (float)(i % 5);
    memset(meta, 0, sizeof *meta);
    const char *kv[][2] = {{"spec", spec},         {"input", "3x32x32"},   {"mean", "0.47,0.46,0.42"},
                           {"std", "0.24,0.23,0.25"}, {"classes", "REAL,FAKE"}, {"threshold", "0.5"},
                           {"temperature", "1.25"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) cf_meta_set(meta, kv[i][0], kv[i][1], &err);
    return 0;
}

TEST(onnx_graph_has_every_layer_in_order_and_the_folded_weights) {
    const char *spec = "c8k5,bn,relu,bn,mp,c12v,relu,drop0.25,gap,d16,relu,bn,c8k1,relu,flat,d2";
    cf_model m, folded;
    cf_meta meta;
    cf_error err;
    CHECK(make_model(spec, &m, &meta) == 0);
    uint8_t *bytes;
    size_t n;
    CHECK(onnx_export(&m, &meta, "test", &bytes, &n, &err) == 0);
    onnx_summary o = summarise(bytes, n);
    CHECK(!o.malformed);
    CHECK(o.ir_version == ONNX_IR_VERSION && o.opset == ONNX_OPSET);
    CHECK(o.n_inputs == 1 && o.n_outputs == 2);
    /* the ONNX operators each layer means; the first bn folds into the 5x5 conv, dropout vanishes */
    const char *want[] = {"Conv", "Relu", "BatchNormalization", "MaxPool", "Conv", "Relu", "GlobalAveragePool",
                          "Flatten", "Gemm", "Relu", "BatchNormalization", "Reshape", "Conv", "Relu", "Flatten",
                          "Gemm", "Div", "Sigmoid"};
    int n_want = (int)(sizeof want / sizeof want[0]);
    CHECK_MSG(o.n_nodes == n_want, "%d nodes", o.n_nodes);
    for (int i = 0; i < n_want && i < o.n_nodes; i++) CHECK_MSG(!strcmp(o.ops[i], want[i]), "node %d is %s", i, o.ops[i]);
    /* initializers hold the folded model's numbers, byte for byte */
    CHECK(cf_model_fold_bn(&m, &folded, &err) == 0);
    int found = 0;
    for (int k = 0; k < o.n_inits && k < 32; k++) {
        if (!strcmp(o.init_name[k], "l0.weight")) {
            found++;
            CHECK(o.init_bytes[k] == sizeof(float) * 8 * 3 * 5 * 5);
            CHECK(!memcmp(o.init_raw[k], folded.layers[0].weight, o.init_bytes[k]));
        }
        if (!strcmp(o.init_name[k], "temperature")) {
            float t;
            memcpy(&t, o.init_raw[k], 4);
            found++;
            CHECK(o.init_bytes[k] == 4 && t == 1.25f);
        }
        if (!strcmp(o.init_name[k], "l14.weight")) { /* the softmax head as one FAKE-minus-REAL row */
            const cf_layer *head = &folded.layers[folded.n_layers - 1];
            found++;
            CHECK(o.init_bytes[k] == sizeof(float) * 8);
            for (int i = 0; i < 8 && o.init_bytes[k] == 32; i++) {
                float w;
                memcpy(&w, o.init_raw[k] + 4 * i, 4);
                CHECK(w == head->weight[8 + i] - head->weight[i]);
            }
        }
    }
    CHECK_MSG(found == 3, "found %d of the 3 initializers looked for", found);
    free(bytes);
    cf_model_free(&folded);
    cf_model_free(&m);
    cf_meta_free(&meta);
}

TEST(onnx_export_refuses_a_file_without_inference_settings) {
    cf_model m;
    cf_meta meta;
    cf_error err;
    CHECK(make_model("c4,relu,gap,d1", &m, &meta) == 0);
    cf_meta_set(&meta, "temperature", "-1", &err);
    uint8_t *bytes = (uint8_t *)&err;
    size_t n = 1;
    CHECK(onnx_export(&m, &meta, "test", &bytes, &n, &err) == -1 && strstr(err.msg, "temperature"));
    CHECK(bytes == NULL && n == 0);
    cf_model_free(&m);
    cf_meta_free(&meta);
}

TEST(predict_batches_like_single_classifications_and_keeps_the_cam_state) {
    cf_model m;
    cf_meta meta;
    cf_error err;
    CHECK(make_model("c8,bn,relu,mp,c16,relu,gap,d2", &m, &meta) == 0);
    uint8_t *w;
    size_t wn;
    CHECK(cf_weights_write(&m, &meta, NULL, &w, &wn, &err) == 0);
    cifake_detector *d;
    CHECK(cifake_open(w, wn, &d, &err) == 0);
    CHECK(cf_detector_input(d) == NULL);
    enum { N = 5 };
    float *inputs = malloc(sizeof(float) * 3072 * N), p[N], s[N], single_p[N], single_s[N];
    uint8_t rgb[3072];
    for (int k = 0; k < N; k++) {
        for (int i = 0; i < 3072; i++) rgb[i] = (uint8_t)((i * (37 + 8 * k)) ^ (i >> (k + 1)));
        cifake_result r;
        CHECK(cf_detector_classify_rgb(d, rgb, &r, &err) == 0);
        memcpy(inputs + 3072 * k, cf_detector_input(d), sizeof(float) * 3072);
        single_p[k] = r.p_fake;
        single_s[k] = r.score;
    }
    float cam[1024], again[1024];
    CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAM, 1, -1, cam, &err) == 0);
    CHECK(cf_detector_predict(d, inputs, N, p, s, &err) == 0);
    for (int k = 0; k < N; k++) {
        CHECK_NEAR(p[k], single_p[k], 1e-6);
        CHECK_NEAR(s[k], single_s[k], 1e-5);
    }
    CHECK(fabsf(p[0] - p[1]) > 0.0f); /* different images, different answers */
    CHECK(cf_detector_predict(d, inputs + 3072, 1, p, NULL, &err) == 0); /* a smaller batch reuses the workspace */
    CHECK_NEAR(p[0], single_p[1], 1e-6);
    CHECK(cifake_explain(d, CIFAKE_CAM_GRADCAM, 1, -1, again, &err) == 0);
    CHECK(memcmp(cam, again, sizeof cam) == 0);
    CHECK(cf_detector_predict(d, inputs, 0, p, s, &err) == -1 && strstr(err.msg, "batch of 0"));
    CHECK(cf_detector_predict(d, inputs, 1025, p, s, &err) == -1 && strstr(err.msg, "1..1024"));
    free(inputs);
    cifake_close(d);
    free(w);
    cf_model_free(&m);
    cf_meta_free(&meta);
}
