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

#include "data_order.h"
#include "prefetch.h"
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
    /* augmentation stages of the gather (n_stages 0: none), the model's
     * augmentation layers from gt_trainer_create on; the feed sets the
     * epoch, the stream position and training per batch */
    gt_augment augment;

    /* data parallel (trainer_dist.c): the ranks (NULL: one process); a rank
     * other than 0 writes no files (checkpoints, TensorBoard) */
    struct gt_dist *dist;
    int silent;
    /* the step in progress: its whole batch, and where this rank's share of
     * it begins (share_total 0 outside a training step: the n examples
     * forward is given are the whole batch) */
    int share_first, share_total;
    /* --deterministic (gt_trainer_set_sum_chunks): examples per chunk (0:
     * off) and the rows every chunk's gradient + statistics go to */
    int sum_chunk;
    float *chunk_rows;
    /* gradient buckets (gt_trainer_set_reduce_buckets): per compute layer,
     * where the bucket launched after its backward begins (GT_NO_BUCKET:
     * none), NULL when the sums wait for the whole backward; bucket_hi the
     * end of the next bucket during a step, overlap_step 1 inside a step
     * whose backward launches them */
    size_t *bucket_launch;
    size_t bucket_hi;
    int overlap_step;
};

#define GT_NO_BUCKET ((size_t)-1)

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

/* trainer_dist.c: the hooks of data-parallel training. One process: this
 * rank takes the whole batch and the reductions do nothing. */
/* The examples [*first, *first + *count) of a batch of n this rank takes. */
void gt_trainer_share(const gt_trainer *tr, int n, int *first, int *count);
/* Grows the workspace to what this rank's share of a batch of n needs. */
gt_status gt_trainer_reserve_share(gt_trainer *tr, int n);
/* A rank whose share is empty: zero gradients and statistics, so that its
 * part of the sums is nothing. */
gt_status gt_trainer_zero_step(gt_trainer *tr, float *stats_slot);
/* After backward, before the update: the gradients and the step's loss sum
 * and correct count summed over the ranks. */
gt_status gt_trainer_reduce_step(gt_trainer *tr, float *stats_slot);
/* gt_layer_io.sum_over_ranks over the trainer's ranks (ctx: the trainer). */
gt_status gt_trainer_sum_over_ranks(void *ctx, float *buf, size_t count);
/* A rank without examples in a step: the batch-wide layers' forward and
 * backward with none, so that it adds its (zero) sums to the others'. */
gt_status gt_trainer_idle_batch_wide(gt_trainer *tr);
/* After the backward of layer i: launches the bucket of gradients it
 * completes, or lets the launched ones progress. */
gt_status gt_trainer_grads_ready(gt_trainer *tr, int i);
/* be->synchronize, bounded when NCCL sums are in the backend's work
 * (gt_dist_synchronize): the trainer's host waits inside training. */
gt_status gt_trainer_synchronize(gt_trainer *tr);
/* Mask elements a step draws per example (dropout counter advance / n). */
uint64_t gt_trainer_dropout_draws(const gt_trainer *tr);
/* The row of chunk k: its gradient (n_trainable floats), then its loss
 * sum and correct count. */
float *gt_trainer_chunk_row(gt_trainer *tr, int k);
/* After this rank's chunks: every chunk's row on every rank, then the
 * gradient and the statistics summed in chunk order. */
gt_status gt_trainer_sum_chunks(gt_trainer *tr, int n_chunks, float *stats_slot);
/* Host sums (evaluate's loss, correct, examples) over the ranks. */
gt_status gt_trainer_reduce_sums(gt_trainer *tr, double *sums, int count);
/* flag on any rank (a stop request): every rank stops at the same step. */
gt_status gt_trainer_any_rank(gt_trainer *tr, int flag, int *any);

/* trainer_data.c */
gt_status gt_trainer_make_resident(gt_trainer *tr, const gt_dataset *ds, gt_resident **out);
/* Puts indices[0..n) into tr->step_index (the batch the next gather reads),
 * uploading only when they differ from what it holds: benchmarks and
 * inspection repeat one batch. The one place that keeps host_step_index. */
