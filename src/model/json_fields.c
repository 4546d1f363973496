/* Typed, range-checked fields of JSON option objects (json_fields.h). */
#include "json_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/status.h"
#include "json_read.h"

gt_status gt_cfg_parse_object(const char *text, const char *what, cJSON **out)
{
    *out = NULL;
    cJSON *obj = text ? cJSON_Parse(text) : NULL;
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: expected a JSON object, found '%.80s'", what,
                       text ? text : "(null)");
    }
    *out = obj;
    return GT_OK;
}

gt_status gt_cfg_check_keys(const cJSON *obj, const char *what, const char *const *accepted)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, obj)
    {
        int known = 0;
        for (int i = 0; accepted[i] && !known; ++i)
            known = strcmp(item->string, accepted[i]) == 0;
        if (known) continue;
        char list[512] = "";
        size_t used = 0;
        for (int i = 0; accepted[i] && used < sizeof list; ++i)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                     accepted[i]);
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: unknown key '%s' (accepted: %s)", what,
                       item->string, list);
    }
    return GT_OK;
}

static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return item && !cJSON_IsNull(item) ? item : NULL;
}

gt_status gt_cfg_number(const cJSON *obj, const char *what, const char *key, double fallback,
                        double lo, double hi, double *out)
{
    const cJSON *item = field(obj, key);
    if (!item) {
        *out = fallback;
        return GT_OK;
    }
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    if (!cJSON_IsNumber(item))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s is %s, expected a number", what, key,
                       found);
    double v = item->valuedouble;
    if (!(v >= lo && v <= hi))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s is %s, expected a number in [%g, %g]", what,
                       key, found, lo, hi);
    *out = v;
    return GT_OK;
}

gt_status gt_cfg_integer(const cJSON *obj, const char *what, const char *key, double fallback,
                         double lo, double hi, double *out)
{
    GT_TRY(gt_cfg_number(obj, what, key, fallback, lo, hi, out));
    if (*out != floor(*out))
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s is %g, expected a whole number", what, key,
                       *out);
    return GT_OK;
}

gt_status gt_cfg_bool(const cJSON *obj, const char *what, const char *key, int fallback, int *out)
{
    const cJSON *item = field(obj, key);
    if (!item) {
        *out = fallback;
        return GT_OK;
    }
    if (cJSON_IsBool(item)) {
        *out = cJSON_IsTrue(item);
        return GT_OK;
    }
    if (cJSON_IsNumber(item) && (item->valuedouble == 0.0 || item->valuedouble == 1.0)) {
        *out = item->valuedouble != 0.0;
        return GT_OK;
    }
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s is %s, expected true or false", what, key,
                   found);
}

gt_status gt_cfg_string(const cJSON *obj, const char *what, const char *key, const char *fallback,
                        const char **out)
{
    const cJSON *item = field(obj, key);
    if (!item) {
        *out = fallback;
        return GT_OK;
    }
    if (!cJSON_IsString(item)) {
        char found[96];
        gt_json_found_text(item, found, sizeof found);
        return gt_fail(GT_ERR_INVALID_ARGUMENT, "%s: %s is %s, expected a string", what, key,
                       found);
    }
    *out = item->valuestring;
    return GT_OK;
}

gt_status gt_cfg_neutral(const cJSON *obj, const char *what, const char *key, double neutral_number)
{
    const cJSON *item = field(obj, key);
    if (!item || cJSON_IsFalse(item)) return GT_OK;
    if (!isnan(neutral_number) && cJSON_IsNumber(item) && item->valuedouble == neutral_number)
        return GT_OK;
    char found[96];
    gt_json_found_text(item, found, sizeof found);
    return gt_fail(GT_ERR_UNSUPPORTED, "%s: %s %s is not supported by gtrain (only its default)",
                   what, key, found);
}

gt_status gt_cfg_print(cJSON *obj, char **out)
{
    *out = NULL;
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (text) {
        size_t n = strlen(text) + 1;
        *out = malloc(n);
        if (*out) memcpy(*out, text, n);
        cJSON_free(text);
    }
    if (!*out) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory writing JSON");
    return GT_OK;
}
