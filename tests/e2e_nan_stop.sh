#!/usr/bin/env bash
# Notebook 000, question 9: a ReLU output layer with categorical cross-entropy
# on probabilities gives a nan loss; gtrain must stop at once, naming the epoch
# and step, and exit 1 instead of training on garbage.
set -u
gtrain="$1"
. "$(dirname "$0")/fmnist_data.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gtrain" fit --model "$GTRAIN_SOURCE_DIR/tests/models/mlp-fmnist-relu-output.json" \
  --data-dir "$dir" --epochs 3 --batch-size 100 --validation none --seed 1 --device cpu \
  --history "$tmp/history.csv" >"$tmp/out" 2>"$tmp/err"
code=$?
cat "$tmp/err"
[ $code -eq 1 ] || { echo "FAIL: exit $code, expected 1"; exit 1; }
grep -Eq '^gtrain: error: loss became nan at epoch 1 step [0-9]+' "$tmp/err" \
  || { echo "FAIL: no 'loss became nan at epoch 1 step S' message"; exit 1; }
# no epoch finished, so no history row claims a result
[ "$(wc -l < "$tmp/history.csv")" -le 1 ] || { echo "FAIL: history has rows"; exit 1; }
echo "stopped as expected"
