/* workspace.c - allocating and freeing a workspace (workspace.h): each layer says what scratch it
 * needs (cf_layer_scratch, layers.c), the workspace holds the largest of each kind. */
#include "workspace.h"

#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "layers.h"

static size_t at_least_one(size_t n) { return n ? n : 1; }

/* Scratch is not zeroed: every pass writes what it reads (MemorySanitizer checks it, make test-msan).
 * Zeroing it cost more than the rest of opening a model (about 13 MB for the shipped one, 36 ms in
 * WebAssembly), and it touched pages that inference never uses (the training-only buffers). */
static void *scratch(size_t bytes) { return cf_aligned_alloc(bytes); }

static float **alloc_per_thread(int n_threads, size_t floats) {
    float **v = calloc((size_t)n_threads, sizeof *v);
    if (!v) return NULL;
    for (int t = 0; t < n_threads; t++) {
        v[t] = scratch(at_least_one(floats) * sizeof(float));
        if (!v[t]) return v; /* caller checks every entry through free + error */
    }
    return v;
}

static void free_per_thread(float **v, int n_threads) {
    if (!v) return;
    for (int t = 0; t < n_threads; t++) cf_aligned_free(v[t]);
    free(v);
}

static int per_thread_ok(float **v, int n_threads) {
    if (!v) return 0;
    for (int t = 0; t < n_threads; t++)
        if (!v[t]) return 0;
    return 1;
}

int cf_workspace_init(cf_workspace *ws, const cf_model *m, int max_batch, int n_threads, cf_error *err) {
    memset(ws, 0, sizeof *ws);
    if (max_batch < 1) return cf_fail(err, "batch size must be at least 1");
    if (n_threads < 1) n_threads = 1;
    ws->max_batch = max_batch;
    ws->n_threads = n_threads;
    size_t max_act = (size_t)cf_shape_size(m->input);
    cf_layer_scratch_floats need = {0};
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        if ((size_t)cf_shape_size(L->out) > max_act) max_act = (size_t)cf_shape_size(L->out);
        cf_layer_scratch(L, &need);
    }
    ws->max_act = max_act;
    int ok = 1;
    for (int l = 0; l <= m->n_layers && ok; l++) {
        cf_shape s = l == 0 ? m->input : m->layers[l - 1].out;
        ws->act[l] = scratch((size_t)max_batch * cf_shape_size(s) * sizeof(float));
        ok = ws->act[l] != NULL;
    }
    for (int l = 0; l < m->n_layers && ok; l++) {
        const cf_layer *L = &m->layers[l];
        size_t out_floats = (size_t)max_batch * cf_shape_size(L->out);
        if (L->kind == CF_BN) {
            ws->bn_mean[l] = cf_aligned_calloc((size_t)L->in.c * sizeof(float));
            ws->bn_invstd[l] = cf_aligned_calloc((size_t)L->in.c * sizeof(float));
            ok = ws->bn_mean[l] && ws->bn_invstd[l];
        } else if (L->kind == CF_MAXPOOL) {
            ws->pool_index[l] = scratch(out_floats * sizeof(int32_t));
            ok = ws->pool_index[l] != NULL;
        } else if (L->kind == CF_DROPOUT) {
            ws->drop_mask[l] = scratch(out_floats * sizeof(float));
            ok = ws->drop_mask[l] != NULL;
        }
    }
    if (ok) {
        ws->grad_a = scratch((size_t)max_batch * max_act * sizeof(float));
        ws->grad_b = scratch((size_t)max_batch * max_act * sizeof(float));
        ws->packed_a = scratch(at_least_one(need.packed) * sizeof(float));
        if (need.wino_u) { /* some convolution, or the input gradient of one, runs by Winograd */
            ws->wino_u = scratch(need.wino_u * sizeof(float));
            ws->wino_scratch = alloc_per_thread(n_threads, need.wino_scratch);
            ws->flipped = scratch(at_least_one(need.weight) * sizeof(float));
            ws->wino_staging = scratch(at_least_one(need.wino_staging) * sizeof(float));
            ws->zero_bias = cf_aligned_calloc(at_least_one(need.channels) * sizeof(float));
            ok = ws->wino_u && per_thread_ok(ws->wino_scratch, n_threads) && ws->flipped && ws->zero_bias &&
                 ws->wino_staging;
        }
        ws->dcol = alloc_per_thread(n_threads, need.col);
        ws->gemm_work = alloc_per_thread(n_threads, cf_gemm_work_floats());
        ws->param_partial = alloc_per_thread(n_threads, need.layer_params);
        ok = ok && ws->grad_a && ws->grad_b && ws->packed_a && per_thread_ok(ws->dcol, n_threads) &&
             per_thread_ok(ws->gemm_work, n_threads) && per_thread_ok(ws->param_partial, n_threads);
    }
    if (!ok) {
        cf_workspace_free(ws);
        return cf_fail(err, "out of memory allocating the workspace for batch %d", max_batch);
    }
    return 0;
}

void cf_workspace_free(cf_workspace *ws) {
    for (int l = 0; l <= CF_MAX_LAYERS; l++) cf_aligned_free(ws->act[l]);
    for (int l = 0; l < CF_MAX_LAYERS; l++) {
        cf_aligned_free(ws->bn_mean[l]);
        cf_aligned_free(ws->bn_invstd[l]);
        cf_aligned_free(ws->pool_index[l]);
        cf_aligned_free(ws->drop_mask[l]);
    }
    cf_aligned_free(ws->grad_a);
    cf_aligned_free(ws->grad_b);
    cf_aligned_free(ws->packed_a);
    cf_aligned_free(ws->wino_u);
    cf_aligned_free(ws->flipped);
    cf_aligned_free(ws->wino_staging);
    cf_aligned_free(ws->zero_bias);
    for (int l = 0; l < CF_MAX_LAYERS; l++) cf_aligned_free(ws->frozen[l]);
    free_per_thread(ws->wino_scratch, ws->n_threads);
    free_per_thread(ws->dcol, ws->n_threads);
    free_per_thread(ws->gemm_work, ws->n_threads);
    free_per_thread(ws->param_partial, ws->n_threads);
    memset(ws, 0, sizeof *ws);
}

int cf_workspace_freeze_weights(cf_workspace *ws, const cf_model *m, cf_error *err) {
    for (int l = 0; l < m->n_layers; l++) {
        const cf_layer *L = &m->layers[l];
        if (L->kind != CF_CONV || ws->frozen[l]) continue;
        ws->frozen[l] = cf_conv_pack_frozen(L, ws);
        if (!ws->frozen[l]) return cf_fail(err, "out of memory packing the weights of layer %d", l + 1);
    }
    return 0;
}
