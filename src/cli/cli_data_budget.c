/* --data-memory: which datasets are read whole into memory (resident) and
 * which are streamed from their files, and why.
 *
 * Each dataset is opened for streaming first (labels and metadata only),
 * which says what holding it resident would take. In the order they are
 * opened (the training set first), a dataset whose images and labels fit in
 * what is left of the budget is read whole; one that does not is streamed,
 * charged its labels, epoch order and prefetch buffers; whatever is left at
 * the end becomes the streamed HDF5 files' chunk caches. So the host memory
 * the datasets take is bounded by the budget, never by their size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gtrain/status.h"

void gt_cli_budget_init(gt_cli_budget *b, int batch_size)
{
    memset(b, 0, sizeof b[0]);
    b->bytes = gt_data_memory_default();
    b->batch = batch_size > 0 ? batch_size : 1;
}

int gt_cli_parse_bytes(const char *option, const char *text, size_t *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {{"", 1},
                 {"K", 1024.0},
                 {"KiB", 1024.0},
                 {"M", 1048576.0},
                 {"MiB", 1048576.0},
                 {"G", 1073741824.0},
                 {"GiB", 1073741824.0},
                 {"T", 1099511627776.0},
                 {"TiB", 1099511627776.0}};
    int known = 0;
    for (size_t i = 0; end && end != text && i < sizeof units / sizeof units[0]; ++i)
        if (strcmp(end, units[i].suffix) == 0) {
            v *= units[i].scale;
            known = 1;
        }
    if (!known || !(v >= 1.0) || v > 1.8e19) {
        gt_cli_error(GT_EXIT_USAGE,
                     "%s expects a number of bytes, optionally with K, M, G or T (KiB, MiB, "
                     "GiB, TiB: powers of 1024), found '%s'",
                     option, text);
        return 0;
    }
    *out = v >= (double)SIZE_MAX ? SIZE_MAX : (size_t)v;
    return 1;
}

void gt_cli_format_bytes(size_t bytes, char *buf, size_t size)
{
    double v = (double)bytes;
    if (v >= 1073741824.0)
        snprintf(buf, size, "%.1f GiB", v / 1073741824.0);
    else if (v >= 1048576.0)
        snprintf(buf, size, "%.1f MiB", v / 1048576.0);
    else if (v >= 1024.0)
        snprintf(buf, size, "%.1f KiB", v / 1024.0);
    else
        snprintf(buf, size, "%zu bytes", bytes);
}

static void note(gt_cli_budget *b, const char *fmt, const char *what, const char *size,
                 const char *budget, const char *extra)
{
    size_t len = strlen(b->choices);
    snprintf(b->choices + len, sizeof b->choices - len, fmt, len ? "; " : "", what, size, budget,
             extra);
}

gt_status gt_cli_budget_place(gt_cli_budget *b, const char *what, gt_dataset **ds)
{
    char size[32], left[32], budget[64], how[256];
    size_t resident = gt_dataset_resident_bytes(*ds);
    size_t free_bytes = b->bytes > b->used ? b->bytes - b->used : 0;
    gt_cli_format_bytes(resident, size, sizeof size);
    gt_cli_format_bytes(free_bytes, left, sizeof left);
    gt_cli_format_bytes(b->bytes, budget, sizeof budget);
    if (!b->given) {
        size_t n = strlen(budget);
        snprintf(budget + n, sizeof budget - n, ", half the machine's memory");
    }
    if (resident <= free_bytes) {
        gt_dataset *whole = NULL;
        GT_TRY(gt_dataset_load_resident(*ds, &whole));
        gt_dataset_free(*ds);
        *ds = whole;
        b->used += resident;
        note(b, "%s%s resident (%s fits in --data-memory %s%s)", what, size, budget, "");
        return GT_OK;
    }
    /* the training set carries the shuffle buffer's store; the others none */
    gt_train_config cfg = gt_train_config_for(NULL);
    cfg.batch_size = b->batch;
    if (strcmp(what, "train") == 0) cfg.shuffle_buffer = b->shuffle_buffer;
    size_t streaming = gt_trainer_stream_bytes(*ds, &cfg);
    if (streaming > free_bytes) {
        char need[32];
        gt_cli_format_bytes(streaming, need, sizeof need);
        return gt_fail(GT_ERR_OUT_OF_MEMORY,
                       "%s (%s) does not fit in --data-memory %s, and streaming it needs %s "
                       "(its labels, epoch order, prefetch buffers and any shuffle buffer) of the "
                       "%s left: raise --data-memory",
                       gt_dataset_origin(*ds), size, budget, need, left);
    }
    b->used += streaming;
    if (b->n_streamed < GT_CLI_BUDGET_STREAMS) b->streamed[b->n_streamed++] = *ds;
    snprintf(how, sizeof how, "; %s", gt_dataset_stream_how(*ds));
    note(b, "%s%s streamed (%s does not fit in --data-memory %s%s)", what, size, budget, how);
    return GT_OK;
}

gt_status gt_cli_budget_finish(gt_cli_budget *b)
{
    if (b->n_streamed == 0) return GT_OK;
    size_t left = b->bytes > b->used ? b->bytes - b->used : 0;
    size_t share = left / (size_t)b->n_streamed;
    for (int i = 0; i < b->n_streamed; ++i) {
        /* no use caching more than the file holds */
        size_t want = gt_dataset_resident_bytes(b->streamed[i]);
        GT_TRY(gt_dataset_set_stream_cache(b->streamed[i], share < want ? share : want));
        b->used += gt_dataset_stream_cache(b->streamed[i]);
    }
    size_t len = strlen(b->choices);
    char used[32];
    gt_cli_format_bytes(b->used, used, sizeof used);
    snprintf(b->choices + len, sizeof b->choices - len, "; %s of the budget in use", used);
    return GT_OK;
}
