/* Internal: writing Keras JSON configs as Keras 2 (tf.keras 2.x) does, for the
 * model writer (model_json_write.c) and every layer kind's write_config. */
#ifndef GT_JSON_WRITE_H
#define GT_JSON_WRITE_H

#include <cjson/cJSON.h>

#include "model_internal.h"

/* Collects allocation failures: cJSON_Add* return NULL when out of memory. */
typedef struct gt_json_writer {
    int failed;
} gt_json_writer;

/* obj[key] = value (value freed and the writer marked failed on error). */
void gt_jw_put(gt_json_writer *wr, cJSON *obj, const char *key, cJSON *value);
/* The shortest decimal that reads back as the same float (1/255 as 0.003921569). */
cJSON *gt_jw_float(float value);
cJSON *gt_jw_pair(int a, int b);
cJSON *gt_jw_initializer(gt_json_writer *wr, const gt_initializer *init);
const char *gt_jw_padding_name(gt_padding p);
/* Conv2D's and Dense's activation, use_bias, initializers and null
 * regularizers/constraints, in Keras 2's key order. */
void gt_jw_kernel_bias(gt_json_writer *wr, cJSON *cfg, const gt_layer *l);

#endif
