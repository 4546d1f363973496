/* Internal: the trainer's planned buffers and the pieces of one step.
 *
 * Memory plan (one allocation per kind, made in gt_trainer_create):
 *   params    the trainable weights, model order (e.g. a layer's kernel, then bias)
 *   grads     same layout as params; overwritten every step
 *   state     the non-trainable weights (BatchNormalization's moving statistics)
 *   opt_state Adam m then v (2 x params), or SGD velocity (params), or none
 *   arena     batch input, batch labels, batch indices, every layer's output,
 *             two ping-pong gradient buffers, step statistics (a graph that is
 *             not a chain: outputs and gradients placed by liveness instead,
 *             trainer_graph.c)
 *   workspace the convolutions' scratch: the most any layer needs for the full
 *             batch or for a dataset's partial last batch (whose geometry may
 *             pick another algorithm on a device)
 * Resident datasets (uint8 images, int32 labels, the epoch's index order) are
 * allocated when a dataset is first used, never inside the step loop. */
#ifndef GT_TRAINER_INTERNAL_H
#define GT_TRAINER_INTERNAL_H

#include <stdint.h>

#include "gtrain/train.h"
#include "layer.h"
#include "model_internal.h"

/* A dataset uploaded to the backend: images, labels and an index buffer with
 * room for one epoch's order. */
typedef struct gt_resident {
    const gt_dataset *dataset;
    uint64_t dataset_id; /* gt_dataset_id: the key (an address can be reused) */
    uint8_t *images;     /* float32 values when is_float */
    int is_float;
    int32_t *labels;
    int32_t *order;
    size_t count;
    uint64_t last_use;
} gt_resident;

#define GT_RESIDENT_SLOTS 2

struct gt_trainer {
    const gt_model *model;
    gt_backend *be;
    gt_train_config cfg;
    int batch;

    float *params; /* the trainable weights (the optimizer's buffer) */
    float *grads;
    float *state; /* the non-trainable weights (moving statistics) */
    float *opt_state;
    void *arena;
    size_t arena_bytes;
    size_t opt_state_floats;

    /* views into the arena */
    float *input;        /* (batch, first compute layer's input shape) */
    int32_t *labels;     /* (batch) */
    int32_t *step_index; /* (batch) indices for gt_trainer_step */
    float **outputs;     /* outputs[i]: buffer of layer i (NULL for aliasing layers) */
    float **saved;       /* saved[i]: what layer i keeps from forward to backward (or NULL) */
    float *grad_a, *grad_b;
    float *stats; /* GT_BACKEND_FENCES x 2: loss sum, correct count */
    void *workspace;
    size_t workspace_bytes;

    float *host_stats;        /* GT_BACKEND_FENCES x 2, from host_alloc */
    int32_t *host_step_index; /* what step_index holds, so repeated batches skip the upload */
    int step_index_count;

    /* per-forward state */
    const float **cur; /* cur[i]: what layer i produced in the last forward */
    uint64_t *dropout_offsets;
    uint64_t dropout_counter;

    int64_t optimizer_step; /* Adam's t */
    int graph_warm;         /* a full step ran eagerly: later ones may be captured */
    int epochs_done;        /* completed epochs */
    int steps_done;         /* steps of the epoch in progress already applied */
    double epoch_loss_sum, epoch_correct, epoch_examples, epoch_seconds; /* its running sums */
    uint64_t usage_clock;
    gt_resident resident[GT_RESIDENT_SLOTS];

    /* A graph's liveness plan (trainer_graph.c); NULL for a chain, whose
     * outputs each have their own buffer and whose gradients ping-pong
     * between grad_a and grad_b. */
    struct gt_graph_plan *graph;

    double learning_rate;           /* the base rate now (callbacks may lower it) */
    struct gt_callbacks *callbacks; /* callbacks.c; NULL: none */
    char *run_info;                 /* saved with ModelCheckpoint's files */
};

/* What layer i's passes see: its inputs, buffers and weights. */
gt_layer_io gt_trainer_layer_io(gt_trainer *tr, int i, int n, int training);

/* trainer_graph.c: a graph model's buffers placed by liveness in one region
 * of *region_bytes; bind points the trainer's views into it (outputs, saved,
 * grad_a and the plan's gradients) once the arena exists. */
typedef struct gt_graph_plan gt_graph_plan;
gt_status gt_graph_plan_create(const gt_trainer *tr, size_t *region_bytes, gt_graph_plan **out);
void gt_graph_plan_bind(gt_trainer *tr, char *region);
void gt_graph_plan_free(gt_graph_plan *g);
/* The backward pass over the graph, gradients summed where a tensor fans out. */
gt_status gt_trainer_backward_graph(gt_trainer *tr, int n);

/* trainer_exec.c: forward and backward over the compute layers for n examples
 * whose input is already in tr->input. training: dropout active. */
gt_status gt_trainer_forward(gt_trainer *tr, int n, int training);
/* Loss + backward: writes the batch's stats into stats_slot (2 floats) and
 * fills tr->grads. */
gt_status gt_trainer_loss(gt_trainer *tr, int n, float *stats_slot, int want_gradient);
gt_status gt_trainer_backward(gt_trainer *tr, int n);
/* trainer_optim.c: applies one optimizer update over the flat buffers. */
gt_status gt_trainer_apply_update(gt_trainer *tr);

/* Grows the workspace (before any step) to what batches of n examples need. */
gt_status gt_trainer_reserve_workspace(gt_trainer *tr, int n);

/* trainer_data.c */
gt_status gt_trainer_make_resident(gt_trainer *tr, const gt_dataset *ds, gt_resident **out);
/* Puts indices[0..n) into tr->step_index (the batch the next gather reads),
 * uploading only when they differ from what it holds: benchmarks and
 * inspection repeat one batch. The one place that keeps host_step_index. */
gt_status gt_trainer_set_step_index(gt_trainer *tr, const int32_t *indices, int n);
/* Gathers examples order[first .. first+n) of a resident dataset into the batch. */
gt_status gt_trainer_gather(gt_trainer *tr, const gt_resident *res, const int32_t *order, int n);
/* 0, 1, ..., count-1: the file's order. */
void gt_identity_order(int32_t *order, size_t count);
/* Epoch `epoch`'s order under cfg: a Fisher-Yates shuffle of (cfg->seed,
 * epoch), identical on every machine, or the file's order when cfg->order is
 * GT_ORDER_FILE. */
void gt_epoch_order(int32_t *order, size_t count, const gt_train_config *cfg, int epoch);

#endif
