#!/usr/bin/env bash
# Checkpoints through the CLI: 2 epochs straight equal 1 epoch + --resume for
# 1 bit for bit (weights, history); evaluate and predict read the files;
# errors are clear. (A process killed while saving: tests/cli_faults.sh.)
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" data train.h5 150 8 8 1 5 1 && "$py" "$kf" data test.h5 40 8 8 1 5 2 --prefix test_set \
  && "$py" "$kf" model-json m.json || { echo "FAIL: building the data"; exit 1; }
# resuming reproduces the run bit for bit on the same device and thread count
common=(--data hdf5:train.h5 --test-data hdf5:test.h5 --validation last:30 --batch-size 8
        --device cpu --threads 1)

check "fit 2 epochs" -- "$gtrain" fit --model m.json "${common[@]}" --seed 7 --epochs 2 --save a.h5 --history ha.csv
check "fit 1 epoch" -- "$gtrain" fit --model m.json "${common[@]}" --seed 7 --epochs 1 --save b.h5 --history hb.csv
check "resume for the 2nd epoch" -- "$gtrain" fit --resume b.h5 --epochs 2 --device cpu --threads 1
grep -q "resuming b.h5 after epoch 1" "$tmp/err" || { echo "FAIL: no resume notice"; cat "$tmp/err"; fail=1; }
check "2 epochs == 1 + resume (weights)" -- "$py" "$kf" same-weights a.h5 b.h5
[ "$("$py" "$kf" state b.h5 epochs_done)" = 2 ] || { echo "FAIL: b.h5 epochs_done"; fail=1; }
[ "$(cut -d, -f1-5 ha.csv)" = "$(cut -d, -f1-5 hb.csv)" ] \
  || { echo "FAIL: histories differ"; cat ha.csv hb.csv; fail=1; }

check "predict one" -- "$gtrain" predict --weights a.h5 --index 3 --device cpu
grep -q '^true label: ' "$tmp/out" && grep -q '^predicted: ' "$tmp/out" \
  || { echo "FAIL: predict output"; cat "$tmp/out"; fail=1; }
check "predict all" -- "$gtrain" predict --weights a.h5 --output p.csv --device cpu
[ "$(wc -l <p.csv)" = 41 ] || { echo "FAIL: p.csv has $(wc -l <p.csv) lines, expected 41"; fail=1; }

"$gtrain" evaluate --weights missing.h5 >/dev/null 2>e1; [ $? -eq 1 ] && grep -q "cannot open missing.h5" e1 \
  || { echo "FAIL: missing weights"; cat e1; fail=1; }
"$gtrain" evaluate --weights train.h5 >/dev/null 2>e2; [ $? -eq 1 ] && grep -q "no model_config" e2 \
  || { echo "FAIL: data file as weights"; cat e2; fail=1; }
"$py" "$kf" keras-full k.h5 1
"$gtrain" fit --resume k.h5 >/dev/null 2>e3; [ $? -eq 1 ] && grep -q "no gtrain training state" e3 \
  || { echo "FAIL: resume of a Keras file"; cat e3; fail=1; }
"$gtrain" fit --resume a.h5 --seed 3 >/dev/null 2>e4; [ $? -eq 2 ] \
  || { echo "FAIL: --resume with --seed must be a usage error"; cat e4; fail=1; }
[ $fail -eq 0 ] && echo "checkpoints: ok"
exit $fail
