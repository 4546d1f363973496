/* Keras Functional models: Keras 2's and Keras 3's JSON (tests/data, written
 * by tests/make_functional_fixtures.py with Keras 3.15) read to the same
 * layers as the Sequential twin, train to the same weights bit for bit on the
 * CPU, write back as a Functional model_config that reads to the same model,
 * and the graphs gtrain refuses are refused by name. */
#include "test_util.h"
#include "test_util_data.h"

#ifndef GTRAIN_SOURCE_DIR
#error "GTRAIN_SOURCE_DIR must be defined by the build"
#endif

static gt_model *load(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/%s", GTRAIN_SOURCE_DIR, file);
    gt_model *m = NULL;
    CHECK_OK(gt_model_from_json_file(path, &m));
    return m;
}

static void check_same_layers(const gt_model *a, const gt_model *b)
{
    CHECK(gt_model_layer_count(a) == gt_model_layer_count(b));
    CHECK(gt_model_param_count(a) == gt_model_param_count(b));
    for (int i = 0; i < gt_model_layer_count(a) && i < gt_model_layer_count(b); ++i) {
        CHECK(strcmp(gt_model_layer_name(a, i), gt_model_layer_name(b, i)) == 0);
        CHECK(strcmp(gt_model_layer_kind(a, i), gt_model_layer_kind(b, i)) == 0);
        gt_shape3 sa = gt_model_layer_output_shape(a, i), sb = gt_model_layer_output_shape(b, i);
        CHECK(sa.h == sb.h && sa.w == sb.w && sa.c == sb.c);
    }
}

static void check_chain_trains_like_sequential(void)
{
    gt_model *seq = load("keras3_sequential_chain.json");
    gt_model *k3 = load("keras3_functional_chain.json");
    gt_model *k2 = load("keras2_functional_chain.json");
    gt_dataset *ds = NULL, *val = NULL;
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){12, 12, 1}, 480, 5, 31, &ds));
    CHECK_OK(gt_test_synthetic_dataset((gt_shape3){12, 12, 1}, 80, 5, 32, &val));
    if (!seq || !k3 || !k2 || !ds || !val) return;
    CHECK(strcmp(gt_model_name(k3), "tiny_functional") == 0);
    check_same_layers(seq, k3);
    check_same_layers(seq, k2);
    double acc_seq = 0, acc_k3 = 0, acc_k2 = 0;
    /* four epochs from seed 7 */
    const char *cfg = "{\"batch_size\": 16, \"seed\": 7}";
    float *w_seq = gt_test_train_weights(seq, ds, val, 4, cfg, &acc_seq);
    float *w_k3 = gt_test_train_weights(k3, ds, val, 4, cfg, &acc_k3);
    float *w_k2 = gt_test_train_weights(k2, ds, val, 4, cfg, &acc_k2);
    size_t np = gt_model_param_count(seq);
    CHECK(w_seq && w_k3 && memcmp(w_seq, w_k3, np * sizeof(float)) == 0);
    CHECK(w_seq && w_k2 && memcmp(w_seq, w_k2, np * sizeof(float)) == 0);
    CHECK(acc_seq == acc_k3 && acc_seq == acc_k2);
    /* five classes: chance is 0.2 (0.46 after these four epochs) */
    CHECK_MSG(acc_seq > 0.3, "accuracy %.3f: the model did not train", acc_seq);
    printf("Sequential and both Functional forms: val accuracy %.4f, %zu weights identical\n",
           acc_seq, np);
    free(w_seq);
    free(w_k3);
    free(w_k2);
    gt_dataset_free(ds);
    gt_dataset_free(val);
    gt_model_free(seq);
    gt_model_free(k3);
    gt_model_free(k2);
}

/* The written JSON is Keras 2's Functional layout and reads back to the
 * same model; a Sequential stays Sequential. */
static void check_write_back(void)
{
    gt_model *k3 = load("keras3_functional_chain.json");
    gt_model *seq = load("keras3_sequential_chain.json");
    if (!k3 || !seq) return;
    char *text = NULL, *seq_text = NULL;
    CHECK_OK(gt_model_to_json(k3, &text));
    CHECK_OK(gt_model_to_json(seq, &seq_text));
    if (text) {
        CHECK(strstr(text, "\"class_name\":\"Functional\"") != NULL);
        CHECK(strstr(text, "\"input_layers\":[[\"input_1\",0,0]]") != NULL);
        CHECK(strstr(text, "\"output_layers\":[[\"dense_1\",0,0]]") != NULL);
        CHECK(strstr(text, "\"inbound_nodes\":[[[\"rescaling\",0,0,{}]]]") != NULL);
        gt_model *back = NULL;
        CHECK_OK(gt_model_from_json_text(text, "<written>", &back));
        if (back) {
            check_same_layers(k3, back);
            char *again = NULL;
            CHECK_OK(gt_model_to_json(back, &again));
            CHECK(again && strcmp(again, text) == 0);
            free(again);
            gt_model_free(back);
        }
    }
    CHECK(seq_text && strstr(seq_text, "\"class_name\":\"Sequential\"") != NULL &&
          strstr(seq_text, "inbound_nodes") == NULL);
    /* stripping the preprocessing keeps the graph: conv2d then reads the input */
    CHECK_OK(gt_model_strip_preprocessing(k3));
    free(text);
    text = NULL;
    CHECK_OK(gt_model_to_json(k3, &text));
    CHECK(text && strstr(text, "\"inbound_nodes\":[[[\"input_1\",0,0,{}]]]") != NULL);
    free(text);
    free(seq_text);
    gt_model_free(k3);
    gt_model_free(seq);
}

