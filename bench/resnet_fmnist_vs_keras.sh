#!/usr/bin/env bash
# resnet-fmnist trained by gtrain and by Keras 3 on this machine with the same
# recipe (Adam 1e-3, batch 64, shuffled, validation on the 10,000 test images
# after every epoch), on the first TRAIN training images for EPOCHS epochs, so
# that a run fits in minutes on 2 cores. Writes OUT/{gtrain,keras}.csv (the
# per-epoch history) and .log.
# Usage: bench/resnet_fmnist_vs_keras.sh GTRAIN KERAS_PYTHON OUT [TRAIN=10000] [EPOCHS=3] [SEED=1]
set -eu
gtrain=$1 kpy=$2 out=$3 train=${4:-10000} epochs=${5:-3} seed=${6:-1}
here=$(cd "$(dirname "$0")" && pwd)
fm=${GTRAIN_DATA_DIR:-/usr/share/datasets/fashion-mnist}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the same images for both: the first TRAIN training images, all test images
"$kpy" "$here/../tests/keras_notebook000.py" data "$tmp/train.h5" "$fm/train-images-idx3-ubyte.gz" "$train" 28
"$kpy" "$here/../tests/keras_notebook000.py" data "$tmp/test.h5" "$fm/t10k-images-idx3-ubyte.gz" 10000 28
"$gtrain" fit --model resnet-fmnist --data "hdf5:$tmp/train.h5" --test-data "hdf5:$tmp/test.h5" \
  --validation test --epochs "$epochs" --seed "$seed" --device cpu --threads 2 \
  --history "$out/gtrain.csv" >"$out/gtrain.log" 2>&1
"$kpy" "$here/keras_resnet_fmnist.py" --train "$train" --epochs "$epochs" --seed "$seed" \
  --threads 2 --data-dir "$fm" --history "$out/keras.csv" >"$out/keras.log" 2>&1
echo "gtrain:"; cat "$out/gtrain.csv"; echo "keras:"; cat "$out/keras.csv"
