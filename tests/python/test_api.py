"""The Python package's Keras-shaped API on small synthetic data: models from
every source, numpy inputs as notebooks hold them, validation_split and
shuffle with Keras' semantics, verbose 0/1/2, History, fit continuing,
compile's optimizers and schedules, the callbacks' attributes, Python
callbacks, errors as exceptions with gtrain's message, Ctrl-C, save and load."""
import io
import json
import os
import signal
import contextlib

import numpy as np

import gtrain
from harness import run, synthetic

SRC = os.environ["GTRAIN_SOURCE_DIR"]

# Keras 2's to_json of a small Sequential on 8x8 gray images, 3 classes
SMALL = {"class_name": "Sequential", "config": {"name": "small", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8, 8, 1],
                                            "name": "input"}},
    {"class_name": "Rescaling", "config": {"name": "rescaling", "scale": 1 / 255, "offset": 0}},
    {"class_name": "Flatten", "config": {"name": "flatten"}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 16, "activation": "relu"}},
    {"class_name": "Dense", "config": {"name": "dense_1", "units": 3,
                                       "activation": "softmax"}}]}}


def small(**kw):
    kw.setdefault("device", "cpu")
    kw.setdefault("threads", 1)
    return gtrain.Model(SMALL, **kw)


def weights(m):
    """The parameters, through save (the API has no get_weights yet): the
    predictions on fixed inputs stand for them."""
    x, _ = synthetic(12, seed=99)
    return m.predict(x, verbose=0)


def test_sources():
    assert gtrain.Model("mlp-128").count_params() == 101770
    assert gtrain.Model(json.dumps(SMALL)).name == "small"

    class KerasLike:  # what gtrain takes from a keras.Model: its to_json()
        def to_json(self):
            return json.dumps(SMALL)
    assert gtrain.Model(KerasLike()).count_params() == 64 * 16 + 16 + 16 * 3 + 3
    m = gtrain.Model(os.path.join(SRC, "tests", "models", "cnn-fmnist.json"))
    assert m.input_shape == (None, 28, 28, 1) and m.num_classes == 10
    out = io.StringIO()
    m.summary(print_fn=out.write)
    assert "Total params: 113,386" in out.getvalue(), out.getvalue()
    assert [l.kind for l in m.layers][:2] == ["Rescaling", "Conv2D"]
    try:
        gtrain.Model("vgg17")
        raise AssertionError("an unknown zoo name was accepted")
    except gtrain.GtrainValueError as e:
        assert "vgg16" in str(e) and "vgg17" in str(e), e
    try:
        gtrain.Model("m.keras")
        raise AssertionError(".keras accepted")
    except gtrain.GtrainUnsupportedError as e:
        assert ".h5" in str(e)


def test_sequential():
    """Notebook 003's model built with add(), input shape from the first layer;
    notebook 002's without one, built from the data of the first fit."""
    L = gtrain.layers
    m = gtrain.Sequential(device="cpu", threads=1)
    m.add(L.Flatten(input_shape=[28, 28]))
    m.add(L.Dense(300, activation="relu"))
    m.add(L.Dense(100, activation="relu"))
    m.add(L.Dense(10, activation="softmax"))
    out = io.StringIO()
    m.summary(print_fn=out.write)
    text = out.getvalue()
    for row in ("dense (Dense)", "235500", "dense_1 (Dense)", "30100", "dense_2 (Dense)", "1010",
                "Total params: 266,610"):
        assert row in text, (row, text)
    lazy = gtrain.Sequential([L.Flatten(), L.Dense(8, activation="relu"),
                              L.Dense(3, activation="softmax")], device="cpu", threads=1)
    x, y = synthetic(30)
    lazy.fit(x, y, epochs=1, verbose=0)
    assert lazy.input_shape == (None, 8, 8, 1)
    conv = gtrain.Sequential([L.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
                              L.MaxPooling2D(2, 2), L.Flatten(), L.Dense(3, activation="softmax")])
    assert conv.count_params() == 4 * 9 + 4 + 36 * 3 + 3


