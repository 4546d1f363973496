/* Internal: the pieces of the Keras model JSON reader that the Sequential
 * (model_json.c) and the Functional (model_json_functional.c) readers share. */
#ifndef GT_MODEL_JSON_H
#define GT_MODEL_JSON_H

#include <cjson/cJSON.h>

#include "json_read.h"
#include "model_internal.h"

/* One entry of config.layers (class_name, config) into a layer of its kind. */
gt_status gt_json_parse_layer(gt_json_where *w, const cJSON *jl, gt_layer *l);
/* [null, h, w, c] -> (h, w, c); [null, h, w] -> (h, w, 1); [null, n] -> (1, 1, n). */
gt_status gt_json_parse_input_shape(const gt_json_where *w, const char *field, const cJSON *shape,
                                    gt_shape3 *out);
/* Builds the model read so far when st is GT_OK (failures prefixed with
 * `origin`) and hands it to *out; frees it on any failure. */
gt_status gt_json_finish_model(const char *origin, gt_status st, gt_model *m, gt_model **out);
/* A Functional model's config (layers with inbound_nodes, input_layers,
 * output_layers), Keras 2's or Keras 3's. */
gt_status gt_json_read_functional(const char *origin, const cJSON *config, gt_model **out);

#endif
