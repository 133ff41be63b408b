/* Kernel and layer tests: the fast GEMM and convolution against their naive twins, every layer's
 * backward pass against finite differences, batch-norm folding, spec parsing, determinism. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "gemm.h"
#include "layers.h"
#include "model.h"
#include "net.h"
#include "test.h"
#include "winograd.h"

static void fill_random(float *x, size_t n, uint64_t seed, float scale) {
    cf_rng rng = cf_rng_make(seed, 1, 2);
    for (size_t i = 0; i < n; i++) x[i] = scale * (2.0f * cf_rng_uniform(&rng) - 1.0f);
}

static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

TEST(gemm_matches_reference_all_transposes_and_edges) {
    int sizes[][3] = {{1, 1, 1}, {7, 13, 5}, {33, 70, 300}, {64, 1024, 27}, {130, 17, 513}, {6, 48, 256}};
    float *work = cf_aligned_alloc(cf_gemm_work_floats() * sizeof(float));
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int beta = 0; beta < 2; beta++) {
                    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
                    size_t na = (size_t)lda * (ta ? K : M), nb = (size_t)ldb * (tb ? N : K), nc = (size_t)ldc * M;
                    float *A = malloc(na * 4), *B = malloc(nb * 4), *C1 = malloc(nc * 4), *C2 = malloc(nc * 4);
                    fill_random(A, na, 10 + s, 1.0f);
                    fill_random(B, nb, 20 + s, 1.0f);
                    fill_random(C1, nc, 30 + s, 1.0f);
                    memcpy(C2, C1, nc * 4);
                    cf_gemm(ta, tb, M, N, K, A, lda, B, ldb, (float)beta, C1, ldc, work);
                    cf_gemm_ref(ta, tb, M, N, K, A, lda, B, ldb, (float)beta, C2, ldc);
                    double d = 0.0;
                    for (int i = 0; i < M; i++) {
                        double r = max_abs_diff(C1 + (size_t)i * ldc, C2 + (size_t)i * ldc, (size_t)N);
                        if (r > d) d = r;
                    }
                    CHECK_MSG(d < 1e-4 * sqrt((double)K) + 1e-5, "M=%d N=%d K=%d ta=%d tb=%d beta=%d diff %g", M, N, K,
                              ta, tb, beta, d);
                    /* padding columns beyond N must be untouched */
                    for (int i = 0; i < M; i++) CHECK(C1[(size_t)i * ldc + N] == C2[(size_t)i * ldc + N]);
                    free(A), free(B), free(C1), free(C2);
                }
    }
    cf_aligned_free(work);
}

/* Builds a model from spec on a small input, with random parameters. */
static int build(cf_model *m, const char *spec, cf_shape in, uint64_t seed) {
    cf_error err;
    if (cf_model_build(m, spec, in, &err)) {
        fprintf(stderr, "  build '%s': %s\n", spec, err.msg);
        return -1;
    }
    cf_model_init_params(m, seed);
    fill_random(m->params, m->n_params, seed + 7, 0.5f); /* non-trivial biases and BN affine too */
    return 0;
}

