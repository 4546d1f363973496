#!/usr/bin/env bash
# End to end: cnn-fmnist trains one epoch (Adam, batch 32, as notebook 002) on
# the full Fashion-MNIST on the CPU and reaches test accuracy >= 0.84.
set -u
gtrain="$1"
. "$(dirname "$0")/fmnist_data.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gtrain" fit --model cnn-fmnist --data fashion-mnist --data-dir "$dir" --epochs 1 \
  --batch-size 32 --optimizer adam --validation test --seed 1 --device cpu \
  --history "$tmp/history.csv" || { echo "FAIL: gtrain fit exited $?"; exit 1; }
cat "$tmp/history.csv"
head -1 "$tmp/history.csv" | grep -qx 'epoch,loss,accuracy,val_loss,val_accuracy,seconds' \
  || { echo "FAIL: history header"; exit 1; }
[ "$(wc -l < "$tmp/history.csv")" -eq 2 ] || { echo "FAIL: expected one epoch row"; exit 1; }
val_acc=$(awk -F, 'NR==2 {print $5}' "$tmp/history.csv")
echo "test accuracy after one epoch: $val_acc (bar: 0.84)"
awk -v a="$val_acc" 'BEGIN { exit !(a >= 0.84) }' || { echo "FAIL: accuracy below 0.84"; exit 1; }
