#!/usr/bin/env bash
# 1 rank x 2 threads against 2 ranks x 1 thread (and 1 x 1) on the CPU:
# `gtrain bench` at the same global batch, in alternating rounds so that a
# change of the machine's load hits every configuration alike. Prints a
# markdown table of the median over rounds of each run's median images/s.
# usage: bench/dist_ranks_vs_threads.sh BUILD/gtrain [rounds] [models] [batches]
set -euo pipefail
gtrain=$1
rounds=${2:-3}
models=${3:-mlp-128 cnn-fmnist}
batches=${4:-64,256}
flags=(--oversubscribe -x OMP_NUM_THREADS=1)
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # run TAG RANKS THREADS MODEL
  local tag=$1 np=$2 threads=$3 model=$4
  mpirun "${flags[@]}" -x OMP_NUM_THREADS="$threads" -np "$np" "$gtrain" bench --model "$model" \
    --batch-sizes "$batches" --steps 20 --warmup 3 --device cpu --threads "$threads" \
    --csv "$tmp/$tag-$model-$r.csv" >/dev/null
}
for model in $models; do
  for r in $(seq "$rounds"); do
    run 1x1 1 1 "$model"
    run 1x2 1 2 "$model"
    run 2x1 2 1 "$model"
  done
done
echo "| model | batch | 1 rank x 1 thread | 1 rank x 2 threads | 2 ranks x 1 thread | 2x1 / 1x2 |"
echo "|---|---|---|---|---|---|"
for model in $models; do
  for b in ${batches//,/ }; do
    med() { # median images/s over the rounds of TAG
      for f in "$tmp/$1-$model"-*.csv; do awk -F, -v b="$b" 'NR > 1 && $3 == b {print $7}' "$f"; done |
        sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
    }
    a=$(med 1x1) t=$(med 1x2) p=$(med 2x1)
    echo "| $model | $b | $a | $t | $p | $(awk -v p="$p" -v t="$t" 'BEGIN {printf "%.2f", p / t}') |"
  done
done
