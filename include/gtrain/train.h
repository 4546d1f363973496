/* gtrain: the trainer. A trainer binds a model to a backend and a batch size,
 * plans every buffer once (parameters, gradients, optimizer state, activations,
 * workspace) and then runs steps, epochs, fits and evaluations without
 * allocating. Keras semantics: shuffle every epoch (unless the config says
 * GT_ORDER_FILE, Keras' shuffle=False), a partial last batch,
 * running-mean loss and accuracy, validation at epoch end. */
#ifndef GTRAIN_TRAIN_H
#define GTRAIN_TRAIN_H

#include "api.h"

#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "data.h"
#include "model.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_trainer gt_trainer;

/* Learning-rate schedules, Keras' LearningRateSchedule classes: the rate of
 * the update after `step` updates (step from 0, Keras' optimizer.iterations)
 * is, with lr0 the config's learning_rate,
 *   EXPONENTIAL (ExponentialDecay): lr0 * decay_rate^(step / decay_steps),
 *     the exponent floored when staircase;
 *   COSINE (CosineDecay): without warmup (warmup_steps 0) lr0 * ((1 - alpha)
 *     * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha);
 *     with warmup, a linear ramp from lr0 to warmup_target over warmup_steps,
 *     then that decay from warmup_target;
 *   PIECEWISE (PiecewiseConstantDecay): values[0] while step <= boundaries[0],
 *     values[i] while boundaries[i-1] < step <= boundaries[i], values[n] after
 *     the last boundary (n = n_boundaries).
 * A schedule owns the rate: ReduceLROnPlateau and gt_trainer_set_learning_rate
 * refuse it, as Keras does. */
typedef enum gt_lr_schedule_kind {
    GT_LR_CONSTANT = 0,
    GT_LR_EXPONENTIAL,
    GT_LR_COSINE,
    GT_LR_PIECEWISE
} gt_lr_schedule_kind;

#define GT_LR_MAX_BOUNDARIES 32

typedef struct gt_lr_schedule {
    gt_lr_schedule_kind kind;
    double decay_steps;   /* EXPONENTIAL, COSINE: > 0 */
    double decay_rate;    /* EXPONENTIAL: > 0 */
    int staircase;        /* EXPONENTIAL */
    double alpha;         /* COSINE: the floor, as a fraction of the rate, 0..1 */
    double warmup_steps;  /* COSINE: >= 0 */
    double warmup_target; /* COSINE with warmup_steps > 0 */
    int n_boundaries;     /* PIECEWISE: 1..GT_LR_MAX_BOUNDARIES, increasing */
    double boundaries[GT_LR_MAX_BOUNDARIES];
    double values[GT_LR_MAX_BOUNDARIES + 1];
} gt_lr_schedule;

/* The learning rate the update after `step` updates uses (see gt_lr_schedule). */
GT_API double gt_lr_schedule_value(const gt_lr_schedule *s, double initial_learning_rate,
                                   int64_t step);

typedef struct gt_train_config {
    int batch_size;
    gt_optimizer_kind optimizer;
    float learning_rate;
    float beta1, beta2, epsilon; /* Adam, AdamW; epsilon also RMSprop's */
    float momentum;              /* SGD, RMSprop */
    int nesterov;                /* SGD */
    gt_loss_reduction reduction;
    float loss_log_epsilon; /* > 0: cross-entropy -log(p + it) (notebook 004: 1e-10); 0: exact */
    gt_data_order order;    /* GT_ORDER_FILE: batches in file order every epoch */
    uint64_t seed;          /* weights, shuffling and dropout all derive from it */
    int steps_per_epoch;    /* > 0: an epoch ends after this many batches (Keras steps_per_epoch) */
    int cuda_graph;         /* run each full training step as a captured CUDA graph */
    float rho;              /* RMSprop: the moving average's decay [Keras 0.9] */
    int centered;           /* RMSprop: divide by the gradient's estimated variance */
    float weight_decay;     /* AdamW: decoupled weight decay [Keras 0.004] */
    gt_lr_schedule schedule;
    /* > 0: tf.data-style block + buffer shuffle through a buffer of this many
     * examples instead of Keras' full shuffle (a departure from Keras, for
     * data too slow to read in random order); 0: the full shuffle */
    int shuffle_buffer;
    /* examples per block of the buffered shuffle; 0: about 1 MiB of examples
     * (at most an eighth of the buffer),
     * fixed when training starts (a checkpoint records it) */
    int shuffle_block;
} gt_train_config;

