#!/usr/bin/env bash
# Resident or streamed through the CLI: the header line says which and why;
# a run forced to stream by a small --data-memory trains, validates,
# evaluates and predicts exactly as the resident run; --shuffle-buffer is
# recorded in the checkpoint and a run killed mid-epoch resumes on the
# stream to the uninterrupted run's weights; a format-2 checkpoint (before
# the cursor) still resumes; bad values are usage errors and a budget too
# small even to stream is a clear runtime error.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" data train.h5 600 8 8 1 5 3 --chunks 16 && "$py" "$kf" data test.h5 200 8 8 1 5 4 --prefix test_set \
  && "$py" "$kf" model-json m.json || { echo "FAIL: building the data"; exit 1; }
common=(--model m.json --data hdf5:train.h5 --test-data hdf5:test.h5 --validation last:100
        --batch-size 8 --device cpu --threads 2 --seed 3)
# 40 KiB of training data and 13 KiB of test data: both streamed
small=(--data-memory 16K)

check "resident" -- "$gtrain" fit "${common[@]}" --epochs 2 --history r.csv --save r.h5
grep -q "data: train resident (.* fits in --data-memory .*, half the machine's memory); test resident" "$tmp/err" \
  || { echo "FAIL: the header does not say resident and why"; cat "$tmp/err"; fail=1; }
check "streamed" -- "$gtrain" fit "${common[@]}" "${small[@]}" --epochs 2 --history s.csv --save s.h5
grep -q "data: train streamed (.* does not fit in --data-memory 16.0 KiB; HDF5 hyperslabs of a chunked dataset (chunks of 16 examples, compressed)); test streamed" "$tmp/err" \
  || { echo "FAIL: the header does not say streamed and why"; cat "$tmp/err"; fail=1; }
grep -q "test: loss" "$tmp/out" || { echo "FAIL: no test evaluation"; fail=1; }
check "streamed == resident (weights)" -- "$py" "$kf" same-weights r.h5 s.h5
[ "$(cut -d, -f1-5 r.csv)" = "$(cut -d, -f1-5 s.csv)" ] \
  || { echo "FAIL: histories differ"; paste r.csv s.csv; fail=1; }

# the 13.3 KiB test set streamed in batches of 8
ev=(--weights r.h5 --data hdf5:test.h5 --device cpu --batch-size 8)
small_ev=(--data-memory 13K)
check "evaluate resident" -- "$gtrain" evaluate "${ev[@]}"
cp "$tmp/out" er.out
check "evaluate streamed" -- "$gtrain" evaluate "${ev[@]}" "${small_ev[@]}"
grep -q "gtrain: data: dataset streamed" "$tmp/err" || { echo "FAIL: evaluate did not stream"; cat "$tmp/err"; fail=1; }
[ "$(grep -o 'loss: .*' er.out)" = "$(grep -o 'loss: .*' "$tmp/out")" ] \
  || { echo "FAIL: evaluate differs"; cat er.out "$tmp/out"; fail=1; }
check "predict resident" -- "$gtrain" predict "${ev[@]}" --output pr.csv
check "predict streamed" -- "$gtrain" predict "${ev[@]}" --output ps.csv "${small_ev[@]}"
grep -q "gtrain: data: dataset streamed" "$tmp/err" || { echo "FAIL: predict did not stream"; cat "$tmp/err"; fail=1; }
cmp -s pr.csv ps.csv || { echo "FAIL: predictions differ"; fail=1; }
check "predict one streamed" -- "$gtrain" predict "${ev[@]}" --index 7 "${small_ev[@]}"
grep -q "true label" "$tmp/out" || { echo "FAIL: predict --index"; cat "$tmp/out"; fail=1; }

