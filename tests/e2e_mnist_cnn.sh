#!/usr/bin/env bash
# Notebook 004's CNN end to end: one epoch of the zoo recipe (conv 5x5 32/64,
# Dense 1024, dropout 0.5; Adam 1e-4, summed -log(softmax + 1e-10), batch 50 in
# file order: 1200 steps) on the full MNIST on the CPU, seed 1. The bar is
# TensorFlow 2.21 running the notebook's code (REFERENCE.md): .9591 test
# accuracy after the epoch; gtrain must be within 0.015 of it.
set -u
gtrain="$1"
. "$(dirname "$0")/mnist_data.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gtrain" fit --model cnn-mnist --device cpu --threads 2 --seed 1 --history "$tmp/h.csv" \
  >"$tmp/out" 2>"$tmp/err" || { echo "FAIL: gtrain fit exited $?"; cat "$tmp/out" "$tmp/err"; exit 1; }
cat "$tmp/err" "$tmp/h.csv"
grep -q "cnn-mnist on mnist (60000 training, 10000 validation examples), batch 50, file order, adam" \
  "$tmp/err" || { echo "FAIL: not the notebook's recipe on the full MNIST"; exit 1; }
grep -q "^1200/1200 " "$tmp/out" || { echo "FAIL: not 1200 steps"; cat "$tmp/out"; exit 1; }
[ "$(wc -l <"$tmp/h.csv")" -eq 2 ] || { echo "FAIL: expected one epoch"; exit 1; }
acc=$(awk -F, 'NR == 2 {print $5}' "$tmp/h.csv")
awk -v a="$acc" 'BEGIN { d = a - 0.9591; if (d < 0) d = -d; exit !(d <= 0.015) }' \
  || { echo "FAIL: test accuracy $acc is not within 0.015 of TensorFlow's 0.9591"; exit 1; }
echo "cnn-mnist: test accuracy $acc after 1 epoch (TensorFlow 0.9591)"
