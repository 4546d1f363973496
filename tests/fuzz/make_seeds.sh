#!/usr/bin/env bash
# make_seeds.sh DIR GTRAIN: writes the fuzz targets' seed corpora, one folder
# per target: valid IDX pairs, the model JSON files of tests/models and
# tests/data (Keras 3's augmentation layers), small HDF5 datasets and
# checkpoints (gtrain's own, sealed, and Keras files).
set -eu
out=$(mkdir -p "$1" && cd "$1" && pwd)
gtrain="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
src="$GTRAIN_SOURCE_DIR"
rm -rf "$out"
mkdir -p "$out"/idx "$out"/model_json "$out"/hdf5_data "$out"/checkpoint
cp "$src"/tests/models/*.json "$src"/tests/data/keras3_augment.json "$out"/model_json/
python3 - "$out/idx" <<'PY'
import struct, sys
# fuzz_idx's input: 2 bytes of image-file length, the image file, the label file
def pair(n, h, w, name):
    images = struct.pack('>IIII', 0x803, n, h, w) + bytes((i * 37) % 256 for i in range(n * h * w))
    labels = struct.pack('>II', 0x801, n) + bytes(i % 10 for i in range(n))
    open(sys.argv[1] + '/' + name, 'wb').write(struct.pack('>H', len(images)) + images + labels)
pair(3, 4, 4, 'three_4x4')
pair(2, 28, 28, 'two_28x28')
pair(1, 1, 1, 'one_1x1')
PY
py=""
for c in python3 /usr/bin/python3; do
  if "$c" -c 'import h5py, numpy' 2>/dev/null; then py=$c; break; fi
done
if [ -z "$py" ] || "$gtrain" evaluate --weights /nonexistent.h5 2>&1 | grep -q "built without HDF5"; then
  echo "no HDF5 seeds: no python3 with h5py, or gtrain built without HDF5"
  exit 0
fi
kf="$src/tests/keras_files.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$py" "$kf" data "$out"/hdf5_data/signs_like.h5 12 6 6 3 4 1
"$py" "$kf" data "$out"/hdf5_data/gray.h5 10 5 5 1 3 2 --prefix test_set
"$py" "$kf" data train.h5 24 8 8 1 5 1
"$py" "$kf" model-json m.json
"$gtrain" fit --model m.json --data hdf5:train.h5 --validation none --batch-size 8 --epochs 1 \
  --device cpu --threads 1 --save "$out"/checkpoint/gtrain_adam.h5 >/dev/null
"$gtrain" fit --model m.json --data hdf5:train.h5 --validation none --batch-size 8 --epochs 2 \
  --optimizer sgd --momentum 0.9 --steps-per-epoch 2 --device cpu --threads 1 \
  --save "$out"/checkpoint/gtrain_sgd.h5 >/dev/null
"$py" "$kf" keras-full "$out"/checkpoint/keras_full.h5 1
echo "seeds: $(ls "$out"/* | wc -l) files in $out"
