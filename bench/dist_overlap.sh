#!/usr/bin/env bash
# What overlapping the gradient sums with backward saves on the CPU: 2 ranks
# x 1 thread, `gtrain bench` at the same global batch with --bucket-size 0
# (one MPI_Allreduce after backward), the default 25M buckets and smaller
# ones, in alternating rounds. Prints a markdown table of the median over
# rounds of each run's global images/s and the step time saved against 0.
# usage: bench/dist_overlap.sh BUILD/gtrain [rounds] [models] [batches] [bucket sizes]
set -euo pipefail
gtrain=$1
rounds=${2:-3}
models=${3:-mlp-fmnist cnn-fmnist vgg16}
batches=${4:-64}
sizes=${5:-0 25M 4M 1M}
source "$(dirname "$0")/dist_bench_lib.sh"
for model in $models; do
  for r in $(seq "$rounds"); do
    for s in $sizes; do dist_bench "b$s" 2 1 "$model" "$r" --bucket-size "$s"; done
  done
done
header="| model | batch |" rule="|---|---|"
for s in $sizes; do header+=" --bucket-size $s |" rule+="---|"; done
echo "$header images/s; step ms saved vs 0 |"
echo "$rule---|"
for model in $models; do
  for b in ${batches//,/ }; do
    row="| $model | $b |" base=$(dist_median b0 "$model" "$b") saved=""
    for s in $sizes; do
      v=$(dist_median "b$s" "$model" "$b")
      row+=" $v |"
      [ "$s" = 0 ] || saved+="$s: $(awk -v b="$b" -v x="$base" -v y="$v" 'BEGIN {printf "%.2f", 1000 * b / x - 1000 * b / y}') "
    done
    echo "$row $saved|"
  done
done
