#!/usr/bin/env python3
"""Builds and reads HDF5 files for gtrain's shell tests with h5py (Keras and
TensorFlow are not available to the tests).

Keras files follow Keras 2.11's HDF5 layout exactly, as written by
keras/saving/legacy/hdf5_format.py: save_model_to_hdf5 puts model_metadata()
on the root (keras_version and backend as str, model_config as json bytes)
and calls save_weights_to_hdf5_group on the group "model_weights";
Model.save_weights(h5) calls save_weights_to_hdf5_group on the root. That
function writes the attribute layer_names (list of bytes, every layer of
model.layers), backend and keras_version (bytes), and per layer a group with
the attribute weight_names (list of bytes such as b"conv2d/kernel:0", or []
for a layer without weights) and one dataset per weight name (the "/" in the
name makes the nested <layer>/<layer>/kernel:0 path). load_weights_from_hdf5_group
matches the saved layers that have weights to the model's, in order.

Commands:
  data PATH N H W C CLASSES SEED [--float] [--prefix train_set]
      images <prefix>_x (N,H,W,C) uint8 (or float32 0..255 integers), labels
      <prefix>_y int64, list_classes int64; a class-dependent bright patch
      makes the task learnable
  keras-full PATH SEED     a model.save() file of the model in MODEL_JSON
  keras-weights PATH SEED  a save_weights() file of the same model
  model-json PATH          MODEL_JSON, for --model
  same-weights A B         exit 0 when both files hold identical Keras weights
  forward WEIGHTS DATA OUT.csv  numpy forward pass of MODEL_JSON's architecture
      with the Keras-layout weights of WEIGHTS over DATA's images: probabilities
  state PATH KEY           prints gtrain_state attribute KEY
  set-state PATH KEY VALUE int|uint|float
                           rewrites gtrain_state attribute KEY (int64, uint64
                           or float64) and re-seals the file, as an editor
                           that knows gtrain's checksum would
  seal PATH                recomputes the CRC-32 in gtrain's 512-byte header
"""
import json
import struct
import sys
import zlib

import h5py
import numpy as np

# Keras 2 model.to_json() of a small Sequential: Rescaling, Conv2D 4 3x3 same
# relu, MaxPooling2D, Conv2D 3 2x2 valid relu, Flatten, Dense 5 softmax.
MODEL = {
    "class_name": "Sequential",
    "config": {"name": "keras_small", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8, 8, 1],
         "dtype": "float32", "sparse": False, "ragged": False, "name": "rescaling_input"}},
        {"class_name": "Rescaling", "config": {"name": "rescaling", "trainable": True,
         "dtype": "float32", "scale": 0.00392156862745098, "offset": 0.0}},
        {"class_name": "Conv2D", "config": {"name": "conv2d", "trainable": True, "dtype": "float32",
         "filters": 4, "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
         "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
         "activation": "relu", "use_bias": True,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
         "bias_initializer": {"class_name": "Zeros", "config": {}},
         "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
         "kernel_constraint": None, "bias_constraint": None}},
        {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "trainable": True,
         "dtype": "float32", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
         "data_format": "channels_last"}},
        {"class_name": "Conv2D", "config": {"name": "conv2d_1", "trainable": True,
         "dtype": "float32", "filters": 3, "kernel_size": [2, 2], "strides": [1, 1],
         "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1],
         "groups": 1, "activation": "relu", "use_bias": True,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
         "bias_initializer": {"class_name": "Zeros", "config": {}},
         "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
         "kernel_constraint": None, "bias_constraint": None}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True,
         "dtype": "float32", "data_format": "channels_last"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32",
         "units": 5, "activation": "softmax", "use_bias": True,
         "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
         "bias_initializer": {"class_name": "Zeros", "config": {}},
         "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
         "kernel_constraint": None, "bias_constraint": None}},
    ]},
    "keras_version": "2.11.0",
    "backend": "tensorflow",
}
LAYERS = ["rescaling", "conv2d", "max_pooling2d", "conv2d_1", "flatten", "dense"]
SHAPES = {"conv2d": [(3, 3, 1, 4), (4,)], "conv2d_1": [(2, 2, 4, 3), (3,)],
          "dense": [(27, 5), (5,)]}


def weights(seed):
    rng = np.random.RandomState(seed)
    return {name: [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in shapes]
            for name, shapes in SHAPES.items()}


def save_weights_to_group(f, values):
    """keras/saving/legacy/hdf5_format.py save_weights_to_hdf5_group (2.11)."""
    f.attrs["layer_names"] = [n.encode("utf8") for n in LAYERS]
    f.attrs["backend"] = "tensorflow".encode("utf8")
    f.attrs["keras_version"] = "2.11.0".encode("utf8")
    for name in sorted(LAYERS):
        g = f.create_group(name)
        names = [f"{name}/kernel:0", f"{name}/bias:0"] if name in values else []
        g.attrs["weight_names"] = [n.encode("utf8") for n in names]
        for wname, val in zip(names, values.get(name, [])):
            d = g.create_dataset(wname.encode("utf8"), val.shape, dtype=val.dtype)
            d[:] = val


def keras_full(path, seed):
    with h5py.File(path, "w") as f:
        config = {"class_name": MODEL["class_name"], "config": MODEL["config"]}
        f.attrs["keras_version"] = "2.11.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode("utf8")
        save_weights_to_group(f.create_group("model_weights"), weights(seed))


def keras_weights(path, seed):
    with h5py.File(path, "w") as f:
        save_weights_to_group(f, weights(seed))


