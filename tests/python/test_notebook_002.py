"""Notebook 002 (C1_W3_Lab_1, improving accuracy with convolutions) through
the Python API, cell for cell: Fashion-MNIST loaded and divided by 255.0 as
float64 arrays, the shallow network (Flatten, Dense 128 relu, Dense 10
softmax) and then the CNN (Conv2D 32 3x3, MaxPooling2D, Conv2D 32,
MaxPooling2D, Dense 128, Dense 10) built with Sequential, compiled with
adam / sparse_categorical_crossentropy / accuracy, fit for 5 epochs,
evaluated on the test set, one test image predicted, the curves plotted.

The notebook's figures: ~89% train / ~87% test for the shallow network and
~92% / ~90% for the CNN after 5 epochs; gtrain must land within 0.015 of
each (seed 1, the CPU), as the CLI reproductions do."""
import os

import numpy as np

import gtrain
from harness import fashion_mnist_dir, require, run

L = gtrain.layers
state = {}


def data():
    if "data" not in state:
        fashion_mnist_dir()
        (training_images, training_labels), (test_images, test_labels) = \
            gtrain.datasets.fashion_mnist.load_data()
        assert training_images.shape == (60000, 28, 28) and training_images.dtype == np.uint8
        # Normalize the pixel values, as the notebook does (float64 arrays)
        state["data"] = (training_images / 255.0, training_labels, test_images / 255.0,
                         test_labels)
    return state["data"]


def fit_and_check(model, train_bar, test_bar, name):
    training_images, training_labels, test_images, test_labels = data()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(training_images, training_labels, epochs=5, verbose=2)
    test_loss, test_acc = model.evaluate(test_images, test_labels)
    train_acc = history.history["accuracy"][-1]
    print(f"{name}: train accuracy {train_acc:.4f} (notebook ~{train_bar}), test accuracy "
          f"{test_acc:.4f} (notebook ~{test_bar})")
    assert train_acc >= train_bar - 0.015, train_acc
    assert test_acc >= test_bar - 0.015, test_acc
    # one image: test image 0 is an ankle boot (class 9)
    probs = model.predict(test_images[:1])
    assert probs.shape == (1, 10) and abs(float(probs.sum()) - 1) < 1e-5
    print(f"{name}: test image 0 predicted {int(probs.argmax())} with "
          f"{100 * float(probs.max()):.0f}% (label {int(test_labels[0])})")
    assert int(probs.argmax()) == int(test_labels[0]) == 9
    state[name] = history


def test_shallow_network():
    model = gtrain.Sequential([
        L.Flatten(),
        L.Dense(128, activation="relu"),
        L.Dense(10, activation="softmax"),
    ], device="cpu")
    fit_and_check(model, 0.89, 0.87, "shallow")


def test_cnn():
    model = gtrain.Sequential([
        L.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        L.MaxPooling2D(2, 2),
        L.Conv2D(32, (3, 3), activation="relu"),
        L.MaxPooling2D(2, 2),
        L.Flatten(),
        L.Dense(128, activation="relu"),
        L.Dense(10, activation="softmax"),
    ], device="cpu")
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 113,386" in "".join(lines)
    fit_and_check(model, 0.92, 0.90, "cnn")


def test_plot():
    require("matplotlib", "pip install matplotlib")
    import gtrain.plot
    for name in ("shallow", "cnn"):
        if name not in state:
            raise AssertionError(f"the {name} fit did not run")
        gtrain.plot.history(state[name], f"{name}.png", title=f"notebook 002, {name}")
        with open(f"{name}.png", "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        assert os.path.getsize(f"{name}.png") > 10000


if __name__ == "__main__":
    run([test_shallow_network, test_cnn, test_plot])
