/* The optimizers and learning-rate schedules against Keras 3: the expected
 * values below were produced once by Keras 3.15.1 on TensorFlow 2.21 (CPU)
 * with the script in this comment's last paragraph, and are written here
 * so that the test needs no Keras.
 *
 * Each case trains notebook-shaped Rescaling(1/255) -> Flatten -> Dense(3,
 * softmax) on one batch of four 2x2 uint8 images for three
 * model.train_on_batch steps (sparse categorical cross-entropy), from the
 * same initial weights, with the optimizer given as keras.optimizers.
 * serialize(opt) prints it (which gtrain reads as is, schedules included);
 * the kernel (4x3, row-major) and bias after the third step must agree.
 * The schedule cases compare gt_lr_schedule_value with
 * keras.optimizers.schedules.<Class>(...)(step) for steps 0..9.
 *
 * Script: for each case, m = keras.Sequential([keras.Input((2, 2, 1)),
 * Rescaling(1/255), Flatten(), Dense(3, activation="softmax")]);
 * m.layers[-1].set_weights(init()); m.compile(optimizer=opt,
 * loss="sparse_categorical_crossentropy"); three m.train_on_batch(x, y); print
 * the weights with %.9g. */
#include "test_util.h"

static const char *const model_json =
    "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"tiny\", \"layers\": ["
    "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 2, 2, 1], "
    "\"name\": \"input\"}},"
    "{\"class_name\": \"Rescaling\", \"config\": {\"name\": \"rescaling\", \"scale\": "
    "0.00392156862745098, \"offset\": 0.0}},"
    "{\"class_name\": \"Flatten\", \"config\": {\"name\": \"flatten\"}},"
    "{\"class_name\": \"Dense\", \"config\": {\"name\": \"dense\", \"units\": 3, "
    "\"activation\": \"softmax\"}}]}}";

static const uint8_t images[16] = {10, 200, 30,  90,  250, 0,   128, 64,
                                   5,  5,   240, 100, 77,  180, 33,  211};
static const int32_t labels[4] = {0, 1, 2, 1};

/* kernel[i][j] = 0.1 * ((3i + j) % 5) - 0.2, bias (0.05, -0.05, 0) */
static void initial_weights(float *w)
{
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j)
            w[i * 3 + j] = (float)(0.1 * ((i * 3 + j) % 5) - 0.2);
    w[12] = 0.05f;
    w[13] = -0.05f;
    w[14] = 0.0f;
}

typedef struct keras_case {
    const char *name;
    const char *optimizer; /* keras.optimizers.serialize(opt) */
    float weights[15];     /* after three steps */
} keras_case;

