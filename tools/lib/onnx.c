/* onnx.c - writes a cifake model as an ONNX ModelProto with the small encoder in protobuf.h.
 * Field numbers are those of onnx/onnx.proto (IR version 8). */
#include "onnx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protobuf.h"

/* onnx.proto field numbers, named so the writers below read like the schema. */
enum { MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_DOC = 6, MODEL_GRAPH = 7,
       MODEL_OPSET = 8, MODEL_METADATA = 14 };
enum { OPSET_VERSION = 2 };
enum { ENTRY_KEY = 1, ENTRY_VALUE = 2 };
enum { GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_DOC = 10, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12 };
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5 };
enum { ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20 };
enum { ATTR_TYPE_FLOAT = 1, ATTR_TYPE_INT = 2, ATTR_TYPE_INTS = 7 };
enum { TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9 };
enum { DTYPE_FLOAT = 1, DTYPE_INT64 = 7 };
enum { VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TENSOR_ELEM_TYPE = 1, TENSOR_SHAPE = 2, SHAPE_DIM = 1,
       DIM_VALUE = 1, DIM_PARAM = 2 };

#define NAME_MAX_LEN 48

/* The graph being built: nodes and initializers so far, and the tensor the next layer reads. */
typedef struct {
    cf_buffer nodes, inits;
    int n_nodes;
    char x[NAME_MAX_LEN];
    int rank; /* 4: [N, C, H, W]; 2: [N, features] */
} graph;

/* ---------------------------------------------------------------- attributes, tensors, nodes */

static void attr_begin(cf_buffer *a, const char *name, int type) {
    pb_string(a, ATTR_NAME, name);
    pb_int(a, ATTR_TYPE, type);
}

static void attr_end(cf_buffer *attrs, cf_buffer *a) {
    pb_message(attrs, NODE_ATTRIBUTE, a);
    free(a->data);
}

static void attr_ints(cf_buffer *attrs, const char *name, const int64_t *v, int n) {
    cf_buffer a = {0};
    attr_begin(&a, name, ATTR_TYPE_INTS);
    for (int i = 0; i < n; i++) pb_int(&a, ATTR_INTS, v[i]);
    attr_end(attrs, &a);
}

static void attr_int(cf_buffer *attrs, const char *name, int64_t v) {
    cf_buffer a = {0};
    attr_begin(&a, name, ATTR_TYPE_INT);
    pb_int(&a, ATTR_I, v);
    attr_end(attrs, &a);
}

static void attr_float(cf_buffer *attrs, const char *name, float v) {
    cf_buffer a = {0};
    attr_begin(&a, name, ATTR_TYPE_FLOAT);
    pb_float(&a, ATTR_F, v);
    attr_end(attrs, &a);
}

/* An initializer; raw_data is little-endian whatever the host, as ONNX requires. */
static void add_tensor(graph *g, const char *name, int dtype, const int64_t *dims, int ndim, const void *data,
                       size_t count) {
    cf_buffer t = {0};
    for (int i = 0; i < ndim; i++) pb_int(&t, TENSOR_DIMS, dims[i]);
    pb_int(&t, TENSOR_DATA_TYPE, dtype);
    pb_string(&t, TENSOR_NAME, name);
    size_t width = dtype == DTYPE_INT64 ? 8 : 4, n = count * width;
    uint8_t *raw = malloc(n ? n : 1);
    if (!raw) t.failed = 1;
    for (size_t i = 0; raw && i < count; i++) {
        uint64_t u = 0;
        if (dtype == DTYPE_INT64) memcpy(&u, (const int64_t *)data + i, 8);
        else {
            uint32_t u32;
            memcpy(&u32, (const float *)data + i, 4);
            u = u32;
        }
        for (size_t k = 0; k < width; k++) raw[i * width + k] = (uint8_t)(u >> (8 * k));
    }
    if (raw) pb_bytes(&t, TENSOR_RAW_DATA, raw, n);
    free(raw);
    pb_message(&g->inits, GRAPH_INITIALIZER, &t);
    free(t.data);
}

static void add_floats(graph *g, const char *name, const int64_t *dims, int ndim, const float *data) {
    size_t count = 1;
    for (int i = 0; i < ndim; i++) count *= (size_t)dims[i];
    add_tensor(g, name, DTYPE_FLOAT, dims, ndim, data, count);
}

