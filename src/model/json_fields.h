/* Internal: reading and writing the small JSON objects of training options,
 * optimizers and callbacks (train.h, callbacks.h), as json_read.h reads
 * models' layer configs. Every reader names what it reads (`what`, e.g.
 * "EarlyStopping config"), the key, the value found and what was expected;
 * a key absent or null takes its fallback; a bad value is the caller's
 * argument (GT_ERR_INVALID_ARGUMENT), not a bad file. */
#ifndef GT_JSON_FIELDS_H
#define GT_JSON_FIELDS_H

#include <cjson/cJSON.h>

#include "gtrain/status.h"

/* Parses text that must hold a JSON object (GT_ERR_INVALID_ARGUMENT otherwise). */
gt_status gt_cfg_parse_object(const char *text, const char *what, cJSON **out);
/* Every key of obj must be in the NULL-terminated list `accepted`. */
gt_status gt_cfg_check_keys(const cJSON *obj, const char *what, const char *const *accepted);
/* A number in [lo, hi]. */
gt_status gt_cfg_number(const cJSON *obj, const char *what, const char *key, double fallback,
                        double lo, double hi, double *out);
/* A whole number in [lo, hi]. */
gt_status gt_cfg_integer(const cJSON *obj, const char *what, const char *key, double fallback,
                         double lo, double hi, double *out);
/* true/false (or 0/1). */
gt_status gt_cfg_bool(const cJSON *obj, const char *what, const char *key, int fallback, int *out);
/* A string (points into obj). */
gt_status gt_cfg_string(const cJSON *obj, const char *what, const char *key, const char *fallback,
                        const char **out);
/* A key Keras has but gtrain does not implement: only its neutral value
 * (null, false, or `neutral_number` when that is not NaN) is accepted. */
gt_status gt_cfg_neutral(const cJSON *obj, const char *what, const char *key,
                         double neutral_number);
/* Prints obj unformatted into malloc'd memory (free with free()) and deletes it. */
gt_status gt_cfg_print(cJSON *obj, char **out);

#endif
