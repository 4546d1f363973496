#!/usr/bin/env bash
# BatchNormalization and GlobalAveragePooling2D from a real Keras 3 file:
# tests/data/keras3_cnn_fmnist_bn.h5 is cnn-fmnist-bn as Keras 3.15.1 saved
# it with model.save("m.h5") after 5 epochs (bench/keras_cnn_fmnist_bn.py,
# seed 1), and keras3_cnn_fmnist_bn_predictions.csv holds Keras' predictions
# of the first 16 Fashion-MNIST test images.
# - gtrain predicts the same probabilities from the file (within float
#   rounding: 2e-6);
# - `gtrain convert` writes it back as a gtrain checkpoint whose every layer
#   holds the same weights under the same names, in Keras' order (gamma,
#   beta, moving_mean, moving_variance), which is what Keras' load_model and
#   load_weights read (checked with Keras itself:
#   bench/results/keras_batchnorm_2026-12-01.md).
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
source "$GTRAIN_SOURCE_DIR/tests/fmnist_data.sh"
fixture="$GTRAIN_SOURCE_DIR/tests/data/keras3_cnn_fmnist_bn.h5"
want="$GTRAIN_SOURCE_DIR/tests/data/keras3_cnn_fmnist_bn_predictions.csv"
cd "$tmp"
fail=0
"$gtrain" predict --weights "$fixture" --data-dir "$dir" --output got.csv --device cpu >out 2>err ||
  { echo "FAIL: predict from the Keras 3 file"; cat err; exit 1; }
"$py" - "$want" got.csv <<'EOF' || fail=1
import csv, sys
want = list(csv.DictReader(open(sys.argv[1])))
got = {int(r["index"]): r for r in csv.DictReader(open(sys.argv[2]))}
worst = max(abs(float(r[f"p{c}"]) - float(got[int(r["index"])][f"p{c}"]))
            for r in want for c in range(10))
print(f"predictions of {len(want)} images: max |gtrain - keras| {worst:.2e}")
sys.exit(0 if worst <= 2e-6 else 1)
EOF
"$gtrain" convert --weights "$fixture" --save conv.h5 >out 2>err ||
  { echo "FAIL: convert the Keras 3 file"; cat err; exit 1; }
"$py" - "$fixture" conv.h5 <<'EOF' || fail=1
import sys, h5py, numpy as np
keras, ours = h5py.File(sys.argv[1], "r")["model_weights"], h5py.File(sys.argv[2], "r")["model_weights"]
def weights(g, layer):
    names = [n.decode() if isinstance(n, bytes) else n for n in g[layer].attrs["weight_names"]]
    return [(n.rsplit("/", 1)[-1].split(":")[0], np.array(g[layer][n])) for n in names]
layers = [n.decode() if isinstance(n, bytes) else n for n in keras.attrs["layer_names"]]
ok, count = True, 0
for layer in layers:
    a, b = weights(keras, layer), weights(ours, layer)
    if [n for n, _ in a] != [n for n, _ in b]:
        print(f"{layer}: names {[n for n, _ in b]}, Keras has {[n for n, _ in a]}"); ok = False
    for (n, x), (_, y) in zip(a, b):
        count += 1
        if x.shape != y.shape or not np.array_equal(x, y):
            print(f"{layer}/{n}: shape {y.shape} vs Keras {x.shape}, or values differ"); ok = False
bn = [n for n, _ in weights(ours, "batch_normalization")]
print(f"{count} weights identical in name, order, shape and value; batch_normalization: {bn}")
sys.exit(0 if ok and bn == ["gamma", "beta", "moving_mean", "moving_variance"] else 1)
EOF
# a checkpoint whose run names no data: predict falls back to Fashion-MNIST
# without an error line on a run that succeeds
"$gtrain" predict --weights conv.h5 --data-dir "$dir" --index 0 --device cpu >out 2>err ||
  { echo "FAIL: predict from the converted checkpoint"; cat err; fail=1; }
if grep -q "error" err; then echo "FAIL: a successful predict printed an error:"; cat err; fail=1; fi
[ $fail = 0 ] && echo "Keras 3 BatchNormalization file: ok"
exit $fail