/* A node reading inputs[0..n_in) and writing `output`, which becomes the current tensor; the node
 * takes the attribute bytes (attrs is freed). */
static void add_node(graph *g, const char *op, const char *const *inputs, int n_in, const char *output,
                     cf_buffer *attrs) {
    cf_buffer node = {0};
    for (int i = 0; i < n_in; i++) pb_string(&node, NODE_INPUT, inputs[i]);
    pb_string(&node, NODE_OUTPUT, output);
    pb_string(&node, NODE_NAME, output);
    pb_string(&node, NODE_OP_TYPE, op);
    if (attrs) {
        cf_buffer_append(&node, attrs->data, attrs->len);
        if (attrs->failed) node.failed = 1;
        free(attrs->data);
    }
    pb_message(&g->nodes, GRAPH_NODE, &node);
    free(node.data);
    g->n_nodes++;
    snprintf(g->x, sizeof g->x, "%s", output);
}

/* A one-input node on the current tensor. */
static void add_unary(graph *g, const char *op, const char *output, cf_buffer *attrs) {
    char in[NAME_MAX_LEN];
    snprintf(in, sizeof in, "%s", g->x);
    const char *inputs[] = {in};
    add_node(g, op, inputs, 1, output, attrs);
}

/* ---------------------------------------------------------------- layers */

/* Spatial layers need [N, C, H, W]; after a flatten or dense layer the tensor is [N, F] with
 * F = C*1*1, so it is reshaped back. */
static void need_rank4(graph *g, int l, cf_shape in) {
    if (g->rank == 4) return;
    char shape_name[NAME_MAX_LEN], out[NAME_MAX_LEN];
    snprintf(shape_name, sizeof shape_name, "l%d.shape", l);
    snprintf(out, sizeof out, "l%d_reshape", l);
    int64_t dims[] = {4}, shape[] = {-1, in.c, in.h, in.w};
    add_tensor(g, shape_name, DTYPE_INT64, dims, 1, shape, 4);
    char x[NAME_MAX_LEN];
    snprintf(x, sizeof x, "%s", g->x);
    const char *inputs[] = {x, shape_name};
    add_node(g, "Reshape", inputs, 2, out, NULL);
    g->rank = 4;
}

static void need_rank2(graph *g, int l) {
    if (g->rank == 2) return;
    char out[NAME_MAX_LEN];
    snprintf(out, sizeof out, "l%d_flatten", l);
    cf_buffer attrs = {0};
    attr_int(&attrs, "axis", 1);
    add_unary(g, "Flatten", out, &attrs);
    g->rank = 2;
}

static void conv_layer(graph *g, int l, const cf_layer *L, const char *out) {
    need_rank4(g, l, L->in);
    char w[NAME_MAX_LEN], b[NAME_MAX_LEN], x[NAME_MAX_LEN];
    snprintf(w, sizeof w, "l%d.weight", l);
    snprintf(b, sizeof b, "l%d.bias", l);
    snprintf(x, sizeof x, "%s", g->x);
    /* our layout [out][in][ky][kx] is ONNX's OIHW */
    int64_t wdims[] = {L->out.c, L->in.c, L->ksize, L->ksize}, bdims[] = {L->out.c};
    add_floats(g, w, wdims, 4, L->weight);
    add_floats(g, b, bdims, 1, L->bias);
    cf_buffer attrs = {0};
    int64_t kernel[] = {L->ksize, L->ksize}, pads[] = {L->pad, L->pad, L->pad, L->pad}, strides[] = {1, 1};
    attr_ints(&attrs, "kernel_shape", kernel, 2);
    attr_ints(&attrs, "pads", pads, 4);
    attr_ints(&attrs, "strides", strides, 2);
    const char *inputs[] = {x, w, b};
    add_node(g, "Conv", inputs, 3, out, &attrs);
}

/* Gemm with transB: Y = X W^T + b, W [units][inputs] as stored. A final softmax layer (2 units) is
 * turned into the single FAKE score z1 - z0 = x (w1 - w0) + (b1 - b0). */
