/* gtrain activations: pictures of what the first layers compute for one
 * example (notebooks 001 and 002 draw them with matplotlib): one PNG per
 * layer holding every channel as a grid of tiles, plus the input image. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_trained.h"
#include "png_write.h"

/* Tiles are nearest-neighbour upscaled to at least this many pixels a side,
 * so that a 5x5 pooling output is still visible. */
#define MIN_TILE_PX 64
#define SEPARATOR 255 /* white lines between tiles; empty grid cells too */
#define CONSTANT_GRAY 128

typedef struct act_options {
    gt_cli_trained t;
    long index;
    const char *layers, *out;
    uint64_t seed;
    int seed_given;
} act_options;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: gtrain activations --weights FILE.h5 | --model NAME|FILE.json|FILE.h5 [--seed N]\n"
        "                          --index N --out DIR [--layers L1,L2,...] [--data D]\n"
        "                          [--split test|train] [--device auto|cpu|cuda]\n\n"
        "Writes, for example N of the dataset, the input after the model's preprocessing\n"
        "(DIR/input.png) and one PNG per layer (DIR/<layer index>_<layer name>.png) showing\n"
        "every channel of the layer's output as a grid of tiles, each channel scaled from\n"
        "its minimum (black) to its maximum (white); a constant channel is mid-gray.\n"
        "  --index N         the example (from 0)\n"
        "  --out DIR         where the PNGs go (created if missing)\n"
        "  --layers L,...    layer names or indices as 'gtrain summary' lists them (from 0)\n"
        "                    [every Conv2D and MaxPooling2D layer]; Flatten, Dense and\n"
        "                    what follows them are vectors, not images\n"
        "  --model M         without --weights: the initial weights drawn from --seed\n"
        "                    (untrained filters), or an .h5's own weights (as\n"
        "                    --weights; with --seed, its architecture initialized);\n"
        "                    with --weights, the architecture of a weights-only file\n"
        "  --seed N          the initial weights' seed, for --model alone [1]\n"
        "%s%s",
        gt_cli_trained_help, gt_cli_device_help);
}

/* A layer's output is an image while Keras shows it as (None, h, w, c). */
static int is_image_layer(const gt_model *m, int layer)
{
    return gt_model_layer_output_is_image(m, layer);
}

static void list_image_layers(const gt_model *m, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < gt_model_layer_count(m) && is_image_layer(m, i); ++i) {
        int n = snprintf(buf + used, size - used, "%s%d %s", i ? ", " : "", i,
                         gt_model_layer_name(m, i));
        if (n < 0 || (size_t)n >= size - used) break;
        used += (size_t)n;
    }
}

/* --layers: names or indices into the model's layers; the default is every
 * layer whose class is drawable (convolutions, poolings, normalizations). Returns an exit code;
 * *list is malloc'd. */
static int choose_layers(const gt_model *m, const char *spec, int **list, int *count)
{
    int n_layers = gt_model_layer_count(m);
    int *chosen = malloc((size_t)(n_layers > 0 ? n_layers : 1) * sizeof *chosen);
    if (!chosen) return gt_cli_error(GT_EXIT_RUNTIME, "out of host memory");
    int n = 0;
    if (!spec) {
        for (int i = 0; i < n_layers; ++i) {
            if (gt_model_layer_drawable(m, i)) chosen[n++] = i;
        }
        *list = chosen;
        *count = n;
        return GT_EXIT_OK;
    }
    char available[1024];
    list_image_layers(m, available, sizeof available);
    const char *p = spec;
    for (;;) {
        size_t len = strcspn(p, ",");
        char token[128];
        if (len == 0 || len >= sizeof token) {
            free(chosen);
            return gt_cli_error(GT_EXIT_USAGE,
                                "--layers expects names or indices separated by "
                                "commas, found '%s'",
                                spec);
        }
        memcpy(token, p, len);
        token[len] = '\0';
        int found = -1;
        for (int i = 0; i < n_layers && found < 0; ++i)
            if (strcmp(token, gt_model_layer_name(m, i)) == 0) found = i;
        char *end = NULL;
        long v = strtol(token, &end, 10);
        if (found < 0 && *end == '\0' && v >= 0 && v < n_layers) found = (int)v;
        if (found < 0) {
            free(chosen);
            return gt_cli_error(GT_EXIT_USAGE,
                                "--layers: model '%s' has no layer '%s' (image "
                                "layers: %s)",
                                gt_model_name(m), token, available);
        }
        if (!is_image_layer(m, found)) {
            gt_shape3 s = gt_model_layer_output_shape(m, found);
            free(chosen);
            return gt_cli_error(GT_EXIT_USAGE,
                                "--layers: layer %d '%s' (%s) outputs a vector of "
                                "%zu values, not an image (image layers: %s)",
                                found, gt_model_layer_name(m, found), gt_model_layer_kind(m, found),
                                gt_shape3_size(s), available);
        }
        if (n < n_layers) chosen[n++] = found;
        if (p[len] == '\0') break;
        p += len + 1;
    }
    *list = chosen;
    *count = n;
    return GT_EXIT_OK;
}

