#!/usr/bin/env python3
"""cnn-fmnist-bn in Keras 3, the reference for gtrain's zoo entry of the same name.

Notebook 002's CNN with BatchNormalization after each convolution and
GlobalAveragePooling2D before the head:

    Rescaling(1/255) - Conv2D(32, 3, relu) - BatchNormalization - MaxPooling2D(2)
    - Conv2D(32, 3, relu) - BatchNormalization - MaxPooling2D(2)
    - GlobalAveragePooling2D - Dense(128, relu) - Dense(10, softmax)

Recipe (notebook 002's): Adam 1e-3, sparse categorical cross-entropy, batch 32,
shuffled every epoch, validation on the 10,000 test images. Fashion-MNIST is
read from the IDX files of Debian's dataset-fashion-mnist (no download).

Usage: keras_cnn_fmnist_bn.py [--epochs 5] [--seed 1] [--threads 2]
                              [--history H.csv] [--save m.h5] [--json m.json]
Needs a venv with tensorflow-cpu (Keras 3), e.g. the anchors' KERAS_PY.
"""
import argparse
import gzip
import os
import struct
import sys
import time


def keras_session(threads, seed):
    """TensorFlow on `threads` intra-op threads (one inter-op), every random
    stream seeded: (tf, keras)."""
    import tensorflow as tf
    import keras
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    keras.utils.set_random_seed(seed)
    return tf, keras


def write_history(path, history, epochs):
    """Keras' History as the CSV the comparisons read (gtrain's history columns)."""
    with open(path, "w") as f:
        f.write("epoch,loss,accuracy,val_loss,val_accuracy\n")
        for i in range(epochs):
            f.write(f"{i + 1},{history['loss'][i]:.6f},{history['accuracy'][i]:.6f},"
                    f"{history['val_loss'][i]:.6f},{history['val_accuracy'][i]:.6f}\n")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    import numpy as np
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def build(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        L.Rescaling(1.0 / 255),
        L.Conv2D(32, 3, activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.Conv2D(32, 3, activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(2),
        L.GlobalAveragePooling2D(),
        L.Dense(128, activation="relu"),
        L.Dense(10, activation="softmax"),
    ], name="cnn-fmnist-bn")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--history")
    ap.add_argument("--save")
    ap.add_argument("--json")
    a = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    tf, keras = keras_session(a.threads, a.seed)
    d = a.data_dir
    x_train = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))[..., None].astype("float32")
    y_train = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype("int32")
    x_test = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))[..., None].astype("float32")
    y_test = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype("int32")
    model = build(keras)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    t0 = time.time()
    h = model.fit(x_train, y_train, batch_size=32, epochs=a.epochs, shuffle=True,
                  validation_data=(x_test, y_test), verbose=2)
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}, {time.time() - t0:.1f} s, "
          f"seed {a.seed}, threads {a.threads}")
    if a.history:
        write_history(a.history, h.history, a.epochs)
    if a.save:
        model.save(a.save)  # .h5: Keras' legacy HDF5 format, which gtrain reads
    if a.json:
        with open(a.json, "w") as f:
            f.write(model.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