static int dense_layer(graph *g, int l, const cf_layer *L, int softmax_head, const char *out, cf_error *err) {
    need_rank2(g, l);
    int inputs_n = L->n_weight / L->n_bias, units = softmax_head ? 1 : L->out.c;
    float *w = malloc(sizeof(float) * (size_t)L->n_weight), bias[2];
    if (!w) return cf_fail(err, "out of memory");
    if (softmax_head) {
        for (int i = 0; i < inputs_n; i++) w[i] = L->weight[inputs_n + i] - L->weight[i];
        bias[0] = L->bias[1] - L->bias[0];
    } else memcpy(w, L->weight, sizeof(float) * (size_t)L->n_weight);
    char wn[NAME_MAX_LEN], bn[NAME_MAX_LEN], x[NAME_MAX_LEN];
    snprintf(wn, sizeof wn, "l%d.weight", l);
    snprintf(bn, sizeof bn, "l%d.bias", l);
    snprintf(x, sizeof x, "%s", g->x);
    int64_t wdims[] = {units, inputs_n}, bdims[] = {units};
    add_floats(g, wn, wdims, 2, w);
    add_floats(g, bn, bdims, 1, softmax_head ? bias : L->bias);
    free(w);
    cf_buffer attrs = {0};
    attr_int(&attrs, "transB", 1);
    const char *inputs[] = {x, wn, bn};
    add_node(g, "Gemm", inputs, 3, out, &attrs);
    return 0;
}

/* A batch norm that could not be folded (not right after a conv or dense layer). */
static void bn_layer(graph *g, int l, const cf_layer *L, const char *out) {
    static const char *const parts[] = {"scale", "shift", "mean", "var"};
    const float *data[] = {L->weight, L->bias, L->running_mean, L->running_var};
    char names[4][NAME_MAX_LEN], x[NAME_MAX_LEN];
    snprintf(x, sizeof x, "%s", g->x);
    const char *inputs[5] = {x};
    int64_t dims[] = {L->in.c};
    for (int i = 0; i < 4; i++) {
        snprintf(names[i], sizeof names[i], "l%d.%s", l, parts[i]);
        add_floats(g, names[i], dims, 1, data[i]);
        inputs[i + 1] = names[i];
    }
    cf_buffer attrs = {0};
    attr_float(&attrs, "epsilon", CF_BN_EPS);
    add_node(g, "BatchNormalization", inputs, 5, out, &attrs);
}

