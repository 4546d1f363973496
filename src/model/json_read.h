/* Internal: reading fields of a Keras JSON config, with messages that name
 * the file, the layer (its index in the JSON "layers" array, its name and
 * class), the field, what was found and what is supported. Used by the model
 * reader (model_json.c) and by every layer kind's read_config (src/model/layers). */
#ifndef GT_JSON_READ_H
#define GT_JSON_READ_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "gtrain/status.h"
#include "model_internal.h"

/* Where in the file we are, for messages. index < 0: the model level. */
typedef struct gt_json_where {
    const char *origin;
    int index;
    const char *name;
    const char *class_name;
} gt_json_where;

gt_status gt_json_fail(const gt_json_where *w, gt_status st, const char *fmt, ...) GT_PRINTF(3, 4);
/* Compact JSON text of a value for messages, cut to fit. */
void gt_json_found_text(const cJSON *item, char *out, size_t cap);
int gt_json_is_integer(const cJSON *item);

/* Fields: `required`, or else `fallback` when absent or null. */
gt_status gt_json_int(const gt_json_where *w, const cJSON *cfg, const char *field, int required,
                      int fallback, int *out);
gt_status gt_json_float(const gt_json_where *w, const cJSON *cfg, const char *field, int required,
                        float fallback, float *out);
gt_status gt_json_bool(const gt_json_where *w, const cJSON *cfg, const char *field, int fallback,
                       int *out);
/* A (height, width) pair written as an integer or a two-element list. */
gt_status gt_json_pair(const gt_json_where *w, const cJSON *cfg, const char *field, int required,
                       int fallback, int *a, int *b);
/* A string among `accepted` (NULL-ended; absent or null means the first): its index. */
gt_status gt_json_choice(const gt_json_where *w, const cJSON *cfg, const char *field,
                         const char *const *accepted, int *out);
/* Fields gtrain cannot honour unless they hold their neutral value. */
gt_status gt_json_expect_null(const gt_json_where *w, const cJSON *cfg, const char *field);
gt_status gt_json_expect_false(const gt_json_where *w, const cJSON *cfg, const char *field);
gt_status gt_json_expect_pair(const gt_json_where *w, const cJSON *cfg, const char *field,
                              int value);
/* data_format must be channels_last (or absent). */
gt_status gt_json_data_format(const gt_json_where *w, const cJSON *cfg);
/* "activation": any of GT_ACTIVATIONS' names (and Keras' aliases). */
gt_status gt_json_activation(const gt_json_where *w, const cJSON *cfg, int required,
                             gt_activation *out);
gt_status gt_json_initializer(const gt_json_where *w, const cJSON *cfg, const char *field,
                              gt_init_kind fallback, gt_initializer *out);
/* "padding": valid or same. */
gt_status gt_json_padding(const gt_json_where *w, const cJSON *cfg, gt_padding *out);
/* Conv2D's and Dense's activation, use_bias, kernel and bias initializers,
 * and the regularizers and constraints that must be null. */
gt_status gt_json_kernel_bias(const gt_json_where *w, const cJSON *cfg, gt_layer *l);

#endif
