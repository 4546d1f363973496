#!/usr/bin/env bash
# Step time of `gtrain fit` with the data resident vs streamed (forced by a
# small --data-memory), on the CPU, at batch 100: the streaming path's cost.
#
#   bench/stream_step_time.sh GTRAIN [MODEL:STEPS:REPS ...]
#
# Each run trains 2 epochs of STEPS steps (validation none; the test set is
# evaluated once at the end, outside the timed epochs) and the second
# epoch's training seconds (the history's `seconds`, validation excluded)
# give ms/step; the modes alternate run by run (resident, streamed,
# resident, ...) so that both see the same load on a shared machine; the
# table gives the median and the range over REPS runs of each. Defaults:
# cnn-fmnist:200:5 vgg16:20:3.
set -euo pipefail
gtrain=$1
shift
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(cnn-fmnist:200:5 vgg16:20:3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "| model | batch | steps/epoch | data | ms/step (median) | min | max | runs |"
echo "|---|---:|---:|---|---:|---:|---:|---:|"
for spec in "${specs[@]}"; do
  IFS=: read -r model steps reps <<<"$spec"
  for ((r = 1; r <= reps; ++r)); do
    for mode in resident streamed; do
      extra=()
      [ $mode = streamed ] && extra=(--data-memory 16M)
      "$gtrain" fit --model "$model" --batch-size 100 --epochs 2 --steps-per-epoch "$steps" \
        --validation none --device cpu --seed 1 --history "$tmp/h.csv" "${extra[@]}" \
        >"$tmp/out" 2>"$tmp/err"
      grep -q "data: train $mode" "$tmp/err" || { echo "not $mode:"; cat "$tmp/err"; exit 1; }
      awk -F, -v s="$steps" 'NR == 3 {printf "%.2f\n", $6 * 1000 / s}' "$tmp/h.csv" >>"$tmp/$model.$mode"
    done
  done
  for mode in resident streamed; do
    f="$tmp/$model.$mode"
    echo "| $model | 100 | $steps | $mode | $(median <"$f") | $(sort -g "$f" | head -1) | $(sort -g "$f" | tail -1) | $(wc -l <"$f") |"
  done
  grep "data:" "$tmp/err" | sed 's/.*; data: /streamed run: data: /' >&2
done
