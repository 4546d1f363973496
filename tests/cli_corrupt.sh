#!/usr/bin/env bash
# Damaged and hostile files never crash gtrain and never train on garbage:
#  - a file that makes libhdf5 1.10 segfault (tests/data/libhdf5_segfault.h5,
#    a mutated Keras file) is "corrupt", exit 1, for evaluate, fit --resume,
#    convert and as HDF5 data
#  - a flipped byte or a truncation of a gtrain checkpoint fails its CRC-32
#  - every /gtrain_state field is range-checked, naming file, field, value
#  - a resume on other data than the saved run's is refused
#  - h5py (hence Keras) still reads gtrain's sealed checkpoints
set -u
gtrain="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
source "$GTRAIN_SOURCE_DIR/tests/hdf5_env.sh"
cd "$tmp"
"$py" "$kf" data train.h5 150 8 8 1 5 1 && "$py" "$kf" data other.h5 100 8 8 1 5 3 \
  && "$py" "$kf" model-json m.json || { echo "FAIL: building the data"; exit 1; }
common=(--data hdf5:train.h5 --validation none --batch-size 8 --device cpu --threads 1)
refused() { # refused TEXT -- command...: exit 1 and TEXT on stderr, no crash
  local text=$1; shift 2
  "$@" >out 2>err
  local code=$?
  if [ $code -ne 1 ] || ! grep -qF -- "$text" err; then
    echo "FAIL: $* : expected exit 1 and '$text', got $code:"; cat err; fail=1
  fi
}
check "a checkpoint" -- "$gtrain" fit --model m.json "${common[@]}" --epochs 1 --save a.h5
check "h5py reads the sealed checkpoint" -- "$py" -c "
import h5py, sys
f = h5py.File('a.h5', 'r')
assert f.userblock_size == 512, f.userblock_size
assert 'model_weights' in f and f['gtrain_state'].attrs['epochs_done'] == 1"

crash="$GTRAIN_SOURCE_DIR/tests/data/libhdf5_segfault.h5"
# (a plain build reports the signal; under ASan the child's sanitizer ends it with status 1)
refused "libhdf5_segfault.h5 is corrupt: " -- "$gtrain" evaluate --weights "$crash" --model m.json \
  --data hdf5:train.h5 --device cpu
refused "is corrupt" -- "$gtrain" convert --weights "$crash" --model m.json --save c.h5
# these read other parts of the file first, which libhdf5 survives: a clean refusal either way
refused "gtrain: error: $crash" -- "$gtrain" fit --resume "$crash"
refused "gtrain: error: $crash" -- "$gtrain" fit --model m.json --data hdf5:"$crash" --device cpu

# special files: no hang on a pipe, no endless read of a device
mkfifo pipe.h5
refused "cannot read pipe.h5: it is a named pipe, not a regular file" -- timeout 60 "$gtrain" \
  evaluate --weights pipe.h5 --device cpu
refused "cannot read /dev/zero: it is a character device" -- timeout 60 "$gtrain" fit --model m.json \
  --data hdf5:/dev/zero --device cpu
refused "/dev/zero: more than 64 MiB: not a Keras model JSON file" -- timeout 60 "$gtrain" summary \
  --model /dev/zero

size=$(stat -c %s a.h5)
cp a.h5 flip.h5
printf '\x5a' | dd of=flip.h5 bs=1 seek=$((size - 100)) conv=notrunc status=none
refused "flip.h5 is corrupt: CRC-32 of its" -- "$gtrain" evaluate --weights flip.h5 --device cpu
head -c $((size - 1000)) a.h5 >short.h5
refused "short.h5 is corrupt: its header says" -- "$gtrain" fit --resume short.h5

edit() { # edit KEY VALUE TYPE EXPECTED: a re-sealed checkpoint with KEY=VALUE is refused
  cp a.h5 e.h5 && "$py" "$kf" set-state e.h5 "$1" "$2" "$3" || { echo "FAIL: editing $1"; fail=1; }
  refused "$4" -- "$gtrain" fit --resume e.h5 --epochs 3 --device cpu
}
edit epochs_done 1099511627776 int "e.h5: gtrain_state: epochs_done is 1099511627776, expected 0..2147483646"
edit batch_size 4294967300 int "e.h5: gtrain_state: batch_size is 4294967300, expected 1..2147483647"
edit learning_rate nan float "e.h5: gtrain_state: learning_rate is nan, expected a number in (0, 1e+06]"
edit beta1 1.5 float "e.h5: gtrain_state: beta1 is 1.5, expected a number in [0, 1)"
edit epoch_correct 5 float "e.h5: gtrain_state: epoch_correct is 5, expected a number in [0, 0]"
edit steps_done 3 int "steps_done is 3 but epoch_examples is 0"
edit data_cursor 7 int "e.h5: gtrain_state: data_cursor is 7, but 0 steps of batch 8 consumed 0 examples"
edit shuffle_buffer 100 int "shuffle_buffer is 100 with shuffle_block 0"
# a steps_done past the end of the epoch (19 steps of 8 in 150 examples)
cp a.h5 e.h5 && "$py" "$kf" set-state e.h5 steps_done 500 int && "$py" "$kf" set-state e.h5 epoch_examples 4000 float \
  && "$py" "$kf" set-state e.h5 optimizer_step 600 int && "$py" "$kf" set-state e.h5 data_cursor 4000 int
refused "the run state is at step 500 of epoch 2, but an epoch of" -- "$gtrain" fit --resume e.h5 --epochs 3 --device cpu

refused "a.h5 was saved by a run training on 150 examples of 8x8x1, 5 classes, crc32" -- \
  "$gtrain" fit --resume a.h5 --data hdf5:other.h5 --epochs 2 --device cpu
grep -qF "is 100 examples of 8x8x1" err || { echo "FAIL: the message names the new data"; cat err; fail=1; }
[ $fail -eq 0 ] && echo "corrupt files: ok"
exit $fail
