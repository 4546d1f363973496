/* The recorded options of a fit run and the datasets they name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include "cli_fit_run.h"
#include "gtrain/status.h"

void gt_fit_run_init(gt_fit_run *r)
{
    memset(r, 0, sizeof *r);
    r->validation = -1;
}

void gt_fit_run_free(gt_fit_run *r)
{
    for (int i = 0; i < r->n_owned; ++i)
        free(r->owned[i]);
    r->n_owned = 0;
}

static const char *const validation_names[] = {"none", "test", "first", "last"};

/* The string fields, by JSON key, for writing and merging alike. */
#define RUN_STRINGS(X)                                                                             \
    X(data)                                                                                        \
    X(test_data)                                                                                   \
    X(x_key)                                                                                       \
    X(y_key) X(test_x_key) X(test_y_key) X(class_names) X(data_dir) X(history) X(train_data)

gt_status gt_fit_run_to_json(const gt_fit_run *r, char **out)
{
    cJSON *obj = cJSON_CreateObject();
    int ok = obj != NULL;
#define PUT_STRING(field)                                                                          \
    if (ok && r->field) ok = cJSON_AddStringToObject(obj, #field, r->field) != NULL;
    RUN_STRINGS(PUT_STRING)
#undef PUT_STRING
    if (ok) ok = cJSON_AddNumberToObject(obj, "epochs", (double)r->epochs) != NULL;
    if (ok && r->validation >= 0 && r->validation <= GT_VAL_LAST)
        ok = cJSON_AddStringToObject(obj, "validation", validation_names[r->validation]) != NULL;
    if (ok)
        ok = cJSON_AddNumberToObject(obj, "validation_count", (double)r->validation_count) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    *out = NULL;
    if (text) {
        *out = malloc(strlen(text) + 1);
        if (*out) strcpy(*out, text);
        cJSON_free(text);
    }
    if (!*out) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory writing the run options");
    return GT_OK;
}

static const char *keep(gt_fit_run *r, const char *s)
{
    if (r->n_owned >= GT_FIT_RUN_MAX_OWNED) return NULL;
    char *copy = malloc(strlen(s) + 1);
    if (!copy) return NULL;
    strcpy(copy, s);
    r->owned[r->n_owned++] = copy;
    return copy;
}

int gt_fit_run_merge(gt_fit_run *r, const char *json, const char *origin, int need_data)
{
    if (!json) return GT_EXIT_OK;
    cJSON *obj = cJSON_Parse(json);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return gt_cli_error(GT_EXIT_RUNTIME, "%s: gtrain_state/run_info is not a JSON object",
                            origin);
    }
    const cJSON *item;
#define TAKE_STRING(field)                                                                         \
    item = cJSON_GetObjectItemCaseSensitive(obj, #field);                                          \
    if (!r->field && cJSON_IsString(item)) r->field = keep(r, item->valuestring);
    RUN_STRINGS(TAKE_STRING)
#undef TAKE_STRING
    item = cJSON_GetObjectItemCaseSensitive(obj, "epochs");
    if (r->epochs <= 0 && cJSON_IsNumber(item)) r->epochs = (long)item->valuedouble;
    item = cJSON_GetObjectItemCaseSensitive(obj, "validation");
    if (r->validation < 0 && cJSON_IsString(item)) {
        for (int k = 0; k <= GT_VAL_LAST; ++k)
            if (strcmp(item->valuestring, validation_names[k]) == 0) r->validation = k;
        item = cJSON_GetObjectItemCaseSensitive(obj, "validation_count");
        if (cJSON_IsNumber(item)) r->validation_count = (long)item->valuedouble;
    }
    cJSON_Delete(obj);
    if (!r->data && !need_data) return GT_EXIT_OK;
    if (!r->data)
        return gt_cli_error(GT_EXIT_USAGE,
                            "%s does not say which data it was trained on: pass "
                            "--data",
                            origin);
    if (r->validation < 0) r->validation = GT_VAL_NONE;
    if (r->epochs <= 0) r->epochs = 1;
    return GT_EXIT_OK;
}

gt_status gt_fit_data_load(const gt_fit_run *r, gt_cli_budget *budget, gt_fit_data *d)
{
    gt_cli_data where = {r->data_dir, r->class_names, budget, "train"};
    GT_TRY(gt_cli_load_dataset(&where, r->data, "train", r->x_key, r->y_key, &d->train_full));
    d->train = d->train_full;
    where.role = "test";
    if (r->test_data)
        GT_TRY(gt_cli_load_dataset(&where, r->test_data, "test", r->test_x_key, r->test_y_key,
                                   &d->test));
    else if (!gt_cli_data_is_hdf5(r->data))
        GT_TRY(gt_cli_load_dataset(&where, r->data, "test", NULL, NULL, &d->test));
    size_t n = gt_dataset_count(d->train_full);
    long count = r->validation_count;
    if (r->validation == GT_VAL_TEST) {
        if (!d->test)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "--validation test needs a test set: pass "
                           "--test-data hdf5:FILE.h5, or --validation first:N, last:N or none");
        d->val = d->test;
    }
    if (r->validation == GT_VAL_FIRST || r->validation == GT_VAL_LAST) {
        if (count < 1 || (size_t)count >= n)
            return gt_fail(GT_ERR_INVALID_ARGUMENT,
                           "--validation takes %ld examples but %s has only %zu", count,
                           gt_dataset_origin(d->train_full), n);
        size_t rest = n - (size_t)count;
        int first = r->validation == GT_VAL_FIRST;
        GT_TRY(gt_dataset_slice(d->train_full, first ? 0 : rest, (size_t)count, &d->val));
        GT_TRY(gt_dataset_slice(d->train_full, first ? (size_t)count : 0, rest, &d->train));
    }
    return budget ? gt_cli_budget_finish(budget) : GT_OK;
}

