# shellcheck shell=bash
# Sourced by the data-parallel benches (bench/dist_*.sh) after setting
# $gtrain and $batches: `gtrain bench` runs under mpirun whose CSVs go to a
# temporary folder, and the median over rounds of their images/s.
flags=(--oversubscribe)
[ "$(id -u)" -eq 0 ] && flags+=(--allow-run-as-root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# dist_bench TAG RANKS THREADS MODEL ROUND [more gtrain bench options]
dist_bench() {
  local tag=$1 np=$2 threads=$3 model=$4 round=$5
  shift 5
  # each rank bound to its own `threads` cores: Open MPI binds a rank to one
  # core by default for 1 or 2 ranks, where 2 threads would share it
  mpirun "${flags[@]}" --map-by "slot:PE=$threads" -x OMP_NUM_THREADS="$threads" -np "$np" \
    "$gtrain" bench --model "$model" \
    --batch-sizes "$batches" --steps 20 --warmup 3 --device cpu --threads "$threads" "$@" \
    --csv "$tmp/$tag-$model-$round.csv" >/dev/null
}
# dist_median TAG MODEL BATCH: the median over the rounds of each run's images/s
dist_median() {
  for f in "$tmp/$1-$2"-[0-9]*.csv; do awk -F, -v b="$3" 'NR > 1 && $3 == b {print $7}' "$f"; done |
    sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