TEST(conv_fast_path_matches_reference) {
    /* the last two span several GEMM depth blocks (K = 40*9 > 256, starting mid-channel) and column
     * blocks (33*33 > 1024 output pixels), where the implicit-im2col packers restart mid-row */
    /* c6 on 5x32 has 16 tiles per tile row: a whole number of vectors on every target, so its Winograd
     * input transform reads the column-parity planes directly (winograd.c); c7 on 4x16 (8 tiles per
     * row) and c16k3v (4) take that transform's specialised narrow-map widths; the last two have 32
     * and 128 input channels, whole slivers on every target, so their weight gradients take the
     * pixel-major panels (layers.c), the second across two GEMM column blocks (9*128 > 1024) */
    const char *specs[] = {"c8,d1",  "c5v,d1", "c4k1,d1", "c3k5,d1", "c16k3v,d1", "c13,d1",
                           "c4,d1",  "c9v,d1", "c6,d1",   "c7,d1",   "c5,d1",     "c3,d1"};
    cf_shape shapes[] = {{3, 9, 7},   {4, 8, 8},    {5, 6, 6}, {2, 11, 9}, {16, 7, 10},
                         {40, 9, 11}, {3, 33, 33}, {8, 3, 4}, {8, 5, 32},
                         {9, 4, 16},  {32, 5, 6},  {128, 3, 4}};
    int winograd_layers = 0;
    for (int s = 0; s < (int)(sizeof specs / sizeof specs[0]); s++) {
        cf_model m;
        if (build(&m, specs[s], shapes[s], 3 + s)) {
            CHECK(0);
            continue;
        }
        cf_layer *L = &m.layers[0];
        winograd_layers += cf_winograd_applies(L);
        int batch = 3, in = cf_shape_size(L->in), out = cf_shape_size(L->out);
        float *x = malloc(sizeof(float) * in * batch), *y_ref = malloc(sizeof(float) * out);
        float *dx_ref = malloc(sizeof(float) * in), *dw_ref = malloc(sizeof(float) * L->n_weight);
        float *db_ref = malloc(sizeof(float) * L->n_bias), *dw_sum = calloc(L->n_weight, sizeof(float));
        float *db_sum = calloc(L->n_bias, sizeof(float)), *dy = malloc(sizeof(float) * out * batch);
        fill_random(x, (size_t)in * batch, 100 + s, 1.0f);
        fill_random(dy, (size_t)out * batch, 200 + s, 1.0f);
        cf_workspace ws;
        cf_error err;
        CHECK(cf_workspace_init(&ws, &m, batch, 2, &err) == 0);
        /* both modes, with and without batch statistics (Winograd where it applies, winograd.h) */
        float *y_train = malloc(sizeof(float) * out * batch);
        cf_forward(&m, &ws, x, batch, 1, 0, NULL);
        memcpy(y_train, ws.act[1], sizeof(float) * out * batch);
        cf_forward(&m, &ws, x, batch, 0, 0, NULL);
        memcpy(cf_output_grad(&ws), dy, sizeof(float) * out * batch); /* backward from the conv's output */
        cf_model_zero_grads(&m);
        const float *dx = cf_backward(&m, &ws, 0, 0, CF_GRAD_INPUT | CF_GRAD_PARAMS);
        for (int b = 0; b < batch; b++) {
            cf_conv_forward_ref(L, x + (size_t)b * in, y_ref);
            CHECK_MSG(max_abs_diff(ws.act[1] + (size_t)b * out, y_ref, (size_t)out) < 1e-4, "forward %s", specs[s]);
            CHECK_MSG(max_abs_diff(y_train + (size_t)b * out, y_ref, (size_t)out) < 1e-4, "training forward %s",
                      specs[s]);
            cf_conv_backward_ref(L, x + (size_t)b * in, dy + (size_t)b * out, dx_ref, dw_ref, db_ref);
            CHECK_MSG(max_abs_diff(dx + (size_t)b * in, dx_ref, (size_t)in) < 1e-4, "dx %s", specs[s]);
            for (int i = 0; i < L->n_weight; i++) dw_sum[i] += dw_ref[i];
            for (int i = 0; i < L->n_bias; i++) db_sum[i] += db_ref[i];
        }
        CHECK_MSG(max_abs_diff(L->dweight, dw_sum, (size_t)L->n_weight) < 1e-3, "dw %s", specs[s]);
        CHECK_MSG(max_abs_diff(L->dbias, db_sum, (size_t)L->n_bias) < 1e-3, "db %s", specs[s]);
        free(x), free(y_ref), free(dx_ref), free(dw_ref), free(db_ref), free(dw_sum), free(db_sum), free(dy);
        free(y_train);
        cf_workspace_free(&ws);
        cf_model_free(&m);
    }
    CHECK(winograd_layers == 7); /* all but the first four and c4 take the Winograd path at inference */
}