gt_status gt_trainer_set_step_index(gt_trainer *tr, const int32_t *indices, int n);
/* Gathers examples order[first .. first+n) of a resident dataset into the
 * batch (augmentation layers in their inference form). */
gt_status gt_trainer_gather(gt_trainer *tr, const gt_resident *res, const int32_t *order, int n);

/* trainer_feed.c: a dataset fed to the steps, resident or streamed. */
#define GT_FEED_DEPTH 4 /* batches the prefetch thread reads ahead */

typedef struct gt_feed {
    gt_trainer *tr;
    const gt_dataset *ds;
    size_t count;
    int32_t *order; /* host: the order being served (count entries) */
    /* resident */
    gt_resident *res;
    const int32_t *device_order; /* what the gather indexes through */
    /* streamed */
    gt_prefetch *pf;
    uint8_t *dev_images[GT_FEED_DEPTH]; /* staging, one per prefetch buffer */
    int32_t *dev_labels[GT_FEED_DEPTH];
    int32_t *dev_identity;   /* 0 .. batch-1 */
    int held[GT_FEED_DEPTH]; /* buffers whose copies may still read them, oldest first */
    int n_held;
    int staged_slot; /* the batch prepared for the next gather, -1 none */
    size_t staged_position;
    int staged_n;
    int epoch, training; /* what augmentation draws from */
} gt_feed;

/* Augmentation stages for the gathers of this trainer (trainer_feed.c):
 * checked against the model's preprocessing, keyed by the trainer's seed;
 * drawn per example from (epoch, position in the epoch's order), so the
 * resident and streamed paths augment alike, and only in training (a
 * RandomCrop takes its inference form, smart_resize, in evaluate and
 * predict). n_stages 0 turns it off. gt_trainer_create sets the model's
 * (model->augment, folded from its Random* layers); tests set others. */
gt_status gt_trainer_set_augment(gt_trainer *tr, const gt_augment *a);

/* Fixes the buffered shuffle's block size (when the config leaves it 0)
 * from the training examples' size, so that a checkpoint records it. */
gt_status gt_feed_fix_shuffle_block(gt_trainer *tr, const gt_dataset *train);
/* Checks the data against the model; a streamed dataset gets its prefetch
 * thread and staging buffers here (never in the step loop), and for
 * training with a shuffle buffer the block store (prefetch_blocks.h). */
gt_status gt_feed_open(gt_trainer *tr, const gt_dataset *ds, int training, gt_feed *f);
/* A resident feed over an index list already on the backend (gt_trainer_step). */
gt_status gt_feed_open_indices(gt_trainer *tr, gt_resident *res, const int32_t *device_indices,
                               gt_feed *f);
/* Serves positions [first, end) of epoch `epoch`'s training order. */
gt_status gt_feed_begin_epoch(gt_feed *f, int epoch, size_t first, size_t end);
/* Serves examples [first, end) in file order (evaluate, predict). */
gt_status gt_feed_begin_range(gt_feed *f, size_t first, size_t end);
/* Outside a captured step: the batch of n at `position` on its way to the backend. */
gt_status gt_feed_prepare(gt_feed *f, size_t position, int n);
/* Inside the step: the preprocess-gather of that batch into the input. */
gt_status gt_feed_gather(gt_feed *f, size_t position, int n);
/* The same for examples [first, first + count) of that batch alone (this
 * rank's share): augmented by their positions in the whole order. */
gt_status gt_feed_gather_part(gt_feed *f, size_t position, int n, int first, int count);
/* After the step's ops are queued: the batch's staging may be reused. */
gt_status gt_feed_done(gt_feed *f);
/* Stops serving (reads ahead are dropped) and takes back every buffer. */
void gt_feed_end(gt_feed *f);
void gt_feed_close(gt_feed *f);

#endif