static const keras_case cases[] = {
    {"adam",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"Adam\", \"config\": {\"name\": "
     "\"adam\", \"learning_rate\": 0.009999999776482582, \"weight_decay\": null, \"clipnorm\": "
     "null, \"global_clipnorm\": null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": "
     "0.99, \"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"beta_1\": 0.9, \"beta_2\": 0.999, \"epsilon\": "
     "1e-07, \"amsgrad\": false}, \"registered_name\": null}",
     {-0.229978949, -0.0700173154, -0.0299854428, 0.130022988, 0.22991325, -0.22997576,
      -0.129974082, 0.0297736228, 0.130009785, 0.170030087, -0.170039818, -0.129935429, 0.020053748,
      -0.020061709, -0.0299227685}},
    {"sgd_nesterov",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"SGD\", \"config\": {\"name\": \"sgd\", "
     "\"learning_rate\": 0.10000000149011612, \"weight_decay\": null, \"clipnorm\": null, "
     "\"global_clipnorm\": null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": 0.99, "
     "\"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"momentum\": 0.9, \"nesterov\": true}, "
     "\"registered_name\": null}",
     {-0.280927867, 0.0694596618, -0.0885317922, 0.138669312, 0.238390863, -0.277060181,
      -0.189742148, 0.0180259328, 0.171716198, 0.134714156, -0.103877589, -0.130836561,
      -0.0353474021, 0.0866378993, -0.0512905046}},
    {"rmsprop",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"RMSprop\", \"config\": {\"name\": "
     "\"rm_sprop\", \"learning_rate\": 0.009999999776482582, \"weight_decay\": null, \"clipnorm\": "
     "null, \"global_clipnorm\": null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": "
     "0.99, \"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"rho\": 0.9, \"momentum\": 0.0, \"epsilon\": 1e-07, "
     "\"centered\": false}, \"registered_name\": null}",
     {-0.272152692, -0.0275873374, -0.07264781, 0.176053822, 0.267397314, -0.271952659,
      -0.171802938, 0.0578801557, 0.174702078, 0.12854524, -0.129270598, -0.169050425,
      -0.0197003242, 0.0191234834, -0.0680830702}},
    {"rmsprop_momentum_centered",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"RMSprop\", \"config\": {\"name\": "
     "\"rm_sprop_1\", \"learning_rate\": 0.009999999776482582, \"weight_decay\": null, "
     "\"clipnorm\": null, \"global_clipnorm\": null, \"clipvalue\": null, \"use_ema\": false, "
     "\"ema_momentum\": 0.99, \"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"rho\": 0.9, \"momentum\": 0.5, \"epsilon\": 1e-07, "
     "\"centered\": true}, \"registered_name\": null}",
     {-0.31609565, 0.0165648162, -0.116986379, 0.223101109, 0.306713551, -0.315748304, -0.215461239,
      0.0873515457, 0.220766291, 0.0852594152, -0.0866455585, -0.210075051, -0.0613542497,
      0.0601902939, -0.108065233}},
    {"adamw",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"AdamW\", \"config\": {\"name\": "
     "\"adam_w\", \"learning_rate\": 0.009999999776482582, \"weight_decay\": 0.1, \"clipnorm\": "
     "null, \"global_clipnorm\": null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": "
     "0.99, \"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"beta_1\": 0.9, \"beta_2\": 0.999, \"epsilon\": "
     "1e-07, \"amsgrad\": false}, \"registered_name\": null}",
     {-0.229349539, -0.0697476491, -0.0299553983, 0.129693672, 0.229283735, -0.229346648,
      -0.129644349, 0.0297425706, 0.129680157, 0.169461012, -0.169470519, -0.129606217,
      0.0199342947, -0.019942008, -0.0298930965}},
    {"sgd_exponential",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"SGD\", \"config\": {\"name\": "
     "\"sgd_1\", \"learning_rate\": {\"module\": \"keras.optimizers.schedules\", \"class_name\": "
     "\"ExponentialDecay\", \"config\": {\"initial_learning_rate\": 0.5, \"decay_steps\": 1, "
     "\"decay_rate\": 0.5, \"staircase\": false, \"name\": \"ExponentialDecay\"}, "
     "\"registered_name\": null}, \"weight_decay\": null, \"clipnorm\": null, \"global_clipnorm\": "
     "null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": 0.99, "
     "\"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"momentum\": 0.0, \"nesterov\": false}, "
     "\"registered_name\": null}",
     {-0.286049247, 0.0809663236, -0.0949170813, 0.143723607, 0.238847733, -0.282571375,
      -0.19528529, 0.0165295303, 0.17875576, 0.131367505, -0.099129349, -0.132238165, -0.0377193317,
      0.0907409042, -0.05302158}},
    {"adam_cosine",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"Adam\", \"config\": {\"name\": "
     "\"adam_1\", \"learning_rate\": {\"module\": \"keras.optimizers.schedules\", \"class_name\": "
     "\"CosineDecay\", \"config\": {\"initial_learning_rate\": 0.01, \"decay_steps\": 2, "
     "\"alpha\": 0.1, \"name\": \"CosineDecay\", \"warmup_target\": null, \"warmup_steps\": 0}, "
     "\"registered_name\": null}, \"weight_decay\": null, \"clipnorm\": null, \"global_clipnorm\": "
     "null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": 0.99, "
     "\"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"beta_1\": 0.9, \"beta_2\": 0.999, \"epsilon\": "
     "1e-07, \"amsgrad\": false}, \"registered_name\": null}",
     {-0.216495335, -0.0835037455, -0.0164966825, 0.116503991, 0.216482148, -0.216494665,
      -0.116494372, 0.0164556783, 0.11650157, 0.183506519, -0.183508351, -0.116486244, 0.0335111208,
      -0.0335125737, -0.016484132}},
    {"sgd_piecewise",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"SGD\", \"config\": {\"name\": "
     "\"sgd_2\", \"learning_rate\": {\"module\": \"keras.optimizers.schedules\", \"class_name\": "
     "\"PiecewiseConstantDecay\", \"config\": {\"boundaries\": [0, 1], \"values\": [0.3, 0.2, "
     "0.1], \"name\": \"PiecewiseConstant\"}, \"registered_name\": null}, \"weight_decay\": null, "
     "\"clipnorm\": null, \"global_clipnorm\": null, \"clipvalue\": null, \"use_ema\": false, "
     "\"ema_momentum\": 0.99, \"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"momentum\": 0.0, \"nesterov\": false}, "
     "\"registered_name\": null}",
     {-0.260148078, 0.0260253847, -0.0658773184, 0.128978148, 0.228355393, -0.257333517,
      -0.166684791, 0.0131579461, 0.153526857, 0.151548281, -0.128676489, -0.122871809,
      -0.0131542124, 0.0511451885, -0.0379909761}},
    {"sgd_cosine_warmup",
     "{\"module\": \"keras.optimizers\", \"class_name\": \"SGD\", \"config\": {\"name\": "
     "\"sgd_3\", \"learning_rate\": {\"module\": \"keras.optimizers.schedules\", \"class_name\": "
     "\"CosineDecay\", \"config\": {\"initial_learning_rate\": 0.0, \"decay_steps\": 4, \"alpha\": "
     "0.0, \"name\": \"CosineDecay\", \"warmup_target\": 0.02, \"warmup_steps\": 2}, "
     "\"registered_name\": null}, \"weight_decay\": null, \"clipnorm\": null, \"global_clipnorm\": "
     "null, \"clipvalue\": null, \"use_ema\": false, \"ema_momentum\": 0.99, "
     "\"ema_overwrite_frequency\": null, \"loss_scale_factor\": null, "
     "\"gradient_accumulation_steps\": null, \"momentum\": 0.0, \"nesterov\": false}, "
     "\"registered_name\": null}",
     {-0.203161269, -0.0934520289, -0.00338669936, 0.10131745, 0.201641425, -0.202958882,
      -0.103520639, 0.000895876088, 0.102624767, 0.197391734, -0.196154431, -0.10123729,
      0.0464363843, -0.0443406627, -0.00209571794}},
};