#ifndef GC_H
#define GC_H 1e-3f /* small enough that ReLU and max-pool kinks are rarely crossed */
#endif
/* Loss of the net on (x, labels) in training mode with fixed dropout ids. */
static double net_loss(cf_model *m, cf_workspace *ws, const float *x, const int *labels, int batch) {
    static const uint64_t ids[8] = {11, 12, 13, 14, 15, 16, 17, 18};
    const float *z = cf_forward(m, ws, x, batch, 1, 42, ids);
    return cf_loss(m, z, labels, batch, NULL);
}

/* Compares every parameter gradient with central differences (input gradients: input_gradient_mismatches). */
static int gradient_check(const char *spec, cf_shape in, int *failures) {
    cf_model m;
    if (build(&m, spec, in, 5)) return -1;
    int batch = 4, labels[4] = {0, 1, 1, 0}, n_in = cf_shape_size(in);
    float *x = malloc(sizeof(float) * n_in * batch);
    fill_random(x, (size_t)n_in * batch, 77, 1.0f);
    cf_workspace ws;
    cf_error err;
    cf_workspace_init(&ws, &m, batch, 2, &err);
    static const uint64_t ids[8] = {11, 12, 13, 14, 15, 16, 17, 18};
    const float *z = cf_forward(&m, &ws, x, batch, 1, 42, ids);
    cf_loss(&m, z, labels, batch, cf_output_grad(&ws));
    cf_model_zero_grads(&m);
    cf_backward(&m, &ws, 0, m.n_layers - 1, CF_GRAD_PARAMS);
    float *analytic = malloc(sizeof(float) * m.n_params);
    memcpy(analytic, m.grads, sizeof(float) * m.n_params);
    int bad = 0;
    size_t stride = m.n_params > 400 ? m.n_params / 400 : 1;
    for (size_t i = 0; i < m.n_params; i += stride) {
        float saved = m.params[i], h = GC_H;
        m.params[i] = saved + h;
        double lp = net_loss(&m, &ws, x, labels, batch);
        m.params[i] = saved - h;
        double lm = net_loss(&m, &ws, x, labels, batch);
        m.params[i] = saved;
        double numeric = (lp - lm) / (2.0 * h), a = analytic[i];
        if (fabs(numeric - a) > 2e-3 + 2e-2 * fabs(numeric)) {
            if (bad++ < 3)
                fprintf(stderr, "  %s: param %zu analytic %.6g numeric %.6g\n", spec, i, a, numeric);
        }
    }
    if (bad) (*failures)++;
    free(analytic);
    free(x);
    cf_workspace_free(&ws);
    cf_model_free(&m);
    return 0;
}

TEST(gradient_check_every_layer) {
    struct {
        const char *spec;
        cf_shape in;
    } cases[] = {
        {"c3,d1", {2, 5, 5}},
        {"c4,bn,d1", {2, 5, 4}},
        {"c4,relu,mp,d1", {3, 6, 6}},
        {"c4,gap,d2", {2, 5, 5}},
        {"c4v,flat,d3,relu,d1", {2, 6, 5}},
        {"c2k5,drop0.3,d1", {1, 7, 7}},
        {"c4,bn,relu,mp,c6,bn,relu,gap,d5,bn,relu,d2", {3, 8, 8}},
        {"c3,mp,c5v,relu,flat,drop0.2,d4,relu,d1", {2, 9, 7}},
        {"c3,npr,c4,relu,gap,d1", {2, 5, 7}}, /* the first conv's gradients pass back through npr */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) CHECK(gradient_check(cases[c].spec, cases[c].in, failures) == 0);
}

/* Compares d(logit)/d(input of layer `first`) that cf_backward returns for the single image x with
 * central differences through a copy of the net from layer `first` on (tail_spec, its parameters
 * copied); returns the number of mismatches (-1 if a model cannot be built). */
