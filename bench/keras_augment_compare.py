"""gtrain's augmentation layers against Keras 3's own, where Keras' result is
deterministic: a forced RandomFlip (the flips gtrain drew, handed to Keras'
transform_images), RandomTranslation and RandomZoom with a factor (x, x)
(a fixed shift or zoom) in each fill mode and interpolation, RandomCrop at
the offset gtrain drew, and RandomCrop's inference form (tf.keras 2's
smart_resize: Keras 3.15's layer passes the image through unchanged in
inference, the checks below assert it).

  python bench/keras_augment_compare.py build/bench/augment_dump

Each case is a Keras Sequential model (Input, the layer, Flatten) written with
model.to_json() and read by gtrain (augment_dump runs the gather of 16
random 20x24x3 uint8 images); prints the max abs difference per case."""
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

H, W, C, N = 20, 24, 3, 16


def run_gtrain(tool, layer, images, training, tmp):
    # gtrain wants a network after the preprocessing: a Flatten (no weights)
    model = keras.Sequential([keras.Input((H, W, C)), layer, keras.layers.Flatten()])
    path = os.path.join(tmp, "m.json")
    with open(path, "w") as f:
        f.write(model.to_json())
    images.tofile(os.path.join(tmp, "x.u8"))
    out = subprocess.run([tool, path, os.path.join(tmp, "x.u8"), str(N), str(int(training)),
                          os.path.join(tmp, "y.f32")], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"augment_dump failed: {out.stderr}")
    draws = {}
    for line in out.stdout.splitlines():
        f = line.split()
        draws[int(f[1])] = {f[k]: float(f[k + 1]) for k in range(4, len(f), 2)}
    y = np.fromfile(os.path.join(tmp, "y.f32"), dtype=np.float32)
    return y.reshape(N, -1), draws, model.layers[-2]


def main(tool):
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, size=(N, H, W, C), dtype=np.uint8)
    x = images.astype(np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # RandomFlip: the flips gtrain drew, forced in Keras
        for mode in ["horizontal", "vertical", "horizontal_and_vertical"]:
            got, draws, layer = run_gtrain(tool, keras.layers.RandomFlip(mode), images, 1, tmp)
            worst, flipped = 0.0, 0
            for i in range(N):
                want = x[i]
                if draws[i]["flip_h"]:
                    want = want[:, ::-1]
                if draws[i]["flip_v"]:
                    want = want[::-1]
                flipped += bool(draws[i]["flip_h"] or draws[i]["flip_v"])
                if mode != "horizontal_and_vertical":
                    # Keras' own transform_images with the flip forced
                    t = {"flips": np.array([[[[draws[i]["flip_h"] or draws[i]["flip_v"]]]]]),
                         "input_shape": (1, H, W, C)}
                    want = np.asarray(layer.transform_images(x[i:i + 1], t, training=True))[0]
                worst = max(worst, float(np.abs(got[i] - want.reshape(-1)).max()))
            rows.append((f"RandomFlip {mode} ({flipped}/{N} flipped)", worst))
        # RandomTranslation / RandomZoom with a fixed factor (x, x)
        for fill in ["reflect", "wrap", "constant", "nearest"]:
            for interp in ["bilinear", "nearest"]:
                for name, layer in [
                    ("RandomTranslation (0.15, 0.15) x (-0.27, -0.27)",
                     keras.layers.RandomTranslation((0.15, 0.15), (-0.27, -0.27), fill_mode=fill,
                                                    interpolation=interp, fill_value=7.0)),
                    ("RandomZoom (0.3, 0.3) x (-0.2, -0.2)",
                     keras.layers.RandomZoom((0.3, 0.3), (-0.2, -0.2), fill_mode=fill,
                                             interpolation=interp, fill_value=7.0)),
                ]:
                    got, _, layer = run_gtrain(tool, layer, images, 1, tmp)
                    want = np.asarray(layer(x, training=True)).reshape(N, -1)
                    rows.append((f"{name}, {fill}, {interp}", float(np.abs(got - want).max())))
        # RandomCrop: training at gtrain's offsets; inference (smart_resize-like)
        for h, w in [(16, 16), (12, 20), (20, 10)]:
            got, draws, layer = run_gtrain(tool, keras.layers.RandomCrop(h, w), images, 1, tmp)
            worst = 0.0
            for i in range(N):
                t = (int(draws[i]["top"]), int(draws[i]["left"]))
                want = np.asarray(layer.transform_images(x[i:i + 1], t, training=True))
                worst = max(worst, float(np.abs(got[i] - want.reshape(-1)).max()))
            rows.append((f"RandomCrop {h}x{w}, training at gtrain's offsets", worst))
            # inference: Keras 3.15's RandomCrop returns its input unchanged
            # (shape and all, against its docstring); tf.keras 2's returns
            # smart_resize(x, (h, w)), which Keras 3 still has
            got, _, layer = run_gtrain(tool, keras.layers.RandomCrop(h, w), images, 0, tmp)
            k3 = np.asarray(layer(x, training=False))
            assert k3.shape == x.shape, k3.shape
            want = np.asarray(keras.preprocessing.image.smart_resize(x, (h, w))).reshape(N, -1)
            rows.append((f"RandomCrop {h}x{w}, inference vs smart_resize",
                         float(np.abs(got - want).max())))
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}; {N} images "
          f"{H}x{W}x{C} uint8 (values 0..255)\n")
    print("| case | max abs difference |\n|---|---:|")
    for name, d in rows:
        print(f"| {name} | {d:.3g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
