#!/usr/bin/env bash
# Keras 2 .h5 files (built with h5py in Keras 2.11's layout, see keras_files.py)
# load into gtrain: a model.save() file without --model, a save_weights() file
# with it; gtrain's predictions equal a numpy forward pass over the Keras
# (HWIO) weights; Keras file -> gtrain convert -> the same arrays in Keras'
# layout, read back the way Keras' load_weights reads them.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" keras-full full.h5 5 && "$py" "$kf" keras-weights weights.h5 5 && "$py" "$kf" model-json m.json \
  && "$py" "$kf" data d.h5 64 8 8 1 5 3 --prefix test_set || { echo "FAIL: building the files"; exit 1; }

check "predict from a Keras model.save() file" -- "$gtrain" predict --weights full.h5 --data hdf5:d.h5 --output p.csv --device cpu
check "numpy forward pass" -- "$py" "$kf" forward full.h5 d.h5 ref.csv
check "gtrain == numpy" -- "$py" -c '
import numpy as np, sys
p = np.loadtxt("p.csv", delimiter=",", skiprows=1)[:, 3:]
r = np.loadtxt("ref.csv", delimiter=",")
err = np.abs(p - r).max()
print("max difference", err)
sys.exit(0 if p.shape == r.shape and err < 1e-5 else 1)'
check "evaluate a save_weights() file with --model" -- "$gtrain" evaluate --weights weights.h5 --model m.json --data hdf5:d.h5 --device cpu
"$gtrain" evaluate --weights weights.h5 --data hdf5:d.h5 --device cpu >/dev/null 2>e1
grep -q "no model_config attribute" e1 || { echo "FAIL: weights-only file without --model"; cat e1; fail=1; }
check "Keras save_weights -> gtrain checkpoint" -- "$gtrain" convert --weights weights.h5 --model m.json --save round.h5
check "round trip keeps every array" -- "$py" "$kf" same-weights weights.h5 round.h5
check "the checkpoint's model_config needs no --model" -- "$gtrain" evaluate --weights round.h5 --data hdf5:d.h5 --device cpu
# a wrong architecture is refused, naming the layer and both shapes
sed 's/"filters": 4/"filters": 6/' m.json >wrong.json
"$gtrain" evaluate --weights full.h5 --model wrong.json --data hdf5:d.h5 --device cpu >/dev/null 2>e2
grep -q "conv2d/kernel:0.*shape (3, 3, 1, 4), expected (3, 3, 1, 6)" e2 \
  || { echo "FAIL: wrong architecture message"; cat e2; fail=1; }
[ $fail -eq 0 ] && echo "keras interop: ok"
exit $fail