static int input_gradient_mismatches(const char *spec, cf_shape in, uint64_t seed, const float *x, int first,
                                     const char *tail_spec) {
    cf_model m, tail;
    cf_workspace ws, tws;
    cf_error err;
    if (build(&m, spec, in, seed)) return -1;
    if (build(&tail, tail_spec, m.layers[first].in, 1)) {
        cf_model_free(&m);
        return -1;
    }
    size_t offset = 0;
    for (int l = 0; l < first; l++) offset += (size_t)m.layers[l].n_weight + (size_t)m.layers[l].n_bias;
    memcpy(tail.params, m.params + offset, sizeof(float) * tail.n_params);
    cf_workspace_init(&ws, &m, 1, 1, &err);
    cf_workspace_init(&tws, &tail, 1, 1, &err);
    cf_forward(&m, &ws, x, 1, 0, 0, NULL);
    cf_output_grad(&ws)[0] = 1.0f; /* d score / d logit */
    const float *g = cf_backward(&m, &ws, first, m.n_layers - 1, CF_GRAD_INPUT);
    int n = cf_shape_size(m.layers[first].in), bad = 0;
    float *analytic = malloc(sizeof(float) * n), *a = malloc(sizeof(float) * n);
    memcpy(analytic, g, sizeof(float) * n);
    memcpy(a, ws.act[first], sizeof(float) * n);
    for (int i = 0; i < n; i++) {
        float saved = a[i], h = 1e-2f;
        a[i] = saved + h;
        double zp = cf_forward(&tail, &tws, a, 1, 0, 0, NULL)[0];
        a[i] = saved - h;
        double zm = cf_forward(&tail, &tws, a, 1, 0, 0, NULL)[0];
        a[i] = saved;
        double numeric = (zp - zm) / (2 * h);
        if (!(fabs(numeric - analytic[i]) < 2e-3 + 2e-2 * fabs(numeric)) && bad++ < 3)
            fprintf(stderr, "  %s, input %d of layer %d: analytic %g numeric %g\n", spec, i, first + 1, analytic[i], numeric);
    }
    free(a);
    free(analytic);
    cf_workspace_free(&tws);
    cf_workspace_free(&ws);
    cf_model_free(&tail);
    cf_model_free(&m);
    return bad;
}

TEST(input_gradient_matches_finite_differences) {
    /* the gradient cf_backward returns for the input of a layer (used by Grad-CAM): here the output
     * of layer 3 (relu) */
    float x[50];
    fill_random(x, 50, 5, 1.0f);
    CHECK(input_gradient_mismatches("c4,bn,relu,c3,relu,gap,d1", (cf_shape){2, 5, 5}, 9, x, 3, "c3,relu,gap,d1") == 0);
    /* and of layer 0: the gradient with respect to the net's own input (CF_GRAD_INPUT) */
    CHECK(input_gradient_mismatches("c4,bn,relu,c3,relu,gap,d1", (cf_shape){2, 5, 5}, 9, x, 0,
                                    "c4,bn,relu,c3,relu,gap,d1") == 0);
}

TEST(backward_in_pieces_equals_one_pass) {
    /* In training (batch norm + ReLU fused), the backward pass split at every layer boundary, each
     * piece continuing from the gradient the one before left in cf_output_grad, gives bit for bit the
     * parameter and input gradients of one pass over the whole net, fused pairs split included. */
    const char *spec = "c6,bn,relu,mp,c8,bn,relu,gap,drop0.2,d4,bn,relu,d1";
    cf_shape in = {3, 8, 8};
    int batch = 4, labels[4] = {1, 0, 0, 1}, n_in = cf_shape_size(in);
    static const uint64_t ids[4] = {3, 1, 4, 1};
    float x[4 * 192];
    fill_random(x, (size_t)n_in * batch, 21, 1.0f);
    cf_model m;
    cf_workspace ws;
    cf_error err;
    CHECK(build(&m, spec, in, 8) == 0);
    CHECK(cf_workspace_init(&ws, &m, batch, 2, &err) == 0);
    float *grads = malloc(sizeof(float) * m.n_params), *dx = malloc(sizeof(float) * n_in * batch);
    for (int split = 0; split < m.n_layers; split++) { /* split 0: one pass */
        cf_model_zero_grads(&m);
        const float *z = cf_forward(&m, &ws, x, batch, 1, 9, ids);
        cf_loss(&m, z, labels, batch, cf_output_grad(&ws));
        const float *g = cf_backward(&m, &ws, split, m.n_layers - 1, CF_GRAD_INPUT | CF_GRAD_PARAMS);
        if (split > 0) {
            CHECK(g == cf_output_grad(&ws));
            g = cf_backward(&m, &ws, 0, split - 1, CF_GRAD_INPUT | CF_GRAD_PARAMS);
        }
        CHECK(g != NULL);
        if (split == 0) {
            memcpy(grads, m.grads, sizeof(float) * m.n_params);
            memcpy(dx, g, sizeof(float) * n_in * batch);
            CHECK(cf_backward(&m, &ws, 0, m.n_layers - 1, CF_GRAD_PARAMS) == NULL); /* no input gradient */
            CHECK(cf_backward(&m, &ws, 1, 0, CF_GRAD_INPUT) == NULL && cf_backward(&m, &ws, 0, m.n_layers, 0) == NULL);
            continue;
        }
        CHECK_MSG(memcmp(grads, m.grads, sizeof(float) * m.n_params) == 0, "parameter gradients, split at %d", split);
        CHECK_MSG(memcmp(dx, g, sizeof(float) * n_in * batch) == 0, "input gradient, split at %d", split);
    }
    free(grads);
    free(dx);
    cf_workspace_free(&ws);
    cf_model_free(&m);
}

