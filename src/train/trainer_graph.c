/* The trainer's plan and backward pass for a model that is a graph rather
 * than a chain (merge layers, tensors read by several layers).
 *
 * Memory: one arena region whose buffers are placed by liveness, as ggml's
 * graph allocator does. The step is a timeline: the forward of compute layer
 * i at time i, the loss at L (the layer count), the backward of layer i at
 * 2L - i. Each buffer lives from the step that writes it first to the last
 * step that reads it:
 *   output and saved floats of layer i   fwd(i) .. bwd(i) (the backward of
 *                                        i and of its readers reads them)
 *   gradient w.r.t. layer i's output      the backward of its last reader
 *                                        (the loss for the last layer) .. bwd(i)
 *   a fan-out's partial gradient          its reader's backward only
 *   a first layer's unneeded dx           its backward only (a scratch)
 * At each step the buffers that start there are placed first (first fit in
 * the gaps the live ones leave), then the ones whose last use it is are
 * freed, so no buffer is overwritten in a step that reads it. Gradients thus
 * reuse the space of the activations of the layers above them, whose
 * backward is done.
 *
 * Gradients where a tensor fans out: the first reader to run its backward
 * (the highest layer; within a merge layer the first input) writes the
 * gradient; every other one writes a partial gradient that is added into it
 * (axpby). A layer whose backward leaves its result in place of dy has it
 * copied into the planned buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/status.h"
#include "trainer_internal.h"

#define GT_GRAPH_ALIGN 256
#define NONE SIZE_MAX

struct gt_graph_plan {
    int n_layers;
    size_t *out_off, *saved_off, *grad_off; /* per layer; NONE: no buffer */
    size_t *temp_off;                       /* per edge (layer * MAX_INPUTS + k); NONE: direct */
    float **grad;                           /* per layer, after bind */
    float **temp;                           /* per edge, after bind */
};

/* One buffer of the timeline. */
typedef struct interval {
    size_t bytes;
    int start, end;
    size_t *offset; /* where its placed offset (from the region's base) goes */
} interval;

typedef struct block {
    size_t offset, bytes;
    int end;
} block;

static size_t align_up(size_t x)
{
    return (x + GT_GRAPH_ALIGN - 1) / GT_GRAPH_ALIGN * GT_GRAPH_ALIGN;
}

/* First fit among the live blocks (kept sorted by offset). */
static size_t place(block *live, int *n_live, size_t bytes, int end)
{
    size_t at = 0;
    int pos = 0;
    for (; pos < *n_live; ++pos) {
        if (live[pos].offset >= at + bytes) break;
        size_t after = live[pos].offset + live[pos].bytes;
        if (after > at) at = after;
    }
    memmove(live + pos + 1, live + pos, (size_t)(*n_live - pos) * sizeof *live);
    live[pos] = (block){at, bytes, end};
    ++*n_live;
    return at;
}

/* Places every interval; returns the region's size (0 when no buffer). */
static size_t allocate(interval *iv, int n, block *live)
{
    int n_live = 0, t_max = 0;
    size_t peak = 0;
    for (int k = 0; k < n; ++k)
        if (iv[k].end > t_max) t_max = iv[k].end;
    for (int t = 0; t <= t_max; ++t) {
        for (int k = 0; k < n; ++k)
            if (iv[k].start == t) {
                size_t at = place(live, &n_live, iv[k].bytes, iv[k].end);
                *iv[k].offset = at;
                if (at + iv[k].bytes > peak) peak = at + iv[k].bytes;
            }
        int kept = 0;
        for (int b = 0; b < n_live; ++b)
            if (live[b].end > t) live[kept++] = live[b];
        n_live = kept;
    }
    return peak;
}

void gt_graph_plan_free(gt_graph_plan *g)
{
    if (!g) return;
    free(g->out_off);
    free(g->saved_off);
    free(g->grad_off);
    free(g->temp_off);
    free(g->grad);
    free(g->temp);
    free(g);
}