#define INPUT_2X2                                                                                  \
    "{\"class_name\":\"InputLayer\",\"config\":{\"batch_input_shape\":[null,2,2,1],"               \
    "\"name\":\"in\"},\"name\":\"in\",\"inbound_nodes\":[]}"
#define FLAT(name, src)                                                                            \
    "{\"class_name\":\"Flatten\",\"config\":{\"name\":\"" name "\"},\"name\":\"" name              \
    "\",\"inbound_nodes\":[[[\"" src "\",0,0,{}]]]}"
#define DENSE(name, src)                                                                           \
    "{\"class_name\":\"Dense\",\"config\":{\"name\":\"" name "\",\"units\":2,"                     \
    "\"activation\":\"softmax\"},\"name\":\"" name "\",\"inbound_nodes\":[[[\"" src                \
    "\",0,0,{}]]]}"
#define MODEL(layers, ins, outs)                                                                   \
    "{\"class_name\":\"Functional\",\"config\":{\"name\":\"g\",\"layers\":[" layers                \
    "],\"input_layers\":" ins ",\"output_layers\":" outs "}}"

static void check_refusals(void)
{
    gt_model *m = NULL;
    /* the good graph, then one thing wrong at a time */
    CHECK_OK(gt_model_from_json_text(
        MODEL(INPUT_2X2 "," FLAT("f", "in") "," DENSE("d", "f"), "[[\"in\",0,0]]", "[\"d\",0,0]"),
        "<g>", &m));
    gt_model_free(m);
    CHECK_FAILS_WITH(
        gt_model_from_json_text(MODEL(INPUT_2X2 "," DENSE("d", "f") "," FLAT("f", "in"),
                                      "[[\"in\",0,0]]", "[[\"f\",0,0]]"),
                                "<g>", &m),
        GT_ERR_FORMAT,
        "layer 1 'd' (Dense): is called on the output of 'f', which "
        "comes after it");
    CHECK_FAILS_WITH(gt_model_from_json_text(MODEL(INPUT_2X2 "," FLAT("f", "nowhere"),
                                                   "[[\"in\",0,0]]", "[[\"f\",0,0]]"),
                                             "<g>", &m),
                     GT_ERR_FORMAT, "which is not a layer of the model");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(MODEL(INPUT_2X2 "," FLAT("f", "in") "," DENSE("d", "f"),
                                      "[[\"in\",0,0]]", "[[\"f\",0,0],[\"d\",0,0]]"),
                                "<g>", &m),
        GT_ERR_UNSUPPORTED, "output_layers lists 2 tensors");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(MODEL(INPUT_2X2 "," FLAT("f", "in") "," DENSE("d", "f"),
                                      "[[\"in\",0,0]]", "[[\"f\",0,0]]"),
                                "<g>", &m),
        GT_ERR_UNSUPPORTED, "output_layers names 'f', but the last layer");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(MODEL(INPUT_2X2
                                      "," FLAT("f", "in") "," FLAT("g", "in") "," DENSE("d", "g"),
                                      "[[\"in\",0,0]]", "[[\"d\",0,0]]"),
                                "<g>", &m),
        GT_ERR_UNSUPPORTED, "layer 'f' (Flatten): its output is not used by any layer");
    CHECK_FAILS_WITH(gt_model_from_json_text(
                         MODEL(INPUT_2X2 ",{\"class_name\":\"Flatten\",\"config\":{\"name\":\"f\"},"
                                         "\"inbound_nodes\":[[[\"in\",1,0,{}]]]}," DENSE("d", "f"),
                               "[[\"in\",0,0]]", "[[\"d\",0,0]]"),
                         "<g>", &m),
                     GT_ERR_UNSUPPORTED,
                     "uses call 1 of layer 'in': gtrain reads layers called once");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(
            MODEL(INPUT_2X2
                  ",{\"class_name\":\"Flatten\",\"config\":{\"name\":\"f\"},"
                  "\"inbound_nodes\":[[[\"in\",0,0,{}]],[[\"in\",0,0,{}]]]}," DENSE("d", "f"),
                  "[[\"in\",0,0]]", "[[\"d\",0,0]]"),
            "<g>", &m),
        GT_ERR_UNSUPPORTED, "the layer is called 2 times (a shared layer)");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(
            MODEL(INPUT_2X2
                  ",{\"class_name\":\"Flatten\",\"config\":{\"name\":\"f\"},"
                  "\"inbound_nodes\":[[[\"in\",0,0,{}],[\"in\",0,0,{}]]]}," DENSE("d", "f"),
                  "[[\"in\",0,0]]", "[[\"d\",0,0]]"),
            "<g>", &m),
        GT_ERR_UNSUPPORTED, "layer 'f' (Flatten): takes one input, found 2");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(MODEL(INPUT_2X2 "," FLAT("f", "in") "," DENSE("d", "f"),
                                      "[[\"x\",0,0]]", "[[\"d\",0,0]]"),
                                "<g>", &m),
        GT_ERR_UNSUPPORTED, "a second input (input_layers names 'x')");
    CHECK_FAILS_WITH(
        gt_model_from_json_text(
            MODEL(INPUT_2X2 "," FLAT("f", "in") "," DENSE("d", "f"), "[[\"in\",0,0]]", "null"),
            "<g>", &m),
        GT_ERR_FORMAT, "config.output_layers is missing or empty");
    CHECK_FAILS_WITH(
        gt_model_from_json_text("{\"class_name\":\"Subclassed\",\"config\":{}}", "<g>", &m),
        GT_ERR_UNSUPPORTED, "(expected \"Sequential\" or \"Functional\")");
}

int main(void)
{
    check_chain_trains_like_sequential();
    check_write_back();
    check_refusals();
    TEST_EXIT();
}
