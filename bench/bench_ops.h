/* bench_ops: one layer pass (a layer's forward or backward, through its
 * class, as the trainer runs it) or one of the step's other ops (gather,
 * loss, optimizer) on the model's real shapes (a "case"), described as data
 * so that one driver can time it on the bench backend and validate it
 * against cpu-reference on the same inputs. */
#ifndef GT_BENCH_OPS_H
#define GT_BENCH_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "gtrain/backend.h"
#include "gtrain/model.h"
#include "layer.h"

/* Case kinds, the unit of --ops and of the totals: the layer categories
 * (layer.h), then the step's other ops. */
#define BENCH_KINDS(X)                                                                             \
    GT_LAYER_CATEGORIES(X)                                                                         \
    X(LOSS, "loss")                                                                                \
    X(OPTIM, "optim")                                                                              \
    X(GATHER, "gather")

typedef enum bench_kind {
#define BENCH_KIND_ENUM_(id, name) BENCH_##id,
    BENCH_KINDS(BENCH_KIND_ENUM_)
#undef BENCH_KIND_ENUM_
        BENCH_KIND_COUNT
} bench_kind;

const char *bench_kind_name(bench_kind kind);

typedef enum bench_elem { ELEM_F32 = 0, ELEM_I32, ELEM_U8 } bench_elem;

/* IN: uploaded, never compared; OUT: written by the op, compared; INOUT:
 * uploaded and compared (the optimizer's parameters and moments); SCRATCH:
 * zeroed, filled by the case's prepare (a backward pass's forward), not
 * compared. */
typedef enum bench_role { ROLE_IN = 0, ROLE_OUT, ROLE_INOUT, ROLE_SCRATCH } bench_role;

typedef enum bench_fill {
    FILL_NONE = 0, /* outputs: zeroed */
    FILL_UNIFORM,  /* uniform in [lo, hi) */
    FILL_RELU,     /* max(0, uniform(-1, 1)): a ReLU output, half zeros */
    FILL_CLASSES,  /* int32 in [0, hi) */
    FILL_BYTES,    /* uint8 */
} bench_fill;

#define BENCH_MAX_BUFS 16

typedef struct bench_buf {
    const char *name;
    bench_elem elem;
    bench_role role;
    bench_fill fill;
    float lo, hi;
    size_t count;
    /* the comparison rule of the parity tests: |got - ref| <= of_max max|ref| + rel |ref| */
    double of_max, rel;
} bench_buf;

typedef struct bench_case bench_case;

/* Runs the op once on `be` with the case's buffers in backend memory. */
typedef gt_status (*bench_call_fn)(gt_backend *be, const bench_case *c, void *const *bufs,
                                   void *workspace);

struct bench_case {
    char layer[64];
    const char *op;
    bench_kind kind;
    char shape[96];
    double flops; /* per call; 0 for memory-bound ops */
    int nbuf;
    bench_buf buf[BENCH_MAX_BUFS];
    bench_call_fn call;
    bench_call_fn prepare; /* run once before the first call (NULL: none) */

    /* a layer pass: the layer (its class's workspace_bytes sizes the workspace) */
    const gt_layer *pass_layer;
    int backward, need_dx;

    /* the op's arguments other than the buffers */
    int m;
    size_t count;
    int classes;
    float scale;
    uint64_t seed;
    gt_adam_params adam;
    float momentum;
    gt_preprocess pre;
};

typedef struct bench_cases {
    bench_case *items;
    int count, capacity;
} bench_cases;

/* Every op one training step of `model` at batch `n` runs, in step order
 * (gather, forward, loss, backward, optimizer), filtered by `kind_mask`
 * (bit per bench_kind); `precision` sets the conv and GEMM tolerances. The
 * lists for two batch sizes have the same cases in the same order. */
gt_status bench_cases_for_model(const gt_model *model, int n, gt_precision precision,
                                unsigned kind_mask, bench_cases *out);
void bench_cases_free(bench_cases *cases);

/* Bytes the op reads and writes (IN read, OUT written, INOUT both). */
double bench_case_bytes(const bench_case *c);

#endif
