#!/usr/bin/env python3
"""Writes the Functional-model fixtures of tests/data with Keras 3 (run with
a Python that has Keras, e.g. /tmp/anchorenv/bin/python; the tests read the
committed files and need no Keras):

  keras3_functional_chain.json     a Functional chain (Rescaling, Conv2D,
                                   BatchNormalization, MaxPooling2D, Flatten,
                                   Dense, Dropout, Dense softmax) on 12x12x1
  keras3_sequential_chain.json     the same layers as a Sequential
  keras2_functional_chain.json     the first in Keras 2's Functional layout
                                   (inbound_nodes [[[name, 0, 0, {}]]],
                                   input_layers [[name, 0, 0]]), as tf.keras
                                   2.11's to_json writes it
  keras3_functional_merge.json     a graph with every merge layer: Add,
                                   Subtract, Multiply, Average, Concatenate
  keras3_functional_residual.json  a residual block with BatchNormalization,
                                   a tensor read three times, Add of a tensor
                                   with itself, Concatenate of flat tensors
  keras3_functional_input_reads.json  BatchNormalization and Add reading
                                   the model's input
  keras3_functional_{merge,residual}.h5 and _predictions.csv
                                   the last two with Keras' weights (random,
                                   biases too) and Keras' predictions of 8
                                   pattern images
"""
import json
import os
import sys

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import keras
import numpy as np
from keras import layers

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")
keras.utils.set_random_seed(3)  # the same weights every run


def chain_layers():
    return [
        layers.Rescaling(1.0 / 255, name="rescaling"),
        layers.Conv2D(4, 3, padding="same", activation="relu", name="conv2d"),
        layers.BatchNormalization(name="batch_normalization"),
        layers.MaxPooling2D(2, name="max_pooling2d"),
        layers.Flatten(name="flatten"),
        layers.Dense(16, activation="relu", name="dense"),
        layers.Dropout(0.3, name="dropout"),
        layers.Dense(5, activation="softmax", name="dense_1"),
    ]


inp = keras.Input((12, 12, 1), name="input_1")
x = inp
for layer in chain_layers():
    x = layer(x)
functional = keras.Model(inp, x, name="tiny_functional")
sequential = keras.Sequential([keras.Input((12, 12, 1))] + chain_layers(), name="tiny")


def keras2_layout(model_json):
    """Keras 3's Functional JSON rewritten as tf.keras 2.11 writes it."""
    d = json.loads(model_json)
    cfg = d["config"]
    for l in cfg["layers"]:
        for key in ("module", "registered_name", "build_config"):
            l.pop(key, None)
        c = l["config"]
        if isinstance(c.get("dtype"), dict):
            c["dtype"] = c["dtype"]["config"]["name"]
        if l["class_name"] == "InputLayer":
            c["batch_input_shape"] = c.pop("batch_shape")
            c.pop("optional", None)
        calls = []
        for node in l["inbound_nodes"]:
            args = node["args"][0]
            tensors = args if isinstance(args, list) else [args]
            calls.append([[t["config"]["keras_history"][0], 0, 0, {}] for t in tensors])
        l["inbound_nodes"] = calls
    cfg["input_layers"] = [cfg["input_layers"]]
    cfg["output_layers"] = [cfg["output_layers"]]
    return json.dumps({"class_name": "Functional", "config": cfg, "keras_version": "2.11.0",
                       "backend": "tensorflow"})


inp = keras.Input((8, 8, 2), name="input_1")
x = layers.Rescaling(1.0 / 255, name="rescaling")(inp)
a = layers.Conv2D(3, 3, padding="same", name="conv_a")(x)
b = layers.Conv2D(3, 1, name="conv_b")(x)
s = layers.Add(name="add")([a, b])
d = layers.Subtract(name="subtract")([s, b])
m = layers.Multiply(name="multiply")([d, a])
v = layers.Average(name="average")([m, s, b])
c = layers.Concatenate(name="concatenate")([v, a])
r = layers.Activation("tanh", name="tanh")(c)  # smooth: no ReLU kinks in the gradient check
f = layers.Flatten(name="flatten")(r)
o = layers.Dense(4, activation="softmax", name="dense")(f)
merge = keras.Model(inp, o, name="merge")

