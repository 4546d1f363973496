/* Reading a Keras Functional model (keras.Model(inputs, outputs),
 * keras.applications) from its model JSON, as Keras 2 and Keras 3 write it:
 * config.layers, each with the tensors it is called on (inbound_nodes), and
 * input_layers / output_layers naming the model's input and output. Keras 2
 * writes a layer's call as [[[name, node, tensor, kwargs], ...]], Keras 3 as
 * [{"args": [tensor or [tensors]], "kwargs": {}}] with each tensor a
 * __keras_tensor__ whose keras_history is [name, node, tensor]. gtrain reads
 * graphs with one input and one output whose layers are each called once. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gtrain/status.h"
#include "json_read.h"
#include "model_internal.h"
#include "model_json.h"

#define GET(obj, key) cJSON_GetObjectItemCaseSensitive((obj), (key))

/* [name, node_index, tensor_index(, kwargs)] or a __keras_tensor__: the name
 * of the layer whose output it is. */
static gt_status tensor_ref(const gt_json_where *w, const char *what, const cJSON *ref,
                            const char **name)
{
    const cJSON *hist = cJSON_IsObject(ref) ? GET(GET(ref, "config"), "keras_history") : ref;
    const cJSON *layer = cJSON_GetArrayItem(hist, 0);
    const cJSON *node = cJSON_GetArrayItem(hist, 1), *tensor = cJSON_GetArrayItem(hist, 2);
    char found[96];
    gt_json_found_text(ref, found, sizeof found);
    if (!cJSON_IsArray(hist) || !cJSON_IsString(layer) || !gt_json_is_integer(node) ||
        !gt_json_is_integer(tensor))
        return gt_json_fail(w, GT_ERR_FORMAT,
                            "%s %s is not a tensor reference (expected [layer name, node index, "
                            "tensor index] or a __keras_tensor__ with keras_history)",
                            what, found);
    if (node->valuedouble != 0)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                            "%s uses call %d of layer '%s': gtrain reads layers called once "
                            "(shared layers are not supported)",
                            what, (int)node->valuedouble, layer->valuestring);
    if (tensor->valuedouble != 0)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                            "%s uses output %d of layer '%s': gtrain's layers have one output",
                            what, (int)tensor->valuedouble, layer->valuestring);
    *name = layer->valuestring;
    return GT_OK;
}

/* The tensors the layer is called on (1 .. GT_LAYER_MAX_INPUTS of them). */
static gt_status inbound_refs(const gt_json_where *w, const cJSON *jl,
                              const cJSON *refs[GT_LAYER_MAX_INPUTS], int *n)
{
    const cJSON *nodes = GET(jl, "inbound_nodes");
    if (!cJSON_IsArray(nodes))
        return gt_json_fail(w, GT_ERR_FORMAT,
                            "inbound_nodes is missing (a Functional model's layers list the "
                            "tensors they are called on)");
    int calls = cJSON_GetArraySize(nodes);
    if (calls == 0)
        return gt_json_fail(w, GT_ERR_FORMAT,
                            "inbound_nodes is empty: the layer is not called on any tensor");
    if (calls > 1)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                            "the layer is called %d times (a shared layer); gtrain reads layers "
                            "called once",
                            calls);
    const cJSON *node = cJSON_GetArrayItem(nodes, 0), *list = node;
    if (cJSON_IsObject(node)) { /* Keras 3 */
        const cJSON *args = GET(node, "args");
        if (!cJSON_IsArray(args) || cJSON_GetArraySize(args) != 1) {
            char found[96];
            gt_json_found_text(args, found, sizeof found);
            return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                                "inbound_nodes[0].args %s is not supported (expected one tensor "
                                "or one list of tensors)",
                                found);
        }
        list = cJSON_GetArrayItem(args, 0);
        if (cJSON_IsObject(list)) {
            refs[0] = list;
            *n = 1;
            return GT_OK;
        }
    }
    int count = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    if (count < 1 || count > GT_LAYER_MAX_INPUTS) {
        char found[96];
        gt_json_found_text(list, found, sizeof found);
        return gt_json_fail(w, count ? GT_ERR_UNSUPPORTED : GT_ERR_FORMAT,
                            "inbound_nodes[0] %s: expected 1 to %d tensors", found,
                            GT_LAYER_MAX_INPUTS);
    }
    for (int k = 0; k < count; ++k)
        refs[k] = cJSON_GetArrayItem(list, k);
    *n = count;
    return GT_OK;
}

/* input_layers / output_layers: one tensor, written [name, 0, 0] (Keras 3)
 * or [[name, 0, 0]] (Keras 2). */
static gt_status endpoint(const gt_json_where *w, const cJSON *config, const char *field,
                          const char **name)
{
    const cJSON *v = GET(config, field);
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n >= 1 && cJSON_IsString(cJSON_GetArrayItem(v, 0))) return tensor_ref(w, field, v, name);
    if (n == 1) return tensor_ref(w, field, cJSON_GetArrayItem(v, 0), name);
    if (n > 1)
        return gt_json_fail(w, GT_ERR_UNSUPPORTED,
                            "%s lists %d tensors: gtrain trains models with one input and one "
                            "output",
                            field, n);
    return gt_json_fail(w, GT_ERR_FORMAT, "config.%s is missing or empty", field);
}

static int is_input_layer(const cJSON *jl)
{
    const cJSON *cls = GET(jl, "class_name");
    return cJSON_IsString(cls) && strcmp(cls->valuestring, "InputLayer") == 0;
}

static const char *layer_json_name(const cJSON *jl)
{
    const cJSON *name = GET(jl, "name");
    if (!cJSON_IsString(name)) name = GET(GET(jl, "config"), "name");
    return cJSON_IsString(name) ? name->valuestring : NULL;
}