static uint8_t to_gray(float v, float lo, float hi)
{
    if (!isfinite(v)) return 0;
    if (!(hi > lo)) return CONSTANT_GRAY;
    double t = ((double)v - lo) / ((double)hi - lo) * 255.0 + 0.5;
    return t <= 0.0 ? 0 : t >= 255.0 ? 255 : (uint8_t)t;
}

/* Smallest and largest finite value of channel k (or of all channels, k < 0). */
static void value_range(const float *x, gt_shape3 s, int k, float *lo, float *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    size_t pixels = (size_t)s.h * (size_t)s.w;
    size_t first = k < 0 ? 0 : (size_t)k, step = k < 0 ? 1 : (size_t)s.c;
    size_t end = pixels * (size_t)s.c;
    for (size_t i = first; i < end; i += step) {
        if (!isfinite(x[i])) continue;
        if (x[i] < *lo) *lo = x[i];
        if (x[i] > *hi) *hi = x[i];
    }
}

static int upscale_for(gt_shape3 s)
{
    int side = s.h > s.w ? s.h : s.w;
    return (MIN_TILE_PX + side - 1) / side;
}

/* A near-square grid: columns = a divisor of c between sqrt(c) and 2 sqrt(c)
 * when there is one (8 -> 4x2, 32 -> 8x4, no empty cells), else ceil(sqrt(c)). */
static void grid_for(int c, int *cols, int *rows)
{
    int s = 1;
    while (s * s < c)
        ++s;
    *cols = s;
    for (int d = s; (long)d * d <= 4L * c; ++d)
        if (c % d == 0) {
            *cols = d;
            break;
        }
    *rows = (c + *cols - 1) / *cols;
}

typedef struct picture {
    uint8_t *pixels;
    int width, height, channels;
    int cols, rows, scale; /* the grid (cols 0: a plain image) */
} picture;

/* Every channel as a tile, each scaled from its own minimum to maximum. */
static int draw_grid(const float *x, gt_shape3 s, picture *p)
{
    grid_for(s.c, &p->cols, &p->rows);
    p->scale = upscale_for(s);
    int tw = s.w * p->scale, th = s.h * p->scale;
    p->width = p->cols * tw + p->cols - 1;
    p->height = p->rows * th + p->rows - 1;
    p->channels = 1;
    p->pixels = malloc((size_t)p->width * (size_t)p->height);
    if (!p->pixels) return gt_cli_error(GT_EXIT_RUNTIME, "out of host memory for the image");
    memset(p->pixels, SEPARATOR, (size_t)p->width * (size_t)p->height);
    for (int k = 0; k < s.c; ++k) {
        float lo, hi;
        value_range(x, s, k, &lo, &hi);
        int ox = (k % p->cols) * (tw + 1), oy = (k / p->cols) * (th + 1);
        for (int y = 0; y < th; ++y) {
            uint8_t *row = p->pixels + (size_t)(oy + y) * (size_t)p->width + (size_t)ox;
            const float *src = x + (size_t)(y / p->scale) * (size_t)s.w * (size_t)s.c + (size_t)k;
            for (int xx = 0; xx < tw; ++xx)
                row[xx] = to_gray(src[(size_t)(xx / p->scale) * (size_t)s.c], lo, hi);
        }
    }
    return GT_EXIT_OK;
}

/* The input: grayscale or RGB scaled over all channels together (so colours
 * keep their balance); other channel counts are drawn as a grid. */
static int draw_input(const float *x, gt_shape3 s, picture *p)
{
    if (s.c != 1 && s.c != 3) return draw_grid(x, s, p);
    p->cols = p->rows = 0;
    p->scale = upscale_for(s);
    p->width = s.w * p->scale;
    p->height = s.h * p->scale;
    p->channels = s.c;
    size_t row_bytes = (size_t)p->width * (size_t)s.c;
    p->pixels = malloc(row_bytes * (size_t)p->height);
    if (!p->pixels) return gt_cli_error(GT_EXIT_RUNTIME, "out of host memory for the image");
    float lo, hi;
    value_range(x, s, -1, &lo, &hi);
    for (int y = 0; y < p->height; ++y)
        for (int xx = 0; xx < p->width; ++xx)
            for (int k = 0; k < s.c; ++k) {
                size_t src =
                    ((size_t)(y / p->scale) * (size_t)s.w + (size_t)(xx / p->scale)) * (size_t)s.c +
                    (size_t)k;
                p->pixels[(size_t)y * row_bytes + (size_t)xx * (size_t)s.c + (size_t)k] =
                    to_gray(x[src], lo, hi);
            }
    return GT_EXIT_OK;
}