typedef struct schedule_case {
    const char *schedule; /* keras.optimizers.schedules.serialize(s) */
    double values[10];    /* s(0) .. s(9) */
} schedule_case;

static const schedule_case schedules[] = {
    {"{\"module\": \"keras.optimizers.schedules\", \"class_name\": \"ExponentialDecay\", "
     "\"config\": {\"initial_learning_rate\": 0.1, \"decay_steps\": 3, \"decay_rate\": 0.5, "
     "\"staircase\": false, \"name\": \"ExponentialDecay\"}, \"registered_name\": null}",
     {0.100000001, 0.0793700516, 0.0629960522, 0.0500000007, 0.0396850258, 0.0314980261,
      0.0250000004, 0.0198425148, 0.0157490131, 0.0125000002}},
    {"{\"module\": \"keras.optimizers.schedules\", \"class_name\": \"ExponentialDecay\", "
     "\"config\": {\"initial_learning_rate\": 0.1, \"decay_steps\": 3, \"decay_rate\": 0.5, "
     "\"staircase\": true, \"name\": \"ExponentialDecay\"}, \"registered_name\": null}",
     {0.100000001, 0.100000001, 0.100000001, 0.0500000007, 0.0500000007, 0.0500000007, 0.0250000004,
      0.0250000004, 0.0250000004, 0.0125000002}},
    {"{\"module\": \"keras.optimizers.schedules\", \"class_name\": \"CosineDecay\", \"config\": "
     "{\"initial_learning_rate\": 0.1, \"decay_steps\": 5, \"alpha\": 0.2, \"name\": "
     "\"CosineDecay\", \"warmup_target\": null, \"warmup_steps\": 0}, \"registered_name\": null}",
     {0.100000001, 0.0923606753, 0.0723606795, 0.0476393178, 0.0276393183, 0.0200000014,
      0.0200000014, 0.0200000014, 0.0200000014, 0.0200000014}},
    {"{\"module\": \"keras.optimizers.schedules\", \"class_name\": \"CosineDecay\", \"config\": "
     "{\"initial_learning_rate\": 0.01, \"decay_steps\": 4, \"alpha\": 0.0, \"name\": "
     "\"CosineDecay\", \"warmup_target\": 0.1, \"warmup_steps\": 3}, \"registered_name\": null}",
     {0.00999999978, 0.0399999991, 0.0700000003, 0.100000001, 0.0853553414, 0.049999997,
      0.0146446619, 0, 0, 0}},
    {"{\"module\": \"keras.optimizers.schedules\", \"class_name\": \"PiecewiseConstantDecay\", "
     "\"config\": {\"boundaries\": [2, 5], \"values\": [1.0, 0.5, 0.1], \"name\": "
     "\"PiecewiseConstant\"}, \"registered_name\": null}",
     {1, 1, 1, 0.5, 0.5, 0.5, 0.100000001, 0.100000001, 0.100000001, 0.100000001}},
};