def test_inputs():
    """uint8 and float images, (N,H,W) and (N,H,W,1), integer and one-hot labels."""
    x, y = synthetic(48)
    a, b = small(), small()
    ha = a.fit(x, y, epochs=2, batch_size=8, verbose=0)
    hb = b.fit(x[..., None], np.eye(3)[y], epochs=2, batch_size=8, verbose=0)
    assert ha.history == hb.history
    # float images of the same values: the same run, bit for bit
    c = small()
    hc = c.fit(x.astype(np.float64), y.astype(np.int64), epochs=2, batch_size=8, verbose=0)
    assert hc.history == ha.history
    assert np.array_equal(weights(a), weights(c))
    for bad, what in ((np.full((48, 3), 0.5), "one 1"), (y[:10], "labels"),
                      (np.full(48, 1.5), "whole numbers"), (np.full(48, 7), "label")):
        try:
            small().fit(x, bad, epochs=1, verbose=0)
            raise AssertionError(f"labels {bad[:3]} accepted")
        except gtrain.GtrainValueError as e:
            assert what in str(e), (what, e)
    try:
        small().fit(np.zeros((4, 9, 9), np.uint8), np.zeros(4), epochs=1, verbose=0)
        raise AssertionError("wrong image shape accepted")
    except gtrain.GtrainValueError as e:
        assert "(None, 8, 8, 1)" in str(e) and "9, 9, 1" in str(e), e


def test_validation_split():
    """Keras: the last fraction, taken before shuffling; val_* is that part."""
    x, y = synthetic(50)
    m = small()
    h = m.fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}, h.history
    loss, acc = m.evaluate(x[40:], y[40:], verbose=0)
    assert abs(loss - h.history["val_loss"][0]) < 1e-6 and acc == h.history["val_accuracy"][0]
    assert h.params["steps"] == 4  # 40 training examples, batch 10
    try:
        small().fit(x[:1], y[:1], validation_split=0.1, verbose=0)
        raise AssertionError("a split leaving no validation data accepted")
    except gtrain.GtrainValueError as e:
        assert "not sufficient" in str(e)


def test_shuffle_and_continue():
    x, y = synthetic(60)
    a, b, c = small(), small(), small()
    a.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0)
    b.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0)
    c.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert np.array_equal(weights(a), weights(b))
    assert not np.array_equal(weights(a), weights(c))
    # fit again continues the same weights and optimizer, as Keras does:
    # 1 + 1 epochs equal 2 (the shuffle of the second epoch is epoch 2's)
    d = small()
    d.fit(x, y, epochs=1, batch_size=10, verbose=0)
    d.fit(x, y, epochs=1, batch_size=10, verbose=0)
    assert np.array_equal(weights(c), weights(d))


