#!/usr/bin/env python3
"""Notebook 000's two models, built by Keras 3 exactly as the notebook builds
them, for tests/cli_keras_functional.sh (run with a Python that has Keras
and TensorFlow: $GTRAIN_KERAS_PYTHON).

  build DIR          DIR/vgg16.h5: keras.applications.VGG16(weights=None,
                     input_shape=(32,32,3), classes=10) (a Functional model);
                     DIR/mlp.h5: the Sequential MLP on InputLayer(784); both
                     with model.save() as the notebook's Keras would
  data PATH IDX N SIZE  HDF5 train_x/train_y with the first N images of the
                     IDX file: SIZE 32 as the notebook prepares them for
                     VGG-16 (expand_dims, repeat 3 channels, tf.image.resize
                     to 32x32, then rounded to uint8: gtrain datasets are
                     uint8), SIZE 28 as they are (N, 28, 28, 1)
  check CKPT KIND DATA.h5 PRED.csv
                     keras.models.load_model(CKPT) and load_weights(CKPT)
                     into a freshly built KIND (vgg16|mlp|resnet-fmnist)
                     model: both hold
                     the checkpoint's weights; their predictions of DATA's
                     first images match gtrain's PRED.csv
"""
import csv
import gzip
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import h5py  # noqa: E402
import numpy as np  # noqa: E402
import keras  # noqa: E402


def vgg16():
    from keras.applications import VGG16
    return VGG16(weights=None, input_shape=(32, 32, 3), classes=10)


def mlp():
    from keras.models import Sequential
    from keras.layers import Dense, InputLayer
    num_pixels, num_classes = 784, 10
    model = Sequential()
    model.add(InputLayer(input_shape=(num_pixels,)))
    model.add(Dense(num_pixels, kernel_initializer='normal', activation='relu'))
    model.add(Dense(1024, kernel_initializer='normal', activation='relu'))
    model.add(Dense(2048, kernel_initializer='normal', activation='relu'))
    model.add(Dense(2048, kernel_initializer='normal', activation='relu'))
    model.add(Dense(num_classes, kernel_initializer='normal', activation='softmax'))
    return model


def resnet_fmnist():
    """gtrain's zoo resnet-fmnist, as bench/keras_resnet_fmnist.py builds it."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
    from keras_resnet_fmnist import build as build_resnet
    return build_resnet(keras)


BUILD = {"vgg16": vgg16, "mlp": mlp}
CHECK = dict(BUILD, **{"resnet-fmnist": resnet_fmnist})


def read_idx(path):
    data = gzip.open(path).read()
    dims = struct.unpack(">I", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def build(out):
    for kind, make in BUILD.items():
        model = make()
        model.save(os.path.join(out, kind + ".h5"))
        print(f"{kind}: {type(model).__name__}, {model.count_params()} params")


def data(path, images, count, size):
    x = read_idx(images)[:count]
    y = read_idx(images.replace("images-idx3", "labels-idx1"))[:count]
    x = np.expand_dims(x, axis=-1)
    if size == 32:
        import tensorflow as tf
        x = np.repeat(x, 3, axis=-1)
        x = tf.image.resize(x, [32, 32]).numpy()
    with h5py.File(path, "w") as f:
        f["train_x"] = np.clip(np.rint(x), 0, 255).astype(np.uint8)
        f["train_y"] = y.astype(np.int64)


def check(ckpt, kind, data_path, pred_csv):
    with h5py.File(data_path, "r") as f:
        x = np.array(f["train_x"][:16], np.float32)
    if kind == "mlp":  # the notebook's X.reshape(N, 784)
        x = x.reshape(len(x), -1)
    loaded = keras.models.load_model(ckpt)
    into = CHECK[kind]()
    into.load_weights(ckpt)
    ok = True
    la, lb = loaded.get_weights(), into.get_weights()
    same = len(la) == len(lb) and all(np.array_equal(a, b) for a, b in zip(la, lb))
    print(f"load_model: {type(loaded).__name__} '{loaded.name}', {len(la)} weights; "
          f"load_weights into a new {kind}: {'identical' if same else 'DIFFERENT'} weights")
    ok = ok and same
    rows = list(csv.DictReader(open(pred_csv)))[:16]
    got = np.array([[float(r[f"p{c}"]) for c in range(10)] for r in rows])
    for name, model in (("load_model", loaded), ("load_weights", into)):
        p = model.predict(x[:len(got)], verbose=0)
        diff = np.abs(p - got).max()
        print(f"{name}: predictions of {len(got)} images, max |keras - gtrain| {diff:.2e}")
        ok = ok and diff <= 1e-4
    print(f"keras {keras.__version__}")
    return 0 if ok else 1


def main():
    cmd = sys.argv[1]
    if cmd == "build":
        build(sys.argv[2])
    elif cmd == "data":
        data(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "check":
        return check(*sys.argv[2:6])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
