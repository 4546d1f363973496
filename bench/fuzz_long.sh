#!/usr/bin/env bash
# bench/fuzz_long.sh BUILD_FUZZ_DIR OUT_DIR [SECONDS]: the long fuzz runs
# recorded in bench/results/: each target in turn (one at a time, -jobs=1:
# the development machine has 2 shared cores) for SECONDS (600), from the
# seed corpora of tests/fuzz/make_seeds.sh, under ASan and UBSan. Writes
# OUT_DIR/<target>.log, any findings to OUT_DIR/<target>/findings/, and a
# summary table of executions and findings on stdout.
set -u
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
seconds=${3:-600}
src=$(cd "$(dirname "$0")/.." && pwd)
GTRAIN_SOURCE_DIR="$src" bash "$src/tests/fuzz/make_seeds.sh" "$out/seeds" "$build/gtrain" >/dev/null
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "| target | seconds | executions | exec/s | corpus | findings | child artifacts (replayed: crash?) |"
echo "|---|---:|---:|---:|---:|---:|---|"
for t in idx model_json hdf5_data checkpoint; do
  dir="$out/$t"
  mkdir -p "$dir/corpus" "$dir/findings"
  # -malloc_limit_mb: libFuzzer's malloc hook also runs in the reader's child
  # process, where a damaged file may ask libhdf5 for gigabytes; the parent's
  # memory is bounded by -rss_limit_mb and ASan
  (cd "$dir" && "$build/tests/fuzz/fuzz_$t" -jobs=1 -workers=1 -max_total_time="$seconds" \
     -timeout=30 -rss_limit_mb=4096 -malloc_limit_mb=1048576 -print_final_stats=1 \
     -artifact_prefix="$dir/findings/" corpus "$out/seeds/$t" >/dev/null 2>&1)
  mv "$dir/fuzz-0.log" "$out/$t.log" 2>/dev/null
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$' | tail -1)
  time=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$out/$t.log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
  corpus=$(ls "$dir/corpus" | wc -l)
  # the fuzzed process's own reports (the child's stderr is /dev/null)
  found=$(grep -cE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error:' "$out/$t.log")
  # anything the child may have written (a sanitizer's death callback there),
  # replayed: a crash of the fuzzed process on it would be a finding too
  artifacts=$(ls "$dir/findings" | grep -v '^slow-unit' | wc -l)
  replay="none"
  if [ "$artifacts" -gt 0 ]; then
    mkdir -p "$dir/replay"
    if "$build/tests/fuzz/fuzz_$t" -runs=0 -artifact_prefix="$dir/replay/" "$dir/findings" \
         >"$dir/replay.log" 2>&1; then replay="$artifacts, no crash"; else replay="$artifacts, CRASH"; fi
  fi
  echo "| $t | ${time:-?} | ${runs:-?} | $(( ${runs:-0} / ${time:-1} )) | $corpus | $found | $replay |"
done