/* Bytes of a tensor of `floats` floats per example at batch n, aligned;
 * 0 when that overflows. */
static size_t tensor_bytes(size_t n, size_t floats)
{
    size_t count, bytes;
    if (__builtin_mul_overflow(n, floats, &count) ||
        __builtin_mul_overflow(count, sizeof(float), &bytes) || bytes > SIZE_MAX / 2)
        return 0;
    return align_up(bytes ? bytes : 1);
}

gt_status gt_graph_plan_create(const gt_trainer *tr, size_t *region_bytes, gt_graph_plan **out)
{
    const gt_model *m = tr->model;
    const int L = m->n_layers, fc = m->first_compute;
    const size_t n = (size_t)tr->batch;
    gt_graph_plan *g = calloc(1, sizeof *g);
    size_t edges = (size_t)L * GT_LAYER_MAX_INPUTS;
    interval *iv = calloc((size_t)L * (3 + GT_LAYER_MAX_INPUTS), sizeof *iv);
    block *live = calloc((size_t)L * (3 + GT_LAYER_MAX_INPUTS) + 1, sizeof *live);
    if (g) {
        g->n_layers = L;
        g->out_off = malloc((size_t)L * sizeof *g->out_off);
        g->saved_off = malloc((size_t)L * sizeof *g->saved_off);
        g->grad_off = malloc((size_t)L * sizeof *g->grad_off);
        g->temp_off = malloc(edges * sizeof *g->temp_off);
        g->grad = calloc((size_t)L, sizeof *g->grad);
        g->temp = calloc(edges, sizeof *g->temp);
    }
    if (!g || !iv || !live || !g->out_off || !g->saved_off || !g->grad_off || !g->temp_off ||
        !g->grad || !g->temp) {
        gt_graph_plan_free(g);
        free(iv);
        free(live);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory planning the graph");
    }
    for (int i = 0; i < L; ++i)
        g->out_off[i] = g->saved_off[i] = g->grad_off[i] = NONE;
    for (size_t e = 0; e < edges; ++e)
        g->temp_off[e] = NONE;

    int count = 0, failed = -1;
#define BWD(i) (2 * L - (i))
    /* the backward of each tensor's last reader: where its gradient starts */
    for (int i = fc; i < L; ++i) {
        const gt_layer *l = &m->layers[i];
        const gt_layer_class *c = gt_layer_class_of(l->kind);
        size_t out_bytes = tensor_bytes(n, gt_shape3_size(l->out));
        size_t saved = c->saved_floats ? c->saved_floats(l, tr->batch) : 0;
        if (!out_bytes) failed = i;
        if (c->writes_output(l)) iv[count++] = (interval){out_bytes, i, BWD(i), &g->out_off[i]};
        if (saved) {
            size_t saved_bytes = tensor_bytes(1, saved);
            if (!saved_bytes) failed = i;
            iv[count++] = (interval){saved_bytes, i, BWD(i), &g->saved_off[i]};
        }
        int first_reader = L; /* the loss */
        for (int j = L - 1; j > i && first_reader == L; --j)
            for (int k = 0; k < m->layers[j].n_inputs; ++k)
                if (m->layers[j].inputs[k] == i) first_reader = j;
        int start = first_reader == L ? L : BWD(first_reader);
        iv[count++] = (interval){out_bytes, start, BWD(i), &g->grad_off[i]};
    }
    /* partial gradients of the fan-outs, edge by edge in backward order */
    unsigned char *written = calloc((size_t)L, 1);
    if (!written) failed = L;
    for (int i = L - 1; written && i >= fc; --i) {
        const gt_layer *l = &m->layers[i];
        for (int k = 0; k < l->n_inputs; ++k) {
            int src = l->inputs[k];
            size_t *slot = &g->temp_off[(size_t)i * GT_LAYER_MAX_INPUTS + (size_t)k];
            if (src < fc) { /* the model's input: no gradient */
                /* a layer may write dx even when it is not needed (BatchNormalization's
                 * op computes it with dgamma and dbeta): give it a scratch */
                if (!gt_layer_class_of(l->kind)->merge)
                    iv[count++] =
                        (interval){tensor_bytes(n, gt_shape3_size(l->in)), BWD(i), BWD(i), slot};
                continue;
            }
            if (!written[src]) {
                written[src] = 1;
                continue;
            }
            size_t bytes = tensor_bytes(n, gt_shape3_size(m->layers[src].out));
            iv[count++] = (interval){bytes, BWD(i), BWD(i), slot};
        }
    }
#undef BWD
    free(written);
    if (failed >= 0) {
        free(iv);
        free(live);
        gt_graph_plan_free(g);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "model '%s' at batch %d: the activations need more bytes than this machine "
                       "can address; use a smaller batch size (--batch-size)",
                       m->name, tr->batch);
    }
    *region_bytes = allocate(iv, count, live);
    free(iv);
    free(live);
    *out = g;
    return GT_OK;
}