def test_verbose():
    x, y = synthetic(40)
    for verbose, want in ((0, None), (2, "4/4 - "), (1, "4/4 [==============================] - ")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            small().fit(x, y, epochs=2, batch_size=10, verbose=verbose)
        text = out.getvalue()
        if want is None:
            assert text == "", text
            continue
        lines = text.strip().split("\n")
        assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2", lines
        assert lines[1].startswith(want) and " - loss: " in lines[1] and " - accuracy: " in lines[1]
        if verbose == 2:
            assert lines[1].endswith("/step") and "/epoch - " in lines[1], lines[1]


def test_compile():
    x, y = synthetic(60)
    for opt in ("sgd", gtrain.optimizers.RMSprop(learning_rate=0.01, centered=True),
                gtrain.optimizers.AdamW(weight_decay=0.01),
                gtrain.optimizers.SGD(learning_rate=gtrain.optimizers.schedules.ExponentialDecay(
                    0.1, decay_steps=2, decay_rate=0.5), momentum=0.9)):
        m = small()
        m.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        m.fit(x, y, epochs=1, batch_size=10, verbose=0)
        name = opt if isinstance(opt, str) else opt.class_name
        assert m.optimizer["class_name"].lower() == name.lower(), m.optimizer
    lr = m.optimizer["config"]["learning_rate"]
    assert lr["class_name"] == "ExponentialDecay", lr
    assert abs(m._learning_rate() - 0.1 * 0.5 ** (6 / 2)) < 1e-8  # after 6 steps
    for bad, what in ((dict(loss="mse"), "mse"), (dict(metrics=["mae"]), "mae"),
                      (dict(optimizer="adagrad"), "adagrad"),
                      (dict(optimizer=gtrain.optimizers.Adam(amsgrad=True)), "amsgrad")):
        try:
            m = small()
            m.compile(**bad)
            m.fit(x, y, epochs=1, verbose=0)
            raise AssertionError(f"compile({bad}) accepted")
        except (gtrain.GtrainUnsupportedError, gtrain.GtrainValueError) as e:
            assert what in str(e), (what, e)


def test_callbacks():
    x, y = synthetic(90, seed=3)
    xv, yv = synthetic(30, seed=4)
    m = small()
    m.compile(optimizer=gtrain.optimizers.SGD(learning_rate=2.0, momentum=0.9))
    es = gtrain.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    seen = []
    lam = gtrain.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append((e, dict(logs))))
    h = m.fit(x, y, epochs=15, batch_size=10, validation_data=(xv, yv), callbacks=[es, lam],
              verbose=0)
    n = len(h.epoch)
    assert h.epoch == list(range(n)) and [e for e, _ in seen] == h.epoch
    assert es.stopped_epoch == n - 1 > 0, (es.stopped_epoch, n)
    best = int(np.argmin(h.history["val_loss"]))
    assert es.best_epoch == best and abs(es.best - h.history["val_loss"][best]) < 1e-12
    assert abs(m.evaluate(xv, yv, verbose=0)[0] - h.history["val_loss"][best]) < 1e-6
    # LearningRateScheduler puts learning_rate in the logs, as Keras'
    m = small()
    m.compile(optimizer=gtrain.optimizers.SGD(learning_rate=0.1))
    sched = gtrain.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    h = m.fit(x, y, epochs=3, batch_size=30, callbacks=[sched], verbose=0)
    assert np.allclose(h.history["learning_rate"], [0.1, 0.05, 0.025]), h.history
    try:
        small().fit(x, y, epochs=1, callbacks=[gtrain.callbacks.EarlyStopping()], verbose=0)
        raise AssertionError("val_loss monitored without validation data")
    except gtrain.GtrainValueError as e:
        assert "no validation data" in str(e)
    try:
        small().fit(x, y, epochs=1, callbacks=[gtrain.callbacks.EarlyStopping(patients=2)],
                    verbose=0)
        raise AssertionError("a misspelt argument accepted")
    except gtrain.GtrainValueError as e:
        assert "patients" in str(e)

    class Boom(gtrain.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise ZeroDivisionError("from a callback")
    try:
        small().fit(x, y, epochs=2, batch_size=10, callbacks=[Boom()], verbose=0)
        raise AssertionError("the callback's exception was lost")
    except ZeroDivisionError:
        pass


def test_ctrl_c():
    """SIGINT during fit stops after the current step: KeyboardInterrupt, the
    weights of that moment kept, and the model trains on afterwards."""
    x, y = synthetic(200)

    class Interrupt(gtrain.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 5:
                os.kill(os.getpid(), signal.SIGINT)
    m = small()
    before = weights(m)
    try:
        m.fit(x, y, epochs=3, batch_size=10, callbacks=[Interrupt()], verbose=0)
        raise AssertionError("no KeyboardInterrupt")
    except KeyboardInterrupt as e:
        assert "epoch 1 after step" in str(e), e
    after = weights(m)
    assert not np.array_equal(before, after)
    h = m.fit(x, y, epochs=1, batch_size=10, verbose=0)  # the model goes on
    assert len(h.history["loss"]) == 1
    # the handler is the previous one again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_errors():
    x = np.zeros((20, 28, 28), np.uint8)
    y = np.zeros(20, np.int64)
    m = gtrain.Model(os.path.join(SRC, "tests", "models", "mlp-fmnist-relu-output.json"),
                     device="cpu", threads=1)
    # blank images: the ReLU output is all zeros, its normalized probabilities 0/0
    try:
        m.fit(x, y, epochs=3, batch_size=10, verbose=0)
        raise AssertionError("a nan loss went unnoticed")
    except gtrain.GtrainNonFiniteError as e:
        assert "loss became" in str(e) and e.status == "GT_ERR_NONFINITE", e
    try:
        gtrain.Model("mlp-128", device="cuda").predict(x[:1], verbose=0)
    except (gtrain.GtrainDeviceError, gtrain.GtrainUnsupportedError) as e:
        # no GPU here, or a build without the CUDA backend: both say so
        assert "GPU" in str(e) or "CUDA" in str(e), e
    else:
        print("note: a GPU is present; the no-GPU error was not exercised")


def test_evaluate_predict_save():
    x, y = synthetic(60)
    m = small()
    m.fit(x, y, epochs=3, batch_size=10, verbose=0)
    p = m.predict(x, verbose=0)
    assert p.shape == (60, 3) and p.dtype == np.float32 and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc == np.mean(p.argmax(axis=1) == y)
    assert m.evaluate(x, y, batch_size=7, return_dict=True, verbose=0)["accuracy"] == acc
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        m.evaluate(x, y, batch_size=32)
    assert out.getvalue().startswith("2/2 [==============================] - "), out.getvalue()
    m.save("m.h5")
    again = gtrain.load_model("m.h5", device="cpu")
    assert np.array_equal(again.predict(x, verbose=0), p)
    fresh = small()
    fresh.load_weights("m.h5")
    assert np.array_equal(fresh.predict(x, verbose=0), p)
    try:
        m.save("m.keras")
        raise AssertionError(".keras accepted")
    except gtrain.GtrainValueError as e:
        assert ".h5" in str(e)


if __name__ == "__main__":
    run([test_sources, test_sequential, test_inputs, test_validation_split,
         test_shuffle_and_continue, test_verbose, test_compile, test_callbacks, test_ctrl_c,
         test_errors, test_evaluate_predict_save])