static void run_case(const keras_case *c, const char *backend, gt_model *model, gt_dataset *ds)
{
    gt_backend *be = NULL;
    CHECK_OK(gt_backend_create(backend, 1, GT_PRECISION_FP32, &be));
    if (!be) return;
    size_t options_len = strlen(c->optimizer) + 64;
    char *options = malloc(options_len);
    snprintf(options, options_len, "{\"batch_size\": 4, \"optimizer\": %s}", c->optimizer);
    gt_trainer *tr = NULL;
    CHECK_OK(gt_trainer_create_json(model, be, options, &tr));
    free(options);
    if (!tr) {
        gt_backend_destroy(be);
        return;
    }
    float w[15];
    initial_weights(w);
    CHECK_OK(gt_trainer_set_params(tr, w, 15));
    const int32_t batch[4] = {0, 1, 2, 3};
    for (int step = 0; step < 3; ++step)
        CHECK_OK(gt_trainer_step(tr, ds, batch, 4, NULL, NULL));
    CHECK_OK(gt_trainer_get_params(tr, w, 15));
    /* float32 on both sides, the cross-entropy fused here and from the
     * clipped probabilities there: a few ulps per step of difference */
    for (int i = 0; i < 15; ++i)
        CHECK_MSG(fabs(w[i] - c->weights[i]) <= 2e-6 + 1e-5 * fabs(c->weights[i]),
                  "%s on %s: weight %d is %.9g, Keras %.9g", c->name, backend, i, (double)w[i],
                  (double)c->weights[i]);
    gt_trainer_destroy(tr);
    gt_backend_destroy(be);
}

/* The schedule inside a serialized optimizer gives gt_lr_schedule_value its
 * config; Keras computes in float32, gtrain in double: 1e-6 relative. */