def load_weights(path):
    """Keras' load_weights_from_hdf5_group: saved layers that have weights, in order."""
    with h5py.File(path, "r") as f:
        g = f if "layer_names" in f.attrs else f["model_weights"]
        out = []
        for name in g.attrs["layer_names"]:
            lg = g[name.decode("utf8") if isinstance(name, bytes) else name]
            for w in lg.attrs["weight_names"]:
                out.append(np.asarray(lg[w]))
        return out


def data(path, n, h, w, c, classes, seed, as_float=False, prefix="train_set", chunks=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n, dtype=np.int64) % classes
    rng.shuffle(y)
    x = rng.randint(0, 60, size=(n, h, w, c)).astype(np.uint8)
    for i in range(n):
        r = (y[i] * h) // classes
        x[i, r:r + max(1, h // classes), :, :] += 150
    with h5py.File(path, "w") as f:
        if chunks:
            f.create_dataset(prefix + "_x", data=x.astype(np.float32) if as_float else x,
                             chunks=(chunks, h, w, c), compression="gzip")
        else:
            f.create_dataset(prefix + "_x", data=x.astype(np.float32) if as_float else x)
        f.create_dataset(prefix + "_y", data=y)
        f.create_dataset("list_classes", data=np.arange(classes, dtype=np.int64))


def forward(weights_path, data_path, out):
    ws = load_weights(weights_path)
    with h5py.File(data_path, "r") as f:
        key = [k for k in f if k.endswith("_x")][0]
        x = np.asarray(f[key], dtype=np.float64) / 255.0

    def conv(x, k, b, same):
        kh, kw = k.shape[:2]
        if same:
            x = np.pad(x, ((0, 0), (kh // 2 - (1 - kh % 2), kh // 2), (kw // 2 - (1 - kw % 2), kw // 2), (0, 0)))
        n, hh, ww, _ = x.shape
        oh, ow = hh - kh + 1, ww - kw + 1
        y = np.zeros((n, oh, ow, k.shape[3]))
        for i in range(kh):
            for j in range(kw):
                y += np.einsum("nhwc,co->nhwo", x[:, i:i + oh, j:j + ow, :], k[i, j])
        return np.maximum(y + b, 0)

    x = conv(x, ws[0].astype(np.float64), ws[1], True)
    n, hh, ww, c = x.shape
    x = x.reshape(n, hh // 2, 2, ww // 2, 2, c).max(axis=(2, 4))
    x = conv(x, ws[2].astype(np.float64), ws[3], False)
    logits = x.reshape(n, -1) @ ws[4] + ws[5]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.savetxt(out, p, delimiter=",", fmt="%.8f")


def seal(path):
    """gtrain's checkpoint header (src/h5/checkpoint_seal.h): magic, version 1,
    CRC-32 and length of everything after the 512-byte user block."""
    with open(path, "r+b") as f:
        header = bytearray(f.read(512))
        body = f.read()
        assert header[:8] == b"\x89GTCKPT\n", "not a gtrain checkpoint"
        header[8:24] = struct.pack("<IIQ", 1, zlib.crc32(body), len(body))
        f.seek(0)
        f.write(header)


def main(argv):
    cmd = argv[1]
    if cmd == "data":
        flags = argv[9:]
        prefix = flags[flags.index("--prefix") + 1] if "--prefix" in flags else "train_set"
        chunks = int(flags[flags.index("--chunks") + 1]) if "--chunks" in flags else 0
        data(argv[2], *map(int, argv[3:9]), as_float="--float" in flags, prefix=prefix,
             chunks=chunks)
    elif cmd == "offset":
        # byte offset in the file of the image dataset's storage (contiguous),
        # or "offset size" of chunk number argv[4] (chunked)
        with h5py.File(argv[2], "r") as f:
            ds = f[argv[3]]
            if ds.chunks is None:
                print(ds.id.get_offset())
            else:
                info = ds.id.get_chunk_info(int(argv[4]))
                print(info.byte_offset, info.size)
    elif cmd == "downgrade":
        # a checkpoint as an older gtrain wrote it: format 2 lacks the fields of 3
        with h5py.File(argv[2], "r+") as f:
            g = f["gtrain_state"]
            for k in ("shuffle_buffer", "shuffle_block", "data_cursor"):
                if k in g.attrs:
                    del g.attrs[k]
            g.attrs["format_version"] = np.int64(int(argv[3]))
        seal(argv[2])
    elif cmd == "keras-full":
        keras_full(argv[2], int(argv[3]))
    elif cmd == "keras-weights":
        keras_weights(argv[2], int(argv[3]))
    elif cmd == "model-json":
        with open(argv[2], "w") as f:
            json.dump(MODEL, f)
    elif cmd == "same-weights":
        a, b = load_weights(argv[2]), load_weights(argv[3])
        same = len(a) == len(b) and all(x.shape == y.shape and x.dtype == y.dtype and
                                        np.array_equal(x, y) for x, y in zip(a, b))
        print("identical" if same else "DIFFERENT: %s vs %s" % ([x.shape for x in a], [y.shape for y in b]))
        return 0 if same else 1
    elif cmd == "forward":
        forward(argv[2], argv[3], argv[4])
    elif cmd == "set-state":
        kind = {"int": np.int64, "uint": np.uint64, "float": np.float64}[argv[5]]
        with h5py.File(argv[2], "r+") as f:
            f["gtrain_state"].attrs[argv[3]] = kind(float(argv[4]) if argv[5] == "float" else int(argv[4]))
        seal(argv[2])
    elif cmd == "seal":
        seal(argv[2])
    elif cmd == "state":
        with h5py.File(argv[2], "r") as f:
            print(f["gtrain_state"].attrs[argv[3]])
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
