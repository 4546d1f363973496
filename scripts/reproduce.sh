#!/usr/bin/env bash
# Reproduces the notebooks' training runs with their recipes (the zoo models'
# defaults) and writes one markdown summary with the final and best validation
# accuracy of each run next to the notebook's figure and, where one was
# measured, TensorFlow's with the same recipe (REFERENCE.md).
#
#   scripts/reproduce.sh [--gtrain build/gtrain] [--device cpu|cuda] [--out DIR]
#                        [--seed N] [--epochs N] [MODEL ...]
#
# MODEL: mlp-128 cnn-fmnist mlp-fmnist mlp-300-100 vgg16 (Fashion-MNIST, from
# the default data directory or GTRAIN_DATA_DIR), softmax-mnist cnn-mnist
# (MNIST, from $GTRAIN_TEST_DATA/mnist; GTRAIN_TEST_DATA defaults to the
# shared/data folder beside the clone). --epochs caps every run (for a quick
# look on a CPU); without it each model trains its notebook's epoch count.
# SIGNS (cnn-signs) needs its HDF5 files: see README.
set -euo pipefail

gtrain=build/gtrain device=cpu out=bench/results/reproduce seed=1 epochs=""
models=()
while [ $# -gt 0 ]; do
  case $1 in
    --gtrain) gtrain=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "reproduce.sh: unknown option $1" >&2; exit 2 ;;
    *) models+=("$1"); shift ;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(mlp-128 cnn-fmnist mlp-300-100 mlp-fmnist softmax-mnist cnn-mnist)
export GTRAIN_TEST_DATA="${GTRAIN_TEST_DATA:-$(cd "$(dirname "$0")/../.." && pwd)/shared/data}"

# the notebooks' reported validation/test accuracy (REFERENCE.md)
declare -A notebook=(
  [mlp-128]="~.87 test after 5 epochs (~.89 train)"
  [cnn-fmnist]="~.90 test after 5 epochs (~.92 train)"
  [mlp-fmnist]="~.862 after epoch 1, best .8951, ~.887 at epoch 20"
  [mlp-300-100]=".902 val after 30 epochs"
  [vgg16]="epoch 1 .8435; final .8981, best .9111 (10 epochs)"
  [softmax-mnist]="~84% (text)"
  [cnn-mnist]="not reported for 1 epoch"
)
# TensorFlow 2.21 running the notebook's code with the same recipe (REFERENCE.md)
declare -A tensorflow=(
  [softmax-mnist]="final .8342, best .8363 (6); by epoch .8030 .8098 .8148 .8312 .8256 .8363 .8329 .8361 .8315 .8342"
  [cnn-mnist]=".9591 after 1 epoch"
)

mkdir -p "$out"
summary="$out/summary.md"
{
  echo "# Notebook reproductions"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
  echo "- command: \`scripts/reproduce.sh --device $device --seed $seed${epochs:+ --epochs $epochs} ${models[*]}\`"
  echo "- each run: \`$gtrain fit --model MODEL --device $device --seed $seed --history $out/MODEL.csv\`"
  echo
  echo "| model | epochs | final loss / acc (train) | final val acc | best val acc (epoch) | test acc after training | s/epoch | notebook | TensorFlow, same recipe |"
  echo "|---|---:|---|---:|---|---:|---:|---|---|"
} >"$summary"

for m in "${models[@]}"; do
  args=(fit --model "$m" --device "$device" --seed "$seed" --history "$out/$m.csv")
  [ -n "$epochs" ] && args+=(--epochs "$epochs")
  echo "== $m: $gtrain ${args[*]}" >&2
  "$gtrain" "${args[@]}" >"$out/$m.log" 2>&1 || { echo "| $m | failed: see $m.log | | | | | | | |" >>"$summary"; continue; }
  # runs validated on a split print the test set's accuracy after training
  test_acc=$(sed -n 's/^test: loss: [0-9.e+-]* - accuracy: \([0-9.]*\).*/\1/p' "$out/$m.log" | tail -1)
  awk -F, -v m="$m" -v nb="${notebook[$m]:-}" -v tf="${tensorflow[$m]:-}" -v test_acc="${test_acc:-= val}" '
    NR > 1 { n++; loss = $2; acc = $3; val = $5; secs += $6
             if ($5 != "" && $5 + 0 > best) { best = $5 + 0; best_e = $1 } }
    END { printf "| %s | %d | %.4f / %.4f | %s | %.4f (%d) | %s | %.1f | %s | %s |\n",
                 m, n, loss, acc, val, best, best_e, test_acc, secs / n, nb, tf }' "$out/$m.csv" >>"$summary"
done
cat "$summary"
