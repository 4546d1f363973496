#!/usr/bin/env python3
"""resnet-fmnist in Keras 3, the reference for gtrain's zoo entry of the same
name (src/zoo.c): a Functional model with the same layers and names.

    Rescaling(1/255) - Conv2D(16, 3, same) - BatchNormalization - ReLU
    - 3 stages of 2 basic residual blocks (16, 32, 64 filters; stages 2 and 3
      start with stride 2 and a 1x1 Conv2D-BatchNormalization projection):
      Conv2D(3, same) - BN - ReLU - Conv2D(3, same) - BN, Add(shortcut), ReLU
    - GlobalAveragePooling2D - Dense(10, softmax)

Recipe (the zoo's): Adam 1e-3, sparse categorical cross-entropy, batch 64,
shuffled every epoch, validation on the 10,000 test images; --train N
trains on the first N training images only (short runs), --epochs E.
Fashion-MNIST is read from the IDX files of Debian's dataset-fashion-mnist.

Usage: keras_resnet_fmnist.py [--epochs 5] [--train 60000] [--seed 1]
                              [--threads 2] [--history H.csv] [--json m.json]
Needs a venv with tensorflow-cpu (Keras 3).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_cnn_fmnist_bn import keras_session, read_idx, write_history  # noqa: E402


def build(keras):
    L = keras.layers

    def conv_bn(x, prefix, part, filters, kernel, stride):
        x = L.Conv2D(filters, kernel, strides=stride, padding="same", name=f"{prefix}_{part}")(x)
        return L.BatchNormalization(name=f"{prefix}_{part}_bn")(x)

    def block(x, prefix, in_filters, filters, stride):
        h = conv_bn(x, prefix, "conv1", filters, 3, stride)
        h = L.ReLU(name=f"{prefix}_relu1")(h)
        h = conv_bn(h, prefix, "conv2", filters, 3, 1)
        shortcut = x
        if stride != 1 or in_filters != filters:
            shortcut = conv_bn(x, prefix, "proj", filters, 1, stride)
        h = L.Add(name=f"{prefix}_add")([h, shortcut])
        return L.ReLU(name=f"{prefix}_out")(h)

    inp = keras.Input((28, 28, 1), name="input_layer")
    x = L.Rescaling(1.0 / 255, name="input_rescaling")(inp)
    x = conv_bn(x, "stem", "conv", 16, 3, 1)
    x = L.ReLU(name="stem_relu")(x)
    width = 16
    for s, filters in enumerate((16, 32, 64)):
        for b in range(2):
            x = block(x, f"s{s + 1}b{b + 1}", width, filters, 2 if s > 0 and b == 0 else 1)
            width = filters
    x = L.GlobalAveragePooling2D(name="head_pool")(x)
    out = L.Dense(10, activation="softmax", name="head_dense")(x)
    return keras.Model(inp, out, name="resnet-fmnist")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--history")
    ap.add_argument("--json")
    a = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf, keras = keras_session(a.threads, a.seed)
    model = build(keras)
    if a.json:
        with open(a.json, "w") as f:
            f.write(model.to_json())
        if a.epochs == 0:
            return 0
    d = a.data_dir
    x_train = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))[:a.train, ..., None]
    y_train = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"))[:a.train].astype("int32")
    x_test = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))[..., None]
    y_test = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype("int32")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    t0 = time.time()
    h = model.fit(x_train.astype("float32"), y_train, batch_size=64, epochs=a.epochs,
                  shuffle=True, validation_data=(x_test.astype("float32"), y_test), verbose=2)
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}, {time.time() - t0:.1f} s, "
          f"seed {a.seed}, threads {a.threads}, {len(x_train)} training images")
    if a.history:
        write_history(a.history, h.history, a.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
