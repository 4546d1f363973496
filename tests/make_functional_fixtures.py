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
"""
import json
import os
import sys

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import keras
from keras import layers

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "data")


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
a = layers.Conv2D(3, 3, padding="same", name="conv_a")(inp)
b = layers.Conv2D(3, 1, name="conv_b")(inp)
s = layers.Add(name="add")([a, b])
d = layers.Subtract(name="subtract")([s, b])
m = layers.Multiply(name="multiply")([d, a])
v = layers.Average(name="average")([m, s, b])
c = layers.Concatenate(name="concatenate")([v, a])
r = layers.ReLU(name="re_lu")(c)
f = layers.Flatten(name="flatten")(r)
o = layers.Dense(4, activation="softmax", name="dense")(f)
merge = keras.Model(inp, o, name="merge")

files = {
    "keras3_functional_chain.json": functional.to_json(),
    "keras3_sequential_chain.json": sequential.to_json(),
    "keras2_functional_chain.json": keras2_layout(functional.to_json()),
    "keras3_functional_merge.json": merge.to_json(),
}
for name, text in files.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text + "\n")
    print("wrote", name)