void gt_graph_plan_bind(gt_trainer *tr, char *region)
{
    gt_graph_plan *g = tr->graph;
    const gt_model *m = tr->model;
    for (int i = m->first_compute; i < m->n_layers; ++i) {
        tr->outputs[i] = g->out_off[i] != NONE ? (float *)(region + g->out_off[i]) : NULL;
        tr->saved[i] = g->saved_off[i] != NONE ? (float *)(region + g->saved_off[i]) : NULL;
        g->grad[i] = (float *)(region + g->grad_off[i]);
    }
    for (size_t e = 0; e < (size_t)m->n_layers * GT_LAYER_MAX_INPUTS; ++e)
        g->temp[e] = g->temp_off[e] != NONE ? (float *)(region + g->temp_off[e]) : NULL;
    /* the loss writes the last layer's gradient; predict's softmax uses it too */
    tr->grad_a = g->grad[m->n_layers - 1];
    tr->grad_b = NULL;
}

gt_status gt_trainer_backward_graph(gt_trainer *tr, int n)
{
    const gt_model *m = tr->model;
    const gt_graph_plan *g = tr->graph;
    gt_backend *be = tr->be;
    for (int i = m->n_layers - 1; i >= m->first_compute; --i) {
        const gt_layer *l = &m->layers[i];
        const gt_layer_class *c = gt_layer_class_of(l->kind);
        gt_layer_io io = gt_trainer_layer_io(tr, i, n, 1);
        io.y_seen = tr->cur[i];
        io.dy = g->grad[i];
        float *dest[GT_LAYER_MAX_INPUTS];
        for (int k = 0; k < l->n_inputs; ++k) {
            int src = l->inputs[k];
            float *temp = g->temp[(size_t)i * GT_LAYER_MAX_INPUTS + (size_t)k];
            dest[k] = src < m->first_compute ? NULL : temp ? temp : g->grad[src];
            io.dxs[k] = dest[k];
        }
        io.need_dx = dest[0] != NULL;
        io.dx = io.need_dx ? dest[0] : g->temp[(size_t)i * GT_LAYER_MAX_INPUTS]; /* the scratch */
        gt_status st = c->backward(l, &io);
        if (st != GT_OK) return gt_fail_context(st, "layer '%s' backward", l->name);
        for (int k = 0; k < l->n_inputs; ++k) {
            if (!dest[k]) continue;
            int src = l->inputs[k];
            size_t floats = (size_t)n * gt_shape3_size(m->layers[src].out);
            const float *result = c->merge ? dest[k] : io.dx_out;
            int partial = dest[k] != g->grad[src];
            if (partial)
                st = be->axpby(be, g->grad[src], result, floats, 1.0f, 1.0f);
            else if (result != dest[k])
                st = be->copy(be, dest[k], result, floats * sizeof(float));
            if (st != GT_OK) return gt_fail_context(st, "layer '%s' backward", l->name);
        }
        GT_TRY(gt_trainer_grads_ready(tr, i));
    }
    return GT_OK;
}
