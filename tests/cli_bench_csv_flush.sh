#!/usr/bin/env bash
# `gtrain bench --csv` and `bench_ops --csv` put each row on disk as soon as
# it is measured: while the process is still running (as when a time limit
# is about to kill it, in scripts/gpu_check.sh), the CSV already holds the
# header and the rows printed so far. Each command's rows fit easily in a
# stdio buffer, so without the flushes nothing would reach the disk before
# the process ends.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
bench_ops="$(dirname "$gtrain")/bench/bench_ops"
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -KILL $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0

# rows_while_running NAME CSV N -- COMMAND...: starts COMMAND, which must
# still be running when CSV holds N rows besides its header (within 60 s).
rows_while_running() {
  local name=$1 csv=$2 want=$3 ok=0
  shift 4
  "$@" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    kill -0 $pid 2>/dev/null || break
    if [ -f "$csv" ] && [ "$(($(wc -l <"$csv") - 1))" -ge "$want" ]; then ok=1; break; fi
    sleep 0.1
  done
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  pid=""
  if [ $ok = 1 ]; then
    echo "$name: $(($(wc -l <"$csv") - 1)) rows on disk while running ($(head -1 "$csv" | cut -c1-40)...)"
  else
    echo "FAIL: $name's CSV rows did not reach the disk while it ran"
    cat "$tmp/out"; cat "$csv" 2>/dev/null; fail=1
  fi
}

# a small batch first, then batch sizes that keep it busy for minutes
rows_while_running "gtrain bench" "$tmp/bench.csv" 2 -- "$gtrain" bench --model cnn-fmnist \
  --device cpu --threads 1 --batch-sizes 1,2,512,512,512,512 --steps 200 --warmup 0 \
  --csv "$tmp/bench.csv"
head -1 "$tmp/bench.csv" 2>/dev/null | grep -q "^model,backend,batch,median_ms" ||
  { echo "FAIL: bench CSV header"; fail=1; }
if [ -x "$bench_ops" ]; then
  rows_while_running "bench_ops" "$tmp/ops.csv" 1 -- "$bench_ops" --model cnn-fmnist --batch 64 \
    --ops conv --reps 3000 --backend cpu --no-check --csv "$tmp/ops.csv"
else
  echo "bench_ops not built (GTRAIN_BUILD_BENCH=OFF): its part is not checked"
fi
exit $fail