/* Sets the optimizer from Keras' serialized form, as
 * keras.optimizers.serialize(opt) or {"class_name": ..., "config":
 * opt.get_config()} gives it, or from a bare name ("adam", "SGD", ...):
 *   {"class_name": "Adam"|"SGD"|"RMSprop"|"AdamW", "config": {"learning_rate":
 *    X or a serialized schedule {"class_name": "ExponentialDecay"|
 *    "CosineDecay"|"PiecewiseConstantDecay", "config": {...}}, "beta_1",
 *    "beta_2", "epsilon", "momentum", "nesterov", "rho", "centered",
 *    "weight_decay", ...}}
 * Keys left out take Keras' defaults for that class (Adam/AdamW/RMSprop lr
 * 0.001, SGD 0.01, ...). Keys Keras has but gtrain does not implement are
 * accepted at their neutral values (clipnorm null, use_ema false, amsgrad
 * false, ...) and refused otherwise, naming the key; unknown keys are refused
 * with the accepted ones listed. The config's other fields are untouched. */
GT_API gt_status gt_train_config_set_optimizer_json(gt_train_config *cfg, const char *json);
/* The optimizer as that JSON (malloc'd; free with free()). */
GT_API gt_status gt_train_config_optimizer_json(const gt_train_config *cfg, char **out);

/* Applies a JSON object of training options onto cfg: "batch_size",
 * "seed", "shuffle" (bool), "steps_per_epoch", "loss_log_epsilon",
 * "cuda_graph" (bool), "loss_reduction" ("mean"|"sum") and "optimizer" (as
 * gt_train_config_set_optimizer_json takes it). Unknown keys are refused. */
GT_API gt_status gt_train_config_apply_json(gt_train_config *cfg, const char *json);

/* Keras defaults (Adam 1e-3, 0.9, 0.999, 1e-7; batch 32; seed 1) overlaid with
 * the model's recipe. */
GT_API gt_train_config gt_train_config_for(const gt_model *model);

/* Metrics of one epoch (val_* are NaN when there was no validation). */
typedef struct gt_epoch_logs {
    int epoch; /* from 1 */
    int steps;
    double loss, accuracy;
    double val_loss, val_accuracy;
    double seconds; /* training time of the epoch, validation excluded */
    /* the optimizer's learning rate at the epoch's end (Keras' logs
     * "learning_rate"; with a schedule, its value at the current step) */
    double learning_rate;
    /* what the trainer's callbacks (gtrain/callbacks.h) did after this epoch */
    int early_stopped;      /* EarlyStopping ended training here */
    double lr_reduced_to;   /* ReduceLROnPlateau set this rate (0: no change) */
    int checkpoint_saved;   /* ModelCheckpoint wrote its file */
    double checkpoint_best; /* ModelCheckpoint's best monitored value so far (NaN: none) */
} gt_epoch_logs;

/* Where a run stands: everything besides the parameters and the optimizer
 * moments that a resumed run needs to continue bit for bit. */
