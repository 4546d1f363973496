#!/usr/bin/env python3
"""Files for the data-parallel tests (tests/dist_*.sh), beside keras_files.py.

Commands:
  model mlp|cnn-dropout|bn|cnn-bn PATH   Keras model JSON for 8x8x1 images, 5 classes:
      mlp: Rescaling, Flatten, Dense 16 relu, Dense 5 softmax;
      cnn-dropout: keras_files' small CNN with Dropout(0.3) after each conv;
      bn: the mlp with a BatchNormalization after its hidden layer (no bias);
      cnn-bn: the small CNN with a BatchNormalization after each conv (no bias)
  close A B TOL   exit 0 when every weight of A and B differs by at most TOL
      (absolute); prints the largest difference either way
  same A B        exit 0 when the weights are bit-identical
"""
import copy
import json
import sys

import numpy as np

import keras_files as kf


def dense(name, units, activation):
    d = copy.deepcopy(kf.MODEL["config"]["layers"][-1])
    d["config"].update(name=name, units=units, activation=activation)
    return d


def no_bias(layer):
    """A layer followed by BatchNormalization without its bias, as Keras
    models write it: BN subtracts the mean, so the bias's gradient is zero
    and what float arithmetic leaves of it is rounding noise, which Adam
    scales to steps of up to its learning rate; two summation orders would
    then move the bias apart by up to that much per step."""
    layer = copy.deepcopy(layer)
    layer["config"]["use_bias"] = False
    return layer


def batchnorm(name):
    return {"class_name": "BatchNormalization", "config": {
        "name": name, "trainable": True, "dtype": "float32", "axis": -1, "momentum": 0.99,
        "epsilon": 0.001, "center": True, "scale": True}}


def model(kind):
    m = copy.deepcopy(kf.MODEL)
    layers = m["config"]["layers"]
    if kind == "mlp":
        m["config"]["layers"] = [layers[0], layers[1], layers[5], dense("dense", 16, "relu"),
                                 dense("dense_1", 5, "softmax")]
    elif kind == "cnn-dropout":
        def dropout(name):
            return {"class_name": "Dropout", "config": {"name": name, "trainable": True,
                    "dtype": "float32", "rate": 0.3, "noise_shape": None, "seed": None}}
        m["config"]["layers"] = [layers[0], layers[1], layers[2], dropout("dropout"), layers[3],
                                 layers[4], dropout("dropout_1"), layers[5], layers[6]]
    elif kind == "bn":
        m["config"]["layers"] = [layers[0], layers[1], layers[5],
                                 no_bias(dense("dense", 16, "relu")),
                                 batchnorm("batch_normalization"), dense("dense_1", 5, "softmax")]
    elif kind == "cnn-bn":
        m["config"]["layers"] = [layers[0], layers[1], no_bias(layers[2]),
                                 batchnorm("batch_normalization"), layers[3], no_bias(layers[4]),
                                 batchnorm("batch_normalization_1"), layers[5], layers[6]]
    else:
        raise SystemExit("unknown model " + kind)
    m["config"]["name"] = kind
    return m


def main(argv):
    if argv[1] == "model":
        with open(argv[3], "w") as f:
            json.dump(model(argv[2]), f)
        return 0
    a, b = kf.load_weights(argv[2]), kf.load_weights(argv[3])
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        print("DIFFERENT shapes: %s vs %s" % ([x.shape for x in a], [y.shape for y in b]))
        return 1
    diff = max(float(np.max(np.abs(x.astype(np.float64) - y))) for x, y in zip(a, b))
    if argv[1] == "same":
        same = all(np.array_equal(x, y) for x, y in zip(a, b))
        print("identical" if same else "DIFFERENT: largest difference %.3g" % diff)
        return 0 if same else 1
    tol = float(argv[4])
    print("largest weight difference %.3g (bound %g)" % (diff, tol))
    return 0 if diff <= tol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
