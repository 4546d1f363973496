#!/usr/bin/env python3
"""Keras 3 (TensorFlow CPU) training step time of the zoo models that the
shared anchor (../shared/anchors/keras_cpu_bench.py, models A-E) does not
build: cnn-fmnist-bn and resnet-fmnist, from the same builders as their
training comparisons (keras_cnn_fmnist_bn.py, keras_resnet_fmnist.py). The
anchor's method: one warm-up fit of 3 batches, then a timed fit over
`steps` batches of fixed random data, verbose 0; ms/step = wall / steps.
Compare with `gtrain bench --model M --batch-sizes B --threads T` run right
before or after on the same machine.

Usage: keras_step_time.py [--models cnn-fmnist-bn resnet-fmnist]
                          [--batches 64] [--threads 2] [--steps 20]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_cnn_fmnist_bn  # noqa: E402
import keras_resnet_fmnist  # noqa: E402

BUILDERS = {"cnn-fmnist-bn": keras_cnn_fmnist_bn.build, "resnet-fmnist": keras_resnet_fmnist.build}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(BUILDERS))
    ap.add_argument("--batches", nargs="+", type=int, default=[64])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    a = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf, keras = keras_cnn_fmnist_bn.keras_session(a.threads, 1)
    import numpy as np
    print(f"Keras {keras.__version__}, TensorFlow {tf.__version__}, intra-op threads {a.threads}")
    for name in a.models:
        for b in a.batches:
            keras.utils.set_random_seed(1)
            m = BUILDERS[name](keras)
            m.compile(optimizer=keras.optimizers.Adam(1e-3, epsilon=1e-7),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            rng = np.random.default_rng(0)
            x = rng.uniform(0, 255, size=(a.steps * b, 28, 28, 1)).astype("float32")
            y = rng.integers(0, 10, size=(a.steps * b,)).astype("int32")
            m.fit(x[:3 * b], y[:3 * b], batch_size=b, epochs=1, verbose=0, shuffle=False)
            t0 = time.perf_counter()
            m.fit(x, y, batch_size=b, epochs=1, verbose=0, shuffle=False)
            ms = (time.perf_counter() - t0) * 1000 / a.steps
            print(f"{name} b{b}: {ms:.2f} ms/step ({a.steps} steps)", flush=True)
            del m
            keras.backend.clear_session()
    return 0


if __name__ == "__main__":
    sys.exit(main())