typedef struct gt_train_state {
    uint64_t seed;            /* the run's seed (weights, shuffle order, dropout) */
    int64_t optimizer_step;   /* updates applied so far (Adam's t) */
    int epochs_done;          /* completed epochs */
    int steps_done;           /* steps of epoch epochs_done + 1 already applied */
    uint64_t dropout_counter; /* Philox offset of the next dropout mask */
    /* running sums of the epoch in progress (steps_done > 0) */
    double epoch_loss_sum, epoch_correct, epoch_examples, epoch_seconds;
    /* the optimizer's base learning rate now (ReduceLROnPlateau and
     * gt_trainer_set_learning_rate change it); 0 in set_state: the config's */
    double learning_rate;
    /* examples of epoch epochs_done + 1's order already consumed: where the
     * data order goes on (steps_done x batch size) */
    int64_t data_cursor;
} gt_train_state;

/* Called from gt_trainer_fit. */
typedef struct gt_fit_callbacks {
    void *user;
    void (*on_epoch_begin)(void *user, int epoch, int epochs, int steps);
    /* Progress: step counts from 1; loss/accuracy are the running means so far.
     * On a device backend it may lag the math by a few steps. Return non-zero
     * to stop as stop_requested does (on a device, a few steps later). */
    int (*on_step)(void *user, int epoch, int step, int steps, double loss, double accuracy);
    /* Right after step `step` of `epoch` is applied, in program order (the
     * trainer's parameters and state are exactly those after that step), for
     * checkpointing every N steps. May be NULL. A failure stops training. */
    gt_status (*on_step_end)(void *user, gt_trainer *tr, int epoch, int step);
    /* After the epoch and its validation; the trainer is at the epoch's end. */
    gt_status (*on_epoch_end)(void *user, gt_trainer *tr, const gt_epoch_logs *logs);
    /* > 1: on_step_end only after every this many optimizer steps (counted over
     * the run), so a device backend waits for the statistics only then. */
    int step_end_every;
    /* Polled before every step (may be NULL); non-zero stops training there:
     * gt_trainer_fit returns GT_OK with the run state in the middle of the
     * epoch (epochs_done the last complete epoch, steps_done the steps of the
     * next one already applied, the partial epoch's running sums kept), no
     * validation and no on_epoch_end for the partial epoch, so that a
     * checkpoint taken then resumes bit for bit. The CLI's SIGINT/SIGTERM
     * handlers set the flag this reads; the library installs no handlers. */
    int (*stop_requested)(void *user);
} gt_fit_callbacks;

/* Plans memory and initializes the weights from cfg->seed. The model must stay
 * alive as long as the trainer. */
GT_API gt_status gt_trainer_create(const gt_model *model, gt_backend *be,
                                   const gt_train_config *cfg, gt_trainer **out);
/* gt_trainer_create with gt_train_config_for(model) overlaid with the JSON
 * options of gt_train_config_apply_json (NULL or "" for none): for callers
 * that do not see the struct (the Python package). */
GT_API gt_status gt_trainer_create_json(const gt_model *model, gt_backend *be,
                                        const char *options_json, gt_trainer **out);
/* The configuration as gt_train_config_apply_json reads it (malloc'd). */
GT_API gt_status gt_trainer_config_json(const gt_trainer *tr, char **out);

/* The learning rate of the next update: the schedule's value at the current
 * step, else the base rate (the config's, or what was set since). */
GT_API double gt_trainer_learning_rate(const gt_trainer *tr);
/* Sets the base learning rate (Keras' optimizer.learning_rate = x, as
 * LearningRateScheduler and ReduceLROnPlateau do); refused when the config
 * has a schedule. */
GT_API gt_status gt_trainer_set_learning_rate(gt_trainer *tr, double learning_rate);
GT_API void gt_trainer_destroy(gt_trainer *tr);

/* Frees the trainer's device copy of `ds`, if it holds one. A trainer keeps
 * the datasets it trained on, evaluated or predicted resident and knows them
 * by address: call this before freeing a dataset the trainer outlives, so
 * that a later dataset at the same address is not mistaken for it. */
GT_API void gt_trainer_release_dataset(gt_trainer *tr, const gt_dataset *ds);