static int add_layers(graph *g, const cf_model *m, cf_error *err) {
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        int last = l == m->n_layers - 1;
        char out[NAME_MAX_LEN];
        snprintf(out, sizeof out, last ? "logit" : "l%d_%s", l, cf_layer_name(L->kind));
        switch (L->kind) {
        case CF_CONV: conv_layer(g, l, L, out); break;
        case CF_DENSE:
            if (dense_layer(g, l, L, last && L->out.c == 2, out, err)) return -1;
            break;
        case CF_BN: bn_layer(g, l, L, out); break;
        case CF_RELU: add_unary(g, "Relu", out, NULL); break;
        case CF_MAXPOOL: {
            need_rank4(g, l, L->in);
            cf_buffer attrs = {0};
            int64_t two[] = {2, 2};
            attr_ints(&attrs, "kernel_shape", two, 2);
            attr_ints(&attrs, "strides", two, 2);
            add_unary(g, "MaxPool", out, &attrs);
            break;
        }
        case CF_GAP: /* on [N, F] the map is already 1x1 */
            if (g->rank == 4) add_unary(g, "GlobalAveragePool", out, NULL);
            break;
        case CF_FLATTEN: need_rank2(g, l); break;
        case CF_DROPOUT: break;
        case CF_NPR: return cf_fail(err, "layer %d: the npr layer has no ONNX export yet", l + 1);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- graph and model */

/* ValueInfoProto for a float tensor whose first dimension is the symbolic batch size "N". */
static void value_info(cf_buffer *graph_buf, int field, const char *name, const int64_t *dims, int ndim) {
    cf_buffer shape = {0}, tensor = {0}, type = {0}, info = {0};
    for (int i = -1; i < ndim; i++) {
        cf_buffer dim = {0};
        if (i < 0) pb_string(&dim, DIM_PARAM, "N");
        else pb_int(&dim, DIM_VALUE, dims[i]);
        pb_message(&shape, SHAPE_DIM, &dim);
        free(dim.data);
    }
    pb_int(&tensor, TENSOR_ELEM_TYPE, DTYPE_FLOAT);
    pb_message(&tensor, TENSOR_SHAPE, &shape);
    pb_message(&type, TYPE_TENSOR, &tensor);
    pb_string(&info, VALUE_NAME, name);
    pb_message(&info, VALUE_TYPE, &type);
    pb_message(graph_buf, field, &info);
    free(shape.data);
    free(tensor.data);
    free(type.data);
    free(info.data);
}

static const char *const DOC =
    "cifake: p_fake, the calibrated probability that an image is AI-generated (CIFAKE: Stable Diffusion "
    "1.4 vs CIFAR-10). Input 'input' float32 [N,3,H,W], RGB, normalised per channel as (pixel/255 - mean)/std "
    "with mean and std from metadata_props. Outputs 'logit' (the FAKE score) and 'p_fake' = "
    "sigmoid(logit / temperature); FAKE when p_fake >= threshold (metadata_props).";

static int build_graph(const cf_model *m, const cf_infer_params *p, cf_buffer *out, cf_error *err) {
    graph g = {.rank = 4};
    snprintf(g.x, sizeof g.x, "input");
    int rc = add_layers(&g, m, err);
    if (!rc) {
        add_floats(&g, "temperature", NULL, 0, &p->temperature); /* a scalar */
        const char *div_in[] = {"logit", "temperature"};
        add_node(&g, "Div", div_in, 2, "logit_scaled", NULL);
        add_unary(&g, "Sigmoid", "p_fake", NULL);
        cf_buffer_append(out, g.nodes.data, g.nodes.len);
        pb_string(out, GRAPH_NAME, "cifake");
        cf_buffer_append(out, g.inits.data, g.inits.len);
        pb_string(out, GRAPH_DOC, DOC);
        int64_t in_dims[] = {m->input.c, m->input.h, m->input.w}, one[] = {1};
        value_info(out, GRAPH_INPUT, "input", in_dims, 3);
        value_info(out, GRAPH_OUTPUT, "p_fake", one, 1);
        value_info(out, GRAPH_OUTPUT, "logit", one, 1);
        if (g.nodes.failed || g.inits.failed) out->failed = 1;
    }
    free(g.nodes.data);
    free(g.inits.data);
    return rc;
}

static void metadata_entry(cf_buffer *model, const char *key, const char *value) {
    cf_buffer e = {0};
    pb_string(&e, ENTRY_KEY, key);
    pb_string(&e, ENTRY_VALUE, value);
    pb_message(model, MODEL_METADATA, &e);
    free(e.data);
}

int onnx_export(const cf_model *raw, const cf_meta *meta, const char *producer_version, uint8_t **out, size_t *n,
                cf_error *err) {
    *out = NULL;
    *n = 0;
    cf_model m;
    cf_infer_params p;
    if (cf_model_fold_bn(raw, &m, err)) return -1;
    if (cf_infer_params_parse(meta, &m, &p, err)) {
        cf_model_free(&m);
        return -1;
    }
    cf_buffer model = {0}, graph_buf = {0}, opset = {0};
    int rc = build_graph(&m, &p, &graph_buf, err);
    if (!rc) {
        pb_int(&model, MODEL_IR_VERSION, ONNX_IR_VERSION);
        pb_string(&model, MODEL_PRODUCER_NAME, "cifake-export");
        pb_string(&model, MODEL_PRODUCER_VERSION, producer_version);
        pb_string(&model, MODEL_DOC, DOC);
        pb_message(&model, MODEL_GRAPH, &graph_buf);
        pb_int(&opset, OPSET_VERSION, ONNX_OPSET); /* the default domain: its name is the empty string */
        pb_message(&model, MODEL_OPSET, &opset);
        metadata_entry(&model, "exported_spec", m.spec);
        for (int i = 0; i < meta->n; i++) metadata_entry(&model, meta->key[i], meta->value[i]);
        if (model.failed) rc = cf_fail(err, "out of memory while writing the ONNX model");
    }
    free(graph_buf.data);
    free(opset.data);
    cf_model_free(&m);
    if (rc) {
        free(model.data);
        return -1;
    }
    *out = model.data;
    *n = model.len;
    return 0;
}