/* Layer names come from JSON files: keep file names to [A-Za-z0-9._-]. */
static void file_name_for(const act_options *o, int layer, char *buf, size_t size)
{
    const char *name = gt_model_layer_name(o->t.m, layer);
    const char *sep = o->out[strlen(o->out) - 1] == '/' ? "" : "/";
    int n = snprintf(buf, size, "%s%s%02d_", o->out, sep, layer);
    if (n < 0) return;
    size_t at = (size_t)n;
    for (const char *c = name; *c && at + 5 < size; ++c, ++at) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '_' || *c == '-' || *c == '.';
        buf[at] = ok ? *c : '_';
    }
    snprintf(buf + at, size - at, ".png");
}

/* Draws one layer's output (layer -1: the preprocessed input) into `path`. */
static int write_layer(act_options *o, int layer, const char *path)
{
    gt_shape3 s;
    gt_status st = gt_trainer_layer_output(o->t.tr, o->t.ds, (size_t)o->index, layer, NULL, 0, &s);
    if (st != GT_OK) return gt_cli_status_error(st);
    size_t count = gt_shape3_size(s);
    float *x = malloc((count ? count : 1) * sizeof *x);
    if (!x) return gt_cli_error(GT_EXIT_RUNTIME, "out of host memory");
    st = gt_trainer_layer_output(o->t.tr, o->t.ds, (size_t)o->index, layer, x, count, &s);
    picture p = {0};
    int code = st != GT_OK ? gt_cli_status_error(st)
               : layer < 0 ? draw_input(x, s, &p)
                           : draw_grid(x, s, &p);
    free(x);
    if (code == GT_EXIT_OK &&
        (st = gt_png_write(path, p.pixels, p.width, p.height, p.channels)) != GT_OK)
        code = gt_cli_status_error(st);
    free(p.pixels);
    if (code != GT_EXIT_OK) return code;
    if (layer < 0)
        printf("%s: input after preprocessing, %dx%dx%d, %s, %dx%d px\n", path, s.h, s.w, s.c,
               p.channels == 3   ? "RGB"
               : p.channels == 1 ? "grayscale"
                                 : "grid",
               p.width, p.height);
    else
        printf("%s: layer %d %s (%s), %dx%dx%d, grid %dx%d (columns x rows) of %dx%d tiles, "
               "%dx%d px\n",
               path, layer, gt_model_layer_name(o->t.m, layer), gt_model_layer_kind(o->t.m, layer),
               s.h, s.w, s.c, p.cols, p.rows, s.w * p.scale, s.h * p.scale, p.width, p.height);
    return GT_EXIT_OK;
}

/* --model without --weights: the model, its data and a trainer holding the
 * weights initialized from the seed. */
static int open_untrained(act_options *o)
{
    gt_cli_trained *t = &o->t;
    gt_status st = gt_cli_load_model(t->model, &t->m);
    if (st != GT_OK) return gt_cli_model_error(t->model, st);
    const char *spec = t->data;
    if (!spec) {
        const char *recipe = gt_model_recipe(t->m)->dataset;
        if (strcmp(recipe, "fashion-mnist") != 0 && strcmp(recipe, "mnist") != 0)
            return gt_cli_error(GT_EXIT_USAGE,
                                "model '%s' trains on '%s': pass --data "
                                "fashion-mnist|mnist|hdf5:FILE.h5",
                                gt_model_name(t->m), recipe);
        spec = recipe;
    }
    if ((st = gt_cli_load_dataset(&t->where, spec, t->split, t->x_key, t->y_key, &t->ds)) != GT_OK)
        return gt_cli_status_error(st);
    int code = gt_cli_open_backend(&t->device, &t->be);
    if (code != GT_EXIT_OK) return code;
    gt_train_config cfg = gt_train_config_for(t->m);
    cfg.batch_size = (int)t->batch_size;
    cfg.seed = o->seed;
    if ((st = gt_trainer_create(t->m, t->be, &cfg, &t->tr)) != GT_OK ||
        (st = gt_trainer_check_data(t->tr, t->ds)) != GT_OK)
        return gt_cli_status_error(st);
    return GT_EXIT_OK;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) == 0) return GT_EXIT_OK;
    int err = errno;
    struct stat sb;
    if (err == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return GT_EXIT_OK;
    if (err == EEXIST)
        return gt_cli_error(GT_EXIT_RUNTIME, "%s exists and is not a directory", path);
    return gt_cli_error(GT_EXIT_RUNTIME, "cannot create directory %s: %s", path, strerror(err));
}