/* Checks that the dataset feeds this model: the example shape must equal the
 * model's input shape and labels must be below the number of classes. */
GT_API gt_status gt_trainer_check_data(const gt_trainer *tr, const gt_dataset *ds);

/* Trains until `epochs` epochs are complete, continuing from the trainer's
 * state (a fresh trainer starts at epoch 1; one whose state was restored from a
 * checkpoint resumes where it stopped, mid-epoch included; a state whose
 * steps_done lies past the end of an epoch of `train` is refused). Validates
 * on `val` (may be NULL) at each epoch's end. A non-finite loss stops with
 * GT_ERR_NONFINITE and a message naming the epoch and step. A stop request
 * (callbacks) returns GT_OK early: compare gt_trainer_get_state with `epochs`. */
GT_API gt_status gt_trainer_fit(gt_trainer *tr, const gt_dataset *train, const gt_dataset *val,
                                int epochs, const gt_fit_callbacks *callbacks);

/* Host memory that streaming `ds` with cfg's batch size takes besides the
 * file's own cache: its labels, the epoch's order, the prefetch buffers and,
 * training with cfg's shuffle buffer, the store of buffer + block examples
 * that lets every block be read once. */
GT_API size_t gt_trainer_stream_bytes(const gt_dataset *ds, const gt_train_config *cfg);

/* Mean loss and accuracy over a dataset, in batches of the trainer's batch size. */
GT_API gt_status gt_trainer_evaluate(gt_trainer *tr, const gt_dataset *ds, double *loss,
                                     double *accuracy);

/* One training step on dataset examples indices[0..n) (n <= batch size). The
 * batch loss sum and correct count are returned when the pointers are non-NULL
 * (which synchronizes a device backend). */
GT_API gt_status gt_trainer_step(gt_trainer *tr, const gt_dataset *ds, const int32_t *indices,
                                 int n, double *loss_sum, double *correct);

/* Copies all parameters (model order, Keras shapes, conv kernels OHWI) to or
 * from host memory of gt_model_param_count floats. */
GT_API gt_status gt_trainer_get_params(gt_trainer *tr, float *host, size_t count);
GT_API gt_status gt_trainer_set_params(gt_trainer *tr, const float *host, size_t count);

/* Run state, for checkpoints. set_state fails when the seed differs from the
 * trainer's (the weights' initial values and the data order derive from it). */
GT_API gt_status gt_trainer_get_state(const gt_trainer *tr, gt_train_state *state);
GT_API gt_status gt_trainer_set_state(gt_trainer *tr, const gt_train_state *state);

/* Optimizer moments: Adam and AdamW m then v (2 x params); SGD velocity
 * (params, when momentum > 0); RMSprop velocity, then momentum (when
 * momentum > 0), then the mean gradient (when centered); else none. */
GT_API size_t gt_trainer_optimizer_state_count(const gt_trainer *tr);
GT_API gt_status gt_trainer_get_optimizer_state(gt_trainer *tr, float *host, size_t count);
GT_API gt_status gt_trainer_set_optimizer_state(gt_trainer *tr, const float *host, size_t count);

/* Class probabilities of examples [first, first + count) of `ds`, row-major
 * into probs (count x classes): softmax of the logits when the output layer
 * is a softmax (fused into the loss), otherwise the output normalized to sum
 * 1 as Keras' categorical cross-entropy does. Dropout is off. */
GT_API gt_status gt_trainer_predict(gt_trainer *tr, const gt_dataset *ds, size_t first,
                                    size_t count, float *probs);

/* What layer `layer` (a model layer index, as gt_model_layer_name counts)
 * outputs for example `index` of `ds`, in evaluation mode (dropout off), for
 * looking at activations. The output (h, w, c), NHWC, goes to host (count
 * floats at least; host may be NULL with count 0 to ask only the shape) and its
 * shape to *shape. The leading preprocessing layers run folded into one op, so
 * layer -1 or any of them gives the network's input after all of them. */
