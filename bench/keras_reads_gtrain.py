#!/usr/bin/env python3
"""Does Keras 3 read a checkpoint gtrain wrote? The interop check behind
tests/cli_keras_batchnorm.sh, run by hand where Keras is installed (the test
itself only needs h5py).

Usage: keras_reads_gtrain.py KERAS.h5 GTRAIN.h5 [IMAGES-IDX.gz]

KERAS.h5 is a Keras model.save() file, GTRAIN.h5 what `gtrain convert
--weights KERAS.h5 --save GTRAIN.h5` (or `gtrain fit --save`) wrote of the
same model. Checks: keras.models.load_model(GTRAIN.h5) builds the model and
holds the same weights, in the same order, as KERAS.h5; load_weights of
GTRAIN.h5 into the model of KERAS.h5 gives them too; both predict the first
16 test images identically. Exit 0 when all hold.
"""
import gzip
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import keras  # noqa: E402


def read_idx(path):
    data = gzip.open(path).read()
    dims = struct.unpack(">I", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    keras_path, gtrain_path = sys.argv[1], sys.argv[2]
    images = sys.argv[3] if len(sys.argv) > 3 else \
        "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
    x = read_idx(images)[:16, ..., None].astype("float32")
    reference = keras.models.load_model(keras_path)
    loaded = keras.models.load_model(gtrain_path)
    into = keras.models.load_model(keras_path)
    for w in into.weights:
        w.assign(np.zeros(w.shape, w.dtype))
    into.load_weights(gtrain_path)
    ok = True
    for name, model in (("load_model", loaded), ("load_weights", into)):
        ws, rs = model.weights, reference.weights
        same = len(ws) == len(rs) and all(
            a.path == b.path and np.array_equal(a.numpy(), b.numpy())
            for a, b in zip(ws, rs))
        diff = np.abs(model.predict(x, verbose=0) -
                      reference.predict(x, verbose=0)).max()
        print(f"{name}: {len(ws)} weights {'identical' if same else 'DIFFER'}"
              f" (names, order, values); predictions max diff {diff:.2e}")
        ok = ok and same and diff == 0
    print(f"keras {keras.__version__}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