# the buffered shuffle: the same on both paths, recorded, resumed exactly
buf=(--shuffle-buffer 30)
bsmall=(--data-memory 20K) # the training set's store of 30 + 3 examples as well
check "buffer, resident" -- "$gtrain" fit "${common[@]}" "${buf[@]}" --epochs 2 --save br.h5
grep -q "batch 8, shuffle buffer of 30 examples" "$tmp/err" || { echo "FAIL: header order"; cat "$tmp/err"; fail=1; }
[ "$("$py" "$kf" state br.h5 shuffle_buffer)" = 30 ] || { echo "FAIL: shuffle_buffer not saved"; fail=1; }
[ "$("$py" "$kf" state br.h5 shuffle_block)" = 3 ] || { echo "FAIL: shuffle_block $("$py" "$kf" state br.h5 shuffle_block)"; fail=1; }
[ "$("$py" "$kf" state br.h5 format_version)" = 3 ] || { echo "FAIL: format_version"; fail=1; }
"$py" "$kf" same-weights r.h5 br.h5 >/dev/null && { echo "FAIL: --shuffle-buffer changed nothing"; fail=1; }
check "buffer, streamed" -- "$gtrain" fit "${common[@]}" "${buf[@]}" "${bsmall[@]}" --epochs 2 --save bs.h5
grep -q "data: train streamed" "$tmp/err" || { echo "FAIL: the buffered run is not streamed"; cat "$tmp/err"; fail=1; }
check "buffer: streamed == resident" -- "$py" "$kf" same-weights br.h5 bs.h5
# 63 steps an epoch, a save every 7 optimizer steps and at the epoch's end:
# saves 1-10 in epoch 1, save 11 at epoch 2 step 7, save 12 (step 14) killed
if [ -f "${GTRAIN_FAULT_LIB:-}" ]; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
  GTRAIN_FAULT=kill:12 LD_PRELOAD="$GTRAIN_FAULT_LIB" "$gtrain" fit "${common[@]}" "${buf[@]}" \
    "${bsmall[@]}" --epochs 2 --save k.h5 --save-every 7 >k.out 2>k.err
  [ $? -eq 137 ] || { echo "FAIL: the saving process was not killed"; cat k.err; fail=1; }
  steps=$("$py" "$kf" state k.h5 steps_done)
  cursor=$("$py" "$kf" state k.h5 data_cursor)
  [ "$steps" = 7 ] && [ "$cursor" = 56 ] \
    || { echo "FAIL: k.h5 steps_done $steps, data_cursor $cursor"; fail=1; }
  check "resume mid-epoch on the stream" -- "$gtrain" fit --resume k.h5 --epochs 2 --device cpu --threads 2 "${bsmall[@]}"
  grep -q "data: train streamed" "$tmp/err" || { echo "FAIL: the resumed run is not streamed"; cat "$tmp/err"; fail=1; }
  grep -q "resuming k.h5 at epoch .* step $steps (mid-epoch)" "$tmp/err" || { echo "FAIL: not a mid-epoch resume"; cat "$tmp/err"; fail=1; }
  check "killed + resumed == uninterrupted" -- "$py" "$kf" same-weights br.h5 k.h5
fi

# a checkpoint of format 2 (no cursor, the full shuffle) still resumes
check "1 epoch" -- "$gtrain" fit "${common[@]}" --epochs 1 --save o.h5
"$py" "$kf" downgrade o.h5 2 || { echo "FAIL: downgrading"; fail=1; }
check "resume a format-2 file" -- "$gtrain" fit --resume o.h5 --epochs 2 --device cpu --threads 2 "${small[@]}"
check "format 2 + resume == 2 epochs" -- "$py" "$kf" same-weights r.h5 o.h5

expect_usage() { # expect_usage NEEDLE -- args...: exit 2 with NEEDLE
  local needle=$1; shift 2
  "$gtrain" "$@" >/dev/null 2>"$tmp/err"
  local code=$?
  if [ $code -ne 2 ] || ! grep -qF -- "$needle" "$tmp/err"; then
    echo "FAIL: '$*': exit $code, expected 2 with '$needle'"; cat "$tmp/err"; fail=1
  fi
}
expect_usage "--data-memory expects a number of bytes" -- fit "${common[@]}" --data-memory 12X
expect_usage "--data-memory expects a number of bytes" -- evaluate --weights r.h5 --data-memory 0
expect_usage "it contradicts --no-shuffle" -- fit "${common[@]}" --no-shuffle --shuffle-buffer 5
expect_usage "--shuffle-buffer" -- fit --resume br.h5 --shuffle-buffer 5
expect_usage "--data-memory applies to fit, evaluate and predict" -- activations --weights r.h5 --data-memory 1M
"$gtrain" fit "${common[@]}" --data-memory 100 --epochs 1 >/dev/null 2>"$tmp/err"
code=$?
{ [ $code -eq 1 ] && grep -q "streaming it needs .* raise --data-memory" "$tmp/err"; } \
  || { echo "FAIL: a budget too small to stream: exit $code"; cat "$tmp/err"; fail=1; }
[ $fail -eq 0 ] && echo "stream: ok"
exit $fail
