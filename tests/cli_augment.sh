#!/usr/bin/env bash
# A model with augmentation layers (tests/data/keras3_augment.json, written by
# Keras 3.15: RandomFlip, RandomTranslation, RandomZoom, RandomCrop) through
# the CLI on Fashion-MNIST: the summary lists them with 0 params; a short fit
# trains; forced to stream by a small --data-memory it gives the resident
# run's bits; the same seed gives the same bits; the checkpoint keeps the
# layers (its model reads back, evaluate runs them in their inference form,
# resident and streamed alike, and --resume continues to the uninterrupted
# run's weights).
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
. "$GTRAIN_SOURCE_DIR/tests/fmnist_data.sh"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
model="$GTRAIN_SOURCE_DIR/tests/data/keras3_augment.json"
cd "$tmp"

check "summary" -- "$gtrain" summary --model "$model"
for row in "random_flip (RandomFlip) .* 0" "random_translation (RandomT (None, 28, 28, 1) .* 0" \
  "random_zoom (RandomZoom) .* 0" "random_crop (RandomCrop) .*(None, 24, 24, 1) .* 0" \
  "Total params: 9,770" "random flip horizontal (training only)"; do
  grep -q "$row" "$tmp/out" || { echo "FAIL: summary lacks '$row'"; cat "$tmp/out"; fail=1; }
done

common=(--model "$model" --data fashion-mnist --data-dir "$dir" --batch-size 50
        --steps-per-epoch 12 --validation none --device cpu --threads 2 --seed 5)
check "resident" -- "$gtrain" fit "${common[@]}" --epochs 2 --save r.h5 --history r.csv
grep -q "data: train resident" "$tmp/err" || { echo "FAIL: not resident"; cat "$tmp/err"; fail=1; }
check "streamed" -- "$gtrain" fit "${common[@]}" --epochs 2 --save s.h5 --history s.csv --data-memory 16M
grep -q "data: train streamed" "$tmp/err" || { echo "FAIL: not streamed"; cat "$tmp/err"; fail=1; }
check "streamed == resident (weights)" -- "$py" "$kf" same-weights r.h5 s.h5
[ "$(cut -d, -f1-3 r.csv)" = "$(cut -d, -f1-3 s.csv)" ] \
  || { echo "FAIL: histories differ"; paste r.csv s.csv; fail=1; }
check "the same seed again" -- "$gtrain" fit "${common[@]}" --epochs 2 --save r2.h5
check "same seed == same weights" -- "$py" "$kf" same-weights r.h5 r2.h5
# training moved the weights (the augmented batches reach the network)
check "1 epoch" -- "$gtrain" fit "${common[@]}" --epochs 1 --save one.h5
"$py" "$kf" same-weights one.h5 r.h5 >/dev/null && { echo "FAIL: epoch 2 changed nothing"; fail=1; }

# the checkpoint's model keeps the layers: resumed, it ends where the
# uninterrupted run ends; evaluate uses RandomCrop's inference form
check "resume" -- "$gtrain" fit --resume one.h5 --epochs 2 --device cpu --threads 2
check "1 + 1 epochs == 2 epochs" -- "$py" "$kf" same-weights r.h5 one.h5
ev=(--weights r.h5 --data-dir "$dir" --device cpu --threads 2 --batch-size 500)
check "evaluate resident" -- "$gtrain" evaluate "${ev[@]}"
cp "$tmp/out" er.out
check "evaluate streamed" -- "$gtrain" evaluate "${ev[@]}" --data-memory 4M
grep -q "data: dataset streamed" "$tmp/err" || { echo "FAIL: evaluate did not stream"; cat "$tmp/err"; fail=1; }
[ "$(grep -o 'loss: .*' er.out)" = "$(grep -o 'loss: .*' "$tmp/out")" ] \
  || { echo "FAIL: evaluate differs"; cat er.out "$tmp/out"; fail=1; }
grep -q "loss: " er.out || { echo "FAIL: no loss"; cat er.out; fail=1; }
exit $fail
