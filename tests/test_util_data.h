/* Shared helpers for trainer tests: small synthetic datasets and models. */
#ifndef GT_TEST_UTIL_DATA_H
#define GT_TEST_UTIL_DATA_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gtrain/gtrain.h"

/* count examples of `shape` with pixels from a xorshift stream; label i % classes
 * plus a pixel pattern tied to the label so that training can learn something. */
static inline gt_status gt_test_synthetic_dataset(gt_shape3 shape, size_t count, int classes,
                                                  uint64_t seed, gt_dataset **out)
{
    size_t per = gt_shape3_size(shape);
    uint8_t *images = malloc(count * per);
    int32_t *labels = malloc(count * sizeof(int32_t));
    if (!images || !labels) {
        free(images);
        free(labels);
        return GT_ERR_OUT_OF_MEMORY;
    }
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 7;
    for (size_t i = 0; i < count; ++i) {
        labels[i] = (int32_t)(i % (size_t)classes);
        for (size_t k = 0; k < per; ++k) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            uint8_t noise = (uint8_t)(s >> 56) / 2;
            /* a bright band whose position encodes the label */
            uint8_t signal = (k % (size_t)classes) == (size_t)labels[i] ? 120 : 0;
            images[i * per + k] = (uint8_t)(noise + signal);
        }
    }
    gt_status st = gt_dataset_from_memory(images, labels, count, shape, classes, out);
    free(images);
    free(labels);
    return st;
}

/* Trains `model` on the 2-thread CPU backend for `epochs` with the trainer
 * options `config_json` (gt_trainer_create_json), then evaluates on `val`:
 * the weights (malloc'd, model order; NULL on failure) and *accuracy. */
static inline float *gt_test_train_weights(const gt_model *model, const gt_dataset *ds,
                                           const gt_dataset *val, int epochs,
                                           const char *config_json, double *accuracy)
{
    gt_backend *be = NULL;
    gt_trainer *tr = NULL;
    float *w = NULL;
    double loss = 0;
    size_t np = gt_model_param_count(model);
    if (gt_backend_create("cpu", 2, GT_PRECISION_FP32, &be) == GT_OK &&
        gt_trainer_create_json(model, be, config_json, &tr) == GT_OK &&
        gt_trainer_fit(tr, ds, val, epochs, NULL) == GT_OK &&
        gt_trainer_evaluate(tr, val, &loss, accuracy) == GT_OK) {
        w = malloc((np ? np : 1) * sizeof *w);
        if (w && gt_trainer_get_params(tr, w, np) != GT_OK) {
            free(w);
            w = NULL;
        }
    }
    if (!w) fprintf(stderr, "training failed: %s\n", gt_last_error());
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
    return w;
}

/* A small CNN with every layer kind that has randomness or state. */
static const char *const gt_test_tiny_model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"tiny\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 12, 12, 1], "
    "\"dtype\": \"float32\", \"name\": \"input_1\"}},"
    "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"rescaling\", \"scale\": "
    "0.00392156862745098, \"offset\": 0.0}},"
    "{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"conv2d\", \"filters\": 4, "
    "\"kernel_size\": [3, 3], "
    "\"strides\": [1, 1], \"padding\": \"same\", \"activation\": \"relu\", \"use_bias\": true}},"
    "{\"class_name\": \"MaxPooling2D\", \"config\": {\"name\": \"max_pooling2d\", \"pool_size\": "
    "[2, 2], "
    "\"strides\": [2, 2], \"padding\": \"valid\"}},"
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 16, \"activation\": "
    "\"relu\"}},"
    "{\"class_name\": \"Dropout\", \"config\": {\"name\": \"dropout\", \"rate\": 0.3}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense_1\", \"units\": 5, \"activation\": "
    "\"softmax\"}}"
    "]}}";

#endif
