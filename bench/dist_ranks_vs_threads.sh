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
source "$(dirname "$0")/dist_bench_lib.sh"
for model in $models; do
  for r in $(seq "$rounds"); do
    dist_bench 1x1 1 1 "$model" "$r"
    dist_bench 1x2 1 2 "$model" "$r"
    dist_bench 2x1 2 1 "$model" "$r"
  done
done
echo "| model | batch | 1 rank x 1 thread | 1 rank x 2 threads | 2 ranks x 1 thread | 2x1 / 1x2 |"
echo "|---|---|---|---|---|---|"
for model in $models; do
  for b in ${batches//,/ }; do
    a=$(dist_median 1x1 "$model" "$b") t=$(dist_median 1x2 "$model" "$b") p=$(dist_median 2x1 "$model" "$b")
    echo "| $model | $b | $a | $t | $p | $(awk -v p="$p" -v t="$t" 'BEGIN {printf "%.2f", p / t}') |"
  done
done
