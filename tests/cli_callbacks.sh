#!/usr/bin/env bash
# The callbacks and optimizers through gtrain fit: --early-stopping stops
# and says so, restore_best_weights puts the best epoch back (and the --save
# checkpoint holds it); --reduce-lr-on-plateau and --model-checkpoint report
# what they do; a run checkpointed mid-way with its callbacks resumes to the
# same weights as the uninterrupted one (the callbacks' state comes from the
# checkpoint); --optimizer NAME:k=v and --lr-schedule reach the library's
# Keras-form parsers, whose refusals are usage errors (exit 2); --tensorboard
# writes train/ and validation/ event files. The events' content is checked
# with TensorBoard's reader by the Python tests.
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" data train.h5 200 8 8 1 5 3 && "$py" "$kf" model-json m.json \
  || { echo "FAIL: building the data"; exit 1; }
common=(--model m.json --data hdf5:train.h5 --validation last:40 --batch-size 8 --device cpu
        --threads 1 --seed 5 --optimizer sgd:momentum=0.9 --lr 0.3)
cbs=(--reduce-lr-on-plateau factor=0.5,patience=1,min_delta=0 --early-stopping
     monitor=val_accuracy,patience=2,restore_best_weights=true)

check "fit with callbacks" -- "$gtrain" fit "${common[@]}" "${cbs[@]}" --epochs 12 --save a.h5 \
  --history ha.csv --tensorboard tb --tensorboard-update-freq 5
cat "$tmp/out"
stop=$(sed -n 's/^Epoch \([0-9]*\): early stopping$/\1/p' "$tmp/out")
best=$(sed -n 's/^Restoring model weights from the end of the best epoch: \([0-9]*\)\.$/\1/p' "$tmp/out")
[ -n "$stop" ] && [ "$stop" -lt 12 ] || { echo "FAIL: EarlyStopping did not stop the run"; fail=1; }
[ -n "$best" ] || { echo "FAIL: no restore message"; fail=1; }
[ "$(($(wc -l < ha.csv) - 1))" = "${stop:-0}" ] || { echo "FAIL: history rows != $stop epochs"; fail=1; }
grep -q "ReduceLROnPlateau reducing learning rate to 0.15" "$tmp/out" \
  || { echo "FAIL: no learning-rate reduction reported"; fail=1; }
[ "$("$py" "$kf" state a.h5 epochs_done)" = "$stop" ] || { echo "FAIL: a.h5 epochs_done"; fail=1; }
[ -n "$(ls tb/train/events.out.tfevents.*)" ] && [ -n "$(ls tb/validation/events.out.tfevents.*)" ] \
  || { echo "FAIL: no TensorBoard event files"; fail=1; }

# the best epoch's weights are what a --model-checkpoint with save_best_only on
# the same monitor saved last
check "same run, best checkpoint" -- "$gtrain" fit "${common[@]}" "${cbs[@]}" --epochs 12 \
  --model-checkpoint "filepath=best.h5,monitor=val_accuracy,save_best_only=true" --save c.h5
grep -q "ModelCheckpoint saved the model" "$tmp/out" || { echo "FAIL: no checkpoint message"; fail=1; }
check "restored weights == best checkpoint" -- "$py" "$kf" same-weights c.h5 best.h5
check "same weights with or without ModelCheckpoint" -- "$py" "$kf" same-weights a.h5 c.h5

# 2 epochs, then --resume to the end: the same as straight
check "fit 2 epochs" -- "$gtrain" fit "${common[@]}" "${cbs[@]}" --epochs 2 --save b.h5
check "resume to 12" -- "$gtrain" fit --resume b.h5 --epochs 12 --device cpu --threads 1
grep -q "early stopping" "$tmp/out" || { echo "FAIL: the resumed run did not stop early"; fail=1; }
check "straight == 2 + resume (weights)" -- "$py" "$kf" same-weights a.h5 b.h5
check "resume a stopped run" -- "$gtrain" fit --resume b.h5 --epochs 12 --device cpu --threads 1
grep -q "EarlyStopping ended this run after epoch $stop; nothing to resume" "$tmp/err" \
  || { echo "FAIL: a stopped run resumed"; cat "$tmp/err"; fail=1; }

# optimizers and schedules
for opt in rmsprop:rho=0.8,momentum=0.5,centered=true adamw:weight_decay=0.01 adam:beta_1=0.8; do
  check "--optimizer $opt" -- "$gtrain" fit --model m.json --data hdf5:train.h5 --validation none \
    --batch-size 8 --device cpu --threads 1 --epochs 1 --optimizer "$opt" --save o.h5
  grep -q "batch 8, shuffled, ${opt%%:*}," "$tmp/err" || { echo "FAIL: $opt not used"; fail=1; }
done
check "--lr-schedule" -- "$gtrain" fit --model m.json --data hdf5:train.h5 --validation none \
  --batch-size 8 --device cpu --threads 1 --epochs 1 --lr 0.1 \
  --lr-schedule piecewise:boundaries=[5,10],values=[0.1,0.05,0.01] --save p.h5
[ "$("$py" "$kf" state p.h5 learning_rate_now)" != "" ] || { echo "FAIL: no learning_rate_now"; fail=1; }

usage() { # usage DESCRIPTION -- command...: exit 2 with the message
  local what=$1 needle=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local code=$?
  if [ $code -ne 2 ] || ! grep -q -- "$needle" "$tmp/err"; then
    echo "FAIL: $what: exit $code, expected 2 with '$needle'"; cat "$tmp/err"; fail=1
  fi
}
base=(--model m.json --data hdf5:train.h5 --batch-size 8 --device cpu --epochs 1)
usage "unknown EarlyStopping key" "unknown key 'pateince'" -- "$gtrain" fit "${base[@]}" --early-stopping pateince=2
usage "unknown optimizer" "expected one of adam, sgd, rmsprop, adamw" -- "$gtrain" fit "${base[@]}" --optimizer lion
usage "amsgrad" "amsgrad" -- "$gtrain" fit "${base[@]}" --optimizer adam:amsgrad=true
usage "factor >= 1" "factor" -- "$gtrain" fit "${base[@]}" --reduce-lr-on-plateau factor=2
usage "schedule kind" "exponential, cosine or piecewise" -- "$gtrain" fit "${base[@]}" --lr-schedule linear:decay_steps=3
usage "callbacks on resume" "drop --model" -- "$gtrain" fit --resume b.h5 --early-stopping patience=1
usage "not key=value" "key=value" -- "$gtrain" fit "${base[@]}" --early-stopping 3
usage "val_ monitor without validation" "no validation data" -- "$gtrain" fit "${base[@]}" --validation none --early-stopping patience=1
exit $fail