/* The one InputLayer (named by input_layers) and its shape. */
static gt_status find_input(const char *origin, const cJSON *layers, const char *input_name,
                            gt_shape3 *shape)
{
    static const char *const fields[] = {"batch_input_shape", "batch_shape"};
    int n = cJSON_GetArraySize(layers);
    for (int i = 0; i < n; ++i) {
        const cJSON *jl = cJSON_GetArrayItem(layers, i);
        if (!is_input_layer(jl)) continue;
        const char *name = layer_json_name(jl);
        gt_json_where w = {origin, i, name, "InputLayer"};
        if (name == NULL || strcmp(name, input_name) != 0)
            return gt_json_fail(&w, GT_ERR_UNSUPPORTED,
                                "a second input (input_layers names '%s'): gtrain trains models "
                                "with one input",
                                input_name);
        const cJSON *cfg = GET(jl, "config");
        for (int f = 0; f < 2; ++f) {
            const cJSON *s = GET(cfg, fields[f]);
            if (s != NULL && !cJSON_IsNull(s))
                return gt_json_parse_input_shape(&w, fields[f], s, shape);
        }
        return gt_json_fail(&w, GT_ERR_FORMAT,
                            "the InputLayer has no batch_input_shape (Keras 2) or batch_shape "
                            "(Keras 3)");
    }
    return gt_fail(GT_ERR_FORMAT,
                   "%s: input_layers names '%s', which is not an InputLayer of "
                   "config.layers",
                   origin, input_name);
}

/* Index of the layer named `name` among the ones added so far, or
 * GT_MODEL_INPUT for the input; -2 when it is neither. */
static int find_layer(const gt_model *m, const char *name)
{
    if (strcmp(name, m->input_name) == 0) return GT_MODEL_INPUT;
    for (int i = 0; i < m->n_layers; ++i)
        if (strcmp(m->layers[i].name, name) == 0) return i;
    return -2;
}

static int named_later(const cJSON *layers, int after, const char *name)
{
    int n = cJSON_GetArraySize(layers);
    for (int i = after + 1; i < n; ++i) {
        const char *other = layer_json_name(cJSON_GetArrayItem(layers, i));
        if (other && strcmp(other, name) == 0) return 1;
    }
    return 0;
}

/* Layer i of config.layers, connected to the layers before it. */
static gt_status add_layer(const char *origin, const cJSON *layers, int i, gt_model *m)
{
    const cJSON *jl = cJSON_GetArrayItem(layers, i);
    gt_json_where w = {origin, i, NULL, NULL};
    gt_layer layer;
    GT_TRY(gt_json_parse_layer(&w, jl, &layer));
    const cJSON *refs[GT_LAYER_MAX_INPUTS];
    int n = 0;
    GT_TRY(inbound_refs(&w, jl, refs, &n));
    for (int k = 0; k < n; ++k) {
        const char *src = NULL;
        GT_TRY(tensor_ref(&w, "inbound_nodes", refs[k], &src));
        int idx = find_layer(m, src);
        if (idx == -2)
            return gt_json_fail(&w, GT_ERR_FORMAT, "is called on the output of '%s', %s", src,
                                named_later(layers, i, src)
                                    ? "which comes after it in config.layers (expected the "
                                      "layers in the order they are called)"
                                    : "which is not a layer of the model");
        layer.inputs[k] = idx;
    }
    layer.n_inputs = n;
    gt_status st = gt_model_add(m, &layer);
    return st == GT_OK ? GT_OK : gt_fail_context(st, "%s", origin);
}

gt_status gt_json_read_functional(const char *origin, const cJSON *config, gt_model **out)
{
    gt_json_where top = {origin, -1, NULL, NULL};
    const cJSON *layers = GET(config, "layers");
    if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
        return gt_json_fail(&top, GT_ERR_FORMAT, "config.layers is missing or empty");
    const char *input_name = NULL, *output_name = NULL;
    GT_TRY(endpoint(&top, config, "input_layers", &input_name));
    GT_TRY(endpoint(&top, config, "output_layers", &output_name));
    gt_shape3 input;
    GT_TRY(find_input(origin, layers, input_name, &input));
    const cJSON *jname = GET(config, "name");
    gt_model *m = NULL;
    gt_status st = gt_model_new(cJSON_IsString(jname) ? jname->valuestring : "model", input, &m);
    if (st != GT_OK) return gt_fail_context(st, "%s", origin);
    m->functional = 1;
    if (strlen(input_name) >= sizeof m->input_name || gt_layer_name_problem(input_name) != NULL) {
        gt_model_free(m);
        return gt_json_fail(&top, GT_ERR_UNSUPPORTED,
                            "the input's name '%.64s' is longer than %zu characters or not a "
                            "valid layer name",
                            input_name, sizeof m->input_name - 1);
    }
    memcpy(m->input_name, input_name, strlen(input_name) + 1);

    int n = cJSON_GetArraySize(layers);
    for (int i = 0; i < n && st == GT_OK; ++i)
        if (!is_input_layer(cJSON_GetArrayItem(layers, i))) st = add_layer(origin, layers, i, m);
    if (st == GT_OK && m->n_layers == 0)
        st = gt_json_fail(&top, GT_ERR_FORMAT, "the model has no layers besides its input");
    if (st == GT_OK && strcmp(output_name, m->layers[m->n_layers - 1].name) != 0)
        st = gt_json_fail(&top, GT_ERR_UNSUPPORTED,
                          "output_layers names '%s', but the last layer of config.layers is "
                          "'%s'; gtrain expects the output to be the last layer",
                          output_name, m->layers[m->n_layers - 1].name);
    return gt_json_finish_model(origin, st, m, out);
}