static void check_schedule(const schedule_case *c)
{
    size_t n = strlen(c->schedule) + 96;
    char *json = malloc(n);
    snprintf(json, n, "{\"class_name\": \"SGD\", \"config\": {\"learning_rate\": %s}}",
             c->schedule);
    gt_train_config cfg = gt_train_config_for(NULL);
    CHECK_OK(gt_train_config_set_optimizer_json(&cfg, json));
    free(json);
    for (int step = 0; step < 10; ++step) {
        double got = gt_lr_schedule_value(&cfg.schedule, cfg.learning_rate, step);
        CHECK_MSG(fabs(got - c->values[step]) <= 1e-9 + 1e-6 * fabs(c->values[step]),
                  "%s step %d: %.9g, Keras %.9g", c->schedule, step, got, c->values[step]);
    }
}
/* Keras' per-class defaults when a key is left out, and what is refused. */
static void check_config_json(void)
{
    gt_train_config c = gt_train_config_for(NULL);
    CHECK_OK(gt_train_config_set_optimizer_json(&c, "rmsprop"));
    CHECK(c.optimizer == GT_OPT_RMSPROP && c.learning_rate == 0.001f && c.rho == 0.9f &&
          c.momentum == 0.0f && c.epsilon == 1e-7f && !c.centered);
    CHECK_OK(gt_train_config_set_optimizer_json(&c, "{\"class_name\": \"AdamW\"}"));
    CHECK(c.optimizer == GT_OPT_ADAMW && c.learning_rate == 0.001f && c.weight_decay == 0.004f &&
          c.beta1 == 0.9f && c.beta2 == 0.999f && c.epsilon == 1e-7f);
    CHECK_OK(gt_train_config_set_optimizer_json(&c, "SGD"));
    CHECK(c.optimizer == GT_OPT_SGD && c.learning_rate == 0.01f && c.momentum == 0.0f &&
          !c.nesterov && c.schedule.kind == GT_LR_CONSTANT);
    CHECK_FAILS_WITH(gt_train_config_set_optimizer_json(
                         &c, "{\"class_name\": \"Adam\", \"config\": {\"amsgrad\": true}}"),
                     GT_ERR_UNSUPPORTED, "amsgrad");
    CHECK_FAILS_WITH(gt_train_config_set_optimizer_json(
                         &c, "{\"class_name\": \"SGD\", \"config\": {\"weight_decay\": 0.01}}"),
                     GT_ERR_UNSUPPORTED, "weight_decay");
    CHECK_FAILS_WITH(gt_train_config_set_optimizer_json(
                         &c, "{\"class_name\": \"SGD\", \"config\": {\"rho\": 0.5}}"),
                     GT_ERR_INVALID_ARGUMENT, "unknown key 'rho'");
    CHECK_FAILS_WITH(gt_train_config_set_optimizer_json(&c, "Adagrad"), GT_ERR_INVALID_ARGUMENT,
                     "rmsprop");
    CHECK_FAILS_WITH(gt_train_config_set_optimizer_json(
                         &c, "{\"class_name\": \"RMSprop\", \"config\": {\"rho\": 1.5}}"),
                     GT_ERR_INVALID_ARGUMENT, "rho");
    CHECK_FAILS_WITH(
        gt_train_config_set_optimizer_json(
            &c, "{\"class_name\": \"SGD\", \"config\": {\"learning_rate\": {\"class_name\": "
                "\"PiecewiseConstantDecay\", \"config\": {\"boundaries\": [5, 3], \"values\": "
                "[1, 2, 3]}}}}"),
        GT_ERR_INVALID_ARGUMENT, "increase");
    CHECK_FAILS_WITH(
        gt_train_config_set_optimizer_json(
            &c, "{\"class_name\": \"SGD\", \"config\": {\"learning_rate\": {\"class_name\": "
                "\"PiecewiseConstantDecay\", \"config\": {\"boundaries\": [5], \"values\": "
                "[1]}}}}"),
        GT_ERR_INVALID_ARGUMENT, "need 2 values");
    /* a refused config leaves the old one */
    CHECK(c.optimizer == GT_OPT_SGD && c.learning_rate == 0.01f);

    /* written back and read again: the same configuration */
    for (size_t k = 0; k < sizeof cases / sizeof *cases; ++k) {
        gt_train_config a = gt_train_config_for(NULL), b = gt_train_config_for(NULL);
        CHECK_OK(gt_train_config_set_optimizer_json(&a, cases[k].optimizer));
        char *json = NULL;
        CHECK_OK(gt_train_config_optimizer_json(&a, &json));
        if (!json) continue;
        CHECK_OK(gt_train_config_set_optimizer_json(&b, json));
        CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "%s: round trip through %s differs", cases[k].name,
                  json);
        free(json);
    }
}