static int parse_args(int argc, char **argv, act_options *o)
{
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return -1;
        }
        int c = gt_cli_trained_option(argc, argv, &i, &o->t);
        if (c < 0) return GT_EXIT_USAGE;
        if (c > 0) continue;
        if (strcmp(a, "--index") == 0 && i + 1 < argc) {
            if (!gt_cli_parse_int(a, argv[++i], 0, 2147483647L, &o->index)) return GT_EXIT_USAGE;
        } else if (strcmp(a, "--layers") == 0 && i + 1 < argc) {
            o->layers = argv[++i];
        } else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            o->out = argv[++i];
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            if (!(o->seed_given = gt_cli_parse_u64(a, argv[++i], &o->seed))) return GT_EXIT_USAGE;
        } else {
            usage(stderr);
            return gt_cli_error(GT_EXIT_USAGE, "unexpected argument '%s'", a);
        }
    }
    if (!o->t.weights && !o->t.model)
        return gt_cli_error(GT_EXIT_USAGE, "activations needs --weights FILE.h5 or --model NAME");
    if (!o->t.weights && gt_cli_names_h5(o->t.model) && !o->seed_given) {
        /* an .h5 holds its weights: they are the ones drawn */
        o->t.weights = o->t.model;
        o->t.model = NULL;
    }
    if (o->t.weights && o->seed_given)
        return gt_cli_error(GT_EXIT_USAGE,
                            "--seed applies to --model without --weights (the "
                            "weights come from %s)",
                            o->t.weights);
    if (o->index < 0) return gt_cli_error(GT_EXIT_USAGE, "activations needs --index N");
    if (!o->out || !*o->out) return gt_cli_error(GT_EXIT_USAGE, "activations needs --out DIR");
    return GT_EXIT_OK;
}

static int run(act_options *o)
{
    int code = o->t.weights ? gt_cli_trained_open(&o->t) : open_untrained(o);
    if (code != GT_EXIT_OK) return code;
    int *layers = NULL, n = 0;
    if ((code = choose_layers(o->t.m, o->layers, &layers, &n)) != GT_EXIT_OK) return code;
    size_t count = gt_dataset_count(o->t.ds);
    if ((size_t)o->index >= count)
        code = gt_cli_error(GT_EXIT_USAGE, "--index %ld is outside %s (%zu examples, 0..%zu)",
                            o->index, gt_dataset_origin(o->t.ds), count, count ? count - 1 : 0);
    if (code == GT_EXIT_OK) code = make_dir(o->out);
    if (code == GT_EXIT_OK) {
        if (o->t.weights)
            printf("weights: %s\n", o->t.weights);
        else
            printf("weights: initial, untrained (model %s, seed %llu)\n", gt_model_name(o->t.m),
                   (unsigned long long)o->seed);
        int label = gt_dataset_labels(o->t.ds)[o->index];
        const char *name = gt_dataset_class_name(o->t.ds, label);
        printf("example %ld of %s, label %d%s%s%s\n", o->index, gt_dataset_origin(o->t.ds), label,
               name ? " (" : "", name ? name : "", name ? ")" : "");
    }
    char path[4096];
    if (code == GT_EXIT_OK) {
        const char *sep = o->out[strlen(o->out) - 1] == '/' ? "" : "/";
        snprintf(path, sizeof path, "%s%sinput.png", o->out, sep);
        code = write_layer(o, -1, path);
    }
    for (int k = 0; k < n && code == GT_EXIT_OK; ++k) {
        file_name_for(o, layers[k], path, sizeof path);
        code = write_layer(o, layers[k], path);
    }
    free(layers);
    return code;
}

int gt_cli_activations(int argc, char **argv)
{
    act_options o;
    memset(&o, 0, sizeof o);
    gt_cli_trained_init(&o.t);
    o.t.batch_size = 1; /* one example is run: plan memory for one */
    o.index = -1;
    o.seed = 1;
    int code = parse_args(argc, argv, &o);
    if (code < 0) return GT_EXIT_OK; /* --help */
    if (code != GT_EXIT_OK) return code;
    code = run(&o);
    gt_cli_trained_close(&o.t);
    return code;
}
