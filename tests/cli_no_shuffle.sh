#!/usr/bin/env bash
# --no-shuffle through the CLI: batches in file order change the run (so the
# flag is not ignored), /gtrain_state records data_order "file", and
# --resume keeps it bit for bit: 2 epochs straight equal 1 epoch + --resume,
# and equal a run killed mid-epoch 2 while saving and resumed from the
# checkpoint that survived. --resume refuses a new data order.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" data train.h5 150 8 8 1 5 3 && "$py" "$kf" model-json m.json \
  || { echo "FAIL: building the data"; exit 1; }
common=(--model m.json --data hdf5:train.h5 --validation last:30 --batch-size 8 --device cpu
        --threads 1 --seed 5)

check "fit 2 epochs in file order" -- "$gtrain" fit "${common[@]}" --no-shuffle --epochs 2 --save a.h5 --history ha.csv
grep -q "batch 8, file order" "$tmp/err" || { echo "FAIL: no file-order notice"; cat "$tmp/err"; fail=1; }
[ "$("$py" "$kf" state a.h5 data_order)" = file ] \
  || { echo "FAIL: a.h5 data_order is '$("$py" "$kf" state a.h5 data_order)'"; fail=1; }
[ "$("$py" "$kf" state a.h5 format_version)" = 3 ] || { echo "FAIL: a.h5 format_version"; fail=1; }
check "fit 2 epochs shuffled" -- "$gtrain" fit "${common[@]}" --epochs 2 --save s.h5
[ "$("$py" "$kf" state s.h5 data_order)" = shuffled ] || { echo "FAIL: s.h5 data_order"; fail=1; }
"$py" "$kf" same-weights a.h5 s.h5 >/dev/null && { echo "FAIL: --no-shuffle changed nothing"; fail=1; }

check "fit 1 epoch in file order" -- "$gtrain" fit "${common[@]}" --no-shuffle --epochs 1 --save b.h5 --history hb.csv
check "resume for the 2nd epoch" -- "$gtrain" fit --resume b.h5 --epochs 2 --device cpu --threads 1
grep -q "resuming b.h5 after epoch 1" "$tmp/err" && grep -q "file order" "$tmp/err" \
  || { echo "FAIL: the resumed run is not in file order"; cat "$tmp/err"; fail=1; }
check "2 epochs == 1 + resume (weights)" -- "$py" "$kf" same-weights a.h5 b.h5
[ "$(cut -d, -f1-5 ha.csv)" = "$(cut -d, -f1-5 hb.csv)" ] \
  || { echo "FAIL: histories differ"; cat ha.csv hb.csv; fail=1; }

# 15 steps per epoch, saves every 5 steps and at each epoch's end: save 6
# would be epoch 2 step 10; killed there, c.h5 holds epoch 2 step 5.
# The kill comes from the fault-injection library (tests/fault), as in
# tests/cli_faults.sh.
if [ -f "${GTRAIN_FAULT_LIB:-}" ]; then
  GTRAIN_FAULT=kill:6 LD_PRELOAD="$GTRAIN_FAULT_LIB" "$gtrain" fit "${common[@]}" --no-shuffle \
    --epochs 2 --save c.h5 --save-every 5 >c.out 2>c.err
  [ $? -eq 137 ] || { echo "FAIL: the saving process was not killed"; cat c.err; fail=1; }
  [ "$("$py" "$kf" state c.h5 steps_done)" = 5 ] || { echo "FAIL: c.h5 steps_done"; fail=1; }
  check "resume mid-epoch" -- "$gtrain" fit --resume c.h5 --epochs 2 --device cpu --threads 1
  check "crash + resume == uninterrupted" -- "$py" "$kf" same-weights a.h5 c.h5
else
  echo "GTRAIN_FAULT_LIB not built: the kill-during-save part is not run"
fi

"$gtrain" fit --resume b.h5 --no-shuffle >/dev/null 2>e1; [ $? -eq 2 ] && grep -q -- "--\[no-\]shuffle" e1 \
  || { echo "FAIL: --resume with --no-shuffle must be a usage error"; cat e1; fail=1; }
"$gtrain" fit --resume s.h5 --shuffle >/dev/null 2>e2; [ $? -eq 2 ] \
  || { echo "FAIL: --resume with --shuffle must be a usage error"; cat e2; fail=1; }
[ $fail -eq 0 ] && echo "no-shuffle: ok"
exit $fail