TEST(npr_forward_is_x_minus_its_block_anchor) {
    /* one 3x5 plane (odd sides: the last row and column are blocks of their own) and a second channel */
    cf_model m;
    CHECK(build(&m, "npr,gap,d1", (cf_shape){2, 3, 5}, 1) == 0);
    CHECK(m.n_params == 3 && m.layers[0].out.c == 2 && m.layers[0].out.h == 3 && m.layers[0].out.w == 5);
    float x[30];
    for (int i = 0; i < 30; i++) x[i] = (float)(i * i % 17) - 4.0f;
    cf_workspace ws;
    cf_error err;
    CHECK(cf_workspace_init(&ws, &m, 1, 1, &err) == 0);
    cf_forward(&m, &ws, x, 1, 0, 0, NULL);
    const float *y = ws.act[1];
    int bad = 0;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++) {
                float want = x[c * 15 + i * 5 + j] - x[c * 15 + (i / 2 * 2) * 5 + (j / 2 * 2)];
                bad += y[c * 15 + i * 5 + j] != want;
            }
    CHECK(bad == 0);
    CHECK(y[0] == 0.0f && y[15 + 2 * 5 + 4] == 0.0f); /* anchors, including the lone corner pixel */
    CHECK(y[1] == x[1] - x[0] && y[5 + 3] == x[5 + 3] - x[2]);
    cf_workspace_free(&ws);
    cf_model_free(&m);
}

TEST(npr_backward_matches_central_differences) {
    /* d(logit)/d(input of npr) from cf_backward against central differences through npr and the rest */
    float x[60];
    fill_random(x, 60, 6, 1.0f);
    CHECK(input_gradient_mismatches("c2,npr,c3,relu,gap,d1", (cf_shape){2, 5, 6}, 13, x, 1, "npr,c3,relu,gap,d1") == 0);
}

TEST(bn_folding_preserves_inference_outputs) {
    cf_model m, f;
    cf_error err;
    CHECK(build(&m, "c8,bn,relu,mp,c6v,bn,relu,gap,d4,bn,relu,d1", (cf_shape){3, 10, 10}, 4) == 0);
    for (size_t i = 0; i < m.n_buffers; i++) m.buffers[i] = 0.3f + 0.5f * (float)(i % 7) / 7.0f; /* stats */
    CHECK(cf_model_fold_bn(&m, &f, &err) == 0);
    CHECK(strcmp(f.spec, "c8,relu,mp,c6v,relu,gap,d4,relu,d1") == 0);
    CHECK(f.n_layers == m.n_layers - 3);
    float x[2 * 300];
    fill_random(x, 600, 8, 1.0f);
    cf_workspace w1, w2;
    cf_workspace_init(&w1, &m, 2, 1, &err);
    cf_workspace_init(&w2, &f, 2, 1, &err);
    const float *z1 = cf_forward(&m, &w1, x, 2, 0, 0, NULL);
    const float *z2 = cf_forward(&f, &w2, x, 2, 0, 0, NULL);
    CHECK_NEAR(z1[0], z2[0], 1e-4);
    CHECK_NEAR(z1[1], z2[1], 1e-4);
    cf_workspace_free(&w1);
    cf_workspace_free(&w2);
    cf_model_free(&m);
    cf_model_free(&f);
}

