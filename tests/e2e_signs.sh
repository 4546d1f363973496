#!/usr/bin/env bash
# Notebook 001 in short: cnn-signs on SIGNS (HDF5) for 3 epochs with the
# notebook's recipe (batch 1, Adam, first 960 train, last 120 validate) learns
# far above chance (1/6) on the test set. The full 40-epoch run is in the README.
set -u
gtrain="$1"
signs="${GTRAIN_TEST_DATA:-}/signs"
if [ ! -e "$signs/train_signs.h5" ] || [ ! -e "$signs/test_signs.h5" ]; then
  echo "SKIPPED: SIGNS not found in $signs (set GTRAIN_TEST_DATA)"
  exit 77
fi
if "$gtrain" evaluate --weights /nonexistent.h5 2>&1 | grep -q "built without HDF5"; then
  echo "SKIPPED: gtrain was built without HDF5"
  exit 77
fi
out=$("$gtrain" fit --model cnn-signs --data "hdf5:$signs/train_signs.h5" \
  --test-data "hdf5:$signs/test_signs.h5" --validation last:120 --batch-size 1 --epochs 3 \
  --seed 1 --device cpu --threads 1 2>&1)
code=$?
echo "$out"
[ $code -eq 0 ] || { echo "FAIL: exit $code"; exit 1; }
echo "$out" | grep -q "cnn-signs on .* (960 training, 120 validation examples)" \
  || { echo "FAIL: not 960/120"; exit 1; }
acc=$(echo "$out" | sed -n 's/^test: loss: [0-9.]* - accuracy: \([0-9.]*\)$/\1/p')
awk -v a="$acc" 'BEGIN { exit !(a >= 0.5) }' || { echo "FAIL: test accuracy '$acc' < 0.5"; exit 1; }
echo "test accuracy $acc"