GT_API gt_status gt_trainer_layer_output(gt_trainer *tr, const gt_dataset *ds, size_t index,
                                         int layer, float *host, size_t count, gt_shape3 *shape);

/* ---- checkpoints ----
 * HDF5 files in Keras 2's model.save() layout (keras/saving/legacy/
 * hdf5_format.py, Keras 2.11): root attributes model_config (the model JSON),
 * keras_version and backend; model_weights/<layer>/<layer>/kernel:0 and
 * bias:0 in Keras' shapes (conv kernels HWIO); so Keras' load_weights reads
 * them. gtrain's run state sits beside them in the group /gtrain_state.
 * Without HDF5 in the build every call returns GT_ERR_UNSUPPORTED. */

/* What a checkpoint records besides the weights. */
typedef struct gt_checkpoint_info {
    int has_state;          /* 0: a Keras file without /gtrain_state */
    int format_version;     /* of /gtrain_state */
    gt_train_config config; /* optimizer and hyperparameters, batch size, seed */
    gt_train_state state;   /* epoch, step, counters */
    char *run_info;         /* the caller's text saved with it (malloc'd), or NULL */
    char *callbacks;        /* the callbacks and their state (malloc'd JSON), or NULL */
} gt_checkpoint_info;

/* Writes the trainer's model, weights, optimizer moments and run state to
 * `path` atomically: built in memory, written to "<path>.tmp" in the same
 * directory, fsync, rename, fsync of the directory; a crash mid-save leaves
 * the previous file intact, a failed write (a full disk: the message gives
 * errno's text) removes the .tmp and keeps the previous file. The file
 * carries a CRC-32 in its HDF5 user block, checked before every read.
 * run_info (may be NULL) is stored verbatim (the CLI keeps its data and
 * validation options there). */
GT_API gt_status gt_checkpoint_save(gt_trainer *tr, const char *path, const char *run_info);

/* Checks, before any training, that gt_checkpoint_save(path) can succeed:
 * `path` is a regular file or absent (not a device, directory, link or
 * pipe), its directory exists, and "<path>.tmp" can be created there (it is
 * created and removed, which also clears a stale one from a killed save). */
GT_API gt_status gt_checkpoint_check_target(const char *path);

/* The architecture from the file's model_config attribute (a Keras full-model
 * file or a gtrain checkpoint). A weights-only file (Keras save_weights) has
 * none: GT_ERR_FORMAT saying so. */
GT_API gt_status gt_checkpoint_load_model(const char *path, gt_model **out);

/* Reads /gtrain_state (info->has_state 0 when absent), every field
 * range-checked (the message names the file, the field and the value). Free
 * run_info and callbacks with free().
 *
 * Every checkpoint read first verifies the file's checksum when gtrain
 * sealed it, and reads the file once in a child process, so that a file
 * that crashes libhdf5 is reported as corrupt (GT_ERR_FORMAT) instead of
 * crashing the caller; gt_dataset_load_hdf5 does the same. */
GT_API gt_status gt_checkpoint_read_info(const char *path, gt_checkpoint_info *info);

/* Loads the weights (Keras layout, either a model.save() file or a
 * save_weights() file, matched to the model's layers in order) into the
 * trainer; with_state: also the optimizer moments and the run state, so that
 * gt_trainer_fit continues the saved run bit for bit. */
GT_API gt_status gt_checkpoint_restore(gt_trainer *tr, const char *path, int with_state);

/* The model and configuration the trainer was made with. */
GT_API const gt_model *gt_trainer_model(const gt_trainer *tr);
GT_API const gt_train_config *gt_trainer_config(const gt_trainer *tr);

/* Bytes the trainer planned: parameters, gradients, optimizer state,
 * activations, workspace, batch buffers. */
GT_API size_t gt_trainer_planned_bytes(const gt_trainer *tr);

#ifdef __cplusplus
}
#endif
#endif