# a residual network's pieces: a conv/BN/ReLU block added to its shortcut,
# a tensor read three times, Add of a tensor with itself, flat Concatenate
inp = keras.Input((6, 6, 2), name="input_1")
x = layers.Rescaling(1.0 / 255, name="rescaling")(inp)
h = layers.Conv2D(3, 3, padding="same", name="conv0")(x)
h = layers.BatchNormalization(name="bn0")(h)
h = layers.ReLU(name="relu0")(h)
r = layers.Conv2D(3, 3, padding="same", name="conv1")(h)
r = layers.BatchNormalization(name="bn1")(r)
h2 = layers.Add(name="add")([h, r])
h2 = layers.ReLU(name="relu1")(h2)
sq = layers.Add(name="add_self")([h2, h2])
g = layers.GlobalAveragePooling2D(name="gap")(sq)
d1 = layers.Dense(4, activation="tanh", name="d1")(g)
d2 = layers.Dense(3, activation="sigmoid", name="d2")(g)
cat = layers.Concatenate(name="concat")([d1, d2, g])
o = layers.Dense(4, activation="softmax", name="out")(cat)
residual = keras.Model(inp, o, name="residual")

# layers that read the model's input: BatchNormalization (whose op writes dx
# even where it is not needed) and an Add of the input with a conv of it
inp = keras.Input((6, 6, 2), name="input_1")
x = layers.Rescaling(1.0 / 255, name="rescaling")(inp)
b = layers.BatchNormalization(name="bn_in")(x)
c = layers.Conv2D(2, 3, padding="same", activation="tanh", name="conv")(b)
s2 = layers.Add(name="add_input")([x, c])
f = layers.Flatten(name="flatten")(s2)
o = layers.Dense(4, activation="softmax", name="dense")(f)
input_reads = keras.Model(inp, o, name="input_reads")

files = {
    "keras3_functional_chain.json": functional.to_json(),
    "keras3_sequential_chain.json": sequential.to_json(),
    "keras2_functional_chain.json": keras2_layout(functional.to_json()),
    "keras3_functional_merge.json": merge.to_json(),
    "keras3_functional_residual.json": residual.to_json(),
    "keras3_functional_input_reads.json": input_reads.to_json(),
}
for name, text in files.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text + "\n")
    print("wrote", name)


def pattern_images(count, h, w, c):
    """The images test_graph_model.c builds: (i*131 + y*31 + x*17 + ch*7) % 256."""
    i, y, x, ch = np.meshgrid(np.arange(count), np.arange(h), np.arange(w), np.arange(c),
                              indexing="ij")
    return ((i * 131 + y * 31 + x * 17 + ch * 7) % 256).astype(np.float32)


# Keras' own weights and predictions of the two graphs: gtrain must predict
# the same from the .h5 (BatchNormalization with its initial moving
# statistics, as Keras predicts)
for name, model in (("merge", merge), ("residual", residual)):
    for w in model.weights:  # non-zero biases, so every input of a merge matters
        if w.path.endswith("bias"):
            w.assign(np.random.uniform(-0.3, 0.3, w.shape).astype(np.float32))
    model.save(os.path.join(out, f"keras3_functional_{name}.h5"))
    _, h, w, c = model.input_shape
    probs = model.predict(pattern_images(8, h, w, c), verbose=0)
    np.savetxt(os.path.join(out, f"keras3_functional_{name}_predictions.csv"), probs,
               fmt="%.9g", delimiter=",")
    print("wrote", f"keras3_functional_{name}.h5", "and its predictions")