TEST(spec_errors_are_clear) {
    struct {
        const char *spec, *needle;
    } bad[] = {
        {"", "empty"},
        {"c32,relu", "must end with d1"},
        {"c32,bogus,d1", "unknown layer token 'bogus'"},
        {"c0,d1", "bad convolution"},
        {"c8k4,d1", "bad convolution"},
        {"drop1.5,d1", "bad dropout"},
        {"mp,mp,mp,mp,mp,mp,d1", "max-pool needs"},
        {"c8k31v,d1", "bad convolution"},
        {"d3", "must end with d1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cf_model m;
        cf_error err = {{0}};
        int rc = cf_model_build(&m, bad[i].spec, (cf_shape){3, 32, 32}, &err);
        CHECK_MSG(rc == -1 && strstr(err.msg, bad[i].needle), "spec '%s' gave '%s'", bad[i].spec, err.msg);
        if (rc == 0) cf_model_free(&m);
    }
    cf_model m;
    cf_error err;
    CHECK(cf_model_build(&m, "c128v,relu,mp,c128v,relu,mp,flat,d64,relu,d1", (cf_shape){3, 32, 32}, &err) == 0);
    /* the paper's best topology: 3x3x3x128+128 + 3x3x128x128+128 + 6*6*128*64+64 + 65 */
    CHECK(m.n_params == (size_t)(3 * 9 * 128 + 128 + 128 * 9 * 128 + 128 + 6 * 6 * 128 * 64 + 64 + 65));
    cf_model_free(&m);
}

TEST(training_step_is_deterministic_for_fixed_threads) {
    float grads[2][2000];
    memset(grads, 0, sizeof grads);
    for (int run = 0; run < 2; run++) {
        cf_model m;
        build(&m, "c8,bn,relu,mp,c8,bn,relu,gap,drop0.1,d1", (cf_shape){3, 12, 12}, 3);
        cf_workspace ws;
        cf_error err;
        cf_workspace_init(&ws, &m, 16, 2, &err);
        float x[16 * 432];
        int labels[16];
        uint64_t ids[16];
        fill_random(x, 16 * 432, 9, 1.0f);
        for (int i = 0; i < 16; i++) labels[i] = i % 3 == 0, ids[i] = (uint64_t)i * 31;
        const float *z = cf_forward(&m, &ws, x, 16, 1, 5, ids);
        cf_loss(&m, z, labels, 16, cf_output_grad(&ws));
        cf_model_zero_grads(&m);
        cf_backward(&m, &ws, 0, m.n_layers - 1, CF_GRAD_PARAMS);
        CHECK(m.n_params <= 2000);
        memcpy(grads[run], m.grads, sizeof(float) * m.n_params);
        cf_workspace_free(&ws);
        cf_model_free(&m);
    }
    CHECK(memcmp(grads[0], grads[1], sizeof grads[0]) == 0);
}

TEST(losses_agree_between_sigmoid_and_softmax_heads) {
    cf_model s, t;
    cf_error err;
    cf_model_build(&s, "d1", (cf_shape){1, 1, 1}, &err);
    cf_model_build(&t, "d2", (cf_shape){1, 1, 1}, &err);
    float z1[2] = {1.7f, -0.4f}, z2[4] = {0.0f, 1.7f, 0.2f, -0.2f}, d1[2], d2[4];
    int labels[2] = {1, 0};
    /* softmax over (a, b) equals sigmoid(b - a) */
    CHECK_NEAR(cf_loss(&s, z1, labels, 2, d1), cf_loss(&t, z2, labels, 2, d2), 1e-6);
    CHECK_NEAR(d1[0], d2[1], 1e-6);
    CHECK_NEAR(cf_fake_score(&t, z2), 1.7, 1e-6);
    CHECK_NEAR(cf_loss(&s, (float[]){80.0f}, (int[]){0}, 1, NULL), 80.0, 1e-4); /* stable for large logits */
    cf_model_free(&s);
    cf_model_free(&t);
}

TEST(soft_target_loss_matches_hard_labels_and_its_gradient) {
    cf_model heads[2];
    cf_error err;
    cf_model_build(&heads[0], "d1", (cf_shape){1, 1, 1}, &err);
    cf_model_build(&heads[1], "d2", (cf_shape){1, 1, 1}, &err);
    float z[6] = {1.7f, -0.4f, 0.3f, 2.5f, -1.1f, 0.6f};
    int labels[3] = {1, 0, 1};
    float targets[3] = {1.0f, 0.0f, 1.0f};
    for (int h = 0; h < 2; h++) {
        int k = h + 1, n = 6 / k;
        int *lab = h ? labels : (int[]){1, 0, 1, 0, 0, 1};
        float *tgt = h ? targets : (float[]){1, 0, 1, 0, 0, 1};
        float d_hard[6], d_soft[6];
        /* 0/1 targets are the hard-label loss, bit for bit (shipped runs stay reproducible) */
        float hard = cf_loss(&heads[h], z, lab, n, d_hard), soft = cf_loss_soft(&heads[h], z, tgt, n, d_soft);
        CHECK(memcmp(&hard, &soft, sizeof hard) == 0);
        CHECK(memcmp(d_hard, d_soft, sizeof(float) * 6) == 0);
    }
    /* a fractional target: gradient by central differences, and zero where p(FAKE) equals it */
    float t = 0.3f, zz = 0.8f, dz, dzero;
    double eps = 1e-3;
    cf_loss_soft(&heads[0], &zz, &t, 1, &dz);
    float zp = zz + (float)eps, zm = zz - (float)eps;
    double fd = (cf_loss_soft(&heads[0], &zp, &t, 1, NULL) - cf_loss_soft(&heads[0], &zm, &t, 1, NULL)) / (2 * eps);
    CHECK_NEAR(dz, fd, 1e-3);
    float at_target = logf(t / (1 - t));
    cf_loss_soft(&heads[0], &at_target, &t, 1, &dzero);
    CHECK_NEAR(dzero, 0.0, 1e-6);
    /* the softmax head agrees with the sigmoid head on soft targets too */
    float pair[2] = {0.0f, zz}, dpair[2];
    CHECK_NEAR(cf_loss_soft(&heads[1], pair, &t, 1, dpair), cf_loss_soft(&heads[0], &zz, &t, 1, NULL), 1e-6);
    CHECK_NEAR(dpair[1], dz, 1e-6);
    cf_model_free(&heads[0]);
    cf_model_free(&heads[1]);
}

TEST(frozen_weights_give_the_same_inference) {
    /* a Winograd layer (c12 on 8 channels), a direct one (the first, on 3) and a 1x1 */
    cf_model m;
    CHECK(build(&m, "c8,relu,c12,relu,mp,c6k1,gap,d1", (cf_shape){3, 10, 10}, 21) == 0);
    int batch = 4, in = cf_shape_size(m.input);
    float *x = malloc(sizeof(float) * in * batch);
    fill_random(x, (size_t)in * batch, 77, 1.0f);
    cf_workspace plain, frozen;
    cf_error err;
    CHECK(cf_workspace_init(&plain, &m, batch, 2, &err) == 0);
    CHECK(cf_workspace_init(&frozen, &m, batch, 2, &err) == 0);
    CHECK(cf_workspace_freeze_weights(&frozen, &m, &err) == 0);
    const float *a = cf_forward(&m, &plain, x, batch, 0, 0, NULL);
    const float *b = cf_forward(&m, &frozen, x, batch, 0, 0, NULL);
    CHECK(memcmp(a, b, sizeof(float) * batch) == 0);
    free(x);
    cf_workspace_free(&plain);
    cf_workspace_free(&frozen);
    cf_model_free(&m);
}