/* Moments per optimizer and the learning rate a trainer reports and takes. */
static void check_trainer(gt_model *model)
{
    gt_backend *be = NULL;
    CHECK_OK(gt_backend_create("cpu-reference", 1, GT_PRECISION_FP32, &be));
    static const struct {
        const char *options;
        size_t moments; /* in parameters (15) */
    } want[] = {
        {"{\"optimizer\": \"adam\"}", 30},
        {"{\"optimizer\": \"adamw\"}", 30},
        {"{\"optimizer\": \"sgd\"}", 0},
        {"{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"momentum\": 0.9}}}", 15},
        {"{\"optimizer\": \"rmsprop\"}", 15},
        {"{\"optimizer\": {\"class_name\": \"RMSprop\", \"config\": {\"momentum\": 0.9}}}", 30},
        {"{\"optimizer\": {\"class_name\": \"RMSprop\", \"config\": {\"momentum\": 0.9, "
         "\"centered\": true}}}",
         45},
    };
    for (size_t k = 0; be && k < sizeof want / sizeof *want; ++k) {
        gt_trainer *tr = NULL;
        CHECK_OK(gt_trainer_create_json(model, be, want[k].options, &tr));
        if (!tr) continue;
        CHECK_MSG(gt_trainer_optimizer_state_count(tr) == want[k].moments, "%s: %zu moments",
                  want[k].options, gt_trainer_optimizer_state_count(tr));
        gt_trainer_destroy(tr);
    }
    gt_trainer *tr = NULL;
    CHECK_OK(gt_trainer_create_json(model, be, "{\"optimizer\": \"adam\"}", &tr));
    if (tr) {
        CHECK(gt_trainer_learning_rate(tr) == (double)0.001f);
        CHECK_OK(gt_trainer_set_learning_rate(tr, 0.1));
        CHECK(gt_trainer_learning_rate(tr) == (double)0.1f); /* a float32 variable, as Keras' */
        CHECK_FAILS_WITH(gt_trainer_set_learning_rate(tr, -1), GT_ERR_INVALID_ARGUMENT, "positive");
        gt_train_state st;
        CHECK_OK(gt_trainer_get_state(tr, &st));
        CHECK(st.learning_rate == (double)0.1f);
        gt_trainer_destroy(tr);
    }
    tr = NULL;
    CHECK_OK(gt_trainer_create_json(
        model, be,
        "{\"optimizer\": {\"class_name\": \"SGD\", \"config\": {\"learning_rate\": "
        "{\"class_name\": "
        "\"ExponentialDecay\", \"config\": {\"initial_learning_rate\": 0.1, \"decay_steps\": 3, "
        "\"decay_rate\": 0.5}}}}}",
        &tr));
    if (tr) {
        CHECK(gt_trainer_learning_rate(tr) ==
              (double)0.1f); /* initial_learning_rate is a float32, as in Keras */
        CHECK_FAILS_WITH(gt_trainer_set_learning_rate(tr, 0.5), GT_ERR_INVALID_ARGUMENT,
                         "schedule");
        gt_trainer_destroy(tr);
    }
    CHECK_FAILS_WITH(gt_trainer_create_json(model, be, "{\"batch_size\": 0}", &tr),
                     GT_ERR_INVALID_ARGUMENT, "batch_size");
    CHECK_FAILS_WITH(gt_trainer_create_json(model, be, "{\"epochs\": 3}", &tr),
                     GT_ERR_INVALID_ARGUMENT, "unknown key 'epochs'");
    gt_backend_destroy(be);
}

int main(void)
{
    gt_model *model = NULL;
    CHECK_OK(gt_model_from_json_text(model_json, "<tiny>", &model));
    gt_shape3 shape = {2, 2, 1};
    gt_dataset *ds = NULL;
    CHECK_OK(gt_dataset_from_memory(images, labels, 4, shape, 3, &ds));
    if (!model || !ds) TEST_EXIT();
    const char *backends[] = {"cpu-reference", "cpu"};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; ++k)
        for (int b = 0; b < 2; ++b)
            run_case(&cases[k], backends[b], model, ds);
    for (size_t k = 0; k < sizeof schedules / sizeof *schedules; ++k)
        check_schedule(&schedules[k]);
    check_config_json();
    check_trainer(model);
    gt_dataset_free(ds);
    gt_model_free(model);
    TEST_EXIT();
}
