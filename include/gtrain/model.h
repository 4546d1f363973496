/* gtrain: models. A model is a Keras-style Sequential stack of layers, built
 * from the zoo by name or read from a Keras model JSON file (model.to_json()).
 * Leading preprocessing layers (Rescaling, Resizing, RepeatChannels) describe
 * how the raw uint8 dataset becomes the network's input; they run inside the
 * backend's preprocess-gather op. */
#ifndef GTRAIN_MODEL_H
#define GTRAIN_MODEL_H

#include "api.h"

#include <stddef.h>
#include <stdio.h>

#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gt_model gt_model;

/* The optimizers, written once: X(ID, gtrain name, Keras class name). */
#define GT_OPTIMIZERS(X)                                                                           \
    X(ADAM, "adam", "Adam")                                                                        \
    X(SGD, "sgd", "SGD")                                                                           \
    X(RMSPROP, "rmsprop", "RMSprop")                                                               \
    X(ADAMW, "adamw", "AdamW")

typedef enum gt_optimizer_kind {
#define GT_OPT_ENUM_(id, name, keras) GT_OPT_##id,
    GT_OPTIMIZERS(GT_OPT_ENUM_)
#undef GT_OPT_ENUM_
        GT_OPT_COUNT
} gt_optimizer_kind;

/* "adam", "sgd", "rmsprop", "adamw"; NULL when out of range. */
GT_API const char *gt_optimizer_name(gt_optimizer_kind kind);
/* Keras' class name ("Adam", "SGD", "RMSprop", "AdamW"); NULL when out of range. */
GT_API const char *gt_optimizer_keras_name(gt_optimizer_kind kind);
/* The kind of a gtrain or Keras name (case-insensitive); GT_ERR_INVALID_ARGUMENT
 * naming the accepted ones otherwise. */
GT_API gt_status gt_optimizer_from_name(const char *name, gt_optimizer_kind *out);

/* Which examples the validation at epoch end uses. FIRST/LAST take the first or
 * last `validation_count` examples of the training set (and train on the rest). */
typedef enum gt_validation_kind {
    GT_VAL_NONE = 0,
    GT_VAL_TEST,
    GT_VAL_FIRST,
    GT_VAL_LAST
} gt_validation_kind;

/* Cross-entropy summed over the batch (notebook 004) or averaged (Keras default). */
typedef enum gt_loss_reduction { GT_REDUCE_MEAN = 0, GT_REDUCE_SUM } gt_loss_reduction;

/* The order of the training examples within each epoch: shuffled anew every
 * epoch (Keras' fit default) or the file's own order every epoch (Keras
 * shuffle=False, notebook 004's unshuffled tf.data batches). */
typedef enum gt_data_order { GT_ORDER_SHUFFLED = 0, GT_ORDER_FILE } gt_data_order;
/* "shuffled" or "file" (checkpoints' data_order); NULL when out of range. */
GT_API const char *gt_data_order_name(gt_data_order order);

/* The notebook's training recipe a model carries as its defaults. */
typedef struct gt_recipe {
    char dataset[32]; /* "fashion-mnist", "mnist", "signs" */
    int batch_size;
    int epochs;
    gt_optimizer_kind optimizer;
    float learning_rate;
    float momentum;
    gt_validation_kind validation;
    int validation_count;
    gt_loss_reduction reduction;
    /* > 0: the cross-entropy is -log(softmax[label] + loss_log_epsilon), as
     * notebook 004 writes it by hand; 0: the exact fused form (Keras) */
    float loss_log_epsilon;
    gt_data_order order;
} gt_recipe;

/* Names of the zoo's models, NULL-terminated. */
GT_API const char *const *gt_zoo_names(void);

GT_API gt_status gt_model_from_zoo(const char *name, gt_model **out);
GT_API gt_status gt_model_from_json_file(const char *path, gt_model **out);
/* `origin` names the text in error messages (a path, or "<string>"). */
GT_API gt_status gt_model_from_json_text(const char *text, const char *origin, gt_model **out);
/* Keras model JSON of the model (Sequential, Keras 2 layout); free with free(). */
GT_API gt_status gt_model_to_json(const gt_model *model, char **out_text);
GT_API void gt_model_free(gt_model *model);

GT_API const char *gt_model_name(const gt_model *model);
GT_API size_t gt_model_param_count(const gt_model *model);
GT_API size_t gt_model_trainable_param_count(const gt_model *model);
/* Shape of one example as fed from the dataset, before preprocessing. */
GT_API gt_shape3 gt_model_input_shape(const gt_model *model);
GT_API int gt_model_num_classes(const gt_model *model);
GT_API const gt_recipe *gt_model_recipe(const gt_model *model);

/* The layers, in order (index 0 .. count-1, preprocessing layers included as
 * in Keras' summary): name ("conv2d_1"), Keras class name ("Conv2D") and the
 * per-example output shape (Flatten and Dense: (1, 1, n)). Out-of-range
 * indices give NULL / a zero shape. */
GT_API int gt_model_layer_count(const gt_model *model);
GT_API const char *gt_model_layer_name(const gt_model *model, int layer);
GT_API const char *gt_model_layer_kind(const gt_model *model, int layer);
GT_API gt_shape3 gt_model_layer_output_shape(const gt_model *model, int layer);
/* 1 when Keras shows the layer's output as an image (None, h, w, c) rather
 * than flat (None, n), as in the summary. */
GT_API int gt_model_layer_output_is_image(const gt_model *model, int layer);
/* 1 for the layers `gtrain activations` draws by default (convolutions,
 * poolings, normalizations of images). */
GT_API int gt_model_layer_drawable(const gt_model *model, int layer);

/* Drops the leading preprocessing layers: the model then expects data already
 * shaped like the first compute layer's input. */
GT_API gt_status gt_model_strip_preprocessing(gt_model *model);

/* Keras' model.summary() table and parameter totals. */
GT_API gt_status gt_model_summary(const gt_model *model, FILE *out);

/* The model's training recipe, one "  key: value" line each (data,
 * optimizer and learning rate, batch size, epochs, loss reduction, shuffle,
 * validation, preprocessing), under the heading "Recipe (gtrain fit's
 * defaults):". */
GT_API gt_status gt_model_recipe_summary(const gt_model *model, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
