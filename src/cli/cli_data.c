/* Dataset and trained-model options shared by fit, evaluate and predict:
 * "--data fashion-mnist|mnist|hdf5:PATH", the HDF5 keys, class names, and
 * the model that goes with a .h5 weights file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gtrain/status.h"

int gt_cli_data_is_hdf5(const char *spec)
{
    return spec && strncmp(spec, "hdf5:", 5) == 0;
}

int gt_cli_check_data_spec(const char *option, const char *spec)
{
    if (!spec) return 1;
    if (strcmp(spec, "fashion-mnist") == 0 || strcmp(spec, "mnist") == 0) return 1;
    if (gt_cli_data_is_hdf5(spec) && spec[5]) return 1;
    gt_cli_error(GT_EXIT_USAGE, "%s expects fashion-mnist, mnist or hdf5:PATH, found '%s'", option,
                 spec);
    return 0;
}

/* Splits "a,b,c" into the dataset's class names. */
static gt_status apply_class_names(gt_dataset *ds, const char *list)
{
    size_t len = strlen(list);
    char *copy = malloc(len + 1);
    const char **names = malloc((len + 1) * sizeof *names);
    if (!copy || !names) {
        free(copy);
        free(names);
        return gt_fail(GT_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    memcpy(copy, list, len + 1);
    int n = 0;
    for (char *p = copy;;) {
        names[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    gt_status st = gt_dataset_copy_class_names(ds, names, n);
    if (st != GT_OK) st = gt_fail_context(st, "--class-names");
    free(copy);
    free(names);
    return st;
}

gt_status gt_cli_load_dataset(const gt_cli_data *d, const char *spec, const char *split,
                              const char *x_key, const char *y_key, gt_dataset **out)
{
    gt_status st;
    if (!d->budget && gt_cli_data_is_hdf5(spec))
        st = gt_dataset_load_hdf5(spec + 5, x_key, y_key, out);
    else if (!d->budget)
        st = gt_dataset_load_named(spec, d->data_dir, split, out);
    else if (gt_cli_data_is_hdf5(spec))
        st = gt_dataset_open_hdf5(spec + 5, x_key, y_key, out);
    else
        st = gt_dataset_open_named(spec, d->data_dir, split, out);
    if (st == GT_OK && d->budget) {
        st = gt_cli_budget_place(d->budget, d->role ? d->role : split, out);
        if (st != GT_OK) {
            gt_dataset_free(*out);
            *out = NULL;
        }
    }
    if (st == GT_OK && d->class_names) {
        st = apply_class_names(*out, d->class_names);
        if (st != GT_OK) {
            gt_dataset_free(*out);
            *out = NULL;
        }
    }
    return st;
}

gt_status gt_cli_load_trained_model(const char *weights, const char *model_option, gt_model **out)
{
    if (model_option) return gt_cli_load_model(model_option, out);
    return gt_checkpoint_load_model(weights, out);
}

void gt_cli_describe_reshape(const gt_model *m, const gt_dataset *ds, char *out, size_t cap)
{
    gt_shape3 want = gt_model_input_shape(m), got = gt_dataset_shape(ds);
    out[0] = '\0';
    if (want.h == got.h && want.w == got.w && want.c == got.c) return;
    char shape[64];
    if (want.h == 1 && want.w == 1)
        snprintf(shape, sizeof shape, "(None, %d)", want.c);
    else
        snprintf(shape, sizeof shape, "(None, %d, %d, %d)", want.h, want.w, want.c);
    snprintf(out, cap, ", %dx%dx%d images fed as the input %s (reshaped, %zu values each)", got.h,
             got.w, got.c, shape, gt_shape3_size(got));
}
