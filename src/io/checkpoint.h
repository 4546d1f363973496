/* Internal: what the checkpoint reader and writer share.
 *
 * The file layout, after Keras 2.11's keras/saving/legacy/hdf5_format.py
 * (save_model_to_hdf5 -> save_weights_to_hdf5_group, and
 * load_weights_from_hdf5_group), with the attribute types h5py gives the
 * Python values Keras passes:
 *
 *   /                          keras_version  str   "2.11.0"  (variable-length UTF-8)
 *                              backend        str   "tensorflow"
 *                              model_config   bytes model.to_json() text (fixed-length)
 *   /model_weights             layer_names    bytes array, every layer of model.layers
 *                                             (the InputLayer excluded), model order
 *                              backend, keras_version  bytes (fixed-length)
 *   /model_weights/<layer>     weight_names   bytes array ["<layer>/kernel:0",
 *                                             "<layer>/bias:0"], or [] (an empty
 *                                             float64 array) for a layer without weights
 *   /model_weights/<layer>/<layer>/kernel:0   float32, Conv2D (kh, kw, cin, filters),
 *                                             Dense (in, units)
 *   /model_weights/<layer>/<layer>/bias:0     float32 (filters) or (units)
 *
 * A Keras save_weights() file has the /model_weights attributes and groups at
 * the root instead. Keras' load_weights descends into model_weights when the
 * root has no layer_names, and ignores other groups, so gtrain's own state
 * lives beside the weights without disturbing it:
 *
 *   /gtrain_state              format_version int64 (GT_CHECKPOINT_FORMAT_VERSION);
 *                              the optimizer, its hyperparameters, the loss,
 *                              the batches, the data order, the seed, the
 *                              counters and the partial epoch's running sums:
 *                              one attribute each, listed with their types,
 *                              ranges and the format that added them in
 *                              checkpoint_state_fields.h (writer and reader
 *                              both expand that table);
 *                              run_info str (optional: the CLI's data options);
 *                              format 3's optimizer_config, callbacks,
 *                              best_weights (checkpoint_extras.h)
 *   /gtrain_state/optimizer_state  float32 (n,): Adam m then v, or SGD velocity,
 *                              in gtrain's flat parameter order (model order,
 *                              kernel then bias, conv kernels OHWI); absent when
 *                              the optimizer keeps no moments
 *
 * The data order is a pure function of the run: epoch e's order is the full
 * shuffle of (seed, e), the block + buffer shuffle of (seed, e,
 * shuffle_buffer, shuffle_block), or the file's order when data_order is
 * "file" (--no-shuffle); data_cursor is how many examples of that order the
 * epoch in progress has consumed (steps_done x batch_size, checked), where
 * a resumed run, resident or streamed, goes on.
 *
 * Format versions: 1 as above without loss_log_epsilon and data_order; 2 adds
 * them, so that a gtrain that knows only 1 refuses such a run instead of
 * resuming it shuffled or with another loss; 3 adds the optimizers RMSprop
 * and AdamW ("rmsprop", "adamw"), learning-rate schedules, the learning rate
 * reached and the callbacks' state (checkpoint_extras.h), and
 * shuffle_buffer, shuffle_block and data_cursor (a gtrain knowing 2 would
 * resume a buffered shuffle with the full one). All are read: before 3, the
 * shuffle is the full one and the cursor steps_done x batch_size. */
#ifndef GT_CHECKPOINT_H
#define GT_CHECKPOINT_H

#include <stddef.h>

#include "gtrain/train.h"
#include "layer.h"
#include "model_internal.h"

#define GT_CHECKPOINT_FORMAT_VERSION 3
#define GT_CHECKPOINT_STATE_GROUP "gtrain_state"
#define GT_KERAS_FILE_VERSION "2.11.0"
#define GT_KERAS_BACKEND "tensorflow"

/* The layer's weight tensors in Keras' order (names, Keras shapes). */
int gt_layer_weight_specs(const gt_layer *l, gt_weight_spec out[GT_LAYER_MAX_WEIGHTS]);
/* A weight from gtrain's storage order to Keras' (conv kernels OHWI -> HWIO;
 * the others are copied) and back. */
void gt_weight_to_keras(const gt_weight_spec *w, const float *ours, float *keras, size_t count);
void gt_weight_from_keras(const gt_weight_spec *w, const float *keras, float *ours, size_t count);
/* 1 when a saved weight name ("dense/kernel:0", "model/dense/kernel") names `name`. */
int gt_weight_name_matches(const char *saved, const char *name);

#endif