void gt_fit_data_free(gt_fit_data *d)
{
    if (d->train != d->train_full) gt_dataset_free(d->train);
    if (d->val != d->test) gt_dataset_free(d->val);
    gt_dataset_free(d->train_full);
    gt_dataset_free(d->test);
    memset(d, 0, sizeof *d);
}

/* zlib takes lengths as uInt: feed it in pieces that fit. */
static uLong crc_of(uLong crc, const uint8_t *data, size_t length)
{
    while (length > 0) {
        uInt piece = length > (1u << 30) ? (1u << 30) : (uInt)length;
        crc = crc32(crc, data, piece);
        data += piece;
        length -= piece;
    }
    return crc;
}

/* The sampled fingerprint reads this many runs of consecutive examples,
 * evenly spaced (runs, so that a compressed file inflates few chunks). */
#define GT_FINGERPRINT_RUNS 32
#define GT_FINGERPRINT_RUN 8
/* Bytes read at a time for the full fingerprint of a streamed dataset. */
#define GT_FINGERPRINT_BLOCK ((size_t)16 << 20)

/* CRC-32 of examples [first, first + count) through the dataset's reads. */
static gt_status crc_of_examples(const gt_dataset *ds, size_t first, size_t count, uint8_t *block,
                                 size_t block_examples, uLong *crc)
{
    size_t per = gt_shape3_size(gt_dataset_shape(ds));
    for (size_t i = first; i < first + count; i += block_examples) {
        size_t c = first + count - i < block_examples ? first + count - i : block_examples;
        GT_TRY(gt_dataset_read_images(ds, i, c, block));
        *crc = crc_of(*crc, block, c * per);
    }
    return GT_OK;
}

gt_status gt_fit_data_fingerprint(const gt_dataset *ds, int sampled, char *buf, size_t size)
{
    size_t n = gt_dataset_count(ds);
    gt_shape3 shape = gt_dataset_shape(ds);
    size_t per = gt_shape3_size(shape);
    uLong crc = 0;
    const uint8_t *images = gt_dataset_images(ds);
    if (images && !sampled) {
        crc = crc_of(crc, images, n * per);
    } else {
        size_t block_examples = sampled ? GT_FINGERPRINT_RUN : GT_FINGERPRINT_BLOCK / per + 1;
        uint8_t *block = malloc(block_examples * per + 1);
        if (!block) return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
        gt_status st = GT_OK;
        if (!sampled || n <= GT_FINGERPRINT_RUNS * GT_FINGERPRINT_RUN)
            st = crc_of_examples(ds, 0, n, block, block_examples, &crc);
        for (size_t k = 0; sampled && n > GT_FINGERPRINT_RUNS * GT_FINGERPRINT_RUN &&
                           k < GT_FINGERPRINT_RUNS && st == GT_OK;
             ++k)
            st = crc_of_examples(ds, k * n / GT_FINGERPRINT_RUNS, GT_FINGERPRINT_RUN, block,
                                 block_examples, &crc);
        free(block);
        GT_TRY(st);
    }
    crc = crc_of(crc, (const uint8_t *)gt_dataset_labels(ds), n * sizeof(int32_t));
    snprintf(buf, size, "%zu examples of %dx%dx%d, %d classes, %scrc32 %08lx", n, shape.h, shape.w,
             shape.c, gt_dataset_num_classes(ds), sampled ? "sampled " : "", crc & 0xffffffffUL);
    return GT_OK;
}

int gt_fit_data_fingerprint_is_sampled(const char *fingerprint)
{
    return fingerprint && strstr(fingerprint, "sampled crc32") != NULL;
}
